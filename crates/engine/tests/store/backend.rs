//! The two stores under test, each on a database of its own per test: SQLite in a
//! temporary directory, PostgreSQL in a schema of its own. PostgreSQL is the one at
//! `ATELIER_TEST_PG_URL` when that is set, else a throwaway cluster that
//! `scripts/pg_test_cluster.sh` starts for this test process (and stops after it).
//! When neither works the tests fail with the reason: they never skip.

use atelier_engine::store::{EventStore, PostgresOptions, PostgresStore, SqliteStore};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// A database for one test: `open` gives a new store on it each time, as a second
/// process or a second server would open it.
pub trait Backend: Sync {
    fn open(&self) -> Arc<dyn EventStore>;
}

pub struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    pub fn new() -> Sqlite {
        Sqlite {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("events.db")
    }
}

impl Backend for Sqlite {
    fn open(&self) -> Arc<dyn EventStore> {
        Arc::new(SqliteStore::open(&self.path()).expect("open the SQLite store"))
    }
}

/// The server's URL, found or started once per test process.
pub fn server_url() -> &'static str {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    match URL.get_or_init(find_or_start) {
        Ok(url) => url,
        Err(why) => panic!("{why}"),
    }
}

fn find_or_start() -> Result<String, String> {
    if let Some(url) = std::env::var("ATELIER_TEST_PG_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        return Ok(url.trim().to_string());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg_test_cluster.sh");
    let advice = "These tests need PostgreSQL and never skip: install Debian's `postgresql` \
                  package (apt-get install postgresql), or set ATELIER_TEST_PG_URL to a \
                  server's URL (postgres://user@host:port/database).";
    let out = Command::new("bash")
        .arg(&script)
        .args(["start", "--owner", &std::process::id().to_string()])
        .output()
        .map_err(|e| format!("cannot run {}: {e}. {advice}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let url = stdout.trim();
    if !out.status.success() || url.is_empty() {
        return Err(format!(
            "PostgreSQL could not be started by {}: {}. {advice}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(url.to_string())
}

/// `url` with `search_path` set to `schema` (as a connection option), and the
/// schema as the connections' application name, so a test can find its own.
fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}&application_name={schema}")
}

/// A schema of its own on the test server, dropped afterwards.
pub struct Postgres {
    schema: String,
    url: String,
}

impl Postgres {
    pub fn new() -> Postgres {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let schema = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let server = server_url();
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {server}: {e}"));
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create the test's schema");
        Postgres {
            url: with_search_path(server, &schema),
            schema,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes, from the server's side, this test's connections whose last
    /// statement starts with `statement` (as a crash or a restart would).
    pub fn terminate(&self, statement: &str) -> u64 {
        let mut admin = postgres::Client::connect(server_url(), postgres::NoTls)
            .expect("connect to the test PostgreSQL");
        admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = $1 AND query LIKE $2",
                &[&self.schema, &format!("{statement}%")],
            )
            .expect("terminate")
            .len() as u64
    }
}

impl Backend for Postgres {
    fn open(&self) -> Arc<dyn EventStore> {
        let options = PostgresOptions {
            max_connections: 8,
            ..PostgresOptions::default()
        };
        Arc::new(PostgresStore::open_with(&self.url, options).expect("open the PostgreSQL store"))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(server_url(), postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
        }
    }
}

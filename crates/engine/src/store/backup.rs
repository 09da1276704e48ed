//! Online backup and restore of a SQLite event store (`atelier backup`, `atelier
//! restore`).
//!
//! A backup is taken with SQLite's online backup API in one step, inside one read
//! transaction: a consistent snapshot of the log even while a server appends (WAL
//! lets the writer go on meanwhile), written to a temporary file beside the target,
//! checked, and renamed into place. A restore first proves the backup is an Atelier
//! database (SQLite's integrity check, a known schema version, every log readable),
//! copies and migrates it into a temporary file beside the database, and only then
//! renames it over the database. PostgreSQL has its own tools (`pg_dump`), named in
//! the refusal.

use super::migrate;
use super::sqlite::SqliteStore;
use super::{EventStore, StoreError, is_postgres_url};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a backup or a restore was refused or failed. Nothing is replaced then.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The location is a PostgreSQL database, which SQLite's backup cannot copy.
    #[error(
        "{0} is a PostgreSQL database: back it up with pg_dump (and restore with pg_restore or psql); atelier backup and restore copy SQLite files"
    )]
    Postgres(String),
    /// The file to copy does not exist.
    #[error("{0} does not exist")]
    Missing(PathBuf),
    /// The target exists and replacing it was not asked for.
    #[error("{0} already exists; nothing was replaced")]
    Exists(PathBuf),
    /// The file is not an Atelier event store (or is damaged).
    #[error("{path} is not a usable Atelier database: {reason}")]
    NotAtelier {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The database to replace is open in another process (a running server).
    #[error("{path} is in use by another process ({reason}); stop it before restoring")]
    InUse {
        /// The database.
        path: PathBuf,
        /// What SQLite said.
        reason: String,
    },
    /// The store refused (a schema newer than this Atelier, a database error).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file operation failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
}

/// What a backup or a restore copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSummary {
    /// The copy's schema version (a restore migrates to the latest).
    pub schema_version: u32,
    /// Workflows in the copy.
    pub workflows: u64,
    /// Events in the copy.
    pub events: u64,
    /// The copy's size in bytes.
    pub bytes: u64,
}

/// How long a backup step waits for a busy source before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// Copies the SQLite store at `db` into `out` while other processes may write to
/// it; `replace` allows overwriting an existing `out`.
pub fn backup_sqlite(db: &Path, out: &Path, replace: bool) -> Result<BackupSummary, BackupError> {
    refuse_postgres(db)?;
    refuse_postgres(out)?;
    if !db.exists() {
        return Err(BackupError::Missing(db.to_path_buf()));
    }
    if out.exists() && !replace {
        return Err(BackupError::Exists(out.to_path_buf()));
    }
    let source = open_existing(db, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    inspect(&source, db)?;
    let partial = Partial::beside(out)?;
    copy(&source, partial.path())?;
    let summary = finish_copy(partial.path(), out)?;
    partial.rename_to(out)?;
    Ok(summary)
}

/// Replaces the SQLite store at `db` with the backup at `backup`, after checking
/// that the backup is an Atelier database this build can read; `replace` allows
/// overwriting an existing `db` (which must not be open elsewhere).
pub fn restore_sqlite(
    backup: &Path,
    db: &Path,
    replace: bool,
) -> Result<BackupSummary, BackupError> {
    refuse_postgres(backup)?;
    refuse_postgres(db)?;
    if !backup.exists() {
        return Err(BackupError::Missing(backup.to_path_buf()));
    }
    if db.exists() && !replace {
        return Err(BackupError::Exists(db.to_path_buf()));
    }
    let source = open_existing(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    inspect(&source, backup)?;
    let partial = Partial::beside(db)?;
    copy(&source, partial.path())?;
    drop(source);
    check_logs(partial.path(), backup)?;
    let summary = finish_copy(partial.path(), backup)?;
    if db.exists() {
        release(db)?;
    }
    partial.rename_to(db)?;
    Ok(summary)
}

fn refuse_postgres(location: &Path) -> Result<(), BackupError> {
    let text = location.to_string_lossy();
    if is_postgres_url(&text) {
        return Err(BackupError::Postgres(text.into_owned()));
    }
    Ok(())
}

fn sqlite(e: rusqlite::Error) -> BackupError {
    BackupError::Store(super::sqlite_batch::db(e))
}

fn not_atelier(path: &Path, reason: impl Into<String>) -> BackupError {
    BackupError::NotAtelier {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Opens a file that must exist (SQLite would otherwise create an empty one).
fn open_existing(path: &Path, mode: OpenFlags) -> Result<Connection, BackupError> {
    let conn = Connection::open_with_flags(path, mode | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| not_atelier(path, e.to_string()))?;
    conn.busy_timeout(BUSY_WAIT).map_err(sqlite)?;
    Ok(conn)
}

/// Checks that `conn` holds an Atelier event store this build can read: SQLite's
/// integrity check passes, the schema version is known, and both tables answer.
fn inspect(conn: &Connection, path: &Path) -> Result<BackupSummary, BackupError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| not_atelier(path, e.to_string()))?;
    let check: String = conn
        .pragma_query_value(None, "quick_check", |r| r.get(0))
        .map_err(|e| not_atelier(path, e.to_string()))?;
    if check != "ok" {
        return Err(not_atelier(path, format!("SQLite's check failed: {check}")));
    }
    let known = migrate::latest();
    let version = u32::try_from(version).unwrap_or(0);
    if version == 0 {
        return Err(not_atelier(path, "it has no Atelier schema (version 0)"));
    }
    if version > known {
        return Err(StoreError::SchemaTooNew {
            found: version,
            known,
        }
        .into());
    }
    let count = |table: &str| -> Result<u64, BackupError> {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n as u64)
        .map_err(|e| not_atelier(path, e.to_string()))
    };
    let workflows = count("workflows")?;
    let events = count("events")?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        schema_version: version,
        workflows,
        events,
        bytes,
    })
}

/// Copies every page of `source` into a new file at `to` in one backup step: one
/// read transaction on the source, so the copy is one consistent snapshot (a step
/// over part of the pages would restart whenever a server appended meanwhile).
fn copy(source: &Connection, to: &Path) -> Result<(), BackupError> {
    let mut target = Connection::open(to).map_err(sqlite)?;
    let backup = Backup::new(source, &mut target).map_err(sqlite)?;
    let started = Instant::now();
    loop {
        match backup.step(-1).map_err(sqlite)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked if started.elapsed() < BUSY_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            StepResult::Busy | StepResult::Locked => {
                return Err(BackupError::Store(StoreError::Database(format!(
                    "the database stayed locked for {} s",
                    BUSY_WAIT.as_secs()
                ))));
            }
            // `StepResult` is non-exhaustive.
            _ => {}
        }
    }
}

/// Opens a restored copy as a store (which migrates it to the latest schema) and
/// reads every workflow's log back, so that a payload this build cannot decode
/// refuses the restore before anything is replaced.
fn check_logs(copy: &Path, backup: &Path) -> Result<(), BackupError> {
    let store = SqliteStore::open(copy)?;
    for workflow in store.list()? {
        let events = store.load(&workflow.workflow_id, 0, None).map_err(|e| {
            not_atelier(backup, format!("workflow '{}': {e}", workflow.workflow_id))
        })?;
        let last = events.last().map_or(0, |e| e.seq);
        if last != workflow.last_seq || events.len() as u64 != last {
            return Err(not_atelier(
                backup,
                format!(
                    "workflow '{}' lists {} events but its log holds {} (last {last})",
                    workflow.workflow_id,
                    workflow.last_seq,
                    events.len()
                ),
            ));
        }
    }
    Ok(())
}

/// Turns a fresh copy into one self-contained file (rollback journal, no WAL
/// beside it), checks it and flushes it to disk.
fn finish_copy(copy: &Path, named: &Path) -> Result<BackupSummary, BackupError> {
    let conn = Connection::open(copy).map_err(sqlite)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(sqlite)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(BackupError::Store(StoreError::Database(format!(
            "the copy stayed in {mode} mode"
        ))));
    }
    let mut summary = inspect(&conn, named)?;
    drop(conn);
    let file = std::fs::File::open(copy).map_err(|e| io(copy, &e))?;
    file.sync_all().map_err(|e| io(copy, &e))?;
    summary.bytes = file.metadata().map_err(|e| io(copy, &e))?.len();
    Ok(summary)
}

/// Takes the database to be replaced out of WAL mode, which SQLite allows only
/// when no other connection has it open: a running server refuses the restore,
/// and no stale `-wal` file is left to be replayed over the restored one.
fn release(db: &Path) -> Result<(), BackupError> {
    let conn = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| in_use(db, e.to_string()))?;
    let mode: String =
        match conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0)) {
            Ok(mode) => mode,
            // Not a database at all (--force over a damaged file): nothing to protect.
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
                return Ok(());
            }
            Err(e) => return Err(in_use(db, e.to_string())),
        };
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(in_use(db, format!("it stays in {mode} mode")));
    }
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
        .map_err(|e| in_use(db, e.to_string()))
}

fn in_use(db: &Path, reason: String) -> BackupError {
    BackupError::InUse {
        path: db.to_path_buf(),
        reason,
    }
}

fn io(path: &Path, e: &std::io::Error) -> BackupError {
    BackupError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// A file being written beside its final name; removed unless renamed into place.
struct Partial {
    path: PathBuf,
    done: bool,
}

impl Partial {
    fn beside(target: &Path) -> Result<Partial, BackupError> {
        let name = target
            .file_name()
            .ok_or_else(|| io(target, &std::io::Error::other("not a file name")))?;
        let path = target.with_file_name(format!(
            ".{}.partial-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        remove_with_journals(&path);
        Ok(Partial { path, done: false })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the file over `target` (atomic on one file system) and flushes the
    /// directory so that the rename survives a crash.
    fn rename_to(mut self, target: &Path) -> Result<(), BackupError> {
        std::fs::rename(&self.path, target).map_err(|e| io(target, &e))?;
        self.done = true;
        for journal in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(target, journal));
        }
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Not every platform can open a directory; the rename itself is done.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            remove_with_journals(&self.path);
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_with_journals(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::state::WorkflowState;
    use chrono::Utc;

    fn store_with_events(path: &Path, workflows: usize) {
        let store = SqliteStore::open(path).unwrap();
        for i in 0..workflows {
            store
                .append(
                    &format!("w{i}"),
                    0,
                    &[Event::PhaseStarted {
                        phase: WorkflowState::Phase1Forecasting,
                        week: 0,
                    }],
                    WorkflowState::Phase1Forecasting,
                    "c",
                    Utc::now(),
                )
                .unwrap();
        }
    }

    #[test]
    fn a_backup_restores_into_a_new_file_with_every_event() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        store_with_events(&db, 3);
        let copy = dir.path().join("a.backup");
        let taken = backup_sqlite(&db, &copy, false).unwrap();
        assert_eq!((taken.workflows, taken.events), (3, 3));
        assert_eq!(taken.schema_version, migrate::latest());
        assert!(!with_suffix(&copy, "-wal").exists());
        let restored = dir.path().join("b.db");
        let back = restore_sqlite(&copy, &restored, false).unwrap();
        assert_eq!((back.workflows, back.events), (3, 3));
        let store = SqliteStore::open(&restored).unwrap();
        assert_eq!(store.list().unwrap().len(), 3);
        // Leftover temporary files would pile up beside the database.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
    }

    #[test]
    fn existing_targets_postgres_and_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db");
        store_with_events(&db, 1);
        let copy = dir.path().join("copy.db");
        backup_sqlite(&db, &copy, false).unwrap();
        assert!(matches!(
            backup_sqlite(&db, &copy, false),
            Err(BackupError::Exists(_))
        ));
        assert!(matches!(
            restore_sqlite(&copy, &db, false),
            Err(BackupError::Exists(_))
        ));
        let pg = backup_sqlite(Path::new("postgres://u@h/db"), &copy, true).unwrap_err();
        assert!(pg.to_string().contains("pg_dump"), "{pg}");

        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, vec![7u8; 8192]).unwrap();
        assert!(matches!(
            restore_sqlite(&garbage, &dir.path().join("new.db"), false),
            Err(BackupError::NotAtelier { .. })
        ));
        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        assert!(matches!(
            restore_sqlite(&foreign, &db, true),
            Err(BackupError::NotAtelier { .. })
        ));
        assert!(!dir.path().join("new.db").exists());
        assert_eq!(SqliteStore::open(&db).unwrap().list().unwrap().len(), 1);
    }

    #[test]
    fn a_database_open_in_another_connection_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("live.db");
        store_with_events(&db, 1);
        let copy = dir.path().join("copy.db");
        backup_sqlite(&db, &copy, false).unwrap();
        let live = SqliteStore::open(&db).unwrap();
        assert!(matches!(
            restore_sqlite(&copy, &db, true),
            Err(BackupError::InUse { .. })
        ));
        assert_eq!(live.list().unwrap().len(), 1);
        drop(live);
        restore_sqlite(&copy, &db, true).unwrap();
        // A damaged file in the way is replaced with --force.
        std::fs::write(&db, vec![9u8; 4096]).unwrap();
        restore_sqlite(&copy, &db, true).unwrap();
        assert_eq!(SqliteStore::open(&db).unwrap().list().unwrap().len(), 1);
    }
}

//! Two servers on one PostgreSQL database, as two instances behind a load
//! balancer: a stream on one sees what the other writes, uploads made through one
//! are current on both, `/healthz` names the database and `/metrics` shows the
//! pool, and a sweep runs on one server at a time.
//!
//! PostgreSQL is the one at `ATELIER_TEST_PG_URL`, else a throwaway cluster
//! started by `scripts/pg_test_cluster.sh` for this test process; each test gets
//! a schema of its own. Without PostgreSQL these tests fail, saying what to
//! install: they never skip.

use crate::helpers::*;
use atelier_server::testing::BackgroundServer;
use atelier_server::{AppState, ServerConfig};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn server_url() -> &'static str {
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
                  package (apt-get install postgresql), or set ATELIER_TEST_PG_URL.";
    let out = Command::new("bash")
        .arg(&script)
        .args(["start", "--owner", &std::process::id().to_string()])
        .output()
        .map_err(|e| format!("cannot run {}: {e}. {advice}", script.display()))?;
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || url.is_empty() {
        return Err(format!(
            "PostgreSQL could not be started: {}. {advice}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(url)
}

/// A schema of its own on the test server: the URL of a database as the
/// servers see it.
struct Database {
    schema: String,
    url: String,
}

impl Database {
    fn new() -> Database {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let schema = format!(
            "srv{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let server = server_url();
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {server}: {e}"));
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create the test's schema");
        let sep = if server.contains('?') { '&' } else { '?' };
        Database {
            url: format!("{server}{sep}options=-c%20search_path%3D{schema}"),
            schema,
        }
    }

    fn server(&self) -> BackgroundServer {
        BackgroundServer::start(ServerConfig::new(&self.url)).expect("a server on PostgreSQL")
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(server_url(), postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
        }
    }
}

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn call(agent: &ureq::Agent, url: &str, body: Option<(&str, String)>) -> (u16, Value) {
    let sent = match body {
        None => agent.get(url).call(),
        Some((content_type, b)) => agent.post(url).content_type(content_type).send(b),
    };
    let mut r = sent.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A Zara season created through `base`, its manufacturing order accepted: it
/// waits for week 1. Returns its id and last event number.
fn running_season(agent: &ureq::Agent, base: &str) -> (String, u64) {
    let (status, created) = call(
        agent,
        &format!("{base}/api/workflows"),
        Some(("application/json", create_body(None).to_string())),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["workflow_id"].as_str().expect("id").to_string();
    let (_, w) = call(agent, &format!("{base}/api/workflows/{id}"), None);
    let approval = w["pending_approval"]["approval_id"]
        .as_str()
        .expect("approval");
    let (status, w) = call(
        agent,
        &format!("{base}/api/workflows/{id}/approvals/{approval}"),
        Some(("application/json", json!({"action": "accept"}).to_string())),
    );
    assert_eq!(status, 200, "{w}");
    let last = w["last_event"].as_u64().expect("last_event");
    (id, last)
}

#[test]
fn a_stream_on_one_server_sees_what_another_writes_within_100_ms() {
    let db = Database::new();
    let (a, b) = (db.server(), db.server());
    let agent = client();
    let (id, mut last) = running_season(&agent, &a.url());
    let rt = runtime();
    let mut ws = rt
        .block_on(connect(&format!("ws://{}", b.addr), &id, last, None))
        .expect("stream on B");
    let mut delays = Vec::new();
    for week in 1..=4 {
        let (status, answer) = call(
            &agent,
            &format!("{}/api/workflows/{id}/actuals", a.url()),
            Some(("text/csv", normal_week(week).to_string())),
        );
        let answered = Instant::now();
        assert_eq!(status, 200, "week {week}: {answer}");
        let (_, w) = call(&agent, &format!("{}/api/workflows/{id}", a.url()), None);
        let now_last = w["last_event"].as_u64().expect("last_event");
        assert!(now_last > last);
        let got = rt.block_on(read_until(&mut ws, now_last));
        delays.push(answered.elapsed());
        let numbers = seqs(&got);
        let want: Vec<u64> = (last + 1..=now_last).collect();
        assert_eq!(
            numbers, want,
            "week {week}: B's stream missed or repeated events"
        );
        last = now_last;
    }
    delays.sort();
    eprintln!("B's stream after A's answer: {delays:?}");
    // The median is what the notices give; a slow read on a busy 2-core machine
    // may be slower once, yet far below the 2 s poll that would otherwise find
    // the events.
    assert!(
        delays[delays.len() / 2] < Duration::from_millis(100),
        "{delays:?}"
    );
    assert!(
        delays.iter().all(|d| *d < Duration::from_secs(1)),
        "{delays:?}"
    );
}

#[test]
fn uploads_through_one_server_are_current_on_the_other_and_kept_once() {
    let db = Database::new();
    let (a, b) = (db.server(), db.server());
    let agent = client();
    let stores = include_str!("../../../../data/store_attributes.csv");
    let (status, up) = call(
        &agent,
        &format!("{}/api/data/stores", a.url()),
        Some(("text/csv", stores.to_string())),
    );
    assert_eq!(status, 201, "{up}");
    let dataset = up["dataset_id"].clone();
    let (_, categories) = call(&agent, &format!("{}/api/categories", b.url()), None);
    assert_eq!(categories["dataset"]["dataset_id"], dataset);
    // The same file through B is the same data set.
    let (status, again) = call(
        &agent,
        &format!("{}/api/data/stores", b.url()),
        Some(("text/csv", stores.to_string())),
    );
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["dataset_id"], dataset);
    // A season created on B plans on it, and A can play it.
    let (id, _) = running_season(&agent, &b.url());
    let (_, w) = call(&agent, &format!("{}/api/workflows/{id}", a.url()), None);
    assert_eq!(w["data"]["dataset_id"], dataset, "{w}");
    let (status, answer) = call(
        &agent,
        &format!("{}/api/workflows/{id}/actuals", a.url()),
        Some(("text/csv", normal_week(1).to_string())),
    );
    assert_eq!(status, 200, "{answer}");
}

#[test]
fn health_names_the_database_and_metrics_show_the_pool() {
    let db = Database::new();
    let a = db.server();
    let agent = client();
    let (status, health) = call(&agent, &format!("{}/healthz", a.url()), None);
    assert_eq!(status, 200);
    assert_eq!(health, json!({"status": "ok", "database": "postgresql"}));
    let (status, metrics) = call(&agent, &format!("{}/metrics", a.url()), None);
    assert_eq!(status, 200);
    let text = metrics.as_str().expect("text");
    let gauge = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing: {text}"))
    };
    assert_eq!(gauge("atelier_db_pool_connections_max"), 16);
    // The health check opened one; a background sweep may hold it right now.
    let open =
        gauge("atelier_db_pool_connections_idle") + gauge("atelier_db_pool_connections_in_use");
    assert!((1..=16).contains(&open), "{text}");
}

/// Takes a sweep's lock, waiting up to 5 s: advisory locks are per database, not per
/// schema, so another test's server on the same PostgreSQL may run that sweep now.
fn take(
    rt: &tokio::runtime::Runtime,
    state: &AppState,
    name: &'static str,
) -> atelier_server::cluster::SweepLock {
    let started = Instant::now();
    loop {
        if let Some(lock) = rt.block_on(atelier_server::cluster::sweep_lock(state, name)) {
            return lock;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name} never free"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_sweep_runs_on_one_server_at_a_time() {
    let db = Database::new();
    let a = AppState::open(ServerConfig::new(&db.url)).expect("A");
    let b = AppState::open(ServerConfig::new(&db.url)).expect("B");
    let rt = runtime();
    let held = take(&rt, &a, atelier_server::cluster::APPROVAL_SWEEP);
    assert!(
        rt.block_on(atelier_server::cluster::sweep_lock(
            &b,
            atelier_server::cluster::APPROVAL_SWEEP
        ))
        .is_none(),
        "B must skip the round A runs"
    );
    // Another sweep is not held up by this one.
    drop(take(&rt, &b, atelier_server::cluster::RETENTION_SWEEP));
    drop(held);
    // Released on a thread of its own: B gets it shortly.
    drop(take(&rt, &b, atelier_server::cluster::APPROVAL_SWEEP));
}

#[test]
fn data_sets_in_the_database_are_pruned_unless_current_or_used() {
    let db = Database::new();
    let mut config = ServerConfig::new(&db.url);
    config.dataset_retention = Some(Duration::ZERO);
    let server = BackgroundServer::start(config.clone()).expect("server");
    let agent = client();
    let upload = |path: &str, csv: String| -> String {
        let (status, up) = call(
            &agent,
            &format!("{}{path}", server.url()),
            Some(("text/csv", csv)),
        );
        assert_eq!(status, 201, "{up}");
        up["dataset_id"].as_str().expect("id").to_string()
    };
    // A: used by a season. B: replaced and unused. C: current.
    let a = upload(
        "/api/data/stores",
        include_str!("../../../../data/store_attributes.csv").to_string(),
    );
    let (season, _) = running_season(&agent, &server.url());
    let b = upload("/api/data/historical-sales", history_csv(3));
    let c = upload("/api/data/historical-sales", history_csv(5));
    // Another server on the database prunes (as the hourly sweep would).
    let other = AppState::open(config).expect("another server");
    let removed = runtime().block_on(other.prune_datasets()).expect("prunes");
    assert_eq!(removed, vec![b.clone()]);
    let (_, categories) = call(&agent, &format!("{}/api/categories", server.url()), None);
    assert_eq!(categories["dataset"]["dataset_id"], c.as_str());
    // The season on A still reads its data set.
    let (status, answer) = call(
        &agent,
        &format!("{}/api/workflows/{season}/actuals", server.url()),
        Some(("text/csv", normal_week(1).to_string())),
    );
    assert_eq!(status, 200, "{answer}");
    let (_, w) = call(
        &agent,
        &format!("{}/api/workflows/{season}", server.url()),
        None,
    );
    assert_eq!(w["data"]["dataset_id"], a.as_str());
}

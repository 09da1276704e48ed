//! `atelier backup` and `atelier restore` as an operator uses them: a backup taken
//! while a server writes to the database, restored into a new file, and a season
//! resumed from it to the report of an uninterrupted run; and the files a restore
//! must refuse (damaged, foreign, an existing database without --force, PostgreSQL).

use atelier_core::sample;
use atelier_server::ServerConfig;
use atelier_server::testing::BackgroundServer;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

fn atelier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(args)
        .env_remove("ATELIER_LLM_BASE_URL")
        .env_remove("ATELIER_LLM_API_KEY")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ATELIER_DB")
        .stdin(Stdio::null())
        .output()
        .expect("the atelier binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = atelier(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok_json(args: &[&str]) -> Value {
    let text = ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
}

fn refused(args: &[&str]) -> String {
    let out = atelier(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn event_count(db: &str, id: &str) -> usize {
    ok(&["events", id, "--db", db])
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

/// Plays seasons over the API until `stop` is set, counting the writes.
fn write_seasons(base: String, stop: Arc<AtomicBool>, writes: Arc<AtomicU64>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let post = |path: &str, content_type: &str, body: String| -> Value {
        let mut response = agent
            .post(format!("{base}{path}"))
            .content_type(content_type)
            .send(body)
            .expect("request sent");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        assert!((200..300).contains(&status), "POST {path}: {status} {text}");
        writes.fetch_add(1, Ordering::SeqCst);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    let zara = sample::parameter_set(sample::DEFAULT_PARAMETER_SET)
        .expect("shipped")
        .expect("valid");
    let (_, weeks) = sample::SCENARIOS
        .iter()
        .find(|(n, _)| *n == sample::DEFAULT_SCENARIO)
        .expect("scenario");
    while !stop.load(Ordering::SeqCst) {
        let created = post(
            "/api/workflows",
            "application/json",
            json!({"category": sample::DEFAULT_CATEGORY, "parameters": zara.parameters,
                   "tunables": zara.tunables, "actuals_meaning": "demand"})
            .to_string(),
        );
        let id = created["workflow_id"].as_str().expect("id").to_string();
        // Creating a workflow runs its forecast and asks for the order's approval.
        let mut pending = Some("manufacturing-1".to_string());
        for csv in weeks.iter() {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            if let Some(approval) = pending.take() {
                post(
                    &format!("/api/workflows/{id}/approvals/{approval}"),
                    "application/json",
                    json!({"action": "accept"}).to_string(),
                );
            }
            let week = post(
                &format!("/api/workflows/{id}/actuals"),
                "text/csv",
                (*csv).to_string(),
            );
            // Whatever a week asks approval for (a markdown, a second buy, a
            // transfer) is accepted before the next week, as a planner would.
            let waiting = week["state"]
                .as_str()
                .is_some_and(|s| s.starts_with("waiting_") && s.ends_with("_approval"));
            if waiting {
                let mut response = agent
                    .get(format!("{base}/api/workflows/{id}"))
                    .call()
                    .expect("request sent");
                let text = response.body_mut().read_to_string().unwrap_or_default();
                let workflow: Value = serde_json::from_str(&text).expect("a workflow");
                pending = workflow["pending_approval"]["approval_id"]
                    .as_str()
                    .map(str::to_string);
                assert!(
                    pending.is_some(),
                    "{} without an approval: {text}",
                    week["state"]
                );
            }
        }
    }
}

#[test]
fn a_backup_taken_while_a_server_writes_resumes_to_the_uninterrupted_report() {
    let dir = tempfile::tempdir().unwrap();
    let live = path(&dir.path().join("live.db"));
    let paused = ok_json(&[
        "run",
        "--approve",
        "auto",
        "--until-week",
        "5",
        "--json",
        "--db",
        &live,
        "--id",
        "w",
    ]);
    assert_eq!(paused["state"], "phase_3_monitoring");
    let events_before = event_count(&live, "w");

    // A server on the same file, writing other seasons from before the backup starts
    // until after it has ended.
    let server = BackgroundServer::start(ServerConfig::new(&live)).expect("server starts");
    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let writer = {
        let (base, stop, writes) = (server.url(), stop.clone(), writes.clone());
        std::thread::spawn(move || write_seasons(base, stop, writes))
    };
    while writes.load(Ordering::SeqCst) < 3 {
        assert!(!writer.is_finished(), "the writer stopped early");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let backup = path(&dir.path().join("live.backup"));
    let said = ok(&["backup", "--db", &live, &backup]);
    let during = writes.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    writer.join().expect("the writer ran without failing");
    assert!(said.starts_with("backed up "), "{said}");
    // The backup is at today's schema version (3 since data sets moved into the
    // database), whatever later migrations bring.
    let version: u32 = said
        .split("schema version ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no schema version in: {said}"));
    assert!(version >= 3, "{said}");

    let restored = path(&dir.path().join("restored.db"));
    let said = ok(&["restore", &backup, "--db", &restored]);
    assert!(said.starts_with("restored "), "{said}");
    assert_eq!(event_count(&restored, "w"), events_before);
    let status = ok_json(&["status", "w", "--json", "--db", &restored]);
    assert_eq!(status["state"], "phase_3_monitoring");
    assert_eq!(status["weeks"].as_array().map(Vec::len), Some(5));
    drop(server);
    eprintln!("writes through the server before the backup returned: {during}");

    let resumed = ok_json(&[
        "resume",
        "w",
        "--approve",
        "auto",
        "--json",
        "--db",
        &restored,
    ]);
    assert_eq!(resumed["state"], "completed");
    let straight = path(&dir.path().join("straight.db"));
    let uninterrupted = ok_json(&[
        "run",
        "--approve",
        "auto",
        "--json",
        "--db",
        &straight,
        "--id",
        "w",
    ]);
    assert_eq!(uninterrupted["state"], "completed");
    for key in ["report", "weeks", "markdown", "allocation", "manufacturing"] {
        assert_eq!(resumed[key], uninterrupted[key], "{key} differs");
    }
}

#[test]
fn restore_refuses_damaged_and_foreign_files_and_keeps_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = path(&dir.path().join("events.db"));
    ok_json(&[
        "run",
        "--approve",
        "auto",
        "--json",
        "--db",
        &db,
        "--id",
        "kept",
    ]);
    let n = event_count(&db, "kept");
    let backup = path(&dir.path().join("events.backup"));
    ok(&["backup", "--db", &db, &backup]);

    // An existing backup file or database is not replaced without --force.
    let err = refused(&["backup", "--db", &db, &backup]);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    let err = refused(&["restore", &backup, "--db", &db]);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );

    let garbage = dir.path().join("garbage.backup");
    std::fs::write(&garbage, "date,store_id,quantity_sold\n".repeat(400)).unwrap();
    let err = refused(&["restore", &path(&garbage), "--db", &db, "--force"]);
    assert!(err.contains("not a usable Atelier database"), "{err}");

    let bytes = std::fs::read(&backup).unwrap();
    let truncated = dir.path().join("truncated.backup");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&["restore", &path(&truncated), "--db", &db, "--force"]);
    assert!(err.contains("not a usable Atelier database"), "{err}");

    let missing = path(&dir.path().join("nowhere.backup"));
    let err = refused(&["restore", &missing, "--db", &db, "--force"]);
    assert!(err.contains("does not exist"), "{err}");

    let err = refused(&[
        "backup",
        "--db",
        "postgres://atelier@127.0.0.1:1/atelier",
        &backup,
    ]);
    assert!(err.contains("pg_dump"), "{err}");

    assert_eq!(
        event_count(&db, "kept"),
        n,
        "a refused restore changed the database"
    );
    // With --force, a good backup replaces it.
    ok(&["restore", &backup, "--db", &db, "--force"]);
    assert_eq!(event_count(&db, "kept"), n);
}

/// The data sets uploaded beside the database go into the backup and come back
/// with it: a season created on an upload, restored to a new path, plays its
/// next week; a backup missing them is refused before anything changes.
#[test]
fn a_backup_carries_the_uploaded_data_sets_and_restore_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let live = path(&db);
    let server =
        atelier_server::testing::BackgroundServer::start(atelier_server::ServerConfig::new(&db))
            .expect("server");
    let agent = ureq::Agent::new_with_defaults();
    let stores = include_str!("../../../data/store_attributes.csv");
    let up: Value = agent
        .post(format!("{}/api/data/stores", server.url()))
        .content_type("text/csv")
        .send(stores)
        .expect("upload")
        .body_mut()
        .read_json()
        .expect("json");
    let zara = atelier_core::sample::PARAMETER_SETS
        .iter()
        .find(|(n, _)| *n == "zara")
        .map(|(_, j)| *j)
        .unwrap();
    let body = serde_json::json!({
        "category": atelier_core::sample::DEFAULT_CATEGORY,
        "parameters": serde_json::from_str::<Value>(zara).unwrap(),
    });
    let created: Value = agent
        .post(format!("{}/api/workflows", server.url()))
        .send_json(&body)
        .expect("create")
        .body_mut()
        .read_json()
        .expect("json");
    let id = created["workflow_id"].as_str().unwrap().to_string();
    drop(server);

    let backup = dir.path().join("live.backup");
    let said = ok(&["backup", "--db", &live, &path(&backup)]);
    assert!(said.contains("1 uploaded data set"), "{said}");
    let restored = dir.path().join("elsewhere").join("restored.db");
    std::fs::create_dir(restored.parent().unwrap()).unwrap();
    let said = ok(&["restore", &path(&backup), "--db", &path(&restored)]);
    assert!(said.contains("1 uploaded data set"), "{said}");
    let dataset = up["dataset_id"].as_str().unwrap();
    assert!(
        atelier_server::state::datasets_dir(&restored)
            .join(dataset)
            .is_dir()
    );
    // The season restored to the new path goes on: approve, then its next
    // upload (a week's actuals) is recorded.
    let server = BackgroundServer::start(ServerConfig::new(&restored)).expect("server");
    let approved = agent
        .post(format!(
            "{}/api/workflows/{id}/approvals/manufacturing-1",
            server.url()
        ))
        .send_json(json!({"action": "accept"}))
        .expect("approve");
    assert_eq!(approved.status(), 200);
    let week = agent
        .post(format!("{}/api/workflows/{id}/actuals", server.url()))
        .content_type("text/csv")
        .send(include_str!(
            "../../../data/scenarios/normal_season/actuals_week_01.csv"
        ))
        .expect("week 1");
    assert_eq!(week.status(), 200);
    drop(server);

    // Without its data sets a backup is refused, and nothing is restored.
    std::fs::remove_dir_all(atelier_server::state::datasets_dir(&backup)).unwrap();
    let other = dir.path().join("other.db");
    let err = refused(&["restore", &path(&backup), "--db", &path(&other)]);
    assert!(
        err.contains(dataset) && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(!other.exists());
}

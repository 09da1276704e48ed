//! Uploaded data sets: an identical upload reuses the data set it already is,
//! and the ones no workflow uses are removed once past their retention.

use crate::helpers::*;
use atelier_server::AppState;
use atelier_server::state::datasets_dir;

fn kept(app: &TestApp) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(datasets_dir(&app.db))
        .expect("data set dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("ds_"))
        .collect();
    ids.sort();
    ids
}

#[test]
fn an_identical_upload_reuses_the_data_set() {
    let app = spawn_app();
    let first = app.post_csv("/api/data/historical-sales", &history_csv(3));
    assert_eq!(first.status, 201, "{:?}", first.body);
    let other = app.post_csv("/api/data/historical-sales", &history_csv(4));
    assert_ne!(other.body["dataset_id"], first.body["dataset_id"]);
    let again = app.post_csv("/api/data/historical-sales", &history_csv(3));
    assert_eq!(again.status, 201);
    assert_eq!(again.body["dataset_id"], first.body["dataset_id"]);
    assert_eq!(kept(&app).len(), 2, "{:?}", kept(&app));
    // And it is current again.
    assert_eq!(
        app.get("/api/categories").body["dataset"]["dataset_id"],
        first.body["dataset_id"]
    );
}

#[test]
fn unused_data_sets_past_their_retention_are_removed() {
    let mut app = spawn_app_with(|c| c.dataset_retention = Some(std::time::Duration::ZERO));
    // A: used by a workflow (the stores upload keeps the sample history, so a
    // season can be planned on it).
    let stores = include_str!("../../../../data/store_attributes.csv");
    let a = app.post_csv("/api/data/stores", stores);
    assert_eq!(a.status, 201, "{:?}", a.body);
    let id = app.create_zara(None);
    // B: replaced, unused. C: current.
    let b = app.post_csv("/api/data/historical-sales", &history_csv(3));
    let c = app.post_csv("/api/data/historical-sales", &history_csv(5));
    assert_eq!(kept(&app).len(), 3);
    app.server = None;
    let mut config = atelier_server::ServerConfig::new(&app.db);
    config.dataset_retention = Some(std::time::Duration::ZERO);
    let state = AppState::open(config).expect("opens");
    let runtime = runtime();
    let removed = runtime.block_on(state.prune_datasets()).expect("prunes");
    assert_eq!(
        removed,
        vec![b.body["dataset_id"].as_str().expect("id").to_string()]
    );
    let left = kept(&app);
    assert!(left.contains(&a.body["dataset_id"].as_str().expect("a").to_string()));
    assert!(left.contains(&c.body["dataset_id"].as_str().expect("c").to_string()));
    drop(state);
    app.restart();
    assert_eq!(
        app.workflow(&id)["data"]["dataset_id"],
        a.body["dataset_id"]
    );
}

/// Data sets are dated and retired on the server's clock, not the wall's: with a
/// day's retention a replaced set is kept for 23 hours and removed after 25, and
/// its id names the clock's date.
#[test]
fn data_sets_keep_their_retention_on_the_servers_clock() {
    use atelier_engine::clock::ManualClock;
    use chrono::TimeZone;
    let dir = tempfile::tempdir().expect("dir");
    let mut config = atelier_server::ServerConfig::new(dir.path().join("events.db"));
    config.dataset_retention = Some(std::time::Duration::from_secs(24 * 3600));
    let start = chrono::Utc.with_ymd_and_hms(2030, 6, 1, 8, 0, 0).unwrap();
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let state = AppState::open_with_clock(config, clock.clone()).expect("opens");
    let b = state
        .catalog()
        .upload_sales(history_csv(3).as_bytes())
        .expect("first upload");
    assert!(
        b.dataset_id.starts_with("ds_20300601T080000_"),
        "{}",
        b.dataset_id
    );
    clock.advance(std::time::Duration::from_secs(3600));
    let c = state
        .catalog()
        .upload_sales(history_csv(5).as_bytes())
        .expect("second upload");
    assert!(
        c.dataset_id.starts_with("ds_20300601T090000_"),
        "{}",
        c.dataset_id
    );
    let runtime = runtime();
    clock.advance(std::time::Duration::from_secs(23 * 3600));
    assert_eq!(
        runtime.block_on(state.prune_datasets()).expect("prunes"),
        Vec::<String>::new(),
        "retired 23 hours ago on the clock: kept"
    );
    clock.advance(std::time::Duration::from_secs(2 * 3600));
    assert_eq!(
        runtime.block_on(state.prune_datasets()).expect("prunes"),
        vec![b.dataset_id.clone()],
        "retired 25 hours ago: removed; the current set stays"
    );
}

//! A thousand seasons, one after another, in one SQLite database on disk: what a
//! busy event store looks like after a planning cycle. Too long for criterion's
//! sampling, so this is a plain `main` (`harness = false`).
//!
//! Each workflow is played like `atelier run --approve auto` (Zara parameters,
//! the shipped sample, the `normal_season` scenario, the offline reasoner, a
//! pre-warmed `FileCatalog`). Printed: total time, time per workflow (and per
//! tenth of the run, to show whether a growing database slows appends), the
//! database's size on disk with its `-wal` (and `-shm`) files, bytes per workflow,
//! and events and payload bytes per workflow.
//!
//! `ATELIER_BENCH_WORKFLOWS` sets the number of workflows (default 1000);
//! `ATELIER_BENCH_DIR` keeps the database in that directory instead of a
//! temporary one. Run by `cargo test --benches` (no `--bench` argument), it plays
//! only two workflows as a smoke test.

use atelier_core::data::WeekActuals;
use atelier_core::sample;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::clock::SystemClock;
use atelier_engine::event::{ActualsMeaning, ActualsSource, DataSource, ExpiryAction};
use atelier_engine::play::{self, Approvals};
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::{EventStore, SqliteStore};
use atelier_engine::{
    DataCatalog, EngineError, NewWorkflow, Orchestrator, WorkflowState, WorkflowView,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn new_workflow(id: &str) -> NewWorkflow {
    NewWorkflow {
        workflow_id: id.to_string(),
        category: sample::DEFAULT_CATEGORY.to_string(),
        config: sample::parameter_set("zara")
            .expect("zara is shipped")
            .expect("zara parses"),
        data: DataSource::Sample,
        actuals_meaning: ActualsMeaning::Demand,
        actuals_source: Some(ActualsSource::Scenario {
            name: sample::DEFAULT_SCENARIO.to_string(),
        }),
        approval_timeout_secs: None,
        approval_expiry: ExpiryAction::Fail,
        extraction: None,
        world: None,
    }
}

/// Creates a workflow and plays it to the end like `play()` with `--approve auto`.
fn play(o: &Orchestrator, id: &str, weeks: &[WeekActuals]) -> WorkflowView {
    o.create(new_workflow(id)).expect("create");
    let weeks = |week: u32| Ok::<_, EngineError>(weeks.get(week as usize - 1).cloned());
    play::play(o, id, weeks, Approvals::Accept("auto"), None, |_| {})
        .expect("the season plays")
        .0
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// This process's `wchar` (bytes handed to write calls) from `/proc/self/io`, if
/// the platform has it: with SQLite, the WAL frames plus checkpoint writes.
fn bytes_written() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("wchar:"))
        .and_then(|v| v.trim().parse().ok())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let n: usize = if bench_mode {
        std::env::var("ATELIER_BENCH_WORKFLOWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000)
    } else {
        2
    };
    let n = n.max(1);

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var_os("ATELIER_BENCH_DIR")
        .map_or_else(|| tmp.path().to_path_buf(), PathBuf::from);
    let db = dir.join("thousand_workflows.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&db, suffix));
    }

    let stores = sample::stores().expect("sample stores");
    let weeks = sample::scenario(sample::DEFAULT_SCENARIO, &stores)
        .expect("scenario is shipped")
        .expect("scenario parses");
    let catalog = Arc::new(FileCatalog::default());
    let warm = Instant::now();
    catalog.load(&DataSource::Sample).expect("sample loads");
    let warm = warm.elapsed();

    let store = Arc::new(SqliteStore::open(&db).expect("open the database"));
    let o = Orchestrator::new(
        store.clone(),
        AgentRegistry::default(),
        Arc::new(OfflineReasoner),
        Arc::new(SystemClock),
        catalog,
    );

    println!(
        "thousand_workflows: {n} workflows{} in {}",
        if bench_mode { "" } else { " (test mode)" },
        db.display()
    );
    println!("catalog warm-up (sample load, not in the totals): {warm:.2?}");

    let tenth = (n / 10).max(1);
    let mut slice_start = Instant::now();
    let mut slices: Vec<(usize, Duration)> = Vec::new();
    let written_before = bytes_written();
    let started = Instant::now();
    for i in 0..n {
        let id = format!("wf_{i:06}");
        let view = play(&o, &id, &weeks);
        assert_eq!(
            view.state,
            WorkflowState::Completed,
            "workflow {id} did not complete: {:?}",
            view.error
        );
        if (i + 1) % tenth == 0 || i + 1 == n {
            slices.push((i + 1, slice_start.elapsed()));
            slice_start = Instant::now();
        }
    }
    let total = started.elapsed();
    let written = bytes_written()
        .zip(written_before)
        .map(|(after, before)| after.saturating_sub(before));

    let main_bytes = file_size(&db);
    let wal_bytes = file_size(&with_suffix(&db, "-wal"));
    let shm_bytes = file_size(&with_suffix(&db, "-shm"));
    let disk = main_bytes + wal_bytes;

    let mut events = 0usize;
    let mut payload = 0usize;
    for i in 0..n {
        let log = store
            .load(&format!("wf_{i:06}"), 0, None)
            .expect("load a workflow");
        events += log.len();
        payload += log
            .iter()
            .map(|e| serde_json::to_string(&e.event).map_or(0, |s| s.len()))
            .sum::<usize>();
    }

    let per = total / n as u32;
    println!("total time: {total:.2?}");
    println!("time per workflow: {per:.2?}");
    let mut done = 0usize;
    for (upto, took) in &slices {
        let count = upto - done;
        println!(
            "  workflows {:>5}..{:<5}: {:.2?} per workflow",
            done + 1,
            upto,
            *took / count as u32
        );
        done = *upto;
    }
    println!(
        "database: {main_bytes} bytes ({:.1} MiB) + -wal {wal_bytes} bytes ({:.1} MiB) = {disk} bytes ({:.1} MiB); -shm {shm_bytes} bytes",
        mib(main_bytes),
        mib(wal_bytes),
        mib(disk)
    );
    println!("bytes per workflow (db + wal): {}", disk / n as u64);
    println!(
        "bytes per workflow (main db file only): {}",
        main_bytes / n as u64
    );
    if let Some(w) = written {
        println!(
            "bytes written by the process during the run (/proc/self/io wchar; WAL frames + checkpoints): {w} ({:.1} MiB), {} per workflow",
            mib(w),
            w / n as u64
        );
    }
    println!(
        "events per workflow: {:.1}; JSON payload per workflow: {} bytes ({} bytes per event)",
        events as f64 / n as f64,
        payload / n,
        payload / events.max(1)
    );
}

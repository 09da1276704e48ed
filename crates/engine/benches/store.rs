//! Benchmarks of the event store's write path, on a SQLite file in a temporary
//! directory (WAL, `synchronous=FULL`: every commit pays an fsync).
//!
//! - `store/bare_commit`: one row inserted and committed on a bare SQLite connection
//!   with the same settings, in the same directory. The floor set by the disk; the
//!   other numbers are meant to be read as ratios to it, which hold on any disk.
//! - `store/append_step`: one durable append of one step's events: the events that
//!   `record_week` appends for week 7 of the `normal_season` scenario played with
//!   Zara's parameters (a week recorded, its variance and reasoning), appended again
//!   and again to one workflow.
//! - `concurrent/{mode}/{threads}`: `threads` threads (1, 4, 16), each appending the
//!   same step's events to its own workflow as fast as it can, for `mode` `single`
//!   (one transaction and one fsync per append: the store without group commit) and
//!   `group` (appends arriving together share one transaction), and `postgres`
//!   when `ATELIER_BENCH_PG_URL` names a server (`scripts/pg_test_cluster.sh start`
//!   gives one). Criterion's throughput line reads as appends per second; after each
//!   run the latency of one append is printed (p50, p99, max).

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use atelier_core::sample;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::clock::SystemClock;
use atelier_engine::event::{
    ActualsMeaning, ActualsSource, DataSource, Event, ExpiryAction, Resolution,
};
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::{EventStore, PostgresStore, SqliteOptions, SqliteStore};
use atelier_engine::{DataCatalog, NewWorkflow, Orchestrator, WorkflowState};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CATEGORY: &str = sample::DEFAULT_CATEGORY;
const STEP_WEEK: u32 = 7;

fn new_workflow(id: &str) -> NewWorkflow {
    NewWorkflow {
        workflow_id: id.to_string(),
        category: CATEGORY.to_string(),
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

/// The events `record_week` appends for week [`STEP_WEEK`], from a season played
/// in memory with `--approve auto`.
fn step_events() -> (Vec<Event>, WorkflowState) {
    let stores = sample::stores().expect("sample stores");
    let weeks = sample::scenario(sample::DEFAULT_SCENARIO, &stores)
        .expect("scenario is shipped")
        .expect("scenario parses");
    let catalog = Arc::new(FileCatalog::default());
    catalog.load(&DataSource::Sample).expect("sample loads");
    let store = Arc::new(SqliteStore::in_memory().expect("open"));
    let o = Orchestrator::new(
        store.clone(),
        AgentRegistry::default(),
        Arc::new(OfflineReasoner),
        Arc::new(SystemClock),
        catalog,
    );
    let id = "template";
    o.create(new_workflow(id)).expect("create");
    let mut view = o.advance(id).expect("advance");
    let mut before = 0;
    loop {
        match view.state {
            st if st.is_waiting() => {
                view = o
                    .approve(id, None, Resolution::Accept, "auto")
                    .expect("approve");
            }
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                if week == STEP_WEEK {
                    before = view.last_seq;
                }
                view = o
                    .record_week(id, week, &weeks[week as usize - 1])
                    .expect("record week");
                if week == STEP_WEEK {
                    break;
                }
            }
            other => panic!("the season stopped before week {STEP_WEEK}: {other:?}"),
        }
    }
    let events: Vec<Event> = store
        .load(id, before, None)
        .expect("load")
        .into_iter()
        .map(|e| e.event)
        .collect();
    (events, view.state)
}

/// One step's events appended again and again to one workflow.
struct Appender<'a> {
    store: &'a dyn EventStore,
    id: String,
    last_seq: u64,
    events: &'a [Event],
    state: WorkflowState,
}

impl<'a> Appender<'a> {
    fn new(
        store: &'a dyn EventStore,
        id: String,
        events: &'a [Event],
        state: WorkflowState,
    ) -> Self {
        let created = store
            .append(&id, 0, events, state, CATEGORY, chrono::Utc::now())
            .expect("create the workflow");
        let last_seq = created.last().map_or(0, |e| e.seq);
        Appender {
            store,
            id,
            last_seq,
            events,
            state,
        }
    }

    fn append(&mut self) {
        let stored = self
            .store
            .append(
                &self.id,
                self.last_seq,
                self.events,
                self.state,
                CATEGORY,
                chrono::Utc::now(),
            )
            .expect("append");
        self.last_seq = stored.last().map_or(self.last_seq, |e| e.seq);
    }
}

fn bare_connection(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("full sync");
    conn.execute_batch("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .expect("table");
    conn
}

fn bench_single_writer(c: &mut Criterion) {
    let (events, state) = step_events();
    let bytes: usize = events
        .iter()
        .map(|e| serde_json::to_string(e).map_or(0, |s| s.len()))
        .sum();
    eprintln!(
        "one step (week {STEP_WEEK}): {} events, {bytes} bytes of JSON: {:?}",
        events.len(),
        events.iter().map(Event::kind).collect::<Vec<_>>()
    );
    let disk = tempfile::tempdir().expect("tempdir");
    // The same on a memory file system, where an fsync costs nothing: the
    // difference between the two is the append's CPU cost, which the disk's noise
    // (on a shared machine, fsyncs vary tenfold) hides.
    let memfs = Path::new("/dev/shm")
        .is_dir()
        .then(|| tempfile::tempdir_in("/dev/shm").expect("tempdir in /dev/shm"));
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    let places =
        std::iter::once(("", disk.path())).chain(memfs.iter().map(|d| ("_memfs", d.path())));
    for (suffix, dir) in places {
        let conn = bare_connection(&dir.join("bare.db"));
        let mut stmt = conn
            .prepare("INSERT INTO rows (body) VALUES (?1)")
            .expect("prepare");
        g.bench_function(format!("bare_commit{suffix}"), |b| {
            b.iter(|| stmt.execute(["a row of about the size of a short event"]))
        });
        let store = SqliteStore::open(&dir.join("step.db")).expect("open");
        let mut appender = Appender::new(&store, "step".into(), &events, state);
        g.bench_function(format!("append_step{suffix}"), |b| {
            b.iter(|| appender.append())
        });
        paired(&mut stmt, &mut appender, suffix);
    }
    g.finish();
}

/// Bare commits and appends taken in turns, so that both meet the same disk:
/// their medians and ratio.
fn paired(bare: &mut rusqlite::Statement<'_>, appender: &mut Appender<'_>, suffix: &str) {
    const PAIRS: usize = 400;
    let (mut commits, mut appends) = (Vec::with_capacity(PAIRS), Vec::with_capacity(PAIRS));
    for _ in 0..PAIRS {
        let t = Instant::now();
        bare.execute(["a row of about the size of a short event"])
            .expect("bare commit");
        commits.push(t.elapsed());
        let t = Instant::now();
        appender.append();
        appends.push(t.elapsed());
    }
    commits.sort();
    appends.sort();
    let (commit, append) = (commits[PAIRS / 2], appends[PAIRS / 2]);
    eprintln!(
        "paired{suffix}: {PAIRS} bare commits and step appends in turns: medians {:.1} µs and {:.1} µs, append/commit {:.2}, append - commit {:.1} µs",
        commit.as_secs_f64() * 1e6,
        append.as_secs_f64() * 1e6,
        append.as_secs_f64() / commit.as_secs_f64(),
        (append.as_secs_f64() - commit.as_secs_f64()) * 1e6,
    );
}

/// Latencies of single appends, gathered across a benchmark's runs.
#[derive(Default)]
struct Latencies(Mutex<Vec<Duration>>);

impl Latencies {
    fn report(&self, label: &str) {
        let mut all = self.0.lock().expect("latencies").clone();
        if all.is_empty() {
            return;
        }
        all.sort();
        let at = |q: f64| all[((all.len() - 1) as f64 * q).round() as usize];
        eprintln!(
            "{label}: {} appends, latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            all.len(),
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            all[all.len() - 1].as_secs_f64() * 1e3,
        );
    }
}

/// `iters` appends spread over `appenders.len()` threads; returns the wall time
/// scaled to exactly `iters` appends.
fn concurrent_appends(
    iters: u64,
    appenders: &mut [Appender<'_>],
    latencies: &Latencies,
) -> Duration {
    let threads = appenders.len() as u64;
    let per_thread = iters.div_ceil(threads).max(1);
    let start = Instant::now();
    std::thread::scope(|s| {
        for appender in appenders.iter_mut() {
            s.spawn(move || {
                let mut mine = Vec::with_capacity(per_thread as usize);
                for _ in 0..per_thread {
                    let t = Instant::now();
                    appender.append();
                    mine.push(t.elapsed());
                }
                latencies.0.lock().expect("latencies").extend(mine);
            });
        }
    });
    let took = start.elapsed();
    took.mul_f64(iters as f64 / (per_thread * threads) as f64)
}

fn bench_concurrent(c: &mut Criterion) {
    let (events, state) = step_events();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("concurrent");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for (mode, store) in stores(dir.path()) {
        for threads in [1usize, 4, 16] {
            let mut appenders: Vec<Appender<'_>> = (0..threads)
                .map(|t| {
                    Appender::new(
                        store.as_ref(),
                        format!("{mode}_{threads}_{t}"),
                        &events,
                        state,
                    )
                })
                .collect();
            let latencies = Latencies::default();
            g.bench_function(format!("{mode}/{threads}"), |b| {
                b.iter_custom(|iters| concurrent_appends(iters, &mut appenders, &latencies))
            });
            latencies.report(&format!("concurrent/{mode}/{threads}"));
        }
    }
    g.finish();
}

/// The stores compared, each in its own file; PostgreSQL too when
/// `ATELIER_BENCH_PG_URL` names a server (a fresh schema is made on it).
fn stores(dir: &Path) -> Vec<(&'static str, Box<dyn EventStore>)> {
    let mut stores: Vec<(&'static str, Box<dyn EventStore>)> = vec![
        (
            "single",
            Box::new(
                SqliteStore::open_with(&dir.join("single.db"), SqliteOptions { max_batch: 1 })
                    .expect("open"),
            ),
        ),
        (
            "group",
            Box::new(SqliteStore::open(&dir.join("group.db")).expect("open")),
        ),
    ];
    if let Some(url) = std::env::var("ATELIER_BENCH_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let schema = format!("bench_{}", std::process::id());
        postgres::Client::connect(&url, postgres::NoTls)
            .expect("connect to ATELIER_BENCH_PG_URL")
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create the bench's schema");
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        stores.push((
            "postgres",
            Box::new(PostgresStore::open(&url).expect("open PostgreSQL")),
        ));
    }
    stores
}

criterion_group!(benches, bench_single_writer, bench_concurrent);
criterion_main!(benches);

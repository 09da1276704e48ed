//! Benchmarks of the orchestrator, driven the way `atelier run --approve auto` drives
//! it (`crates/cli/src/season.rs`, `play()`): Zara parameters, the shipped sample,
//! the `normal_season` scenario, the offline reasoner and the system clock.
//!
//! - `season/end_to_end_disk_warm`: one whole season (create, advance, auto-approve,
//!   12 recorded weeks, report) in a SQLite file in a temporary directory (WAL,
//!   `synchronous=FULL`, so every step pays an fsync), with a pre-warmed
//!   `FileCatalog` so that loading the sample is not in the timing;
//! - `season/end_to_end_memory_warm`: the same on an in-memory SQLite database, to
//!   separate the durability cost from the computation;
//! - `season/end_to_end_disk_cold_catalog`: the same as the first with a new catalog
//!   per season, i.e. including reading the three-year sample history;
//! - `step/*`: one durable step mid-season (after week 6 of 12): append one
//!   `ReasoningRecorded` event and reload + fold the whole log (what `commit` does),
//!   the append alone, load + fold alone, and the in-memory fold alone.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use atelier_core::data::WeekActuals;
use atelier_core::sample;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::clock::SystemClock;
use atelier_engine::event::{
    ActualsMeaning, ActualsSource, DataSource, Event, ExpiryAction, Reasoning, ReasoningSource,
};
use atelier_engine::play::{self, Approvals};
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::{EventStore, SqliteStore};
use atelier_engine::{
    DataCatalog, EngineError, NewWorkflow, Orchestrator, WorkflowState, WorkflowView,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CATEGORY: &str = sample::DEFAULT_CATEGORY;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn fresh_id(prefix: &str) -> String {
    format!("{prefix}_{:08}", NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

fn orchestrator(store: Arc<dyn EventStore>, catalog: Arc<FileCatalog>) -> Orchestrator {
    Orchestrator::new(
        store,
        AgentRegistry::default(),
        Arc::new(OfflineReasoner),
        Arc::new(SystemClock),
        catalog,
    )
}

fn warm_catalog() -> Arc<FileCatalog> {
    let catalog = Arc::new(FileCatalog::default());
    catalog.load(&DataSource::Sample).expect("sample loads");
    catalog
}

fn scenario_weeks() -> Vec<WeekActuals> {
    let stores = sample::stores().expect("sample stores");
    sample::scenario(sample::DEFAULT_SCENARIO, &stores)
        .expect("scenario is shipped")
        .expect("scenario parses")
}

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

/// Creates a workflow and plays it like `play()` with `--approve auto`, stopping
/// before week `until_week + 1` when given. Returns the final view.
fn play(
    o: &Orchestrator,
    id: &str,
    weeks: &[WeekActuals],
    until_week: Option<u32>,
) -> WorkflowView {
    o.create(new_workflow(id)).expect("create");
    let weeks = |week: u32| Ok::<_, EngineError>(weeks.get(week as usize - 1).cloned());
    play::play(o, id, weeks, Approvals::Accept("auto"), until_week, |_| {})
        .expect("the season plays")
        .0
}

fn bench_end_to_end(c: &mut Criterion) {
    let weeks = scenario_weeks();
    let dir = tempfile::tempdir().expect("tempdir");

    // A first season, to check it completes and report its size once.
    {
        let store: Arc<dyn EventStore> =
            Arc::new(SqliteStore::open(&dir.path().join("probe.db")).expect("open"));
        let o = orchestrator(store.clone(), warm_catalog());
        let view = play(&o, "probe", &weeks, None);
        assert_eq!(view.state, WorkflowState::Completed, "{view:?}");
        let events = store.load("probe", 0, None).expect("load");
        let bytes: usize = events
            .iter()
            .map(|e| serde_json::to_string(&e.event).map_or(0, |s| s.len()))
            .sum();
        eprintln!(
            "one season: {} events, {} bytes of JSON payload, final state {:?}",
            events.len(),
            bytes,
            view.state
        );
    }

    let mut g = c.benchmark_group("season");
    g.sample_size(10);

    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(&dir.path().join("warm.db")).expect("open"));
    let o = orchestrator(store, warm_catalog());
    g.bench_function("end_to_end_disk_warm", |b| {
        b.iter(|| play(&o, &fresh_id("warm"), black_box(&weeks), None))
    });

    let store: Arc<dyn EventStore> = Arc::new(SqliteStore::in_memory().expect("open"));
    let o = orchestrator(store, warm_catalog());
    g.bench_function("end_to_end_memory_warm", |b| {
        b.iter(|| play(&o, &fresh_id("mem"), black_box(&weeks), None))
    });

    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(&dir.path().join("cold.db")).expect("open"));
    g.bench_function("end_to_end_disk_cold_catalog", |b| {
        b.iter(|| {
            let o = orchestrator(store.clone(), Arc::new(FileCatalog::default()));
            play(&o, &fresh_id("cold"), black_box(&weeks), None)
        })
    });
    g.finish();
}

fn reasoning_event() -> Event {
    Event::ReasoningRecorded {
        reasoning: Reasoning {
            decision_point: "benchmark".into(),
            text: "A small explanation, about the size of a template's sentence.".into(),
            source: ReasoningSource::Offline,
            model: None,
            prompt: None,
            latency_ms: None,
            prompt_tokens: None,
            completion_tokens: None,
            fallback_reason: None,
        },
    }
}

/// Runs `iters` timed calls of `f(id, last_seq) -> (time, new last_seq)`, moving
/// to a fresh copy of the mid-season log (made by `copy`, untimed) every
/// `per_copy` calls so that the log stays close to its mid-season length.
fn timed_on_copies(
    iters: u64,
    per_copy: u64,
    base_seq: u64,
    copy: impl Fn() -> String,
    mut f: impl FnMut(&str, u64) -> (Duration, u64),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut id = copy();
    let mut last_seq = base_seq;
    for i in 0..iters {
        if i > 0 && i % per_copy == 0 {
            id = copy();
            last_seq = base_seq;
        }
        let (took, seq) = f(&id, last_seq);
        total += took;
        last_seq = seq;
    }
    total
}

fn bench_step(c: &mut Criterion) {
    const MID_SEASON_WEEK: u32 = 6;
    /// Appends per copy of the mid-season workflow before a fresh copy is used, so
    /// the log being folded stays within a few events of its mid-season length.
    const APPENDS_PER_COPY: u64 = 8;

    let weeks = scenario_weeks();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(SqliteStore::open(&dir.path().join("step.db")).expect("open"));
    let o = orchestrator(store.clone(), warm_catalog());
    let template_id = "mid_season";
    let view = play(&o, template_id, &weeks, Some(MID_SEASON_WEEK));
    let template = store.load(template_id, 0, None).expect("load");
    let template_events: Vec<Event> = template.iter().map(|e| e.event.clone()).collect();
    let state = view.state;
    let log_bytes: usize = template_events
        .iter()
        .map(|e| serde_json::to_string(e).map_or(0, |s| s.len()))
        .sum();
    eprintln!(
        "mid-season log (after week {MID_SEASON_WEEK}): {} events, {log_bytes} bytes of JSON, state {state}",
        template.len()
    );
    // A copy of the mid-season log under a new id (setup, never timed).
    let copy = || {
        let id = fresh_id("copy");
        store
            .append(
                &id,
                0,
                &template_events,
                state,
                CATEGORY,
                chrono::Utc::now(),
            )
            .expect("copy");
        id
    };
    let event = reasoning_event();

    let base = template.len() as u64;
    let append = |id: &str, last_seq: u64| {
        store
            .append(
                id,
                last_seq,
                std::slice::from_ref(&event),
                state,
                CATEGORY,
                chrono::Utc::now(),
            )
            .expect("append")
    };
    let load_fold =
        |id: &str| WorkflowView::fold(&store.load(id, 0, None).expect("load")).expect("fold");

    let mut g = c.benchmark_group("step");
    g.bench_function("append_then_load_fold", |b| {
        b.iter_custom(|iters| {
            timed_on_copies(iters, APPENDS_PER_COPY, base, copy, |id, last_seq| {
                let start = Instant::now();
                append(id, last_seq);
                let view = black_box(load_fold(id));
                (start.elapsed(), view.last_seq)
            })
        })
    });
    g.bench_function("load_fold_append_load_fold", |b| {
        // A whole commit as the orchestrator does it: the view the step starts
        // from, the append, and the reload of the view it returns.
        b.iter_custom(|iters| {
            timed_on_copies(iters, APPENDS_PER_COPY, base, copy, |id, _| {
                let start = Instant::now();
                let before = load_fold(id);
                append(id, before.last_seq);
                let view = black_box(load_fold(id));
                (start.elapsed(), view.last_seq)
            })
        })
    });
    g.bench_function("append_only", |b| {
        b.iter_custom(|iters| {
            timed_on_copies(iters, APPENDS_PER_COPY, base, copy, |id, last_seq| {
                let start = Instant::now();
                let stored = black_box(append(id, last_seq));
                (start.elapsed(), stored[0].seq)
            })
        })
    });
    g.bench_function("load_fold", |b| {
        b.iter(|| {
            WorkflowView::fold(&store.load(black_box(template_id), 0, None).expect("load"))
                .expect("fold")
        })
    });
    g.bench_function("load_only", |b| {
        b.iter(|| store.load(black_box(template_id), 0, None).expect("load"))
    });
    g.bench_function("fold_only", |b| {
        b.iter(|| WorkflowView::fold(black_box(&template)).expect("fold"))
    });
    g.finish();
}

criterion_group!(benches, bench_end_to_end, bench_step);
criterion_main!(benches);

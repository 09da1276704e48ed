//! What every event store must do, one function per property; `main.rs` runs each
//! against SQLite and against PostgreSQL.

use super::backend::Backend;
use super::support::{assert_contiguous, catalog, new_workflow, params, scenario};
use atelier_engine::agents::AgentRegistry;
use atelier_engine::clock::ManualClock;
use atelier_engine::event::{Event, Resolution};
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::{EventStore, StoreError};
use atelier_engine::{EngineError, Orchestrator, WorkflowState, WorkflowView};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::{Arc, Barrier};

const CATEGORY: &str = "Women's Dresses";

fn at(minutes: i64) -> DateTime<Utc> {
    // Sub-microsecond digits, which no store keeps: what is handed back must be
    // what a reload gives.
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
        + Duration::minutes(minutes)
        + Duration::nanoseconds(123_456_789)
}

fn phase(week: u32) -> Event {
    Event::PhaseStarted {
        phase: WorkflowState::Phase3Monitoring,
        week,
    }
}

fn append(
    store: &dyn EventStore,
    id: &str,
    after: u64,
    n: u32,
    state: WorkflowState,
    now: DateTime<Utc>,
) -> Result<Vec<atelier_engine::event::StoredEvent>, StoreError> {
    let events: Vec<Event> = (0..n).map(|i| phase(after as u32 + i)).collect();
    store.append(id, after, &events, state, CATEGORY, now)
}

pub fn orchestrator(store: Arc<dyn EventStore>) -> Orchestrator {
    Orchestrator::new(
        store,
        AgentRegistry::default(),
        Arc::new(OfflineReasoner),
        Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap(),
        )),
        catalog(),
    )
}

/// Appends continue after the expected last event; the numbering, the times and
/// the payloads handed back are what a reload gives; paging reads by number.
pub fn appends_after_the_expected_last_event(b: &dyn Backend) {
    let store = b.open();
    let first = append(
        store.as_ref(),
        "w",
        0,
        2,
        WorkflowState::ParametersExtracted,
        at(0),
    )
    .unwrap();
    assert_eq!(first.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    let second = append(
        store.as_ref(),
        "w",
        2,
        3,
        WorkflowState::Phase3Monitoring,
        at(1),
    )
    .unwrap();
    assert_eq!(second.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
    let log = store.load("w", 0, None).unwrap();
    assert_eq!(log, [first, second].concat());
    assert_contiguous(&log);
    assert_eq!(log[0].recorded_at.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(store.load("w", 2, Some(2)).unwrap(), log[2..4].to_vec());
    assert!(store.load("w", 5, None).unwrap().is_empty());
    assert_eq!(store.last_seq("w").unwrap(), 5);
    assert!(store.exists("w").unwrap());
    assert!(!store.exists("nobody").unwrap());
    assert!(matches!(
        store.load("nobody", 0, None),
        Err(StoreError::UnknownWorkflow(_))
    ));
    assert!(matches!(
        store.last_seq("nobody"),
        Err(StoreError::UnknownWorkflow(_))
    ));
    assert!(matches!(
        append(
            store.as_ref(),
            "nobody",
            3,
            1,
            WorkflowState::Phase3Monitoring,
            at(2)
        ),
        Err(StoreError::UnknownWorkflow(_))
    ));
    assert!(matches!(
        append(
            store.as_ref(),
            "w",
            0,
            1,
            WorkflowState::ParametersExtracted,
            at(2)
        ),
        Err(StoreError::AlreadyExists(_))
    ));
    // A second store on the same database (another process, another server) sees
    // it all.
    let other = b.open();
    assert_eq!(other.load("w", 0, None).unwrap(), log);
    assert_eq!(other.last_seq("w").unwrap(), 5);
}

/// A stale append is refused with both numbers and writes nothing: not its events,
/// not the workflow's state or time.
pub fn a_conflict_writes_nothing(b: &dyn Backend) {
    let store = b.open();
    append(
        store.as_ref(),
        "c",
        0,
        3,
        WorkflowState::Phase1Forecasting,
        at(0),
    )
    .unwrap();
    let before_log = store.load("c", 0, None).unwrap();
    let before_list = store.list().unwrap();
    let err = append(store.as_ref(), "c", 1, 2, WorkflowState::Completed, at(5)).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { workflow_id, expected: 1, found: 3 } if workflow_id == "c"),
        "{err}"
    );
    assert_eq!(store.load("c", 0, None).unwrap(), before_log);
    assert_eq!(store.list().unwrap(), before_list);
    assert_eq!(store.last_seq("c").unwrap(), 3);
}

/// A season played through the orchestrator on this store folds back, from a
/// fresh store's reload, to the view the orchestrator returned.
pub fn a_played_log_loads_and_folds_to_the_same_view(b: &dyn Backend) {
    let o = orchestrator(b.open());
    o.create(new_workflow("fold", params("zara"))).unwrap();
    let mut view = o.advance("fold").unwrap();
    let weeks = scenario("normal_season");
    while view.state != WorkflowState::Phase3Monitoring || view.next_week() <= 2 {
        view = match view.state {
            s if s.is_waiting() => o.approve("fold", None, Resolution::Accept, "t").unwrap(),
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                o.record_week("fold", week, &weeks[week as usize - 1])
                    .unwrap()
            }
            other => panic!("unexpected state {other}"),
        };
    }
    let log = b.open().load("fold", 0, None).unwrap();
    assert_contiguous(&log);
    let folded = WorkflowView::fold(&log).unwrap();
    assert_eq!(folded.last_seq, view.last_seq);
    assert_eq!(folded.state, view.state);
    assert_eq!(folded.weeks.len(), 2);
    assert_eq!(folded.workflow_id, view.workflow_id);
    assert_eq!(
        (folded.created_at, folded.updated_at),
        (view.created_at, view.updated_at)
    );
    assert_eq!(folded.parameters, view.parameters);
    assert_eq!(folded.forecast_weekly, view.forecast_weekly);
    assert_eq!(folded.order, view.order);
    assert_eq!(folded.stock, view.stock);
    assert_eq!(folded.dc_stock, view.dc_stock);
    assert_eq!(folded.weeks, view.weeks);
    // Not `folded == view`: serde_json's default float parser can read an f64 back
    // one unit in the last place off (a forecast member's weekly weight, say), so
    // a view kept in memory and one folded from any store may differ there. The
    // `float_roundtrip` feature would make them equal (see the store's report).
    // Folding the same stored log twice, through two stores, agrees exactly.
    let again = WorkflowView::fold(&b.open().load("fold", 0, None).unwrap()).unwrap();
    assert_eq!(again, folded);
}

/// The list holds every workflow with its cached state and last number, newest
/// first (ties by id), and follows appends.
pub fn workflows_are_listed_by_state_newest_first(b: &dyn Backend) {
    let store = b.open();
    append(
        store.as_ref(),
        "old",
        0,
        1,
        WorkflowState::ParametersExtracted,
        at(0),
    )
    .unwrap();
    append(
        store.as_ref(),
        "b_tie",
        0,
        2,
        WorkflowState::WaitingMfgApproval,
        at(10),
    )
    .unwrap();
    append(
        store.as_ref(),
        "a_tie",
        0,
        1,
        WorkflowState::Phase3Monitoring,
        at(10),
    )
    .unwrap();
    append(
        store.as_ref(),
        "new",
        0,
        1,
        WorkflowState::Completed,
        at(20),
    )
    .unwrap();
    append(
        store.as_ref(),
        "old",
        1,
        2,
        WorkflowState::Phase1Forecasting,
        at(30),
    )
    .unwrap();
    let list = store.list().unwrap();
    let rows: Vec<(&str, WorkflowState, u64)> = list
        .iter()
        .map(|s| (s.workflow_id.as_str(), s.state, s.last_seq))
        .collect();
    assert_eq!(
        rows,
        [
            ("new", WorkflowState::Completed, 1),
            ("a_tie", WorkflowState::Phase3Monitoring, 1),
            ("b_tie", WorkflowState::WaitingMfgApproval, 2),
            ("old", WorkflowState::Phase1Forecasting, 3),
        ]
    );
    let old = &list[3];
    assert_eq!(old.category, CATEGORY);
    assert_eq!(old.created_at, at(0).with_nanosecond_micros());
    assert_eq!(old.updated_at, at(30).with_nanosecond_micros());
    let waiting: Vec<&str> = list
        .iter()
        .filter(|s| s.state.is_waiting())
        .map(|s| s.workflow_id.as_str())
        .collect();
    assert_eq!(waiting, ["b_tie"]);
}

trait Micros {
    fn with_nanosecond_micros(self) -> Self;
}

impl Micros for DateTime<Utc> {
    fn with_nanosecond_micros(self) -> Self {
        chrono::SubsecRound::trunc_subsecs(self, 6)
    }
}

/// Recording a week again with the same content appends nothing; with other
/// content it is refused and appends nothing.
pub fn a_week_recorded_twice_is_written_once(b: &dyn Backend) {
    let store = b.open();
    let o = orchestrator(store.clone());
    o.create(new_workflow("idem", params("standard_retail")))
        .unwrap();
    o.advance("idem").unwrap();
    o.approve("idem", None, Resolution::Accept, "t").unwrap();
    let weeks = scenario("normal_season");
    o.record_week("idem", 1, &weeks[0]).unwrap();
    let n = store.last_seq("idem").unwrap();
    let mut shuffled = weeks[0].clone();
    shuffled.rows.reverse();
    o.record_week("idem", 1, &shuffled).unwrap();
    assert_eq!(store.last_seq("idem").unwrap(), n);
    let mut changed = weeks[0].clone();
    changed.rows[0].quantity_sold += 1;
    assert!(matches!(
        o.record_week("idem", 1, &changed),
        Err(EngineError::ActualsConflict { week: 1 })
    ));
    assert_eq!(store.load("idem", 0, None).unwrap().len() as u64, n);
}

/// Two writers append after the same event, from two stores on one database:
/// exactly one wins, the other gets a conflict, and the log has the winner's
/// events only. Repeated, so that the race really happens.
pub fn racing_appends_after_the_same_event_have_one_winner(b: &dyn Backend) {
    let stores = [b.open(), b.open()];
    append(
        stores[0].as_ref(),
        "race",
        0,
        1,
        WorkflowState::ParametersExtracted,
        at(0),
    )
    .unwrap();
    for round in 0..20u64 {
        let after = 1 + round;
        let start = Barrier::new(2);
        let outcomes: Vec<Result<_, StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .iter()
                .map(|store| {
                    let start = &start;
                    s.spawn(move || {
                        start.wait();
                        append(
                            store.as_ref(),
                            "race",
                            after,
                            1,
                            WorkflowState::Phase3Monitoring,
                            at(1),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let wins = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().any(|o| matches!(
            o,
            Err(StoreError::Conflict { expected, found, .. }) if *expected == after && *found == after + 1
        )));
    }
    let log = stores[1].load("race", 0, None).unwrap();
    assert_eq!(log.len(), 21);
    assert_contiguous(&log);
}

/// Two servers creating the same workflow at once: one creates it, the other is
/// told it exists.
pub fn racing_creations_have_one_winner(b: &dyn Backend) {
    let stores = [b.open(), b.open()];
    for round in 0..10 {
        let id = format!("new_{round}");
        let start = Barrier::new(2);
        let outcomes: Vec<Result<_, StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = stores
                .iter()
                .map(|store| {
                    let (start, id) = (&start, &id);
                    s.spawn(move || {
                        start.wait();
                        append(
                            store.as_ref(),
                            id,
                            0,
                            2,
                            WorkflowState::ParametersExtracted,
                            at(0),
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            outcomes.iter().filter(|o| o.is_ok()).count(),
            1,
            "{outcomes:?}"
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Err(StoreError::AlreadyExists(_))))
        );
        assert_eq!(stores[0].last_seq(&id).unwrap(), 2);
    }
}

/// Two planners approve the same waiting order at once through two servers: the
/// approval is applied once, and whoever is not told Ok is told the workflow moved
/// on or no longer waits.
pub fn racing_approvals_apply_once(b: &dyn Backend) {
    let orchestrators = [orchestrator(b.open()), orchestrator(b.open())];
    orchestrators[0]
        .create(new_workflow("appr", params("zara")))
        .unwrap();
    let view = orchestrators[0].advance("appr").unwrap();
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    let start = Barrier::new(2);
    let outcomes: Vec<Result<WorkflowView, EngineError>> = std::thread::scope(|s| {
        let handles: Vec<_> = orchestrators
            .iter()
            .map(|o| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    o.approve("appr", None, Resolution::Accept, "planner")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // The approval is applied once. At most one caller hears Ok: the loser's own
    // `advance` may run the step the approval unblocked before the winner's does,
    // so the winner's approval is in the log while its call ends in a conflict.
    assert!(
        outcomes.iter().filter(|o| o.is_ok()).count() <= 1,
        "{outcomes:?}"
    );
    for outcome in &outcomes {
        assert!(
            matches!(
                outcome,
                Ok(_)
                    | Err(EngineError::Store(StoreError::Conflict { .. })
                        | EngineError::NotWaiting { .. })
            ),
            "{outcome:?}"
        );
    }
    let log = b.open().load("appr", 0, None).unwrap();
    assert_contiguous(&log);
    let resolved = log
        .iter()
        .filter(|e| e.event.kind() == "approval_resolved")
        .count();
    assert_eq!(resolved, 1);
    // And the step it unblocked ran once, whoever ran it.
    let allocations = log
        .iter()
        .filter(|e| e.event.kind() == "allocation_made")
        .count();
    assert_eq!(allocations, 1);
}

/// Many threads append to many workflows at once: every append lands, each
/// workflow's log runs 1..N without a gap, and one workflow shared by writers that
/// retry on conflict ends with every writer's appends, in order.
pub fn concurrent_appends_land_numbered_without_gaps(b: &dyn Backend) {
    let store = b.open();
    const THREADS: usize = 8;
    const APPENDS: u64 = 15;
    for t in 0..THREADS {
        append(
            store.as_ref(),
            &format!("own_{t}"),
            0,
            1,
            WorkflowState::ParametersExtracted,
            at(0),
        )
        .unwrap();
    }
    append(
        store.as_ref(),
        "shared",
        0,
        1,
        WorkflowState::ParametersExtracted,
        at(0),
    )
    .unwrap();
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (store, start) = (&store, &start);
            s.spawn(move || {
                start.wait();
                let own = format!("own_{t}");
                for i in 0..APPENDS {
                    append(
                        store.as_ref(),
                        &own,
                        1 + i * 2,
                        2,
                        WorkflowState::Phase3Monitoring,
                        at(1),
                    )
                    .unwrap();
                    // The shared workflow: read the last number, append, retry on conflict.
                    loop {
                        let last = store.last_seq("shared").unwrap();
                        match append(
                            store.as_ref(),
                            "shared",
                            last,
                            1,
                            WorkflowState::Phase3Monitoring,
                            at(1),
                        ) {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    for t in 0..THREADS {
        let log = store.load(&format!("own_{t}"), 0, None).unwrap();
        assert_eq!(log.len() as u64, 1 + 2 * APPENDS);
        assert_contiguous(&log);
    }
    let shared = store.load("shared", 0, None).unwrap();
    assert_eq!(shared.len() as u64, 1 + THREADS as u64 * APPENDS);
    assert_contiguous(&shared);
}

/// Opening a database again (or from two processes at once) migrates it once and
/// keeps what it holds.
pub fn reopening_keeps_the_log_and_migrates_once(b: &dyn Backend) {
    let stores: Vec<Arc<dyn EventStore>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(|| b.open())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    append(
        stores[0].as_ref(),
        "kept",
        0,
        3,
        WorkflowState::Phase1Forecasting,
        at(0),
    )
    .unwrap();
    let log = stores[0].load("kept", 0, None).unwrap();
    drop(stores);
    let again = b.open();
    assert_eq!(again.load("kept", 0, None).unwrap(), log);
    assert_eq!(again.list().unwrap().len(), 1);
}

/// An idempotency key is claimed once; a second claim sees the first's
/// fingerprint and, once given, its answer (kept across a reopen); a released key
/// (its request changed nothing) is claimed afresh; past `KEY_RETENTION` a key is
/// forgotten.
pub fn idempotency_keys_keep_their_answer_for_a_day(b: &dyn Backend) {
    use atelier_engine::store::{KEY_RETENTION, KeyAnswer, KeyClaim};
    let store = b.open();
    let now = at(0);
    assert_eq!(store.claim_key("k1", "fp", now).unwrap(), KeyClaim::Fresh);
    let KeyClaim::Known(pending) = store.claim_key("k1", "other", now).unwrap() else {
        panic!("claimed twice");
    };
    assert_eq!(pending.fingerprint, "fp");
    assert_eq!(pending.answer, None);
    let answer = KeyAnswer {
        status: 201,
        content_type: "application/json".into(),
        body: br#"{"workflow_id":"wf_1"}"#.to_vec(),
    };
    store.answer_key("k1", &answer).unwrap();
    // A release after an answer leaves the answer.
    store.release_key("k1").unwrap();
    drop(store);
    let store = b.open();
    let KeyClaim::Known(answered) = store.claim_key("k1", "fp", now).unwrap() else {
        panic!("forgotten on reopen");
    };
    assert_eq!(answered.answer, Some(answer));

    assert_eq!(store.claim_key("k2", "fp", now).unwrap(), KeyClaim::Fresh);
    store.release_key("k2").unwrap();
    assert_eq!(store.claim_key("k2", "fp", now).unwrap(), KeyClaim::Fresh);

    let later = now + KEY_RETENTION + Duration::seconds(1);
    assert_eq!(
        store.claim_key("k1", "new", later).unwrap(),
        KeyClaim::Fresh
    );
}

/// The sweep's agenda comes from the workflows' rows and the owed explanations,
/// without folding a log: approvals past their deadline, workflows left in a
/// running state and words owed for longer than the grace are due, and the next
/// of them not yet due is named, so the sweep can sleep until it.
pub fn the_agenda_names_what_is_due_and_the_next_deadline(b: &dyn Backend) {
    use atelier_engine::reasoning::{Claim, Decision};
    use atelier_engine::store::AppendMeta;
    let store = b.open();
    let grace = Duration::seconds(30);
    assert_eq!(
        store.agenda(at(0), grace).unwrap(),
        Default::default(),
        "an empty store has nothing to do"
    );
    let waiting = |id: &str, deadline: Option<DateTime<Utc>>| {
        store
            .append_step(
                id,
                0,
                &[phase(0)],
                AppendMeta {
                    approval_deadline: deadline,
                    ..AppendMeta::plain(WorkflowState::WaitingMfgApproval, CATEGORY, at(0))
                },
            )
            .unwrap();
    };
    waiting("soon", Some(at(10)));
    waiting("later", Some(at(20)));
    waiting("never", None);
    let decision = Decision {
        point: "phase_1_forecast".into(),
        summary: "order 100 units".into(),
        facts: serde_json::json!({"units": 100}),
        offline_text: "We order 100 units.".into(),
        claim: Claim::Informational,
    };
    // A step committed at minute 1 that owes words, in a running state.
    store
        .append_step(
            "running",
            0,
            &[phase(0), phase(1)],
            AppendMeta {
                owes: std::slice::from_ref(&decision),
                ..AppendMeta::plain(WorkflowState::Phase1Forecasting, CATEGORY, at(1))
            },
        )
        .unwrap();

    let early = store.agenda(at(1), grace).unwrap();
    assert!(early.expired_approvals.is_empty() && early.stalled.is_empty());
    assert!(
        early.owed.is_empty(),
        "owed words are the live process's for the grace"
    );
    // The running workflow and its owed words fall due 30 s after minute 1 (as
    // the store keeps it: to the microsecond).
    let next = early.next.expect("a deadline");
    assert!(
        next <= at(1) + grace && at(1) + grace - next < Duration::microseconds(1),
        "{next}"
    );

    let later = store.agenda(at(5), grace).unwrap();
    assert_eq!(later.stalled, ["running"]);
    assert_eq!(later.owed.len(), 1);
    let owed = &later.owed[0];
    assert_eq!((owed.workflow_id.as_str(), owed.seq), ("running", 2));
    assert_eq!(owed.decisions, std::slice::from_ref(&decision));
    let next = later.next.expect("a deadline ahead");
    // The store keeps microseconds, rounded up: never before the deadline.
    assert!(
        next >= at(10) && next - at(10) < Duration::microseconds(1),
        "{next}"
    );

    let past_first = store.agenda(at(15), grace).unwrap();
    assert_eq!(past_first.expired_approvals, ["soon"]);
    assert!(past_first.next.is_some_and(|n| n >= at(20)));

    // Words appended settle what was owed, in the same transaction; settling
    // again is refused and writes nothing.
    let words = atelier_engine::reasoning::offline_event(&decision, None);
    let settle = |after: u64| {
        store.append_step(
            "running",
            after,
            std::slice::from_ref(&words),
            AppendMeta {
                settles: Some(2),
                ..AppendMeta::plain(WorkflowState::Phase1Forecasting, CATEGORY, at(6))
            },
        )
    };
    settle(2).unwrap();
    assert!(store.agenda(at(15), grace).unwrap().owed.is_empty());
    assert!(matches!(
        settle(3),
        Err(StoreError::AlreadyExplained { seq: 2, .. })
    ));
    assert_eq!(
        store.last_seq("running").unwrap(),
        3,
        "nothing written twice"
    );

    // An answered approval (no deadline any more) leaves the agenda.
    store
        .append_step(
            "soon",
            1,
            &[phase(1)],
            AppendMeta::plain(WorkflowState::WaitingMarkdownApproval, CATEGORY, at(16)),
        )
        .unwrap();
    let after = store.agenda(at(16), grace).unwrap();
    assert!(after.expired_approvals.is_empty(), "{after:?}");
    assert!(after.owed.is_empty(), "{after:?}");
    assert_eq!(after.stalled, ["running"], "still left mid-step");
}

/// A process that dies between a step's commit and its words leaves the words
/// owed in the store; the sweep's `explain_owed` writes them once, as the
/// uninterrupted play would have, and a second sweep (or a racing server)
/// writes nothing.
pub fn words_owed_by_a_dead_process_are_written_once(b: &dyn Backend) {
    use atelier_engine::reasoning::{Decision, Reasoner};
    /// A reasoner whose process "dies" before it answers.
    struct Dies;
    impl Reasoner for Dies {
        fn explain(&self, _: &Decision) -> Vec<Event> {
            panic!("the process died while explaining");
        }
    }
    let count = |log: &[atelier_engine::event::StoredEvent]| {
        log.iter()
            .filter(|e| e.event.kind() == "reasoning_recorded")
            .count()
    };
    let reference = orchestrator(b.open());
    reference
        .create(new_workflow("whole", params("zara")))
        .unwrap();
    reference.advance("whole").unwrap();
    let want = count(&b.open().load("whole", 0, None).unwrap());
    assert!(want > 0, "the first steps explain decisions");

    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap(),
    ));
    let dying = Orchestrator::new(
        b.open(),
        AgentRegistry::default(),
        Arc::new(Dies),
        clock.clone(),
        catalog(),
    );
    dying.create(new_workflow("cut", params("zara"))).unwrap();
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dying.advance("cut")));
    assert!(died.is_err(), "the reasoner died");
    let store = b.open();
    let cut = store.load("cut", 0, None).unwrap();
    assert_eq!(count(&cut), 0, "no words were written before the death");

    let now = atelier_engine::clock::Clock::now(clock.as_ref()) + Duration::seconds(31);
    let agenda = store.agenda(now, Duration::seconds(30)).unwrap();
    assert_eq!(agenda.owed.len(), 1, "{agenda:?}");
    assert_eq!(agenda.stalled, ["cut"], "left between two steps");
    // Two sweeps at once (two servers): the words land once.
    let sweepers = [orchestrator(b.open()), orchestrator(b.open())];
    let owed = agenda.owed[0].clone();
    std::thread::scope(|s| {
        for o in &sweepers {
            let owed = owed.clone();
            s.spawn(move || o.explain_owed(&owed).unwrap());
        }
    });
    let first_step_words = count(&store.load("cut", 0, None).unwrap());
    assert_eq!(first_step_words, owed.decisions.len());
    // Then the workflow is carried on, as the sweep does with a stalled one.
    sweepers[0].advance("cut").unwrap();
    let log = store.load("cut", 0, None).unwrap();
    assert_contiguous(&log);
    assert_eq!(count(&log), want, "every decision explained once");
    let after = store.agenda(now, Duration::seconds(30)).unwrap();
    assert!(
        after.owed.is_empty() && after.stalled.is_empty(),
        "{after:?}"
    );
}

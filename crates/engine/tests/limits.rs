//! The engine's bounds on what it records, enforced before anything is written:
//! a re-forecast reason over `MAX_REASON_CHARS`, and any event whose encoding is
//! over `MAX_EVENT_BYTES` (refused by the store's append, whatever wrote it).

mod support;

use atelier_core::sample;
use atelier_engine::EngineError;
use atelier_engine::WorkflowState;
use atelier_engine::event::Event;
use atelier_engine::orchestrator::{MAX_EVENT_BYTES, MAX_REASON_CHARS};
use atelier_engine::store::{EventStore, StoreError};
use chrono::Utc;
use support::{harness, margin_params, new_workflow, play_auto, scenario};

#[test]
fn a_reason_over_the_limit_is_refused_and_nothing_is_written() {
    let h = harness();
    h.orchestrator
        .create(new_workflow(
            "w",
            margin_params(sample::DEFAULT_PARAMETER_SET),
        ))
        .unwrap();
    let weeks = scenario(sample::DEFAULT_SCENARIO);
    play_auto(&h, "w", &weeks[..2]);
    let before = h.store.last_seq("w").unwrap();

    let long = "é".repeat(MAX_REASON_CHARS + 1);
    let err = h.orchestrator.manual_reforecast("w", &long).unwrap_err();
    assert!(
        matches!(err, EngineError::TextTooLong { field: "reason", chars, max } if chars == MAX_REASON_CHARS + 1 && max == MAX_REASON_CHARS),
        "{err}"
    );
    assert_eq!(
        h.store.last_seq("w").unwrap(),
        before,
        "something was written"
    );

    // At the limit (in characters, not bytes) the re-forecast is recorded.
    let view = h
        .orchestrator
        .manual_reforecast("w", &"é".repeat(MAX_REASON_CHARS))
        .unwrap();
    assert!(view.last_seq > before);
}

#[test]
fn an_event_over_the_size_limit_is_refused_by_the_store_and_nothing_is_written() {
    let h = harness();
    let now = Utc::now();
    let started = Event::PhaseStarted {
        phase: WorkflowState::Phase1Forecasting,
        week: 0,
    };
    h.store
        .append(
            "w",
            0,
            &[started],
            WorkflowState::Phase1Forecasting,
            "c",
            now,
        )
        .unwrap();
    let huge = Event::PhaseSkipped {
        phase: WorkflowState::Phase3Replenishment,
        reason: "x".repeat(MAX_EVENT_BYTES),
    };
    let small = Event::PhaseStarted {
        phase: WorkflowState::Phase2Allocation,
        week: 0,
    };
    let err = h
        .store
        .append(
            "w",
            1,
            &[small.clone(), huge],
            WorkflowState::Phase2Allocation,
            "c",
            now,
        )
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::EventTooLarge { kind: "phase_skipped", bytes, max, .. } if *bytes > MAX_EVENT_BYTES && *max == MAX_EVENT_BYTES),
        "{err}"
    );
    // The whole append was refused: the small event before it too.
    assert_eq!(h.store.last_seq("w").unwrap(), 1);
    assert_eq!(h.store.load("w", 0, None).unwrap().len(), 1);
    // The store goes on taking appends that fit.
    h.store
        .append("w", 1, &[small], WorkflowState::Phase2Allocation, "c", now)
        .unwrap();
    assert_eq!(h.store.last_seq("w").unwrap(), 2);
}

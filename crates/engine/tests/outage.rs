//! A database lost in the middle of a command, at a chosen event (`OutageStore`):
//! a command whose own events were committed says so (`Unfinished`), one whose
//! commit's answer was lost and cannot be read back says the outcome is unknown,
//! and only one that recorded nothing says nothing changed. Called again once the
//! database is back, each finds what was recorded: nothing happens twice.

mod support;

use atelier_core::data::WeekActuals;
use atelier_engine::event::Resolution;
use atelier_engine::reasoning::{OfflineReasoner, Reasoner};
use atelier_engine::store::{Cue, EventStore, OutageStore, SqliteStore};
use atelier_engine::{EngineError, ErrorClass, Orchestrator, WorkflowState, WorkflowView};
use std::sync::Arc;
use support::*;

/// An orchestrator over a SQLite file behind an [`OutageStore`], and the file.
struct Faulty {
    orchestrator: Orchestrator,
    outage: Arc<OutageStore>,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

fn faulty() -> Faulty {
    faulty_with(Arc::new(OfflineReasoner))
}

/// [`faulty`] with the given reasoner.
fn faulty_with(reasoner: Arc<dyn Reasoner>) -> Faulty {
    let plain = harness();
    let (outage, orchestrator) = behind_outage(&plain, reasoner);
    Faulty {
        orchestrator,
        outage,
        store: plain.store,
        _dir: plain._dir,
    }
}

impl Faulty {
    /// A zara season waiting for its order's approval.
    fn season(&self, id: &str) -> WorkflowView {
        self.orchestrator
            .create(new_workflow(id, params("zara")))
            .expect("created");
        let view = self.orchestrator.advance(id).expect("advanced");
        assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
        view
    }

    fn count(&self, id: &str, kind: &str) -> usize {
        count(&self.store.load(id, 0, None).expect("the file reads"), kind)
    }

    fn accept(&self, id: &str) -> Result<WorkflowView, EngineError> {
        self.orchestrator
            .approve(id, Some("manufacturing-1"), Resolution::Accept, "ann")
    }

    /// A zara season waiting for week 1, and the weeks of the normal season.
    fn running(&self, id: &str) -> Vec<WeekActuals> {
        self.season(id);
        self.accept(id).expect("accepted");
        scenario("normal_season")
    }

    /// Records week 1 with the database lost at `cue`: the error's class.
    fn week_1_lost(&self, id: &str, weeks: &[WeekActuals], cue: Cue) -> ErrorClass {
        self.outage.arm(cue);
        class(self.orchestrator.record_week(id, 1, &weeks[0]))
    }
}

/// The same season with nothing lost: where accepting the order leads.
fn uninterrupted_after_approval() -> WorkflowView {
    let f = faulty();
    f.season("ref");
    f.accept("ref").expect("accepted")
}

fn class(result: Result<WorkflowView, EngineError>) -> ErrorClass {
    result.expect_err("the database was lost").class()
}

#[test]
fn an_approval_recorded_before_the_database_is_lost_is_unfinished_and_finished_once() {
    let f = faulty();
    f.season("w");
    f.outage.arm(Cue::After("approval_resolved"));
    assert_eq!(class(f.accept("w")), ErrorClass::Unfinished);
    assert_eq!(
        f.count("w", "approval_resolved"),
        1,
        "the answer is recorded"
    );
    f.outage.restore();

    // Carried on once the database is back, to where it would have gone.
    let finished = f.orchestrator.advance("w").expect("finished");
    let reference = uninterrupted_after_approval();
    assert_eq!(finished.state, reference.state);
    assert_eq!(finished.allocation, reference.allocation);
    assert_eq!(finished.dc_stock, reference.dc_stock);
    // Answering again is refused (the answer is in the log), not applied twice.
    assert!(matches!(
        f.accept("w"),
        Err(EngineError::NotWaiting { .. } | EngineError::WrongApproval { .. })
    ));
    assert_eq!(f.count("w", "approval_resolved"), 1);
    assert_contiguous(&f.store.load("w", 0, None).expect("log"));
}

#[test]
fn an_approval_lost_before_its_commit_says_nothing_changed_and_runs_once_later() {
    let f = faulty();
    f.season("w");
    f.outage.arm(Cue::Before("approval_resolved"));
    assert_eq!(class(f.accept("w")), ErrorClass::Unavailable);
    assert_eq!(f.count("w", "approval_resolved"), 0, "nothing was recorded");
    f.outage.restore();
    let view = f.accept("w").expect("accepted now");
    assert_eq!(view.state, uninterrupted_after_approval().state);
    assert_eq!(f.count("w", "approval_resolved"), 1);
}

#[test]
fn an_approval_whose_commit_answer_is_lost_and_unreadable_is_of_unknown_outcome() {
    let f = faulty();
    f.season("w");
    f.outage.arm(Cue::DuringCommit("approval_resolved"));
    // The log cannot be read back (the database is gone): not known either way.
    assert_eq!(class(f.accept("w")), ErrorClass::OutcomeUnknown);
    assert_eq!(f.count("w", "approval_resolved"), 1, "it was durable");
    f.outage.restore();
    let finished = f.orchestrator.advance("w").expect("finished");
    assert_eq!(finished.state, uninterrupted_after_approval().state);
    assert_eq!(f.count("w", "approval_resolved"), 1);
}

#[test]
fn a_week_recorded_before_the_database_is_lost_is_unfinished_and_not_recorded_twice() {
    let f = faulty();
    let weeks = f.running("w");
    assert_eq!(
        f.week_1_lost("w", &weeks, Cue::After("week_recorded")),
        ErrorClass::Unfinished
    );
    assert_eq!(f.count("w", "week_recorded"), 1);
    f.outage.restore();
    // The same week again finds it recorded: the week is played once.
    let view = f
        .orchestrator
        .record_week("w", 1, &weeks[0])
        .expect("found");
    assert_eq!(view.weeks.len(), 1);
    assert_eq!(view.state, WorkflowState::Phase3Monitoring);
    assert_eq!(f.count("w", "week_recorded"), 1);
    // Another file for the week is still refused.
    assert!(matches!(
        f.orchestrator.record_week("w", 1, &weeks[1]),
        Err(EngineError::ActualsConflict { week: 1 })
    ));
}

#[test]
fn a_week_lost_before_its_commit_says_nothing_changed() {
    let f = faulty();
    let weeks = f.running("w");
    assert_eq!(
        f.week_1_lost("w", &weeks, Cue::Before("week_recorded")),
        ErrorClass::Unavailable
    );
    assert_eq!(f.count("w", "week_recorded"), 0);
}

#[test]
fn a_manual_reforecast_recorded_before_its_words_is_unfinished() {
    // Words that come after the commit (a model's): the offline templates' are
    // committed with the re-forecast, so nothing would come after it.
    let f = faulty_with(Arc::new(WordsAfterCommit));
    let weeks = f.running("w");
    f.orchestrator
        .record_week("w", 1, &weeks[0])
        .expect("week 1");
    let before = f.count("w", "reforecast_applied");
    // The re-forecast commits; its words, appended next, find no database.
    f.outage.arm(Cue::After("reforecast_applied"));
    assert_eq!(
        class(
            f.orchestrator
                .manual_reforecast("w", "a promotion next door")
        ),
        ErrorClass::Unfinished
    );
    assert_eq!(f.count("w", "reforecast_applied"), before + 1);
}

#[test]
fn steps_a_resume_ran_before_the_database_is_lost_are_unfinished() {
    let f = faulty();
    f.orchestrator
        .create(new_workflow("w", params("zara")))
        .expect("created");
    // The creation's first step commits; the next one finds no database.
    f.outage.arm(Cue::After("phase_started"));
    assert_eq!(class(f.orchestrator.resume("w")), ErrorClass::Unfinished);
    f.outage.restore();
    // Before any step of its own, a loss is just that.
    f.outage.arm(Cue::Before("handoff_sent"));
    assert_eq!(class(f.orchestrator.advance("w")), ErrorClass::Unavailable);
    f.outage.restore();
    let view = f.orchestrator.advance("w").expect("finished");
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    assert_contiguous(&f.store.load("w", 0, None).expect("log"));
}

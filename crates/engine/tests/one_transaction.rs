//! A step and its words in one transaction: with the offline templates (an instant
//! reasoner) a week's upload that plays the week and waits for the next commits
//! once (one fsync), its reasoning inside; a reasoner that may take seconds (a
//! model) still has its words appended after the step's commit, outside the lock.
//! The log is the same either way: the same events in the same order.

mod support;

use atelier_engine::WorkflowState;
use atelier_engine::event::Resolution;
use atelier_engine::reasoning::{OfflineReasoner, Reasoner};
use std::sync::Arc;
use support::*;

/// Plays a zara season of `normal_season` to its end through a store that counts
/// its commits; the commits of each week's upload and the event kinds of the log.
fn commits_per_week(reasoner: Arc<dyn Reasoner>) -> (Vec<usize>, Vec<&'static str>) {
    let plain = harness();
    let (counted, o) = behind_outage(&plain, reasoner);
    let id = "counted";
    o.create(new_workflow(id, params("zara"))).expect("created");
    let view = o.advance(id).expect("advanced");
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    o.approve(id, None, Resolution::Accept, "ann")
        .expect("accepted");
    let mut per_week = Vec::new();
    for (i, week) in scenario("normal_season").iter().enumerate() {
        let before = counted.appends();
        let mut view = o.record_week(id, i as u32 + 1, week).expect("week");
        per_week.push(counted.appends() - before);
        while let Some(p) = view.pending_approval.clone() {
            view = o
                .approve(id, Some(&p.approval_id), Resolution::Accept, "ann")
                .expect("approved");
        }
        if view.state == WorkflowState::Completed {
            break;
        }
    }
    let log = events(&plain, id);
    (per_week, kinds(&log))
}

#[test]
fn a_week_with_offline_words_is_one_transaction() {
    let (instant, instant_log) = commits_per_week(Arc::new(OfflineReasoner));
    let (slow, slow_log) = commits_per_week(Arc::new(WordsAfterCommit));
    // Week 1 of the normal season plays and waits for week 2: one step, and its
    // variance explained.
    assert_eq!(instant[0], 1, "instant words: {instant:?}");
    assert_eq!(slow[0], 2, "words after the commit: {slow:?}");
    // Every upload saves the explanation's commit, and the log does not change.
    assert_eq!(instant.len(), slow.len());
    assert!(
        instant.iter().zip(&slow).all(|(i, s)| i < s),
        "{instant:?} {slow:?}"
    );
    assert_eq!(instant_log, slow_log);
    assert!(instant_log.contains(&"reasoning_recorded"));
}

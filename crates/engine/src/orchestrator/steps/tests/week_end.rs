//! The end of a week: the next week begins, or after the last the report.

use super::finish;
use crate::event::Event;
use crate::orchestrator::step::Step;
use crate::orchestrator::steps::testing::Season;
use crate::orchestrator::steps::testing::effects::{emits, kinds, one, phases};
use crate::state::WorkflowState;
use atelier_core::Policy;

#[test]
fn a_week_before_the_last_starts_the_next() {
    let s = Season::new("zara", Policy::Seed).launch();
    let mut step = Step::begin(&s.view);
    finish(&mut step, 4).unwrap();
    assert_eq!(phases(&step), vec![(WorkflowState::Phase3Monitoring, 5)]);
    assert!(!emits(&step, "workflow_completed"));
}

#[test]
fn the_last_week_completes_the_season_with_its_report() {
    let s = Season::new("zara", Policy::Seed).launch();
    let horizon = s.view.horizon();
    let mut step = Step::begin(&s.view);
    finish(&mut step, horizon).unwrap();
    assert_eq!(kinds(&step), vec!["workflow_completed"]);
    let report = one(&step, |e| match e {
        Event::WorkflowCompleted { report } => Some(report.clone()),
        _ => None,
    });
    assert_eq!(report, crate::orchestrator::report(&s.view));
    assert_eq!(step.view.state, WorkflowState::Completed);
}

//! Phase 5's effects: the weeks left re-forecast (a planner's request between
//! weeks, or after a week or a markdown), the stores' season allocations with
//! them, and the week after begun.

use super::manual;
use crate::event::{Event, ReforecastReason};
use crate::orchestrator::steps::testing::effects::{
    emits_in_order, explained, one, phases, refusal,
};
use crate::orchestrator::steps::testing::{Season, on_plan};
use crate::state::WorkflowState;
use atelier_core::Policy;

#[test]
fn a_planners_reforecast_covers_the_weeks_left_and_says_why() {
    let mut s = Season::new("standard_retail", Policy::Seed).launch();
    s.through_week(3, on_plan);
    let step = s.step(|ctx, v| manual(ctx, v, "a competitor closed"));
    assert!(emits_in_order(
        &step,
        &[
            "phase_started",
            "handoff_sent",
            "agent_completed",
            "reforecast_applied",
            "phase_started"
        ]
    ));
    assert_eq!(
        phases(&step),
        vec![
            (WorkflowState::Phase5Reforecast, 3),
            (WorkflowState::Phase3Monitoring, 4)
        ]
    );
    let (after, reason, previous, remaining, allocations) = one(&step, |e| match e {
        Event::ReforecastApplied {
            after_week,
            reason,
            previous,
            remaining,
            season_allocations,
        } => Some((
            *after_week,
            *reason,
            previous.clone(),
            remaining.clone(),
            season_allocations.clone(),
        )),
        _ => None,
    });
    assert_eq!((after, reason), (3, ReforecastReason::Manual));
    assert_eq!(previous, s.view.forecast_weekly[3..].to_vec());
    assert_eq!(remaining.len(), 9, "weeks 4..=12");
    assert_eq!(allocations.len(), s.view.stock.len());
    // Each store keeps at least what it was already shipped.
    for (store, season) in s.view.stock.iter().zip(&allocations) {
        assert!(*season >= store.shipped_so_far);
    }
    let why = explained(&step, "manual_reforecast").unwrap();
    assert!(
        why.offline_text
            .contains("after week 3: a competitor closed")
    );
}

#[test]
fn a_reforecast_while_an_approval_waits_emits_nothing() {
    let mut s = Season::new("standard_retail", Policy::Seed);
    s.until(on_plan, |v| v.state == WorkflowState::WaitingMfgApproval);
    let e = refusal(s.try_step(|ctx, v| manual(ctx, v, "too early")));
    assert!(
        matches!(e, crate::orchestrator::EngineError::Transition(_)),
        "{e:?}"
    );
}

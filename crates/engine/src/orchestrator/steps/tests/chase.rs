//! The second buy's effects under `margin`: a season running far above its first
//! buy is proposed a reorder, always put to a planner; placed as approved (or at
//! the planner's size), declined at 0, and landed at the DC its lead time later;
//! without chase terms nothing is weighed.

use super::answered;
use crate::event::{ApprovalKind, ApprovalProposal, Event, Modification, Resolution};
use crate::orchestrator::steps::testing::Season;
use crate::orchestrator::steps::testing::effects::{emits, explained, one, requested};
use crate::state::WorkflowState;
use atelier_core::Policy;
use atelier_core::policy::chase::ReorderPlan;

fn hot(_: usize, _: usize) -> f64 {
    1.6
}

/// Zara under `margin` played hot until a reorder waits for approval.
fn awaiting_reorder() -> (Season, ReorderPlan) {
    let mut s = Season::new("zara", Policy::Margin).launch();
    s.until(hot, |v| v.state == WorkflowState::WaitingReorderApproval);
    let plan = s.view.reorder_proposal.unwrap();
    (s, plan)
}

fn reorder_units(units: u64) -> Resolution {
    Resolution::Modify {
        modifications: Modification {
            reorder_units: Some(units),
            ..Modification::default()
        },
    }
}

fn placed(step: &crate::orchestrator::step::Step) -> ReorderPlan {
    one(step, |e| match e {
        Event::ReorderPlaced { plan } => Some(*plan),
        _ => None,
    })
}

#[test]
fn a_hot_season_is_proposed_a_reorder_put_to_a_planner() {
    let mut s = Season::new("zara", Policy::Margin).launch();
    let step = s.until_step(hot, |st| {
        requested(st).is_some_and(|r| r.1 == ApprovalKind::Reorder)
    });
    let (id, _, data) = requested(&step).unwrap();
    assert_eq!(id, "reorder-1");
    let ApprovalProposal::Reorder { plan, .. } = data else {
        panic!("{data:?}");
    };
    assert!(plan.units > 0 && plan.arrival_week > plan.week);
    assert!(
        explained(&step, "reorder")
            .unwrap()
            .offline_text
            .contains("Awaiting approval")
    );
    assert!(
        !emits(&step, "reorder_placed"),
        "nothing is bought before the answer"
    );
}

#[test]
fn an_accepted_reorder_is_placed_as_proposed() {
    let (mut s, plan) = awaiting_reorder();
    s.answer(Resolution::Accept);
    let step = s.step(answered);
    let order = placed(&step);
    assert_eq!(order.units, plan.units);
    assert_eq!(order.arrival_week, plan.arrival_week);
    assert!(!emits(&step, "reorder_declined"));
}

#[test]
fn a_planners_size_is_placed_and_costed() {
    let (mut s, plan) = awaiting_reorder();
    s.answer(reorder_units(500));
    let step = s.step(answered);
    let order = placed(&step);
    assert_eq!(order.units, 500);
    assert!((order.cost - 500.0 * plan.unit_cost).abs() < 1e-6);
    assert!(
        explained(&step, "reorder")
            .unwrap()
            .offline_text
            .contains("at the planner's size")
    );
}

#[test]
fn a_reorder_of_zero_is_declined() {
    let (mut s, plan) = awaiting_reorder();
    s.answer(reorder_units(0));
    let step = s.step(answered);
    let week = one(&step, |e| match e {
        Event::ReorderDeclined { week } => Some(*week),
        _ => None,
    });
    assert_eq!(week, plan.week);
    assert!(!emits(&step, "reorder_placed"));
}

#[test]
fn a_placed_reorder_lands_at_the_dc_and_ships_to_stores() {
    let (mut s, plan) = awaiting_reorder();
    s.answer(Resolution::Accept);
    let step = s.step(answered);
    s.adopt(step);
    let landing = s.until_step(hot, |st| emits(st, "reorder_arrived"));
    let (week, units) = one(&landing, |e| match e {
        Event::ReorderArrived { week, units } => Some((*week, *units)),
        _ => None,
    });
    assert_eq!((week, units), (plan.arrival_week, plan.units));
    // Zara has no top-ups: what landed goes to stores at once.
    let shipped: u64 = one(&landing, |e| match e {
        Event::ReplenishmentShipped { week: w, units } if *w == week => Some(units.iter().sum()),
        _ => None,
    });
    assert!(shipped > 0 && shipped <= units + s.view.dc_stock);
}

#[test]
fn without_chase_terms_no_reorder_is_weighed() {
    let mut s = Season::new("zara", Policy::Margin);
    s.view.tunables.chase = atelier_core::params::Chase::None;
    let mut s = s.launch();
    s.play_out(hot);
    assert!(!s.log.iter().any(|e| matches!(
        e,
        Event::ApprovalRequested {
            kind: ApprovalKind::Reorder,
            ..
        } | Event::ReorderPlaced { .. }
    )));
}

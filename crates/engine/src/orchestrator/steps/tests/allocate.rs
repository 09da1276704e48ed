//! Phase 2's effects: the approved order allocated whole, the holdback kept at the
//! DC, a stranded holdback warned about, and monitoring begun at week 1.

use super::run;
use crate::agents::AgentName;
use crate::event::Event;
use crate::orchestrator::EngineError;
use crate::orchestrator::steps::testing::effects::{
    emits, emits_in_order, explained, one, phases, refusal,
};
use crate::orchestrator::steps::testing::{Season, on_plan};
use crate::state::WorkflowState;
use atelier_core::Policy;

/// A season at phase 2, its order approved.
fn approved(set: &str) -> Season {
    let mut s = Season::new(set, Policy::Seed);
    s.until(on_plan, |v| v.state == WorkflowState::Phase2Allocation);
    s
}

#[test]
fn the_approved_order_is_allocated_whole_and_the_holdback_kept() {
    let s = approved("standard_retail");
    let ordered = s.view.order.unwrap().manufacturing_qty;
    let step = s.step(run);
    assert!(emits_in_order(
        &step,
        &[
            "handoff_sent",
            "agent_completed",
            "allocation_made",
            "phase_started"
        ]
    ));
    let handoff = one(&step, |e| match e {
        Event::HandoffSent { handoff } => Some(handoff.clone()),
        _ => None,
    });
    assert_eq!(handoff.agent, AgentName::Inventory);
    assert!(
        handoff
            .instruction
            .contains(&format!("allocate {ordered} units"))
    );
    let allocation = one(&step, |e| match e {
        Event::AllocationMade { allocation, .. } => Some(allocation.clone()),
        _ => None,
    });
    assert_eq!(allocation.manufacturing_qty, ordered);
    assert_eq!(allocation.initial_shipped + allocation.dc_holdback, ordered);
    let held = allocation.dc_holdback as f64 / ordered as f64;
    assert!((held - 0.45).abs() < 0.01, "held {held}");
    assert_eq!(
        phases(&step),
        vec![(WorkflowState::Phase3Monitoring, 1)],
        "monitoring begins at week 1"
    );
    assert!(explained(&step, "phase_2_allocation").is_some());
    assert!(explained(&step, "holdback_stranded").is_none());
}

#[test]
fn a_holdback_that_can_never_leave_the_dc_is_warned_about() {
    let mut s = Season::new("zara", Policy::Seed);
    s.view.parameters.dc_holdback_percentage = 0.3;
    s.until(on_plan, |v| v.state == WorkflowState::Phase2Allocation);
    let step = s.step(run);
    let warning = explained(&step, "holdback_stranded").expect("a warning");
    assert!(
        warning.offline_text.contains("30%"),
        "{}",
        warning.offline_text
    );
    assert!(warning.offline_text.contains("replenishment 'none'"));
    // The warning does not stop the season.
    assert!(emits(&step, "allocation_made"));
    assert_eq!(step.view.state, WorkflowState::Phase3Monitoring);
}

#[test]
fn phase_2_without_an_approved_order_emits_nothing() {
    let mut s = approved("standard_retail");
    s.view.order = None;
    let e = refusal(s.try_step(run));
    assert!(matches!(&e, EngineError::Internal(m) if m.contains("without an approved order")));
}

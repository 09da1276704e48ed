//! Store-to-store transfers' effects under `margin`: with the DC empty, stock moves
//! from slow stores to those running out (store ids for people, the units adding
//! up); a batch above the approval size waits and a planner may cut it; the fixed
//! rules never transfer.

use super::answered;
use crate::event::{
    ApprovalKind, ApprovalProposal, Event, Modification, Resolution, TransferBatch,
};
use crate::orchestrator::step::Step;
use crate::orchestrator::steps::testing::Season;
use crate::orchestrator::steps::testing::effects::{emits, explained, one, phases, requested};
use crate::state::WorkflowState;
use atelier_core::Policy;

/// The first third of the network sells 1.8× its units, the rest 0.6×.
fn uneven(store: usize, stores: usize) -> f64 {
    if store < stores / 3 { 1.8 } else { 0.6 }
}

fn shipped(step: &Step) -> TransferBatch {
    one(step, |e| match e {
        Event::TransfersShipped { batch } => Some(batch.clone()),
        _ => None,
    })
}

/// Zara (nothing at the DC) under `margin`, with `approval_units` the largest
/// batch that ships without approval.
fn zara(approval_units: u64) -> Season {
    let mut s = Season::new("zara", Policy::Margin);
    s.view.tunables.transfer_approval_units = approval_units;
    s.launch()
}

fn cut(units: u64) -> Resolution {
    Resolution::Modify {
        modifications: Modification {
            transfer_units: Some(units),
            ..Modification::default()
        },
    }
}

#[test]
fn a_small_batch_ships_between_named_stores_at_once() {
    let mut s = zara(1_000_000);
    let step = s.until_step(uneven, |st| emits(st, "transfers_shipped"));
    let batch = shipped(&step);
    assert!(batch.units > 0);
    assert_eq!(
        batch.units,
        batch.transfers.iter().map(|t| t.figures.units).sum::<u64>()
    );
    let ids: Vec<&str> = s
        .view
        .allocation
        .as_ref()
        .unwrap()
        .stores
        .iter()
        .map(|a| a.store_id.as_str())
        .collect();
    for t in &batch.transfers {
        assert_ne!(t.from_store, t.to_store);
        assert!(ids.contains(&t.from_store.as_str()) && ids.contains(&t.to_store.as_str()));
    }
    assert!(phases(&step).contains(&(WorkflowState::Phase3Replenishment, batch.week)));
    assert!(requested(&step).is_none());
    let words = explained(&step, "transfers").unwrap().offline_text;
    assert!(
        words.contains(&format!("Moving {} units", batch.units)),
        "{words}"
    );
}

#[test]
fn a_batch_above_the_approval_size_waits_for_a_planner() {
    let mut s = zara(0);
    let step = s.until_step(uneven, |st| {
        requested(st).is_some_and(|r| r.1 == ApprovalKind::Transfer)
    });
    let (id, _, data) = requested(&step).unwrap();
    assert_eq!(id, "transfer-1");
    let ApprovalProposal::Transfers {
        batch,
        approval_units,
        ..
    } = data
    else {
        panic!("{data:?}");
    };
    assert_eq!(approval_units, 0);
    assert!(batch.units > 0);
    assert!(
        !emits(&step, "transfers_shipped"),
        "nothing moves before the answer"
    );
    assert_eq!(step.view.state, WorkflowState::WaitingTransferApproval);
}

#[test]
fn a_planners_cut_ships_the_most_urgent_moves_up_to_it() {
    let mut s = zara(0);
    s.until(uneven, |v| {
        v.state == WorkflowState::WaitingTransferApproval
    });
    let proposed = s.view.transfer_proposal.clone().unwrap();
    let limit = proposed.units / 2;
    s.answer(cut(limit));
    let step = s.step(answered);
    let batch = shipped(&step);
    assert!(
        batch.units <= limit && batch.units > 0,
        "{} of {limit}",
        batch.units
    );
    assert!(phases(&step).contains(&(WorkflowState::Phase3Monitoring, proposed.week + 1)));
}

#[test]
fn a_cut_to_nothing_ships_nothing_and_the_week_ends() {
    let mut s = zara(0);
    s.until(uneven, |v| {
        v.state == WorkflowState::WaitingTransferApproval
    });
    let week = s.view.transfer_proposal.as_ref().unwrap().week;
    s.answer(cut(0));
    let step = s.step(answered);
    assert!(!emits(&step, "transfers_shipped"));
    let words = explained(&step, "transfers").unwrap().offline_text;
    assert!(words.contains("to none"), "{words}");
    assert!(phases(&step).contains(&(WorkflowState::Phase3Monitoring, week + 1)));
}

#[test]
fn the_fixed_rules_never_transfer() {
    let mut s = Season::new("zara", Policy::Seed).launch();
    s.play_out(uneven);
    assert_eq!(s.view.state, WorkflowState::Completed);
    assert!(!s.log.iter().any(|e| e.kind() == "transfers_shipped"));
}

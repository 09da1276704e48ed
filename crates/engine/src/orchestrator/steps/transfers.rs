//! Store-to-store transfers under the `margin` policy: once the week's top-up has
//! run and the DC is empty, Inventory weighs moving stock from stores with more
//! than they can sell to stores about to run out. Small batches ship at once; a
//! batch above `transfer_approval_units` waits for a planner, who may accept it or
//! cut it to a size (0 ships none).

use crate::agents::ProposeTransfersCall;
use crate::event::{ApprovalKind, ApprovalProposal, Event, StoreTransfer, TransferBatch};
use crate::orchestrator::EngineError;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::{approvals, replenish, week_end};
use crate::reasoning::{Claim, Decision};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::policy::replenish::demand_shares;
use atelier_core::policy::rules::TransferRule;
use atelier_core::policy::transfers::{StoreCover, TransferPlan, TransferWeek, any_running_out};
use serde_json::json;

/// Ends week `week` after its decisions: the top-up when due, the transfers when
/// they pay, then the next week or the report, unless transfers wait for approval.
pub fn close_week(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<(), StepError> {
    super::chase::arrivals(ctx, step, week)?;
    replenish::if_due(ctx, step, week)?;
    if super::chase::if_due(ctx, step, week)? {
        return Ok(());
    }
    after_reorder(ctx, step, week)
}

/// The rest of week `week` once any reorder is settled: the transfers when they
/// pay, then the next week or the report, unless transfers wait for approval.
pub fn after_reorder(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<(), StepError> {
    if if_due(ctx, step, week)? {
        return Ok(());
    }
    week_end::finish(step, week)
}

/// Weighs the week's transfers; returns whether the step now waits for approval.
fn if_due(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<bool, StepError> {
    let view = &step.view;
    if view.rules().transfers != TransferRule::WhenTheyPay
        || week >= view.horizon()
        || view.dc_stock > 0
    {
        return Ok(false);
    }
    let stores = covers(view, week);
    if !any_running_out(&stores) {
        return Ok(false);
    }
    let conditions = TransferWeek {
        dc_available: view.dc_stock,
        weeks_left: view.horizon() - week,
        markdown_pct: markdown_in_force(view),
        approval_units: view.tunables.transfer_approval_units,
    };
    let call = ProposeTransfersCall {
        category: view.category.clone(),
        week,
        stores,
        conditions,
    };
    if step.view.state != WorkflowState::Phase3Replenishment {
        step.emit(Event::PhaseStarted {
            phase: WorkflowState::Phase3Replenishment,
            week,
        })?;
    }
    let instruction = format!(
        "The DC is empty after week {week}: weigh moving stock from stores with more than they can sell to stores about to run out."
    );
    let plan = ctx.hand_off(step, WorkflowState::Phase3Replenishment, instruction, call)?;
    if plan.transfers.is_empty() {
        return Ok(false);
    }
    let batch = batch(&step.view, week, &plan)?;
    let currency = step.view.tunables.currency.clone();
    if plan.needs_approval {
        let approval_units = conditions.approval_units;
        step.explain(asked(&batch, approval_units, &currency));
        approvals::request(
            step,
            ctx.now,
            ApprovalKind::Transfer,
            ApprovalProposal::Transfers {
                batch,
                approval_units,
                currency,
            },
        )?;
        return Ok(true);
    }
    step.explain(shipped(&batch, &currency));
    step.emit(Event::TransfersShipped { batch })?;
    Ok(false)
}

/// After a transfer approval was answered: the batch (cut to the planner's size)
/// ships and the week ends. After an expiry set to fail was resumed, it is asked
/// again.
pub fn answered(ctx: &StepContext<'_>, view: &WorkflowView) -> Result<Step, StepError> {
    let batch = view.transfer_proposal.clone().ok_or_else(|| {
        EngineError::Internal("transfers rest for shipping without a proposal".into())
    })?;
    let week = batch.week;
    let mut step = Step::begin(view);
    if !view.transfers_approved {
        approvals::request(
            &mut step,
            ctx.now,
            ApprovalKind::Transfer,
            ApprovalProposal::Transfers {
                batch,
                approval_units: view.tunables.transfer_approval_units,
                currency: view.tunables.currency.clone(),
            },
        )?;
        return Ok(step);
    }
    let cut = view.modification.as_ref().and_then(|m| m.transfer_units);
    let batch = match cut {
        Some(units) => batch.capped(units),
        None => batch,
    };
    let currency = view.tunables.currency.clone();
    if batch.units > 0 {
        step.explain(shipped(&batch, &currency));
        step.emit(Event::TransfersShipped { batch })?;
    } else {
        step.explain(Decision {
            point: "transfers".into(),
            summary: "no transfers".into(),
            facts: json!({"week": week, "transfer_units": 0}),
            offline_text: format!(
                "The planner cut week {week}'s transfers to none; stock stays where it is."
            ),
            claim: Claim::Informational,
        });
    }
    week_end::finish(&mut step, week)?;
    Ok(step)
}

/// Each store's stock and expected demand: its share (observed sell rate shrunk
/// toward the plan) of the re-forecast weeks left.
pub fn covers(view: &WorkflowView, week: u32) -> Vec<StoreCover> {
    let signals = replenish::signals(view);
    let shares = demand_shares(&signals, view.recent_sold.len() as u32);
    let left = view
        .forecast_weekly
        .get(week as usize..)
        .unwrap_or_default();
    let next = left.first().copied().unwrap_or(0) as f64;
    let remaining: f64 = left.iter().map(|u| *u as f64).sum();
    view.stock
        .iter()
        .zip(shares)
        .map(|(s, share)| StoreCover {
            on_hand: s.on_hand,
            expected_weekly: share * next,
            expected_remaining: share * remaining,
        })
        .collect()
}

/// The depth of the markdown applied, 0 before any.
fn markdown_in_force(view: &WorkflowView) -> f64 {
    view.markdown_in_force()
}

/// Inventory's plan with store ids for people.
fn batch(view: &WorkflowView, week: u32, plan: &TransferPlan) -> Result<TransferBatch, StepError> {
    let stores = view
        .allocation
        .as_ref()
        .map(|a| &a.stores)
        .ok_or_else(|| EngineError::Internal("transfers without an allocation".into()))?;
    let id = |i: usize| {
        stores
            .get(i)
            .map(|s| s.store_id.clone())
            .ok_or_else(|| EngineError::Internal(format!("a transfer names store {i}")))
    };
    let transfers = plan
        .transfers
        .iter()
        .map(|t| {
            Ok(StoreTransfer {
                from_store: id(t.from)?,
                to_store: id(t.to)?,
                figures: *t,
            })
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    Ok(TransferBatch {
        week,
        transfers,
        units: plan.units,
        cost: plan.cost,
        expected_gain: plan.expected_gain,
    })
}

/// The moves in words, most urgent first.
fn moves_in_words(batch: &TransferBatch) -> String {
    batch
        .transfers
        .iter()
        .map(|t| {
            format!(
                "{} units {} → {} ({:.1} weeks of cover)",
                t.figures.units, t.from_store, t.to_store, t.figures.receiver_weeks_of_cover
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn shipped(batch: &TransferBatch, currency: &str) -> Decision {
    explained(
        batch,
        format!("{} units transferred", batch.units),
        json!({"batch": batch}),
        format!("Moving {} units between stores", batch.units),
        "",
        currency,
    )
}

fn asked(batch: &TransferBatch, approval_units: u64, currency: &str) -> Decision {
    explained(
        batch,
        format!("{} units to transfer, awaiting approval", batch.units),
        json!({"batch": batch, "approval_units": approval_units}),
        format!(
            "Inventory proposes moving {} units between stores, more than the {approval_units} units that ship without approval",
            batch.units
        ),
        " Awaiting approval.",
        currency,
    )
}

/// A batch's explanation: what is done, each move, and its gain against its cost.
fn explained(
    batch: &TransferBatch,
    summary: String,
    facts: serde_json::Value,
    what: String,
    then: &str,
    currency: &str,
) -> Decision {
    Decision {
        point: "transfers".into(),
        summary,
        facts,
        offline_text: format!(
            "The DC is empty after week {}. {what}: {}. Expected to earn {:.0} {currency} of sales that would otherwise be salvaged, for {:.0} {currency} of transfer cost.{then}",
            batch.week,
            moves_in_words(batch),
            batch.expected_gain,
            batch.cost
        ),
        claim: Claim::Informational,
    }
}

#[cfg(test)]
#[path = "tests/transfers.rs"]
mod tests;

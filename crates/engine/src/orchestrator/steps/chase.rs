//! The second buy under the `margin` policy (`policy::chase`): after each week from
//! the first look to the last reorder week, Inventory weighs a reorder against the
//! demand read so far and everything held or awaited; a reorder is always put to a
//! planner (`reorder-N`: accept, modify with `{"reorder_units": N}`, 0 declines).
//! A placed reorder lands at the DC its lead time later and is shipped to stores by
//! observed demand, like a top-up.

use crate::agents::{ProposeReorderCall, ReplenishToDemandCall, Route};
use crate::event::{ApprovalKind, ApprovalProposal, Event};
use crate::orchestrator::EngineError;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::{approvals, reforecast, replenish, transfers};
use crate::reasoning::{Claim, Decision};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::demand::reforecast_remaining;
use atelier_core::policy::chase::{ChaseSituation, ReorderPlan};
use atelier_core::policy::replenish::ReplenishmentWindow;
use atelier_core::policy::rules::ReorderRule;
use serde_json::json;

/// Lands the reorders due at the end of `week` at the DC and, when no top-up runs
/// this week, ships them to stores by observed demand at once.
pub fn arrivals(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<(), StepError> {
    let due: u64 = step
        .view
        .reorders
        .iter()
        .filter(|r| r.arrival_week == week)
        .map(|r| r.units)
        .sum();
    if due == 0 {
        return Ok(());
    }
    enter_replenishment(step, week)?;
    step.emit(Event::ReorderArrived { week, units: due })?;
    let p = step.view.parameters.clone();
    let top_up_due = Route::InventoryReplenish.enabled(&p)
        && p.replenishment_strategy
            .replenishes_after(week, p.forecast_horizon_weeks);
    if top_up_due || week >= p.forecast_horizon_weeks {
        return Ok(());
    }
    let cover_demand: f64 = step
        .view
        .forecast_weekly
        .get(week as usize..)
        .unwrap_or_default()
        .iter()
        .map(|u| *u as f64)
        .sum();
    let call = ReplenishToDemandCall {
        week,
        signals: replenish::signals(&step.view),
        window: ReplenishmentWindow {
            recent_weeks: step.view.recent_sold.len() as u32,
            cover_demand,
            dc_available: step.view.dc_stock,
            last: true,
        },
    };
    let instruction = format!(
        "A reorder of {due} units landed after week {week}: ship the DC's {} units to stores by observed sell rates and the re-forecast of the weeks left.",
        step.view.dc_stock
    );
    let units = ctx.hand_off(step, WorkflowState::Phase3Replenishment, instruction, call)?;
    step.emit(Event::ReplenishmentShipped { week, units })?;
    Ok(())
}

/// Weighs a reorder after `week`; returns whether the step now waits for approval.
pub fn if_due(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<bool, StepError> {
    let Some(situation) = situation(&step.view, week) else {
        return Ok(false);
    };
    let call = ProposeReorderCall {
        category: step.view.category.clone(),
        situation,
    };
    enter_replenishment(step, week)?;
    let instruction = format!(
        "Weigh a second buy after week {week} against the demand read so far and the stock held or on order."
    );
    let Some(plan) = ctx.hand_off(step, WorkflowState::Phase3Replenishment, instruction, call)?
    else {
        return Ok(false);
    };
    let currency = step.view.tunables.currency.clone();
    step.explain(proposed(&plan, &currency));
    approvals::request(
        step,
        ctx.now,
        ApprovalKind::Reorder,
        ApprovalProposal::Reorder { plan, currency },
    )?;
    Ok(true)
}

/// After a reorder approval was answered: it is placed (at the planner's size) or
/// declined, and the week goes on. After an expiry set to fail was resumed, it is
/// asked again.
pub fn answered(ctx: &StepContext<'_>, view: &WorkflowView) -> Result<Step, StepError> {
    let plan = view.reorder_proposal.ok_or_else(|| {
        EngineError::Internal("a reorder rests for placing without a proposal".into())
    })?;
    let week = plan.week;
    let mut step = Step::begin(view);
    let currency = view.tunables.currency.clone();
    if !view.reorder_answered {
        approvals::request(
            &mut step,
            ctx.now,
            ApprovalKind::Reorder,
            ApprovalProposal::Reorder { plan, currency },
        )?;
        return Ok(step);
    }
    let units = view
        .modification
        .as_ref()
        .and_then(|m| m.reorder_units)
        .unwrap_or(plan.units);
    if units == 0 {
        step.explain(Decision {
            point: "reorder".into(),
            summary: "reorder declined".into(),
            facts: json!({"week": week, "reorder_units": 0}),
            offline_text: format!(
                "The planner declined the reorder proposed after week {week}; the season goes on with the stock it holds."
            ),
            claim: Claim::Informational,
        });
        step.emit(Event::ReorderDeclined { week })?;
    } else {
        let placed = ReorderPlan {
            units,
            cost: units as f64 * plan.unit_cost,
            ..plan
        };
        step.explain(placed_text(&placed, units != plan.units, &currency));
        step.emit(Event::ReorderPlaced { plan: placed })?;
    }
    transfers::after_reorder(ctx, &mut step, week)?;
    Ok(step)
}

/// What the reorder decision knows after `week`, or `None` when no reorder is
/// weighed: not `margin`, no chase, outside the reorder weeks, or one on order.
fn situation(view: &WorkflowView, week: u32) -> Option<ChaseSituation> {
    let terms = view.tunables.chase.terms()?;
    let horizon = view.horizon();
    if view.rules().reorder != ReorderRule::Chase
        || week < atelier_core::policy::chase::FIRST_LOOK_WEEKS
        || week > terms.last_order_week(horizon)
        || view.units_on_order() > 0
    {
        return None;
    }
    let (baseline, prior_sd) = reforecast::calibrated_baseline(view);
    let footing = reforecast::observed(view, &baseline);
    let lift = 1.0 + view.lift_pct;
    let remaining_demand = reforecast_remaining(&baseline, &footing)
        .into_iter()
        .map(|u| (u as f64 * lift).round() as u64)
        .collect();
    Some(ChaseSituation {
        week,
        horizon,
        remaining_demand,
        units_in_stores: view.stock.iter().map(|s| s.on_hand).sum(),
        units_at_dc: view.dc_stock,
        units_on_order: view.units_on_order(),
        prior_sd,
        weeks_seen: week,
    })
}

/// Moves to phase 3's replenishment unless the week is already there.
fn enter_replenishment(step: &mut Step, week: u32) -> Result<(), StepError> {
    if step.view.state != WorkflowState::Phase3Replenishment {
        step.emit(Event::PhaseStarted {
            phase: WorkflowState::Phase3Replenishment,
            week,
        })?;
    }
    Ok(())
}

fn money(x: f64, currency: &str) -> String {
    crate::reasoning::money(x, currency)
}

/// The proposal in words: units, cost, arrival and the margin it should add.
fn proposed(plan: &ReorderPlan, currency: &str) -> Decision {
    Decision {
        point: "reorder".into(),
        summary: format!("reorder {} units", plan.units),
        facts: json!({"plan": plan}),
        offline_text: format!(
            "After week {} demand for the weeks left reads about {:.0} units against {} held or on order. A reorder of {} units at {} a unit ({} in all) would land at the DC after week {} and is expected to add {} of margin. Awaiting approval.",
            plan.week,
            plan.expected_demand,
            plan.units_held,
            plan.units,
            money(plan.unit_cost, currency),
            money(plan.cost, currency),
            plan.arrival_week,
            money(plan.expected_gain, currency)
        ),
        claim: Claim::Informational,
    }
}

fn placed_text(plan: &ReorderPlan, cut: bool, currency: &str) -> Decision {
    Decision {
        point: "reorder".into(),
        summary: format!("reorder placed: {} units", plan.units),
        facts: json!({"plan": plan, "changed_by_planner": cut}),
        offline_text: format!(
            "Reorder of {} units placed after week {}{} for {}; it lands at the DC after week {}.",
            plan.units,
            plan.week,
            if cut { " at the planner's size" } else { "" },
            money(plan.cost, currency),
            plan.arrival_week
        ),
        claim: Claim::Informational,
    }
}

#[cfg(test)]
#[path = "tests/chase.rs"]
mod tests;

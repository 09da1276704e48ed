//! Phase 3's top-ups: Inventory tops stores up from the DC when the cadence says so.
//! It runs after the week's re-forecast and markdown decision, so the top-up follows
//! the plan in force.

use crate::agents::{ReplenishCall, ReplenishToDemandCall, Route};
use crate::event::Event;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::policy::replenish::{ReplenishmentWindow, StoreSignal};
use atelier_core::policy::rules::ReplenishRule;

/// Tops stores up after `week` when replenishment runs and is due.
pub fn if_due(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<(), StepError> {
    let p = step.view.parameters.clone();
    let horizon = p.forecast_horizon_weeks;
    if !(Route::InventoryReplenish.enabled(&p)
        && p.replenishment_strategy.replenishes_after(week, horizon))
    {
        return Ok(());
    }
    if step.view.state != WorkflowState::Phase3Replenishment {
        step.emit(Event::PhaseStarted {
            phase: WorkflowState::Phase3Replenishment,
            week,
        })?;
    }
    if step.view.rules().replenish == ReplenishRule::ToDemand {
        return to_demand(ctx, step, week);
    }
    let call = ReplenishCall {
        week,
        weeks_left: horizon - week,
        cover_weeks: p.replenishment_strategy.cover_weeks(),
        stores: step.view.stock.clone(),
        dc_available: step.view.dc_stock,
    };
    let instruction = format!(
        "Top stores up after week {week} from the DC's {} units.",
        step.view.dc_stock
    );
    let units = ctx.hand_off(step, WorkflowState::Phase3Replenishment, instruction, call)?;
    step.emit(Event::ReplenishmentShipped { week, units })?;
    Ok(())
}

/// The `margin` policy's top-up: the DC's stock shared by each store's observed sell
/// rate and the re-forecast demand until the next top-up, with a buffer per store.
fn to_demand(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<(), StepError> {
    let p = step.view.parameters.clone();
    let horizon = p.forecast_horizon_weeks;
    let strategy = p.replenishment_strategy;
    let next = (week + 1..horizon).find(|w| strategy.replenishes_after(*w, horizon));
    let cover_to = next.unwrap_or(horizon) as usize;
    let cover_demand: f64 = step
        .view
        .forecast_weekly
        .get(week as usize..cover_to)
        .unwrap_or_default()
        .iter()
        .map(|u| *u as f64)
        .sum();
    let call = ReplenishToDemandCall {
        week,
        signals: signals(&step.view),
        window: ReplenishmentWindow {
            recent_weeks: step.view.recent_sold.len() as u32,
            cover_demand,
            dc_available: step.view.dc_stock,
            last: next.is_none(),
        },
    };
    let instruction = format!(
        "Top stores up after week {week} from the DC's {} units, by observed sell rates and the re-forecast of weeks {}..={cover_to}.",
        step.view.dc_stock,
        week + 1
    );
    let units = ctx.hand_off(step, WorkflowState::Phase3Replenishment, instruction, call)?;
    step.emit(Event::ReplenishmentShipped { week, units })?;
    Ok(())
}

/// Each store's stock, planned share and recent sales.
pub fn signals(view: &WorkflowView) -> Vec<StoreSignal> {
    let shares: Vec<f64> = view
        .allocation
        .as_ref()
        .map(|a| a.stores.iter().map(|s| s.share).collect())
        .unwrap_or_default();
    view.stock
        .iter()
        .enumerate()
        .map(|(i, s)| StoreSignal {
            on_hand: s.on_hand,
            planned_share: shares.get(i).copied().unwrap_or(0.0),
            recent_sold: view
                .recent_sold
                .iter()
                .map(|w| w.get(i).copied().unwrap_or(0))
                .sum(),
            ran_out: view
                .recent_stockouts
                .iter()
                .any(|w| w.get(i).copied().unwrap_or(false)),
        })
        .collect()
}

#[cfg(test)]
#[path = "tests/replenish.rs"]
mod tests;

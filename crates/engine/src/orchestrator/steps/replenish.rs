//! Phase 3's top-ups: Inventory tops stores up from the DC when the cadence says so.
//! It runs after the week's re-forecast and markdown decision, so the top-up follows
//! the plan in force.

use crate::agents::{ReplenishCall, Route};
use crate::event::Event;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::state::WorkflowState;

/// Tops stores up after `week` when replenishment runs and is due.
pub fn if_due(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<(), StepError> {
    let p = step.parameters()?.clone();
    let horizon = p.forecast_horizon_weeks;
    if !(Route::InventoryReplenish.enabled(&p)
        && p.replenishment_strategy.replenishes_after(week, horizon))
    {
        return Ok(());
    }
    step.emit(Event::PhaseStarted {
        phase: WorkflowState::Phase3Replenishment,
        week,
    })?;
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

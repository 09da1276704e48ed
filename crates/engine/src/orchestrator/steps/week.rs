//! A season week: its actuals settled store by store, the variance measured, a
//! re-forecast when it drifts (and an emergency-reorder alert when the stock cannot
//! cover it), the markdown check at the checkpoint (and each later week while a
//! policy that weighs markdowns has found none worth taking), replenishment on cadence,
//! transfers while the DC is empty (`margin`), then the next week or the report.

use crate::agents::Route;
use crate::event::{ActualsMeaning, Event, ReforecastReason, WeekSales};
use crate::orchestrator::EngineError;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::{markdown, reforecast, transfers};
use crate::reasoning::{self, Decision};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::data::{StoreNetwork, WeekActuals};
use atelier_core::policy::rules::MarkdownRule;
use atelier_core::stock::{WeekBasis, reorder_shortfall, settle_week};
use atelier_core::variance::{VarianceCheck, VarianceDirection, check_week};
use serde_json::json;
use std::borrow::Cow;

/// Plays week `week` from its actuals (`content_hash` identifies the file's rows).
pub fn run(
    ctx: &StepContext<'_>,
    view: &WorkflowView,
    week: u32,
    actuals: &WeekActuals,
    content_hash: String,
) -> Result<Step, StepError> {
    let stores = &ctx.data()?.stores;
    check_actuals(view, week, actuals, stores)?;
    let units = actuals.units_by_store(stores);
    play(ctx, Cow::Borrowed(view), week, &units, content_hash)
}

/// Plays week `week` from each store's units in the week's file (network order):
/// the step both recorded and simulated seasons take.
/// A caller that owns the view (the simulator) moves it in: the step works on it
/// rather than on a copy.
pub fn play(
    ctx: &StepContext<'_>,
    view: Cow<'_, WorkflowView>,
    week: u32,
    file_units: &[u64],
    content_hash: String,
) -> Result<Step, StepError> {
    let stores = &ctx.data()?.stores;
    if stores.len() != view.stock.len() || file_units.len() != view.stock.len() {
        return Err(EngineError::StoreCountChanged {
            stores: stores.len(),
            allocated: view.stock.len(),
        }
        .into());
    }
    let basis = match view.actuals_meaning {
        ActualsMeaning::Demand => WeekBasis::Demand {
            lift_pct: view.world_lift(),
        },
        ActualsMeaning::Sales => WeekBasis::RecordedSales,
    };
    let on_hand: Vec<u64> = view.stock.iter().map(|s| s.on_hand).collect();
    let settled = settle_week(file_units, &on_hand, basis);
    let id = |i: &usize| stores.stores()[*i].store_id.clone();
    let mut step = Step::from_view(view.into_owned());
    step.emit(Event::WeekRecorded {
        sales: WeekSales {
            week,
            content_hash,
            stockout_stores: settled.stockout.iter().map(id).collect(),
            stock_adjusted_stores: settled.stock_adjusted.iter().map(id).collect(),
            demand: settled.demand,
            sold: settled.sold,
        },
    })?;
    let check = measure_variance(&mut step, week)?;
    if reforecast_due(&step, &check) {
        step.emit(Event::PhaseStarted {
            phase: WorkflowState::Phase5Reforecast,
            week,
        })?;
        reforecast::apply(ctx, &mut step, week, ReforecastReason::Variance)?;
        if check.emergency && check.direction == VarianceDirection::Over {
            alert_if_short(&mut step, week, &check)?;
        }
    }
    let p = &step.view.parameters;
    let checkpoint = Route::PricingMarkdown.enabled(p) && p.markdown_checkpoint_week == Some(week);
    if checkpoint || markdown_revisit_due(&step.view, week) {
        let waits = markdown::check(ctx, &mut step, week)?;
        if waits {
            return Ok(step);
        }
    }
    transfers::close_week(ctx, &mut step, week)?;
    Ok(step)
}

/// Whether Pricing looks again after week `week`: under a markdown weighed by
/// expected margin, a checkpoint that found no markdown worth taking is revisited
/// each later week before the last, until one is proposed (demand that falls after
/// the checkpoint is not left until the season ends). A markdown proposed stands:
/// taken, modified or declined by the planner, it is not re-opened, and the price
/// never goes back up.
fn markdown_revisit_due(view: &WorkflowView, week: u32) -> bool {
    let p = &view.parameters;
    view.rules().markdown == MarkdownRule::ExpectedMargin
        && Route::PricingMarkdown.enabled(p)
        && p.markdown_checkpoint_week.is_some_and(|c| week > c)
        && week < view.horizon()
        && view
            .markdown
            .as_ref()
            .is_some_and(|m| m.markdown_pct <= 0.0)
}

/// Refuses actuals dated outside the week, missing any of its seven days, or
/// missing any store on any day: a week is recorded once and never rewritten, so a
/// file that stops short (or holds one store of fifty) is refused rather than read
/// as a collapse in sales.
fn check_actuals(
    view: &WorkflowView,
    week: u32,
    actuals: &WeekActuals,
    stores: &StoreNetwork,
) -> Result<(), StepError> {
    Ok(check_week_actuals(&view.parameters, week, actuals, stores)?)
}

/// The checks a week's actuals pass before they are recorded (every day of the
/// week, every store on each, nothing outside it), for callers that check a
/// season's files before the workflow is created (`atelier run --actuals`).
pub fn check_week_actuals(
    p: &atelier_core::params::SeasonParameters,
    week: u32,
    actuals: &WeekActuals,
    stores: &StoreNetwork,
) -> Result<(), EngineError> {
    let from = p.week_start(week);
    let to = from + chrono::Duration::days(6);
    if let Some(bad) = actuals.rows.iter().find(|r| r.date < from || r.date > to) {
        return Err(EngineError::ActualsOutsideWeek {
            week,
            date: bad.date,
            from,
            to,
        });
    }
    let missing: Vec<chrono::NaiveDate> = from
        .iter_days()
        .take(7)
        .filter(|d| !actuals.rows.iter().any(|r| r.date == *d))
        .collect();
    if !missing.is_empty() {
        return Err(EngineError::IncompleteWeek { week, missing });
    }
    let days: Vec<chrono::NaiveDate> = from.iter_days().take(7).collect();
    let mut seen = vec![[false; 7]; stores.len()];
    for r in &actuals.rows {
        let day = (r.date - from).num_days() as usize;
        if let Some(p) = stores.position(&r.store_id) {
            seen[p][day] = true;
        }
    }
    let stores_missing: Vec<(String, Vec<chrono::NaiveDate>)> = stores
        .stores()
        .iter()
        .zip(&seen)
        .filter(|(_, days_seen)| days_seen.iter().any(|s| !s))
        .map(|(store, days_seen)| {
            let lacking = days
                .iter()
                .zip(days_seen)
                .filter(|(_, s)| !**s)
                .map(|(d, _)| *d)
                .collect();
            (store.store_id.clone(), lacking)
        })
        .collect();
    if !stores_missing.is_empty() {
        let missing_store_days = stores_missing.iter().map(|(_, d)| d.len()).sum();
        return Err(EngineError::IncompleteStores {
            week,
            stores_missing,
            missing_store_days,
        });
    }
    Ok(())
}

/// Measures the week's sales against the forecast in force and records it.
fn measure_variance(step: &mut Step, week: u32) -> Result<VarianceCheck, StepError> {
    let t = step.view.tunables.clone();
    let forecast = step
        .view
        .forecast_weekly
        .get(week as usize - 1)
        .copied()
        .unwrap_or(0);
    let check = check_week(
        week,
        forecast,
        step.view.weeks.last().map_or(0, |w| w.actual),
        t.variance_threshold_pct,
        t.emergency_variance_pct,
    );
    let reforecast = reforecast_due(step, &check);
    step.emit(Event::VarianceMeasured {
        check,
        reforecast_triggered: reforecast,
    })?;
    step.explain(reasoning::variance(
        &check,
        t.variance_threshold_pct,
        reforecast,
    ));
    Ok(check)
}

/// Whether the variance re-forecasts the remaining weeks: above the threshold with
/// weeks left (decided once, in the `variance_measured` event).
fn reforecast_due(step: &Step, check: &VarianceCheck) -> bool {
    check.threshold_exceeded && check.week < step.view.horizon()
}

/// Raises the emergency-reorder alert when the re-forecast remaining weeks need
/// more than the stores and the DC hold.
fn alert_if_short(step: &mut Step, week: u32, check: &VarianceCheck) -> Result<(), StepError> {
    let remaining = &step.view.forecast_weekly[week as usize..];
    let in_stores: u64 = step.view.stock.iter().map(|s| s.on_hand).sum();
    let Some(shortfall) = reorder_shortfall(remaining, in_stores, step.view.dc_stock) else {
        return Ok(());
    };
    let remaining: u64 = remaining.iter().sum();
    let available = in_stores + step.view.dc_stock;
    let threshold = step.view.tunables.emergency_variance_pct;
    step.emit(Event::EmergencyReorderAlert {
        week,
        variance_pct: check.variance_pct,
        shortfall_units: shortfall,
    })?;
    step.explain(Decision {
        point: "emergency_reorder".into(),
        summary: format!("short {shortfall} units"),
        facts: json!({"week": week, "remaining_forecast": remaining, "available": available}),
        offline_text: format!(
            "Week {week} variance above {:.0}% and the re-forecast of the remaining weeks ({remaining} units) exceeds the stock in stores and at the DC ({available}). Emergency reorder of about {shortfall} units advised.",
            threshold * 100.0
        ),
        claim: reasoning::Claim::Informational,
    });
    Ok(())
}

#[cfg(test)]
#[path = "tests/week.rs"]
mod tests;

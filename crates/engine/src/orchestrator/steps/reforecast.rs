//! Phase 5: Demand re-forecasts the weeks left, from the weeks observed on the
//! baseline's footing, and the stores' remaining allocations follow.

use crate::agents::ReforecastCall;
use crate::event::{Event, ReforecastReason};
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::reasoning::{self, Decision};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::inventory::reallocate_remaining;
use atelier_core::policy::lift;
use atelier_core::policy::rules::LiftRule;
use atelier_core::stock::{
    AppliedLift, CENSORED_STORE_SHARE, ObservedWeek, observed_on_baseline, reallocation_pool,
};
use serde_json::json;

/// Re-forecasts the weeks after `week` and re-allocates what the DC still holds.
pub fn apply(
    ctx: &StepContext<'_>,
    step: &mut Step,
    week: u32,
    reason: ReforecastReason,
) -> Result<(), StepError> {
    let forecast_weekly = step.view.forecast_weekly.clone();
    let baseline = step
        .view
        .forecast
        .as_ref()
        .map_or_else(|| forecast_weekly.clone(), |f| f.weekly.clone());
    let (actual_weekly, lift_pct) = match step.view.rules().lift {
        LiftRule::Assumed => (observed(&step.view, &baseline), step.view.lift_pct),
        LiftRule::Learnt => observed_with_learnt_lift(&step.view, &baseline),
    };
    let call = ReforecastCall {
        after_week: week,
        forecast_weekly: baseline.clone(),
        actual_weekly,
        lift_pct,
    };
    let instruction = format!(
        "Re-forecast weeks {}..={} from the {week} week(s) observed.",
        week + 1,
        baseline.len()
    );
    let remaining = ctx.hand_off(step, WorkflowState::Phase5Reforecast, instruction, call)?;
    let previous = forecast_weekly[week as usize..].to_vec();
    let shares: Vec<f64> = step
        .view
        .allocation
        .as_ref()
        .map(|a| a.stores.iter().map(|s| s.share).collect())
        .unwrap_or_default();
    let shipped: Vec<u64> = step.view.stock.iter().map(|s| s.shipped_so_far).collect();
    let pool = reallocation_pool(&remaining, step.view.dc_stock);
    let season_allocations = reallocate_remaining(&shares, &shipped, pool);
    let why = match reason {
        ReforecastReason::Variance => "variance above threshold",
        ReforecastReason::Markdown => "markdown lift",
        ReforecastReason::Manual => "requested by a planner",
    };
    let decision = reasoning::reforecast(week, &previous, &remaining, why);
    step.emit(Event::ReforecastApplied {
        after_week: week,
        reason,
        previous,
        remaining,
        season_allocations,
    })?;
    step.explain(decision);
    Ok(())
}

/// The weeks observed so far, on the baseline forecast's footing.
pub fn observed(view: &WorkflowView, baseline: &[u64]) -> Vec<u64> {
    let weeks: Vec<ObservedWeek> = view
        .weeks
        .iter()
        .map(|w| ObservedWeek {
            week: w.week,
            sold: w.actual,
            stockout_stores: w.stockout_stores,
        })
        .collect();
    let markdown = view
        .markdown
        .as_ref()
        .filter(|m| m.applied)
        .map(|m| AppliedLift {
            week: m.week,
            lift_pct: view.lift_pct,
        });
    observed_on_baseline(&weeks, baseline, view.stock.len(), markdown)
}

/// Under the `margin` policy: the lift a markdown really brought, learnt from the
/// weeks after it (shrunk toward the assumed lift while few are seen), takes the
/// assumed one's place, so a lift that did not come is not read as weak demand.
fn observed_with_learnt_lift(view: &WorkflowView, baseline: &[u64]) -> (Vec<u64>, f64) {
    let Some(m) = view.markdown.as_ref().filter(|m| m.applied) else {
        return (observed(view, baseline), view.lift_pct);
    };
    let stores = view.stock.len().max(1) as f64;
    let weeks: Vec<lift::ObservedWeek> = view
        .weeks
        .iter()
        .map(|w| lift::ObservedWeek {
            week: w.week,
            sold: w.actual,
            baseline: baseline.get(w.week as usize - 1).copied().unwrap_or(0),
            censored: w.stockout_stores as f64 / stores > CENSORED_STORE_SHARE,
        })
        .collect();
    let estimate = lift::estimate_lift(&weeks, m.week, view.lift_pct);
    (
        lift::observed_on_baseline(&weeks, Some(m.week), estimate.estimated_pct),
        estimate.estimated_pct,
    )
}

/// A planner's re-forecast of the remaining weeks, between weeks.
pub fn manual(ctx: &StepContext<'_>, view: &WorkflowView, reason: &str) -> Result<Step, StepError> {
    let week = view.weeks.len() as u32;
    let mut step = Step::begin(view);
    step.emit(Event::PhaseStarted {
        phase: WorkflowState::Phase5Reforecast,
        week,
    })?;
    step.explain(Decision {
        point: "manual_reforecast".into(),
        summary: "re-forecast requested".into(),
        facts: json!({"reason": reason, "after_week": week}),
        offline_text: format!("A planner asked for a re-forecast after week {week}: {reason}"),
        claim: reasoning::Claim::Reforecast(true),
    });
    apply(ctx, &mut step, week, ReforecastReason::Manual)?;
    step.emit(Event::PhaseStarted {
        phase: WorkflowState::Phase3Monitoring,
        week: week + 1,
    })?;
    Ok(step)
}

/// The plan centred where earlier seasons say demand lands (`margin`'s order
/// centre from `prior_seasons`, shrunk toward the forecast), so that the weeks seen
/// move the level from there rather than from a forecast known to run high; with
/// the log spread of the season's level before any week is seen.
pub fn calibrated_baseline(view: &WorkflowView) -> (Vec<u64>, f64) {
    let model = atelier_core::policy::order::ForecastErrorModel::from_parts(
        &[],
        &[],
        view.tunables.season_level_sd,
    )
    .calibrated(&view.tunables.prior_seasons);
    let centre = model.bias.exp();
    let plan = view
        .forecast
        .as_ref()
        .map_or(&view.forecast_weekly, |f| &f.weekly);
    (
        plan.iter()
            .map(|u| (*u as f64 * centre).round() as u64)
            .collect(),
        model.sd,
    )
}

#[cfg(test)]
#[path = "tests/reforecast.rs"]
mod tests;

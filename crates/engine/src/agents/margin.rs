//! The agents' work under the `margin` policy: the newsvendor order (Demand), the
//! markdown depth that earns the most (Pricing) and top-ups that follow demand
//! (Inventory). Each calls the core's `policy` functions; the `seed` rules stay in
//! the agents' own files.

use super::{AgentContext, AgentError, AgentResult};
use atelier_core::data::CategorySales;
use atelier_core::demand::{DemandForecast, ManufacturingOrder, TotalInterval};
use atelier_core::economics::Economics;
use atelier_core::plan::{PlanError, category_sales};
use atelier_core::policy::markdown::{MarkdownSituation, PriceResponse, margin_markdown};
use atelier_core::policy::order::{ForecastErrorModel, newsvendor_order_at};
use atelier_core::policy::transfers::{StoreCover, TransferWeek, propose_transfers};
use atelier_core::pricing::MarkdownProposal;

/// The newsvendor order for `forecast`: the critical-ratio quantile of season
/// demand under the category's honest error distribution, whose 80% interval
/// replaces the forecast's own (the models' in-sample spread is far too narrow).
pub fn order(
    ctx: &AgentContext<'_>,
    category: &str,
    sales: &CategorySales,
    mut forecast: DemandForecast,
    season_start: chrono::NaiveDate,
    horizon_weeks: u32,
) -> Result<AgentResult, AgentError> {
    let economics = Economics::for_category(ctx.tunables, sales)?;
    let weekly = sales
        .weekly()
        .ok_or_else(|| PlanError::NoCompleteWeek(category.to_string()))?;
    let errors = ForecastErrorModel::from_history(
        &weekly,
        season_start,
        horizon_weeks,
        ctx.tunables.season_level_sd,
    )
    .map_err(PlanError::from)?
    .calibrated(&ctx.tunables.prior_seasons);
    // With a chase possible the first buy commits at a lower ratio: what it does
    // not cover, the reorder can (`policy::chase`).
    let ratio = match ctx.tunables.chase.terms() {
        Some(terms) => atelier_core::policy::chase::first_buy_ratio(
            &economics,
            terms,
            atelier_core::policy::chase::chaseable_share(&forecast.weekly, terms),
        ),
        None => economics.critical_ratio(),
    };
    let nv = newsvendor_order_at(forecast.total_season_demand, ratio, &errors);
    forecast.interval = TotalInterval {
        level: 0.8,
        low: nv.interval_80.0,
        high: nv.interval_80.1,
    };
    let order = ManufacturingOrder {
        forecast_units: nv.forecast_units,
        safety_stock_pct: nv.safety_stock_pct,
        manufacturing_qty: nv.order_units,
    };
    Ok(AgentResult::Forecast { forecast, order })
}

/// The checkpoint depth that maximises the expected margin of the weeks left.
pub fn markdown(
    ctx: &AgentContext<'_>,
    category: &str,
    situation: &MarkdownSituation,
) -> Result<AgentResult, AgentError> {
    let sales = category_sales(&ctx.data.history, category)?;
    let economics = Economics::for_category(ctx.tunables, sales)?;
    let choice = margin_markdown(
        situation,
        &economics,
        &PriceResponse::from_tunables(ctx.tunables),
        ctx.tunables,
    );
    let proposal = MarkdownProposal {
        sell_through: choice.sell_through,
        target: choice.threshold,
        gap: choice.threshold - choice.sell_through,
        raw_markdown_pct: choice.markdown_pct,
        markdown_pct: choice.markdown_pct,
        expected_demand_lift_pct: choice.expected_demand_lift_pct,
    };
    Ok(AgentResult::MarkdownChoice {
        proposal,
        choice: Box::new(choice),
    })
}

/// The week's store-to-store transfers, at the category's economics.
pub fn transfers(
    ctx: &AgentContext<'_>,
    category: &str,
    stores: &[StoreCover],
    conditions: TransferWeek,
) -> Result<AgentResult, AgentError> {
    let sales = category_sales(&ctx.data.history, category)?;
    let economics = Economics::for_category(ctx.tunables, sales)?;
    Ok(AgentResult::Transfers {
        plan: propose_transfers(stores, conditions, &economics),
    })
}

/// The second buy after a week, when one pays (`policy::chase`); none when the
/// season's tunables allow no chase.
pub fn reorder(
    ctx: &AgentContext<'_>,
    category: &str,
    situation: &atelier_core::policy::chase::ChaseSituation,
) -> Result<AgentResult, AgentError> {
    let Some(terms) = ctx.tunables.chase.terms() else {
        return Ok(AgentResult::Reorder { plan: None });
    };
    let sales = category_sales(&ctx.data.history, category)?;
    let economics = Economics::for_category(ctx.tunables, sales)?;
    Ok(AgentResult::Reorder {
        plan: atelier_core::policy::chase::plan_reorder(situation, &economics, terms),
    })
}

//! The pre-season plan in one call: Demand's forecast and manufacturing order,
//! then Inventory's clusters and allocation. `atelier plan` prints it; the
//! orchestrator's phase 1 and 2 agents call the same pieces one at a time.

use crate::data::{CategorySales, SalesHistory, StoreNetwork};
use crate::demand::{
    DemandError, DemandForecast, MIN_HISTORY_WEEKS, ManufacturingOrder, check_forecastable,
    forecast_season, manufacturing_order,
};
use crate::inventory::{Allocation, StoreClusters, allocate, cluster_stores};
use crate::params::{SeasonConfig, SeasonParameters};
use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// Seed of the store clustering: fixed so that a plan is reproducible.
pub const CLUSTER_SEED: u64 = 42;

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The history has no rows for the category.
    #[error("category '{category}' is not in the sales history (it has: {available})")]
    UnknownCategory {
        /// The category asked for.
        category: String,
        /// The categories the history has, comma-separated.
        available: String,
    },
    /// The history has rows but not one complete week.
    #[error("category '{0}' has no complete Monday-to-Sunday week of history")]
    NoCompleteWeek(String),
    /// The forecast failed.
    #[error(transparent)]
    Demand(#[from] DemandError),
    /// A sales history that could not plan the seasons the one it would replace
    /// plans: categories missing, or too few complete weeks to forecast.
    #[error("{}", history_gaps_text(.missing_categories, .short_categories))]
    HistoryGaps {
        /// Categories the replaced history has and this one lacks.
        missing_categories: Vec<String>,
        /// Categories with fewer complete weeks than a forecast needs: (name,
        /// complete weeks, first date, last date).
        short_categories: Vec<ShortCategory>,
    },
}

/// A category whose history is too short to forecast a season from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShortCategory {
    /// The category.
    pub category: String,
    /// Its complete Monday-to-Sunday weeks.
    pub complete_weeks: usize,
    /// Its first day with a row.
    pub first_date: Option<NaiveDate>,
    /// Its last day with a row.
    pub last_date: Option<NaiveDate>,
}

fn history_gaps_text(missing: &[String], short: &[ShortCategory]) -> String {
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "the history lacks categories the current one has: {}",
            missing.join(", ")
        ));
    }
    for s in short {
        let span = match (s.first_date, s.last_date) {
            (Some(a), Some(b)) => format!(" ({a} to {b})"),
            _ => String::new(),
        };
        parts.push(format!(
            "category '{}' has {} complete weeks{span}; a season's forecast needs {MIN_HISTORY_WEEKS} (two years, Monday to Sunday)",
            s.category, s.complete_weeks
        ));
    }
    parts.join("; ")
}

/// Whether a sales history can plan the seasons another plans: it holds every
/// category of `required_categories`, and each of its categories has the two years
/// of complete weeks a forecast needs. Checked before an upload replaces the current
/// history, so that one short file cannot make every new season unplannable.
pub fn check_history_covers(
    history: &SalesHistory,
    required_categories: &[String],
) -> Result<(), PlanError> {
    let missing_categories: Vec<String> = required_categories
        .iter()
        .filter(|c| history.category(c).is_none())
        .cloned()
        .collect();
    let short_categories: Vec<ShortCategory> = history
        .categories
        .iter()
        .filter_map(|(name, sales)| {
            let complete_weeks = sales.weekly().map_or(0, |w| w.values.len());
            (complete_weeks < MIN_HISTORY_WEEKS).then(|| ShortCategory {
                category: name.clone(),
                complete_weeks,
                first_date: sales.daily_units.keys().next().copied(),
                last_date: sales.last_date(),
            })
        })
        .collect();
    if missing_categories.is_empty() && short_categories.is_empty() {
        return Ok(());
    }
    Err(PlanError::HistoryGaps {
        missing_categories,
        short_categories,
    })
}

/// The pre-season plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeasonPlan {
    /// The category planned.
    pub category: String,
    /// The seven parameters.
    pub parameters: SeasonParameters,
    /// Demand's forecast.
    pub forecast: DemandForecast,
    /// The manufacturing order.
    pub manufacturing: ManufacturingOrder,
    /// Inventory's split of the order.
    pub allocation: Allocation,
}

/// Looks a category up, with the available names in the error.
pub fn category_sales<'a>(
    history: &'a SalesHistory,
    category: &str,
) -> Result<&'a CategorySales, PlanError> {
    history
        .category(category)
        .ok_or_else(|| PlanError::UnknownCategory {
            category: category.to_string(),
            available: history.category_names().join(", "),
        })
}

/// Each store's units of the category over the last 52 weeks of history: recent
/// sales say more about a store's pull than three-year-old ones.
pub fn recent_store_units(sales: &CategorySales) -> Vec<u64> {
    match sales.last_date() {
        Some(last) => sales.store_units_between(last - Duration::days(363), last),
        None => vec![0; sales.store_daily_units.len()],
    }
}

/// Whether the season can be planned from the category's history, without the
/// cost of forecasting it: the check a workflow makes before it is created.
pub fn check_season(
    sales: &CategorySales,
    category: &str,
    parameters: &SeasonParameters,
) -> Result<(), PlanError> {
    let weekly = sales
        .weekly()
        .ok_or_else(|| PlanError::NoCompleteWeek(category.to_string()))?;
    check_forecastable(
        &weekly,
        parameters.season_start_date,
        parameters.forecast_horizon_weeks,
    )?;
    Ok(())
}

/// Demand's part: the forecast of the season and the order with safety stock.
///
/// It takes only what Demand's parameter slice and the tunables give it: the start,
/// the horizon and the safety stock (which the replenishment strategy chose).
pub fn forecast_and_order(
    sales: &CategorySales,
    category: &str,
    season_start: NaiveDate,
    horizon_weeks: u32,
    safety_stock_pct: f64,
) -> Result<(DemandForecast, ManufacturingOrder), PlanError> {
    let weekly = sales
        .weekly()
        .ok_or_else(|| PlanError::NoCompleteWeek(category.to_string()))?;
    let forecast = forecast_season(&weekly, season_start, horizon_weeks)?;
    let order = manufacturing_order(forecast.total_season_demand, safety_stock_pct);
    Ok((forecast, order))
}

/// Inventory's part: clusters and the allocation of an approved order.
pub fn cluster_and_allocate(
    sales: &CategorySales,
    stores: &StoreNetwork,
    manufacturing_qty: u64,
    dc_holdback_percentage: f64,
) -> (StoreClusters, Allocation) {
    let clusters = cluster_stores(stores, CLUSTER_SEED);
    let allocation = allocate(
        manufacturing_qty,
        dc_holdback_percentage,
        stores,
        &clusters,
        &recent_store_units(sales),
    );
    (clusters, allocation)
}

/// The whole pre-season plan.
pub fn plan_season(
    history: &SalesHistory,
    stores: &StoreNetwork,
    category: &str,
    config: &SeasonConfig,
) -> Result<SeasonPlan, PlanError> {
    let sales = category_sales(history, category)?;
    let p = &config.parameters;
    let (forecast, manufacturing) = forecast_and_order(
        sales,
        category,
        p.season_start_date,
        p.forecast_horizon_weeks,
        config.tunables.safety_stock_for(p.replenishment_strategy),
    )?;
    let (_, allocation) = cluster_and_allocate(
        sales,
        stores,
        manufacturing.manufacturing_qty,
        config.parameters.dc_holdback_percentage,
    );
    Ok(SeasonPlan {
        category: category.to_string(),
        parameters: config.parameters.clone(),
        forecast,
        manufacturing,
        allocation,
    })
}

//! The Demand agent's mathematics: the category's season forecast (an ensemble of
//! statistical models over its weekly history), the safety stock and the
//! manufacturing order, and the in-season re-forecast.

mod forecast;
mod models;

pub use forecast::{
    MAX_GAP_WEEKS, MIN_HISTORY_WEEKS, TotalBacktest, backtest_season_totals, check_forecastable,
    forecast_season, reforecast_remaining,
};

use serde::{Deserialize, Serialize};

/// Why a forecast could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DemandError {
    /// Not enough complete weeks of history for the models (they need two years).
    #[error("the category has {weeks} complete weeks of history; at least {needed} are needed")]
    HistoryTooShort {
        /// Complete weeks available.
        weeks: usize,
        /// Weeks the models need.
        needed: usize,
    },
    /// The season starts before the history ends: that is a backtest, not a forecast.
    #[error(
        "the season starts on {season_start}, before the history's last complete week ends ({history_end})"
    )]
    SeasonBeforeHistoryEnd {
        /// First day of the season.
        season_start: chrono::NaiveDate,
        /// Last day of the history's last complete week.
        history_end: chrono::NaiveDate,
    },
    /// The season starts so long after the history ends that it says little.
    #[error(
        "the season starts on {season_start}, {gap_weeks} weeks after the history ends; at most {max_weeks} weeks can be forecast through"
    )]
    SeasonTooFarAhead {
        /// First day of the season.
        season_start: chrono::NaiveDate,
        /// Whole weeks between the history's end and the season's start.
        gap_weeks: i64,
        /// The limit.
        max_weeks: i64,
    },
    /// The horizon is zero or longer than a year.
    #[error("horizon of {0} weeks is outside 1..=52")]
    BadHorizon(u32),
}

/// One model's view of the season.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberForecast {
    /// Model name, e.g. `holt_winters` or `seasonal_naive_drift`.
    pub model: String,
    /// Units per season week.
    pub weekly: Vec<f64>,
    /// Units over the season.
    pub total: f64,
}

/// A prediction interval for the season total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotalInterval {
    /// Nominal coverage, e.g. 0.8 for an 80% interval.
    pub level: f64,
    /// Lower bound, units.
    pub low: u64,
    /// Upper bound, units.
    pub high: u64,
}

/// The Demand agent's result: the ensemble's season curve (whole units that sum to
/// the total exactly), each member's forecast and an interval for the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandForecast {
    /// First day of season week 1.
    pub season_start: chrono::NaiveDate,
    /// Units per season week, weeks 1..=N.
    pub weekly: Vec<u64>,
    /// Sum of `weekly`.
    pub total_season_demand: u64,
    /// Each model's forecast.
    pub members: Vec<MemberForecast>,
    /// Interval for the season total.
    pub interval: TotalInterval,
}

/// The manufacturing order: forecast plus safety stock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManufacturingOrder {
    /// Forecast season demand, units.
    pub forecast_units: u64,
    /// Safety stock as a fraction (0.25 = 25%).
    pub safety_stock_pct: f64,
    /// round(forecast × (1 + safety stock)).
    pub manufacturing_qty: u64,
}

/// domain.md's rule: order = round(forecast × (1 + safety stock)).
pub fn manufacturing_order(forecast_units: u64, safety_stock_pct: f64) -> ManufacturingOrder {
    // A negative safety stock orders below the forecast (the `rule` policy tunes
    // it there when seasons land under the forecast); never below a tenth of it.
    let qty = (forecast_units as f64 * (1.0 + safety_stock_pct.max(-0.9))).round();
    ManufacturingOrder {
        forecast_units,
        safety_stock_pct,
        manufacturing_qty: qty as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{ReplenishmentStrategy, Tunables};

    #[test]
    fn zara_order_uses_25_pct_safety_stock() {
        let t = Tunables::default();
        let o = manufacturing_order(8_000, t.safety_stock_for(ReplenishmentStrategy::None));
        assert_eq!(o.safety_stock_pct, 0.25);
        assert_eq!(o.manufacturing_qty, 10_000);
    }

    #[test]
    fn standard_retail_order_uses_20_pct_safety_stock() {
        let t = Tunables::default();
        let o = manufacturing_order(8_000, t.safety_stock_for(ReplenishmentStrategy::Weekly));
        assert_eq!(o.safety_stock_pct, 0.20);
        assert_eq!(o.manufacturing_qty, 9_600);
    }
}

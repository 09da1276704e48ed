//! End-of-season measures (domain.md, "What good means"): forecast error, fill
//! rate, lost sales, leftovers, sell-through and markdown cost, plus the
//! suggestions they imply for next season's parameters.

use serde::{Deserialize, Serialize};

/// What happened in one week, as the report needs it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeekOutcome {
    /// The forecast in force for the week when it was played.
    pub forecast: u64,
    /// Units demanded.
    pub demand: u64,
    /// Units sold (demand met from stock).
    pub sold: u64,
}

/// Inputs the report needs besides the weeks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeasonTotals {
    /// Units manufactured.
    pub manufactured: u64,
    /// Units left in stores at the end.
    pub leftover_in_stores: u64,
    /// Units left at the DC at the end.
    pub leftover_at_dc: u64,
    /// Revenue given up through markdowns.
    pub markdown_cost: f64,
}

/// The season report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeasonReport {
    /// Mean absolute percentage error of the weekly forecasts against weekly demand,
    /// |demand − forecast| / demand (weeks without demand are left out), a fraction.
    /// Demand, not sales: a stockout is a stock problem, not a forecast error.
    pub mape: f64,
    /// (Σ forecast − Σ demand) / Σ demand: positive means the plan expected more.
    pub bias: f64,
    /// Units sold.
    pub units_sold: u64,
    /// Units demanded but not sold for want of stock.
    pub lost_sales: u64,
    /// Units left in stores and at the DC.
    pub leftover_units: u64,
    /// Of which in stores.
    pub leftover_in_stores: u64,
    /// Of which at the DC.
    pub leftover_at_dc: u64,
    /// Sold / demanded.
    pub fill_rate: f64,
    /// Sold / manufactured.
    pub sell_through: f64,
    /// Revenue given up through markdowns.
    pub markdown_cost: f64,
    /// Parameter suggestions for next season, in words.
    pub suggestions: Vec<String>,
    /// The currency of the money figures (ISO 4217); empty in reports written
    /// before seasons had economics.
    #[serde(default)]
    pub currency: String,
    /// Money taken at the tills: units × price × (1 − markdown in force).
    #[serde(default)]
    pub revenue: f64,
    /// Leftover units at their salvage value.
    #[serde(default)]
    pub leftover_value: f64,
    /// Units ordered × unit cost.
    #[serde(default)]
    pub cost_of_goods: f64,
    /// Store-to-store transfers' cost.
    #[serde(default)]
    pub transfer_cost: f64,
    /// revenue + leftover value − cost of goods − transfer costs.
    #[serde(default)]
    pub gross_margin: f64,
    /// The margin with an order equal to demand and no markdown (when the season
    /// was played from demand).
    #[serde(default)]
    pub perfect_foresight_margin: Option<f64>,
    /// gross margin ÷ perfect-foresight margin.
    #[serde(default)]
    pub margin_capture: Option<f64>,
    /// Units whose recorded sales exceeded the book stock: ordered + adjustments =
    /// sold + leftover in stores + leftover at the DC.
    #[serde(default)]
    pub stock_adjustments: u64,
    /// Units bought in season (reorders), included in the units manufactured.
    #[serde(default)]
    pub units_reordered: u64,
    /// What those reorders cost, premium included.
    #[serde(default)]
    pub reorder_cost: f64,
}

impl SeasonReport {
    /// Adds the season's money.
    pub fn with_money(mut self, money: crate::economics::SeasonMoney) -> SeasonReport {
        self.currency = money.currency;
        self.revenue = money.revenue;
        self.markdown_cost = money.markdown_cost;
        self.leftover_value = money.leftover_value;
        self.cost_of_goods = money.cost_of_goods;
        self.transfer_cost = money.transfer_cost;
        self.gross_margin = money.gross_margin;
        self.perfect_foresight_margin = money.perfect_foresight_margin;
        self.margin_capture = money.margin_capture;
        self
    }
}

/// Builds the report from the weeks played.
pub fn season_report(weeks: &[WeekOutcome], totals: SeasonTotals) -> SeasonReport {
    let errors: Vec<f64> = weeks
        .iter()
        .filter(|w| w.demand > 0)
        .map(|w| w.demand.abs_diff(w.forecast) as f64 / w.demand as f64)
        .collect();
    let mape = if errors.is_empty() {
        0.0
    } else {
        errors.iter().sum::<f64>() / errors.len() as f64
    };
    let forecast: u64 = weeks.iter().map(|w| w.forecast).sum();
    let sold: u64 = weeks.iter().map(|w| w.sold).sum();
    let demand: u64 = weeks.iter().map(|w| w.demand).sum();
    let bias = if demand > 0 {
        (forecast as f64 - demand as f64) / demand as f64
    } else {
        0.0
    };
    let fill_rate = if demand > 0 {
        sold as f64 / demand as f64
    } else {
        1.0
    };
    let sell_through = if totals.manufactured > 0 {
        sold as f64 / totals.manufactured as f64
    } else {
        0.0
    };
    let lost_sales = demand.saturating_sub(sold);
    let leftover_units = totals.leftover_in_stores + totals.leftover_at_dc;
    let mut suggestions = Vec::new();
    if fill_rate < 0.95 {
        suggestions.push(format!(
            "Fill rate was {:.1}% ({lost_sales} units lost): raise safety stock or hold more at the DC for replenishment.",
            fill_rate * 100.0
        ));
    }
    if totals.manufactured > 0 && leftover_units as f64 / totals.manufactured as f64 > 0.15 {
        suggestions.push(format!(
            "{leftover_units} units ({:.1}% of the order) were left over: lower safety stock or check markdowns earlier.",
            leftover_units as f64 / totals.manufactured as f64 * 100.0
        ));
    }
    if mape > 0.20 {
        suggestions.push(format!(
            "Weekly forecast error (MAPE {:.1}%) exceeded the 20% target: consider weekly replenishment to correct in season.",
            mape * 100.0
        ));
    }
    if suggestions.is_empty() {
        suggestions.push("The season ran within targets; keep these parameters.".into());
    }
    SeasonReport {
        mape,
        bias,
        units_sold: sold,
        lost_sales,
        leftover_units,
        leftover_in_stores: totals.leftover_in_stores,
        leftover_at_dc: totals.leftover_at_dc,
        fill_rate,
        sell_through,
        markdown_cost: totals.markdown_cost,
        suggestions,
        currency: String::new(),
        revenue: 0.0,
        leftover_value: 0.0,
        cost_of_goods: 0.0,
        transfer_cost: 0.0,
        gross_margin: 0.0,
        perfect_foresight_margin: None,
        margin_capture: None,
        stock_adjustments: 0,
        units_reordered: 0,
        reorder_cost: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_measures_add_up() {
        let weeks = [
            WeekOutcome {
                forecast: 100,
                demand: 120,
                sold: 110,
            },
            WeekOutcome {
                forecast: 100,
                demand: 80,
                sold: 80,
            },
            WeekOutcome {
                forecast: 0,
                demand: 0,
                sold: 0,
            },
        ];
        let r = season_report(
            &weeks,
            SeasonTotals {
                manufactured: 250,
                leftover_in_stores: 40,
                leftover_at_dc: 20,
                markdown_cost: 12.5,
            },
        );
        // |120 − 100| / 120 and |80 − 100| / 80, averaged.
        assert!((r.mape - (20.0 / 120.0 + 20.0 / 80.0) / 2.0).abs() < 1e-12);
        assert_eq!(r.units_sold, 190);
        assert_eq!(r.lost_sales, 10);
        assert_eq!(r.leftover_units, 60);
        assert!((r.fill_rate - 0.95).abs() < 1e-12);
        assert!((r.sell_through - 0.76).abs() < 1e-12);
        // Forecast 200 against demand 200: no bias, although 10 units were lost.
        assert!(r.bias.abs() < 1e-12);
        assert!(r.suggestions.iter().any(|s| s.contains("left over")));
    }

    #[test]
    fn empty_season_does_not_divide_by_zero() {
        let r = season_report(
            &[],
            SeasonTotals {
                manufactured: 0,
                leftover_in_stores: 0,
                leftover_at_dc: 0,
                markdown_cost: 0.0,
            },
        );
        assert_eq!(r.mape, 0.0);
        assert_eq!(r.fill_rate, 1.0);
        assert_eq!(r.sell_through, 0.0);
    }
}

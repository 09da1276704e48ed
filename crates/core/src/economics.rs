//! The season's money (domain.md, "Money, and two policies"): a category's price,
//! unit cost and salvage value, what a played season earned, and the units
//! reconciliation every report must pass.
//!
//! - revenue = Σ units sold × p × (1 − markdown in force when sold);
//! - markdown cost = Σ units sold under a markdown × p × m (money given away);
//! - leftover value = leftover units × s;
//! - gross margin = revenue + leftover value − units ordered × c − transfer costs;
//! - perfect-foresight margin = Σ demand × (p − c), when demand is known;
//! - margin capture = gross margin ÷ perfect-foresight margin.

use crate::data::CategorySales;
use crate::params::Tunables;
use crate::pricing::markdown_cost;
use serde::{Deserialize, Serialize};

/// Why the money of a season cannot be worked out, or does not add up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EconomicsError {
    /// No price was set and the history sold nothing to take one from.
    #[error(
        "no unit price: tunables.unit_price is not set and the history's revenue ({revenue}) over its units ({units}) gives none; set tunables.unit_price"
    )]
    NoPrice {
        /// The history's revenue.
        revenue: f64,
        /// The history's units.
        units: u64,
    },
    /// Units ordered and adjusted do not equal units sold and left over.
    #[error(
        "units do not reconcile: ordered {ordered} + stock adjustments {stock_adjustments} = {supplied}, but sold {sold} + leftover in stores {leftover_in_stores} + leftover at the DC {leftover_at_dc} = {accounted} ({} units {})",
        .supplied.abs_diff(*.accounted),
        if .supplied > .accounted { "missing" } else { "unexplained" }
    )]
    UnitsDoNotReconcile {
        /// Units manufactured.
        ordered: u64,
        /// Units the book gained from recorded sales above book stock.
        stock_adjustments: u64,
        /// ordered + stock adjustments.
        supplied: u128,
        /// Units sold.
        sold: u64,
        /// Units left in stores.
        leftover_in_stores: u64,
        /// Units left at the DC.
        leftover_at_dc: u64,
        /// sold + leftovers.
        accounted: u128,
    },
}

/// The money side of a category: what a unit sells for, costs and fetches when
/// left over, what moving one between stores costs, and the currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Economics {
    /// Full selling price p.
    pub unit_price: f64,
    /// Unit cost c = `unit_cost_ratio` × p.
    pub unit_cost: f64,
    /// Salvage value s of a leftover unit = `salvage_ratio` × c.
    pub salvage_value: f64,
    /// Money per unit moved from one store to another.
    pub transfer_cost_per_unit: f64,
    /// ISO 4217 code.
    pub currency: String,
}

impl Economics {
    /// The economics the tunables set, with the price taken from the history
    /// (`history_revenue` ÷ `history_units`) when `unit_price` is not set.
    pub fn new(
        tunables: &Tunables,
        history_revenue: f64,
        history_units: u64,
    ) -> Result<Economics, EconomicsError> {
        let history_price = if history_units > 0 {
            history_revenue / history_units as f64
        } else {
            0.0
        };
        let unit_price = tunables.unit_price.unwrap_or(history_price);
        if !(unit_price.is_finite() && unit_price > 0.0) {
            return Err(EconomicsError::NoPrice {
                revenue: history_revenue,
                units: history_units,
            });
        }
        let unit_cost = tunables.unit_cost_ratio * unit_price;
        Ok(Economics {
            unit_price,
            unit_cost,
            salvage_value: tunables.salvage_ratio * unit_cost,
            transfer_cost_per_unit: tunables.transfer_cost_per_unit,
            currency: tunables.currency.clone(),
        })
    }

    /// The economics of a category: its price from its own history unless set.
    pub fn for_category(
        tunables: &Tunables,
        sales: &CategorySales,
    ) -> Result<Economics, EconomicsError> {
        Economics::new(tunables, sales.revenue, sales.units)
    }

    /// The newsvendor's critical ratio (p − c) ÷ (p − s): the probability of selling
    /// the last unit ordered at which ordering it breaks even (≈ 0.65 at the
    /// defaults). 0 when the price does not exceed the salvage value.
    pub fn critical_ratio(&self) -> f64 {
        let spread = self.unit_price - self.salvage_value;
        if spread > 0.0 {
            ((self.unit_price - self.unit_cost) / spread).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// Price after a markdown of `markdown_pct`.
    pub fn price_at(&self, markdown_pct: f64) -> f64 {
        self.unit_price * (1.0 - markdown_pct)
    }
}

/// Units sold at one markdown depth (0 = full price), e.g. one week's sales.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SoldAt {
    /// Units sold.
    pub units: u64,
    /// Markdown in force when they sold, 0..1.
    pub markdown_pct: f64,
}

/// What a season did, in units, as the money needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeasonUnits {
    /// Units manufactured.
    pub ordered: u64,
    /// Units sold, by the markdown in force when they sold.
    pub sold: Vec<SoldAt>,
    /// Units left in stores and at the DC at the end.
    pub leftover: u64,
    /// Units moved from store to store.
    pub transferred: u64,
    /// Units demanded, when known (a played scenario); `None` for recorded sales.
    pub demand: Option<u64>,
    /// What reorders cost above the first buy's unit cost: Σ units × (c' − c).
    /// `ordered` counts their units, so cost of goods = ordered × c + this.
    #[serde(default)]
    pub reorder_premium: f64,
}

/// What a season earned, in the category's currency. Full precision; round for
/// people when showing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeasonMoney {
    /// ISO 4217 code of every amount here.
    pub currency: String,
    /// Σ units sold × p × (1 − markdown).
    pub revenue: f64,
    /// Σ units sold under a markdown × p × m: money given away.
    pub markdown_cost: f64,
    /// Leftover units × s.
    pub leftover_value: f64,
    /// Units ordered × c.
    pub cost_of_goods: f64,
    /// Units transferred × transfer cost per unit.
    pub transfer_cost: f64,
    /// revenue + leftover value − cost of goods − transfer cost.
    pub gross_margin: f64,
    /// Σ demand × (p − c): an order equal to demand, no markdown; `None` when
    /// demand is unknown.
    pub perfect_foresight_margin: Option<f64>,
    /// gross margin ÷ perfect-foresight margin; `None` when that is unknown or not
    /// positive.
    pub margin_capture: Option<f64>,
}

/// The money of a season from its units.
pub fn season_money(economics: &Economics, units: &SeasonUnits) -> SeasonMoney {
    let p = economics.unit_price;
    let revenue: f64 = units
        .sold
        .iter()
        .map(|s| s.units as f64 * economics.price_at(s.markdown_pct))
        .sum();
    let given_away: f64 = units
        .sold
        .iter()
        .map(|s| markdown_cost(s.units, p, s.markdown_pct))
        .sum();
    let leftover_value = units.leftover as f64 * economics.salvage_value;
    let cost_of_goods = units.ordered as f64 * economics.unit_cost + units.reorder_premium;
    let transfer_cost = units.transferred as f64 * economics.transfer_cost_per_unit;
    let gross_margin = revenue + leftover_value - cost_of_goods - transfer_cost;
    let perfect_foresight_margin = units.demand.map(|d| d as f64 * (p - economics.unit_cost));
    let margin_capture = perfect_foresight_margin
        .filter(|pf| *pf > 0.0)
        .map(|pf| gross_margin / pf);
    SeasonMoney {
        currency: economics.currency.clone(),
        revenue,
        markdown_cost: given_away,
        leftover_value,
        cost_of_goods,
        transfer_cost,
        gross_margin,
        perfect_foresight_margin,
        margin_capture,
    }
}

/// Where every unit of a season went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitsLedger {
    /// Units manufactured.
    pub ordered: u64,
    /// Units recorded as sold beyond the book's stock: the book was wrong, and the
    /// units it missed are added here rather than lost or invented.
    pub stock_adjustments: u64,
    /// Units sold.
    pub sold: u64,
    /// Units left in stores at the end.
    pub leftover_in_stores: u64,
    /// Units left at the DC at the end.
    pub leftover_at_dc: u64,
}

/// Checks ordered + stock adjustments = sold + leftover in stores + leftover at
/// the DC, exactly; the error names both sides and the imbalance.
pub fn reconcile_units(ledger: &UnitsLedger) -> Result<(), EconomicsError> {
    let supplied = u128::from(ledger.ordered) + u128::from(ledger.stock_adjustments);
    let accounted = u128::from(ledger.sold)
        + u128::from(ledger.leftover_in_stores)
        + u128::from(ledger.leftover_at_dc);
    if supplied == accounted {
        Ok(())
    } else {
        Err(EconomicsError::UnitsDoNotReconcile {
            ordered: ledger.ordered,
            stock_adjustments: ledger.stock_adjustments,
            supplied,
            sold: ledger.sold,
            leftover_in_stores: ledger.leftover_in_stores,
            leftover_at_dc: ledger.leftover_at_dc,
            accounted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    /// p = 50, c = 20, s = 4, a transfer 2.
    fn fifty() -> Economics {
        let t = Tunables {
            unit_price: Some(50.0),
            ..Tunables::default()
        };
        Economics::new(&t, 0.0, 0).expect("price set")
    }

    #[test]
    fn costs_follow_the_ratios() {
        let e = fifty();
        assert!(close(e.unit_cost, 20.0));
        assert!(close(e.salvage_value, 4.0));
        assert!(close(e.transfer_cost_per_unit, 2.0));
        assert_eq!(e.currency, "USD");
        // (50 − 20) / (50 − 4) = 30 / 46.
        assert!(close(e.critical_ratio(), 30.0 / 46.0));
        assert!(close(e.price_at(0.2), 40.0));
    }

    #[test]
    fn the_critical_ratio_stays_a_probability() {
        let flat = Economics {
            unit_price: 10.0,
            unit_cost: 10.0,
            salvage_value: 10.0,
            transfer_cost_per_unit: 0.0,
            currency: "USD".into(),
        };
        assert_eq!(flat.critical_ratio(), 0.0);
        let losing = Economics {
            unit_cost: 12.0,
            salvage_value: 2.0,
            ..flat.clone()
        };
        assert_eq!(losing.critical_ratio(), 0.0);
        let free = Economics {
            unit_cost: 0.0,
            salvage_value: 0.0,
            ..flat
        };
        assert_eq!(free.critical_ratio(), 1.0);
    }

    #[test]
    fn the_price_comes_from_the_history_when_not_set() {
        // Women's Dresses: about 55.03 a unit.
        let e = Economics::new(&Tunables::default(), 5_503.0, 100).expect("history price");
        assert!(close(e.unit_price, 55.03));
        assert!(close(e.unit_cost, 0.4 * 55.03));
        assert!(close(e.salvage_value, 0.2 * 0.4 * 55.03));
        assert!(close(e.critical_ratio(), 0.6 / 0.92));
        let stores = crate::sample::stores().expect("stores");
        let history = crate::sample::history(&stores).expect("history");
        let dresses = history.category("Women's Dresses").expect("category");
        let e = Economics::for_category(&Tunables::default(), dresses).expect("price");
        assert!((e.unit_price - 55.03).abs() < 0.005, "{}", e.unit_price);
        let err = Economics::new(&Tunables::default(), 0.0, 0).expect_err("no price");
        assert!(err.to_string().contains("set tunables.unit_price"), "{err}");
    }

    #[test]
    fn a_hand_worked_season() {
        // 100 sold at full price, 50 at 20% off; 200 ordered, 50 left over, 10
        // moved between stores, 180 demanded.
        let units = SeasonUnits {
            ordered: 200,
            sold: vec![
                SoldAt {
                    units: 100,
                    markdown_pct: 0.0,
                },
                SoldAt {
                    units: 50,
                    markdown_pct: 0.2,
                },
            ],
            leftover: 50,
            transferred: 10,
            reorder_premium: 0.0,
            demand: Some(180),
        };
        let m = season_money(&fifty(), &units);
        // 100 × 50 + 50 × 40.
        assert!(close(m.revenue, 7_000.0));
        // 50 × 50 × 0.2.
        assert!(close(m.markdown_cost, 500.0));
        // 50 × 4.
        assert!(close(m.leftover_value, 200.0));
        // 200 × 20.
        assert!(close(m.cost_of_goods, 4_000.0));
        assert!(close(m.transfer_cost, 20.0));
        // 7,000 + 200 − 4,000 − 20.
        assert!(close(m.gross_margin, 3_180.0));
        // 180 × (50 − 20).
        assert_eq!(m.perfect_foresight_margin, Some(5_400.0));
        assert!(close(m.margin_capture.expect("capture"), 3_180.0 / 5_400.0));
        assert_eq!(m.currency, "USD");
    }

    #[test]
    fn recorded_sales_have_no_perfect_foresight() {
        let units = SeasonUnits {
            ordered: 10,
            sold: vec![SoldAt {
                units: 10,
                markdown_pct: 0.0,
            }],
            leftover: 0,
            transferred: 0,
            demand: None,
            reorder_premium: 0.0,
        };
        let m = season_money(&fifty(), &units);
        assert_eq!(m.perfect_foresight_margin, None);
        assert_eq!(m.margin_capture, None);
        // 10 × 50 − 10 × 20.
        assert!(close(m.gross_margin, 300.0));
        assert!(close(m.markdown_cost, 0.0));
        let no_demand = SeasonUnits {
            reorder_premium: 0.0,
            demand: Some(0),
            ..units
        };
        let m = season_money(&fifty(), &no_demand);
        assert_eq!(m.perfect_foresight_margin, Some(0.0));
        assert_eq!(m.margin_capture, None);
    }

    #[test]
    fn units_reconcile_or_the_imbalance_is_named() {
        let ok = UnitsLedger {
            ordered: 1_000,
            stock_adjustments: 12,
            sold: 900,
            leftover_in_stores: 80,
            leftover_at_dc: 32,
        };
        assert_eq!(reconcile_units(&ok), Ok(()));
        let short = UnitsLedger { sold: 890, ..ok };
        let err = reconcile_units(&short).expect_err("10 units missing");
        let text = err.to_string();
        assert!(text.contains("= 1012"), "{text}");
        assert!(text.contains("= 1002"), "{text}");
        assert!(text.contains("(10 units missing)"), "{text}");
        let over = UnitsLedger {
            stock_adjustments: 0,
            ..ok
        };
        let text = reconcile_units(&over).expect_err("12 extra").to_string();
        assert!(text.contains("(12 units unexplained)"), "{text}");
    }
}

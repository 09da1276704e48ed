//! What a manufacturing order is expected to earn: the money a planner sees beside
//! the order before approving it (issue 18).
//!
//! Season demand D is lognormal, ln D ~ N(μ, σ²), the distribution the `margin`
//! policy orders from (`policy::order`: forecast × exp(bias ± z·sd)). An order of Q
//! units is expected to earn
//!
//! E[margin(Q)] = p · E[min(D, Q)] + s · E[(Q − D)⁺] − c · Q
//!
//! with p the full price, c the unit cost and s the salvage value of a leftover
//! unit (`economics::Economics`). This is the season's gross margin
//! (`economics::season_money`) before any markdown or transfer: revenue at full
//! price, leftover units at salvage, less the cost of the order. The expected sales
//! have a closed form for the lognormal,
//! E[min(D, Q)] = E[D] · Φ(d₂ − σ) + Q · (1 − Φ(d₂)), d₂ = (ln Q − μ) ÷ σ.
//!
//! When the season may chase (`policy::chase`, `margin` with chase terms) the first
//! buy is valued as `margin` decides it: a share θ of any shortfall is re-bought in
//! season at c' = c × (1 + premium) and sold at full price, so
//!
//! E[margin(Q)] = p · E[min(D, Q)] + s · E[(Q − D)⁺] − c · Q + θ · (p − c')⁺ · E[(D − Q)⁺]
//!
//! whose maximum is exactly the quantile at the first buy's critical ratio
//! (`policy::chase::first_buy_ratio`). Valuing the first buy without the chase
//! would put "the most margin" at the single-buy quantile, above the order the
//! policy proposes, and the dialog would argue against its own proposal.

use crate::economics::Economics;
use crate::params::ChaseTerms;
use crate::policy::chase::first_buy_ratio;
use crate::policy::order::normal_quantile;
use serde::{Deserialize, Serialize};

/// Season demand as a lognormal: ln D ~ N(`mu`, `sigma`²).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DemandDistribution {
    /// Mean of ln D (ln of the median demand).
    pub mu: f64,
    /// Standard deviation of ln D (0: demand is known to be exp(μ)).
    pub sigma: f64,
}

impl DemandDistribution {
    /// The lognormal whose central interval of coverage `level` (0.8 for 80%) is
    /// `low..high` units: the interval the `margin` policy records with its order
    /// is exactly such an interval (up to whole units). `None` when the interval
    /// cannot be one (a bound of 0, high below low, a level outside 0..1).
    pub fn from_interval(low: u64, high: u64, level: f64) -> Option<DemandDistribution> {
        if low == 0 || high < low || !(level > 0.0 && level < 1.0) {
            return None;
        }
        let z = normal_quantile(0.5 + level / 2.0);
        let (ln_low, ln_high) = ((low as f64).ln(), (high as f64).ln());
        Some(DemandDistribution {
            mu: (ln_low + ln_high) / 2.0,
            sigma: (ln_high - ln_low) / (2.0 * z),
        })
    }

    /// Demand known exactly: `units` with no spread.
    pub fn certain(units: u64) -> DemandDistribution {
        DemandDistribution {
            mu: (units.max(1) as f64).ln(),
            sigma: 0.0,
        }
    }

    /// E[D].
    pub fn mean(&self) -> f64 {
        (self.mu + self.sigma * self.sigma / 2.0).exp()
    }

    /// The median, exp(μ).
    pub fn median(&self) -> f64 {
        self.mu.exp()
    }

    /// The q-quantile of demand (0 < q < 1).
    pub fn quantile(&self, q: f64) -> f64 {
        (self.mu + normal_quantile(q) * self.sigma).exp()
    }

    /// P(D > q): the chance that an order of `q` units sells out.
    pub fn sell_out_probability(&self, q: f64) -> f64 {
        if q <= 0.0 {
            return 1.0;
        }
        if self.sigma <= 0.0 {
            return if self.median() > q { 1.0 } else { 0.0 };
        }
        1.0 - normal_cdf((q.ln() - self.mu) / self.sigma)
    }

    /// E[min(D, q)]: units expected to sell from an order of `q`.
    pub fn expected_sales(&self, q: f64) -> f64 {
        if q <= 0.0 {
            return 0.0;
        }
        if self.sigma <= 0.0 {
            return self.median().min(q);
        }
        let d2 = (q.ln() - self.mu) / self.sigma;
        self.mean() * normal_cdf(d2 - self.sigma) + q * (1.0 - normal_cdf(d2))
    }
}

/// What an order of a given size is expected to earn, and how.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderValue {
    /// Units ordered.
    pub order_units: u64,
    /// Units × unit cost.
    pub cost: f64,
    /// E[min(D, Q)], units.
    pub expected_sold_units: f64,
    /// E[(Q − D)⁺], units left at the end of the season.
    pub expected_leftover_units: f64,
    /// Expected sales × full price.
    pub expected_revenue: f64,
    /// Expected leftover × salvage value.
    pub expected_salvage: f64,
    /// expected revenue + expected salvage − cost.
    pub expected_margin: f64,
    /// P(D > Q): the chance of selling out before the season ends.
    pub sell_out_probability: f64,
    /// θ · E[(D − Q)⁺]: units a chase is expected to re-buy and sell (0 without a
    /// chase), so a planner sees the part of the margin the order leaves to it.
    #[serde(default)]
    pub expected_chased_units: f64,
    /// Expected chased units × (p − c'): their margin, inside `expected_margin`.
    #[serde(default)]
    pub expected_chase_margin: f64,
}

/// The in-season chase the first buy counts on: the share θ of a shortfall it can
/// reach and what a chased unit costs. The valuation needs it because the `margin`
/// policy orders less when a chase can make up the difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChaseOption {
    /// θ: the plan's share of season demand after the earliest reorder could land.
    pub chaseable_share: f64,
    /// c' = unit cost × (1 + premium).
    pub unit_cost: f64,
    /// The first buy's critical ratio with this chase (`first_buy_ratio`).
    pub first_buy_ratio: f64,
}

impl ChaseOption {
    /// The chase of `terms` over a plan of `planned_weekly` units, at `economics`:
    /// the same θ and ratio the `margin` order is taken at.
    pub fn new(planned_weekly: &[u64], terms: &ChaseTerms, economics: &Economics) -> ChaseOption {
        let theta = crate::policy::chase::chaseable_share(planned_weekly, terms);
        ChaseOption {
            chaseable_share: theta,
            unit_cost: economics.unit_cost * (1.0 + terms.premium_pct.max(0.0)),
            first_buy_ratio: first_buy_ratio(economics, terms, theta),
        }
    }

    /// (p − c')⁺: what a chased unit earns (a chase dearer than the price buys nothing).
    fn unit_margin(&self, economics: &Economics) -> f64 {
        (economics.unit_price - self.unit_cost).max(0.0)
    }
}

/// The expected money of ordering `order_units` against `demand`, one buy.
pub fn order_value(
    order_units: u64,
    demand: &DemandDistribution,
    economics: &Economics,
) -> OrderValue {
    order_value_with(order_units, demand, economics, None)
}

/// The expected money of a first buy of `order_units` against `demand`, with the
/// margin of the chase it leaves room for (`None`: one buy, nothing chased).
pub fn order_value_with(
    order_units: u64,
    demand: &DemandDistribution,
    economics: &Economics,
    chase: Option<&ChaseOption>,
) -> OrderValue {
    let q = order_units as f64;
    let sold = demand.expected_sales(q);
    let leftover = (q - sold).max(0.0);
    let cost = q * economics.unit_cost;
    let expected_revenue = sold * economics.unit_price;
    let expected_salvage = leftover * economics.salvage_value;
    let (chased, chase_margin) = match chase {
        Some(c) if q > 0.0 => {
            let short = (demand.mean() - sold).max(0.0);
            let units = c.chaseable_share.clamp(0.0, 1.0) * short;
            (units, units * c.unit_margin(economics))
        }
        _ => (0.0, 0.0),
    };
    OrderValue {
        order_units,
        cost,
        expected_sold_units: sold,
        expected_leftover_units: leftover,
        expected_revenue,
        expected_salvage,
        expected_margin: expected_revenue + expected_salvage - cost + chase_margin,
        sell_out_probability: demand.sell_out_probability(q),
        expected_chased_units: chased,
        expected_chase_margin: chase_margin,
    }
}

/// Why an order size is in the table of alternatives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlternativeKind {
    /// The order on the table.
    Proposed,
    /// The season forecast itself, no safety stock.
    Forecast,
    /// The quantile at the deciding ratio (the critical ratio, or the first buy's
    /// with a chase): the size with the highest expected margin.
    Best,
    /// The proposed order scaled up or down.
    Scaled,
}

/// One row of the alternatives table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderAlternative {
    /// Why it is listed.
    pub kind: AlternativeKind,
    /// Its expected money.
    #[serde(flatten)]
    pub value: OrderValue,
}

/// Sizes closer than this share of the proposal are the proposal (0.1%).
pub const SAME_SIZE: f64 = 0.001;

/// The proposed order beside a few others: the forecast, the size that earns the
/// most (the newsvendor quantile at (p − c) ÷ (p − s), or at the first buy's
/// ratio when `chase` is given), and the proposal 20% and 10% smaller and larger;
/// one row per size, smallest first (the proposal wins a tie of sizes, then the
/// best, then the forecast). Every row is valued as `order_value_with` values it,
/// so the best row earns the most of the table.
pub fn order_alternatives(
    proposed_units: u64,
    forecast_units: u64,
    demand: &DemandDistribution,
    economics: &Economics,
    chase: Option<&ChaseOption>,
) -> Vec<OrderAlternative> {
    let ratio = chase.map_or(economics.critical_ratio(), |c| c.first_buy_ratio);
    let best = demand.quantile(ratio.clamp(1e-6, 1.0 - 1e-6));
    let scaled = |f: f64| (proposed_units as f64 * f).round() as u64;
    // A proposal within rounding of the best (the interval is recorded in whole
    // units) is the best: no second row a unit away claims more margin.
    let best = best.round().max(0.0) as u64;
    let best = if best.abs_diff(proposed_units) as f64 <= SAME_SIZE * proposed_units as f64 {
        proposed_units
    } else {
        best
    };
    let mut sizes = vec![
        (AlternativeKind::Proposed, proposed_units),
        (AlternativeKind::Best, best),
        (AlternativeKind::Forecast, forecast_units),
    ];
    for f in [0.8, 0.9, 1.1, 1.2] {
        sizes.push((AlternativeKind::Scaled, scaled(f)));
    }
    let mut rows: Vec<OrderAlternative> = Vec::new();
    for (kind, units) in sizes {
        if units == 0 || rows.iter().any(|r| r.value.order_units == units) {
            continue;
        }
        rows.push(OrderAlternative {
            kind,
            value: order_value_with(units, demand, economics, chase),
        });
    }
    rows.sort_by_key(|r| r.value.order_units);
    rows
}

/// Φ(x), the standard normal distribution function (|error| < 1.5e-7, from the
/// complementary error function of Numerical Recipes, `erfcc`).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Women's Dresses at the defaults: p = 55, c = 0.4 p, s = 0.2 c.
    fn dresses() -> Economics {
        Economics {
            unit_price: 55.0,
            unit_cost: 22.0,
            salvage_value: 4.4,
            transfer_cost_per_unit: 0.0,
            currency: "USD".into(),
        }
    }

    fn check(x: f64, expect: f64, tolerance: f64) {
        assert!(
            (x - expect).abs() <= tolerance,
            "{x} is not {expect} ± {tolerance}"
        );
    }

    #[test]
    fn the_normal_distribution_function_matches_the_tables() {
        check(normal_cdf(0.0), 0.5, 1e-7);
        check(normal_cdf(1.0), 0.841_344_7, 2e-7);
        check(normal_cdf(-1.959_964), 0.025, 2e-7);
        check(normal_cdf(2.326_348), 0.99, 2e-7);
        check(normal_cdf(-6.0), 0.0, 1e-8);
    }

    #[test]
    fn an_interval_gives_back_the_lognormal_it_came_from() {
        let d = DemandDistribution {
            mu: 8000f64.ln(),
            sigma: 0.2,
        };
        let (low, high) = (
            d.quantile(0.1).floor() as u64,
            d.quantile(0.9).ceil() as u64,
        );
        let fitted = DemandDistribution::from_interval(low, high, 0.8).unwrap();
        check(fitted.mu, d.mu, 1e-3);
        check(fitted.sigma, d.sigma, 1e-3);
        assert_eq!(DemandDistribution::from_interval(0, 10, 0.8), None);
        assert_eq!(DemandDistribution::from_interval(10, 5, 0.8), None);
        assert_eq!(DemandDistribution::from_interval(5, 10, 1.0), None);
    }

    #[test]
    fn known_demand_sells_the_smaller_of_demand_and_order() {
        let d = DemandDistribution::certain(8_000);
        let e = dresses();
        // Q = demand: everything sells, nothing is left.
        let v = order_value(8_000, &d, &e);
        check(v.expected_sold_units, 8_000.0, 1e-6);
        check(v.expected_margin, 8_000.0 * (55.0 - 22.0), 1e-3);
        // Q = 10,000: 2,000 left at salvage.
        let v = order_value(10_000, &d, &e);
        check(v.expected_leftover_units, 2_000.0, 1e-6);
        check(
            v.expected_margin,
            8_000.0 * 55.0 + 2_000.0 * 4.4 - 10_000.0 * 22.0,
            1e-3,
        );
        check(v.sell_out_probability, 0.0, 0.0);
        assert_eq!(order_value(6_000, &d, &e).sell_out_probability, 1.0);
    }

    #[test]
    fn expected_sales_match_a_numerical_integral() {
        let d = DemandDistribution {
            mu: 8000f64.ln(),
            sigma: 0.25,
        };
        let q = 9_000.0;
        // ∫ min(x, q) f(x) dx over the normal of ln D, by the midpoint rule.
        let (n, lo, hi) = (200_000, -8.0, 8.0);
        let h = (hi - lo) / n as f64;
        let mut integral = 0.0;
        for i in 0..n {
            let z = lo + (i as f64 + 0.5) * h;
            let x = (d.mu + d.sigma * z).exp();
            integral += x.min(q) * (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * h;
        }
        check(d.expected_sales(q), integral, 0.05);
        check(d.mean(), 8000.0 * (0.25f64 * 0.25 / 2.0).exp(), 1e-6);
    }

    #[test]
    fn the_critical_ratio_quantile_earns_the_most() {
        let d = DemandDistribution {
            mu: 8000f64.ln(),
            sigma: 0.2,
        };
        let e = dresses();
        let rows = order_alternatives(9_600, 8_000, &d, &e, None);
        let best = rows
            .iter()
            .find(|r| r.kind == AlternativeKind::Best)
            .unwrap();
        for r in &rows {
            assert!(
                r.value.expected_margin <= best.value.expected_margin + 1e-6,
                "{r:?} beats the quantile {best:?}"
            );
        }
        // Smallest first, one row per size, the proposal and the forecast present.
        assert!(
            rows.windows(2)
                .all(|w| w[0].value.order_units < w[1].value.order_units)
        );
        assert!(
            rows.iter()
                .any(|r| r.kind == AlternativeKind::Proposed && r.value.order_units == 9_600)
        );
        assert!(
            rows.iter()
                .any(|r| r.kind == AlternativeKind::Forecast && r.value.order_units == 8_000)
        );
        // A unit either side of the best earns no more.
        let q = best.value.order_units;
        let m = best.value.expected_margin;
        assert!(order_value(q - 50, &d, &e).expected_margin <= m + 1e-6);
        assert!(order_value(q + 50, &d, &e).expected_margin <= m + 1e-6);
    }

    #[test]
    fn money_adds_up_to_the_margin() {
        let d = DemandDistribution {
            mu: 5000f64.ln(),
            sigma: 0.3,
        };
        let v = order_value(6_000, &d, &dresses());
        check(v.cost, 6_000.0 * 22.0, 1e-9);
        check(
            v.expected_sold_units + v.expected_leftover_units,
            6_000.0,
            1e-9,
        );
        check(
            v.expected_margin,
            v.expected_revenue + v.expected_salvage - v.cost,
            1e-9,
        );
        assert!(v.sell_out_probability > 0.0 && v.sell_out_probability < 0.5);
        assert_eq!(order_value(0, &d, &dresses()).expected_margin, 0.0);
    }

    #[test]
    fn with_a_chase_the_first_buy_quantile_earns_the_most_of_its_table() {
        // The `margin` order with the default chase: the quantile at the first
        // buy's ratio, below the single-buy quantile. The table must rank it first.
        let d = DemandDistribution {
            mu: 300_000f64.ln(),
            sigma: 0.15,
        };
        let e = dresses();
        let chase = ChaseOption::new(&[25_000; 12], &ChaseTerms::default(), &e);
        assert!(chase.first_buy_ratio < e.critical_ratio());
        let proposed = d.quantile(chase.first_buy_ratio).round() as u64;
        let rows = order_alternatives(proposed, 300_000, &d, &e, Some(&chase));
        let top = rows
            .iter()
            .max_by(|a, b| a.value.expected_margin.total_cmp(&b.value.expected_margin))
            .unwrap();
        assert_eq!(top.value.order_units, proposed, "{rows:#?}");
        assert!(rows.iter().all(|r| r.kind != AlternativeKind::Best));
        // Without the chase the same table would put the single-buy quantile on top.
        let one_buy = order_alternatives(proposed, 300_000, &d, &e, None);
        let top = one_buy
            .iter()
            .max_by(|a, b| a.value.expected_margin.total_cmp(&b.value.expected_margin))
            .unwrap();
        assert_eq!(top.kind, AlternativeKind::Best);
        assert!(top.value.order_units > proposed);
        // The chase's margin is inside the total and a unit either side earns no more.
        let v = order_value_with(proposed, &d, &e, Some(&chase));
        check(
            v.expected_margin,
            v.expected_revenue + v.expected_salvage - v.cost + v.expected_chase_margin,
            1e-6,
        );
        assert!(v.expected_chased_units > 0.0);
        for q in [proposed - 500, proposed + 500] {
            assert!(order_value_with(q, &d, &e, Some(&chase)).expected_margin <= v.expected_margin);
        }
    }
}

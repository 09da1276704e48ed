//! `margin`'s second buy (a chase): the first buy and an in-season reorder decided
//! together, as fashion buyers do with quick-response production (Fisher & Raman
//! 1996, "accurate response").
//!
//! **The first buy.** With a chase possible, the last unit of the first buy no longer
//! trades a lost sale against a salvaged unit. When demand runs above it, most of the
//! shortfall could have been chased at c' = c × (1 + premium): the unit saved only
//! c' − c. Only the share of demand the chase cannot reach (weeks before the earliest
//! reorder can land) is lost at p − c. So the first buy's critical ratio is
//!
//! CR₁ = [θ(c' − c) + (1 − θ)(p − c)] ÷ [θ(c' − c) + (1 − θ)(p − c) + (c − s)]
//!
//! with θ the plan's share of season demand after the earliest arrival (a reorder
//! placed after week [`FIRST_LOOK_WEEKS`], landing its lead time later). At the
//! defaults (p 55.03, c 22.01, premium 15%, 12 weeks, lead 3) θ = 7/12 and CR₁ ≈ 0.47
//! against 0.65 without a chase: the first buy commits less and the chase tops up.
//!
//! **The reorder.** After each week up to the last reorder week, the level of demand
//! read so far (the re-forecast of the weeks left) is compared with everything the
//! season holds or awaits: stock in stores, at the DC and on order. The remaining
//! demand D is lognormal around the re-forecast with a spread that narrows as weeks
//! are seen (the level's prior spread, shrunk by each week's evidence, plus the noise
//! of the weeks ahead). The reorder is the chase critical-ratio quantile of D minus
//! what is held, no more than the demand after it lands can take; it is proposed
//! when it reaches the supplier's minimum and its expected gain,
//! (p − s) · ΔE[min(D, stock)] − Q · (c' − s), is positive.

use crate::economics::Economics;
use crate::params::ChaseTerms;
use crate::policy::order::normal_quantile;
use serde::{Deserialize, Serialize};

/// Weeks of sales the earliest reorder waits for: one week says little about the
/// season's level, two say most of it.
pub const FIRST_LOOK_WEEKS: u32 = 2;
/// Week-to-week spread of the network's log level (weather, calendar): what one
/// observed week says about the season's level.
pub const WEEKLY_LEVEL_SD: f64 = 0.10;

/// The share of season demand after the earliest reorder could land (θ above):
/// the plan's weeks after `FIRST_LOOK_WEEKS + lead_weeks`.
pub fn chaseable_share(planned_weekly: &[u64], terms: &ChaseTerms) -> f64 {
    let total: u64 = planned_weekly.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let first = (FIRST_LOOK_WEEKS + terms.lead_weeks) as usize;
    let after: u64 = planned_weekly.iter().skip(first).sum();
    after as f64 / total as f64
}

/// The first buy's critical ratio when a chase is possible (CR₁ above), never above
/// the single-buy ratio.
pub fn first_buy_ratio(economics: &Economics, terms: &ChaseTerms, chaseable: f64) -> f64 {
    let theta = chaseable.clamp(0.0, 1.0);
    let c = economics.unit_cost;
    let premium = c * terms.premium_pct.max(0.0);
    let lost = economics.unit_price - c;
    let short = theta * premium.min(lost) + (1.0 - theta) * lost;
    let over = c - economics.salvage_value;
    let ratio = if short + over > 0.0 {
        short / (short + over)
    } else {
        0.0
    };
    ratio.min(economics.critical_ratio())
}

/// What the reorder decision knows after week `week`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaseSituation {
    /// The week just played.
    pub week: u32,
    /// The season's length.
    pub horizon: u32,
    /// Re-forecast demand of weeks week+1..=horizon (at the price in force).
    pub remaining_demand: Vec<u64>,
    /// Units on store shelves.
    pub units_in_stores: u64,
    /// Units at the DC that can still reach stores.
    pub units_at_dc: u64,
    /// Units ordered and not yet arrived.
    pub units_on_order: u64,
    /// The log spread of the season's level before any week was seen (the order's).
    pub prior_sd: f64,
    /// Weeks of sales the level rests on.
    pub weeks_seen: u32,
}

/// Inventory's reorder: how many, when they land, what they cost and earn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReorderPlan {
    /// The week after which it is placed.
    pub week: u32,
    /// Units to make.
    pub units: u64,
    /// The week at whose end it lands at the DC (it sells from the week after).
    pub arrival_week: u32,
    /// c' = unit cost × (1 + premium).
    pub unit_cost: f64,
    /// units × c'.
    pub cost: f64,
    /// Expected remaining demand (mean).
    pub expected_demand: f64,
    /// Units held or awaited before it.
    pub units_held: u64,
    /// The log spread of remaining demand used.
    pub demand_sd: f64,
    /// The chase's critical ratio (p − c') ÷ (p − s).
    pub critical_ratio: f64,
    /// Expected margin it adds: (p − s)·ΔE[units sold] − units·(c' − s).
    pub expected_gain: f64,
}

/// The log spread of remaining demand after `weeks_seen` weeks: the level's prior
/// spread shrunk by the weeks seen, plus the noise of the `weeks_left` ahead.
pub fn remaining_sd(prior_sd: f64, weeks_seen: u32, weeks_left: u32) -> f64 {
    let prior = prior_sd.max(1e-6).powi(2);
    let week_var = WEEKLY_LEVEL_SD * WEEKLY_LEVEL_SD;
    let level = 1.0 / (1.0 / prior + weeks_seen as f64 / week_var);
    let ahead = week_var / weeks_left.max(1) as f64;
    (level + ahead).sqrt()
}

/// E[min(D, x)] for D lognormal with mean `mean` and log spread `sd`.
pub fn expected_sales(mean: f64, sd: f64, x: f64) -> f64 {
    if mean <= 0.0 || x <= 0.0 {
        return 0.0;
    }
    if sd <= 1e-9 {
        return mean.min(x);
    }
    let mu = mean.ln() - sd * sd / 2.0;
    let d = (x.ln() - mu) / sd;
    mean * normal_cdf(d - sd) + x * (1.0 - normal_cdf(d))
}

/// Φ(x): the one in `order_value`, which values the manufacturing order on the
/// same lognormal.
pub use crate::order_value::normal_cdf;

/// The reorder after `situation.week`, if one pays.
pub fn plan_reorder(
    situation: &ChaseSituation,
    economics: &Economics,
    terms: &ChaseTerms,
) -> Option<ReorderPlan> {
    let week = situation.week;
    if week < FIRST_LOOK_WEEKS || week > terms.last_order_week(situation.horizon) {
        return None;
    }
    let arrival_week = week + terms.lead_weeks;
    let after: u64 = situation
        .remaining_demand
        .iter()
        .skip(terms.lead_weeks as usize)
        .sum();
    let mean: f64 = situation.remaining_demand.iter().map(|u| *u as f64).sum();
    if after == 0 || mean <= 0.0 {
        return None;
    }
    let weeks_left = situation.horizon.saturating_sub(week);
    let sd = remaining_sd(situation.prior_sd, situation.weeks_seen, weeks_left);
    let unit_cost = economics.unit_cost * (1.0 + terms.premium_pct.max(0.0));
    let (p, s) = (economics.unit_price, economics.salvage_value);
    if p <= unit_cost || p <= s {
        return None;
    }
    let critical_ratio = (p - unit_cost) / (p - s);
    let mu = mean.ln() - sd * sd / 2.0;
    let target = (mu + normal_quantile(critical_ratio) * sd).exp();
    let held = situation.units_in_stores + situation.units_at_dc + situation.units_on_order;
    let quantile_factor = (normal_quantile(critical_ratio) * sd).exp();
    // The last responsible moment: while the stock held covers the weeks until an
    // order placed next week would sell (at the reorder's own quantile), waiting a
    // week costs no sale and shows one more week of demand (a season that turns
    // after a good start is not chased).
    let until_next_arrival: u64 = situation
        .remaining_demand
        .iter()
        .take(terms.lead_weeks as usize + 1)
        .sum();
    if week < terms.last_order_week(situation.horizon)
        && until_next_arrival as f64 * quantile_factor <= held as f64
    {
        return None;
    }
    // What the reorder can sell: the demand after it lands, at its own quantile.
    let after_cap = after as f64 * quantile_factor;
    let units = (target - held as f64).min(after_cap).floor();
    if !(units.is_finite() && units >= terms.min_units.max(1) as f64) {
        return None;
    }
    let units = units as u64;
    let gain_sales =
        expected_sales(mean, sd, (held + units) as f64) - expected_sales(mean, sd, held as f64);
    let expected_gain = (p - s) * gain_sales - units as f64 * (unit_cost - s);
    (expected_gain > 0.0).then_some(ReorderPlan {
        week,
        units,
        arrival_week,
        unit_cost,
        cost: units as f64 * unit_cost,
        expected_demand: mean,
        units_held: held,
        demand_sd: sd,
        critical_ratio,
        expected_gain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Tunables;

    fn economics() -> Economics {
        let t = Tunables {
            unit_price: Some(50.0),
            ..Tunables::default()
        };
        Economics::new(&t, 0.0, 0).expect("price")
    }

    #[test]
    fn the_normal_cdf_matches_the_tables() {
        for (x, p) in [
            (0.0, 0.5),
            (1.0, 0.841_344_746),
            (-1.96, 0.024_997_895),
            (2.5, 0.993_790_335),
        ] {
            assert!((normal_cdf(x) - p).abs() < 2e-7, "{x}");
        }
        for q in [0.1, 0.35, 0.65, 0.9] {
            assert!((normal_cdf(normal_quantile(q)) - q).abs() < 2e-7);
        }
    }

    #[test]
    fn expected_sales_of_a_lognormal() {
        // No spread: min(mean, x).
        assert_eq!(expected_sales(100.0, 0.0, 80.0), 80.0);
        assert_eq!(expected_sales(100.0, 0.0, 120.0), 100.0);
        assert_eq!(expected_sales(0.0, 0.2, 120.0), 0.0);
        // Plenty of stock sells the mean; some spread costs sales at the mean.
        assert!((expected_sales(100.0, 0.2, 1e9) - 100.0).abs() < 1e-6);
        let at_mean = expected_sales(100.0, 0.2, 100.0);
        assert!(at_mean < 100.0 && at_mean > 90.0, "{at_mean}");
        // Numerical check at x = 100, sd 0.2 by integration over the normal.
        let mu = 100f64.ln() - 0.02;
        let n = 200_000;
        let mut sum = 0.0;
        for i in 0..n {
            let u = (i as f64 + 0.5) / n as f64;
            sum += (mu + 0.2 * normal_quantile(u)).exp().min(100.0);
        }
        assert!(
            (sum / n as f64 - at_mean).abs() < 0.01,
            "{}",
            sum / n as f64
        );
    }

    #[test]
    fn the_first_buy_when_a_leftover_loses_nothing() {
        // Salvage at cost: an extra unit costs nothing, so the first buy covers
        // every quantile the single buy would (ratio 1).
        let t = Tunables {
            unit_price: Some(50.0),
            salvage_ratio: 1.0,
            ..Tunables::default()
        };
        let e = Economics::new(&t, 0.0, 0).expect("price");
        assert_eq!(e.critical_ratio(), 1.0);
        let terms = ChaseTerms::default();
        assert_eq!(first_buy_ratio(&e, &terms, 0.5), 1.0);
        // Nothing at stake either way (a free chase reaches all demand): the
        // first buy commits nothing and the chase serves the season.
        let free = ChaseTerms {
            premium_pct: 0.0,
            ..terms
        };
        assert_eq!(first_buy_ratio(&e, &free, 1.0), 0.0);
    }

    #[test]
    fn the_first_buy_commits_less_with_a_chase() {
        let e = economics();
        let terms = ChaseTerms::default();
        let single = e.critical_ratio();
        // p 50, c 20, s 4, c' 23: θ 7/12 → short 3·7/12 + 30·5/12 = 14.25; over 16.
        let ratio = first_buy_ratio(&e, &terms, 7.0 / 12.0);
        assert!((ratio - 14.25 / 30.25).abs() < 1e-12, "{ratio}");
        assert!(ratio < single);
        // Nothing chaseable: the single buy's ratio.
        assert!((first_buy_ratio(&e, &terms, 0.0) - single).abs() < 1e-12);
        // Everything chaseable at no premium: buy nothing up front.
        let free = ChaseTerms {
            premium_pct: 0.0,
            ..terms
        };
        assert_eq!(first_buy_ratio(&e, &free, 1.0), 0.0);
        assert!((chaseable_share(&[10; 12], &terms) - 7.0 / 12.0).abs() < 1e-12);
        assert_eq!(chaseable_share(&[], &terms), 0.0);
    }

    fn situation(week: u32, held: u64) -> ChaseSituation {
        ChaseSituation {
            week,
            horizon: 12,
            remaining_demand: vec![1_000; (12 - week) as usize],
            units_in_stores: held,
            units_at_dc: 0,
            units_on_order: 0,
            prior_sd: 0.15,
            weeks_seen: week,
        }
    }

    #[test]
    fn a_short_season_reorders_to_its_quantile() {
        let e = economics();
        let terms = ChaseTerms::default();
        let plan = plan_reorder(&situation(3, 3_500), &e, &terms).expect("a reorder");
        assert_eq!(plan.arrival_week, 6);
        assert!((plan.unit_cost - 23.0).abs() < 1e-12);
        assert!((plan.critical_ratio - 27.0 / 46.0).abs() < 1e-12);
        let sd = remaining_sd(0.15, 3, 9);
        let target = ((9_000f64).ln() - sd * sd / 2.0 + normal_quantile(27.0 / 46.0) * sd).exp();
        assert_eq!(plan.units, (target - 3_500.0).floor() as u64);
        assert!(plan.expected_gain > 0.0);
        assert!((plan.cost - plan.units as f64 * 23.0).abs() < 1e-6);
        // Stock on order counts: nothing more is asked.
        let mut covered = situation(3, 5_000);
        covered.units_on_order = 5_000;
        assert!(plan_reorder(&covered, &e, &terms).is_none());
    }

    #[test]
    fn no_reorder_outside_its_weeks_or_below_the_minimum() {
        let e = economics();
        let terms = ChaseTerms::default();
        assert!(plan_reorder(&situation(1, 0), &e, &terms).is_none());
        // The first look is after week 2.
        assert_eq!(FIRST_LOOK_WEEKS, 2);
        assert!(plan_reorder(&situation(2, 0), &e, &terms).is_some());
        // Last order week for 12 weeks with lead 3: 12 − 5 = 7.
        assert_eq!(terms.last_order_week(12), 7);
        assert!(plan_reorder(&situation(7, 0), &e, &terms).is_some());
        assert!(plan_reorder(&situation(8, 0), &e, &terms).is_none());
        let early = ChaseTerms {
            last_week: Some(4),
            ..terms
        };
        assert!(plan_reorder(&situation(5, 0), &e, &early).is_none());
        // Short by less than the supplier's minimum: no reorder.
        assert!(plan_reorder(&situation(3, 8_800), &e, &terms).is_none());
        // What cannot sell after arrival caps the reorder.
        let plan = plan_reorder(&situation(7, 0), &e, &terms).expect("late reorder");
        assert!(plan.units <= 2_200, "{}", plan.units);
    }

    #[test]
    fn a_reorder_waits_while_the_stock_covers_until_a_later_one_would_land() {
        let e = economics();
        let terms = ChaseTerms::default();
        // Week 3, lead 3: an order placed at week 4 sells from week 8, so the stock
        // must cover weeks 4..=7: 4,000 units at the mean, ×e^(z·σ) at the
        // reorder's quantile.
        let sd = remaining_sd(0.15, 3, 9);
        let cover = 4_000.0 * (normal_quantile(27.0 / 46.0) * sd).exp();
        let enough = cover.ceil() as u64;
        assert!(plan_reorder(&situation(3, enough), &e, &terms).is_none());
        assert!(plan_reorder(&situation(3, enough - 2), &e, &terms).is_some());
        // At the last week an order may be placed there is no waiting.
        let last = ChaseTerms {
            last_week: Some(3),
            ..terms
        };
        let plan = plan_reorder(&situation(3, enough), &e, &last).expect("no later week");
        assert!(plan.units >= 500);
    }

    #[test]
    fn a_late_reorder_is_sized_capped_and_valued_exactly() {
        let e = economics();
        let terms = ChaseTerms::default();
        // Week 7, the last reorder week (no waiting): 5 weeks of 1,000 left, held
        // in stores, at the DC and on order.
        let mut late = situation(7, 1_000);
        late.units_at_dc = 700;
        late.units_on_order = 300;
        let plan = plan_reorder(&late, &e, &terms).expect("a reorder");
        assert_eq!(plan.units_held, 2_000);
        let sd = remaining_sd(0.15, 7, 5);
        let cr = 27.0 / 46.0;
        let target = ((5_000f64).ln() - sd * sd / 2.0 + normal_quantile(cr) * sd).exp();
        // What lands after week 10 can sell only weeks 11 and 12: 2,000 at the
        // reorder's quantile.
        let cap = 2_000.0 * (normal_quantile(cr) * sd).exp();
        assert!(cap < target - 2_000.0);
        assert_eq!(plan.units, cap.floor() as u64);
        let gain = (50.0 - 4.0)
            * (expected_sales(5_000.0, sd, (2_000 + plan.units) as f64)
                - expected_sales(5_000.0, sd, 2_000.0))
            - plan.units as f64 * (23.0 - 4.0);
        assert!(
            (plan.expected_gain - gain).abs() < 1e-6,
            "{} vs {gain}",
            plan.expected_gain
        );
        assert!((plan.demand_sd - sd).abs() < 1e-12);
        // Short by less than the supplier's minimum at the last week: none.
        let nearly = situation(7, 4_800);
        assert!(plan_reorder(&nearly, &e, &terms).is_none());
        // Dearer than the price: never.
        let dear = ChaseTerms {
            premium_pct: 2.0,
            ..terms
        };
        assert!(plan_reorder(&situation(7, 0), &e, &dear).is_none());
    }

    #[test]
    fn the_spread_narrows_as_weeks_are_seen() {
        let a = remaining_sd(0.15, 0, 10);
        let b = remaining_sd(0.15, 4, 8);
        assert!((a - (0.0225f64 + 0.001).sqrt()).abs() < 1e-12);
        assert!(b < a);
    }
}

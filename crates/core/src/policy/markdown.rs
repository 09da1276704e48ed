//! `margin`'s markdown: at the checkpoint, the depth on the rounding grid (0 included,
//! at most the cap) that maximises the expected margin of the remaining weeks.
//!
//! For a depth m the model expects:
//! - demand of the remaining weeks = the re-forecast base demand × (1 + lift(m));
//! - units sold = min(that demand, units available): stock in stores, plus the DC's
//!   when replenishment can still move it;
//! - margin = units sold × p × (1 − m) + every unit left (stores and DC) × s.
//!   Units already made cost c whatever the depth, so c is left out: it is sunk.
//!
//! The price response has diminishing returns:
//! lift(m) = L · (1 − e^(−e·m / L)), with e = `markdown_demand_lift_per_pct` (1.5:
//! +1.5% demand per point off at small depths, the seed's assumption) and L =
//! `markdown_lift_saturation_pct` (1.0: no markdown more than doubles demand). At the
//! defaults, 10% off lifts demand 13.9% (linear: 15%), 20% off 25.9% (30%) and 40%
//! off 45.1% (60%). Revenue per unit of base demand, (1 − m)(1 + lift(m)), then peaks
//! near 10% (1.025) and is 0.87 at 40%: a cut deeper than that only pays when it sells
//! stock that would otherwise be salvaged, and a deep one rarely does.

use crate::economics::Economics;
use crate::params::Tunables;
use serde::{Deserialize, Serialize};

/// How demand answers a markdown.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceResponse {
    /// Lift per unit of markdown at small depths (1.5 = +1.5% per 1% off).
    pub slope: f64,
    /// The largest lift any depth brings (1.0 = +100%).
    pub saturation: f64,
}

impl PriceResponse {
    /// The response the tunables describe.
    pub fn from_tunables(tunables: &Tunables) -> PriceResponse {
        PriceResponse {
            slope: tunables.markdown_demand_lift_per_pct,
            saturation: tunables.markdown_lift_saturation_pct,
        }
    }

    /// lift(m) = L · (1 − e^(−slope·m / L)); 0 for no markdown or no response.
    pub fn lift_at(&self, markdown_pct: f64) -> f64 {
        if self.saturation <= 0.0 || markdown_pct <= 0.0 {
            return 0.0;
        }
        self.saturation * (1.0 - (-self.slope * markdown_pct / self.saturation).exp())
    }
}

/// What the markdown decision knows at the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkdownSituation {
    /// The checkpoint week k.
    pub week: u32,
    /// Re-forecast base demand (no markdown) of weeks k+1..=N.
    pub remaining_demand: Vec<u64>,
    /// Units on store shelves.
    pub units_in_stores: u64,
    /// Units at the DC.
    pub units_at_dc: u64,
    /// Whether DC stock can still reach stores (false under replenishment `none`).
    pub dc_reachable: bool,
    /// Units sold in weeks 1..=k.
    pub units_sold_to_date: u64,
    /// Units manufactured.
    pub order_units: u64,
    /// The plan's forecast of weeks 1..=k.
    pub planned_to_date: u64,
    /// The planner's target sell-through at the checkpoint.
    pub threshold: f64,
    /// The log spread of the remaining demand (0: the re-forecast taken as
    /// certain). With a spread, units sold at a depth are E[min(D, stock)] rather
    /// than min(E[D], stock): a season expected to sell through still leaves some
    /// stock in its unlucky draws, and a cut is weighed against that, not against
    /// the average.
    #[serde(default)]
    pub demand_sd: f64,
    /// Each store's stock and share of the remaining demand, when the DC cannot
    /// move stock between them (empty: the network's stock is pooled). A store's
    /// demand carries [`STORE_SD`] more spread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<StoreShare>,
}

/// One store's stock and share of the network's remaining demand.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoreShare {
    /// Units on its shelves.
    pub on_hand: u64,
    /// Its share of the network's demand.
    pub share: f64,
}

/// The extra log spread of one store's demand around its share of the network's.
pub const STORE_SD: f64 = 0.15;

/// One depth on the grid and what the model expects of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DepthOutcome {
    /// The markdown, 0..=cap.
    pub markdown_pct: f64,
    /// lift(markdown).
    pub lift_pct: f64,
    /// Demand of the remaining weeks at this depth.
    pub expected_demand: f64,
    /// min(demand, available).
    pub expected_units_sold: f64,
    /// Units left at the end (stores and DC).
    pub expected_leftover: f64,
    /// Units sold × p × (1 − m).
    pub expected_revenue: f64,
    /// Leftover × s.
    pub expected_salvage: f64,
    /// Revenue + salvage: the margin of the remaining weeks (cost is sunk).
    pub expected_margin: f64,
}

/// `margin`'s markdown decision, with everything the explanation shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarginMarkdown {
    /// The checkpoint week.
    pub week: u32,
    /// The chosen depth (0 = no markdown).
    pub markdown_pct: f64,
    /// Its expected lift.
    pub expected_demand_lift_pct: f64,
    /// Units sold to date ÷ units manufactured.
    pub sell_through: f64,
    /// The planner's target.
    pub threshold: f64,
    /// The plan's own expected sell-through at this week: forecast of weeks 1..=k ÷
    /// order.
    pub planned_sell_through: f64,
    /// Units that can still be sold: stores, plus the DC when it can ship.
    pub units_available: u64,
    /// Every depth considered, shallowest first.
    pub depths: Vec<DepthOutcome>,
    /// Expected margin of the chosen depth minus that of no markdown.
    pub gain_over_no_markdown: f64,
}

impl MarginMarkdown {
    /// Whether a markdown is chosen at all.
    pub fn is_markdown(&self) -> bool {
        self.markdown_pct > 0.0
    }
}

/// The depths on the grid: 0, step, 2·step, ... up to the cap, computed in basis
/// points so that 15% is 0.15 and not 0.15000000000000002.
pub fn markdown_grid(tunables: &Tunables) -> Vec<f64> {
    let step_bp = (tunables.markdown_rounding_pct * 10_000.0).round().max(1.0) as u64;
    // Rounded down (with a hair of tolerance for 0.15 × 10,000 = 1499.999…): a cap
    // of 9.996% allows 5%, not 10%.
    let cap_bp = (tunables.markdown_cap_pct * 10_000.0 + 1e-6)
        .floor()
        .max(0.0) as u64;
    (0..=cap_bp / step_bp)
        .map(|i| (i * step_bp) as f64 / 10_000.0)
        .collect()
}

/// What the model expects at one depth.
pub fn depth_outcome(
    markdown_pct: f64,
    base_demand: f64,
    units_available: u64,
    units_stranded: u64,
    economics: &Economics,
    response: &PriceResponse,
) -> DepthOutcome {
    let lift_pct = response.lift_at(markdown_pct);
    let expected_demand = base_demand * (1.0 + lift_pct);
    let available = units_available as f64;
    let expected_units_sold = expected_demand.min(available);
    let expected_leftover = available - expected_units_sold + units_stranded as f64;
    let expected_revenue = expected_units_sold * economics.price_at(markdown_pct);
    let expected_salvage = expected_leftover * economics.salvage_value;
    DepthOutcome {
        markdown_pct,
        lift_pct,
        expected_demand,
        expected_units_sold,
        expected_leftover,
        expected_revenue,
        expected_salvage,
        expected_margin: expected_revenue + expected_salvage,
    }
}

/// Units expected to sell from `available` (pooled) or from each store's stock
/// when demand is `demand` with log spread `sd`.
fn expected_sold(demand: f64, available: f64, sd: f64, stores: &[StoreShare]) -> f64 {
    use crate::policy::chase::expected_sales;
    if stores.is_empty() {
        return if sd > 0.0 {
            expected_sales(demand, sd, available)
        } else {
            demand.min(available)
        };
    }
    let store_sd = (sd * sd + STORE_SD * STORE_SD).sqrt();
    stores
        .iter()
        .map(|s| expected_sales(demand * s.share, store_sd, s.on_hand as f64))
        .sum()
}

/// Picks the depth with the highest expected margin (ties go to the shallower).
pub fn margin_markdown(
    situation: &MarkdownSituation,
    economics: &Economics,
    response: &PriceResponse,
    tunables: &Tunables,
) -> MarginMarkdown {
    let base: f64 = situation.remaining_demand.iter().map(|u| *u as f64).sum();
    let (available, stranded) = if situation.dc_reachable {
        (situation.units_in_stores + situation.units_at_dc, 0)
    } else {
        (situation.units_in_stores, situation.units_at_dc)
    };
    let uncertain = situation.demand_sd > 0.0 || !situation.stores.is_empty();
    let depths: Vec<DepthOutcome> = markdown_grid(tunables)
        .into_iter()
        .map(|m| {
            let mut d = depth_outcome(m, base, available, stranded, economics, response);
            if uncertain {
                let sold = expected_sold(
                    d.expected_demand,
                    available as f64,
                    situation.demand_sd,
                    &situation.stores,
                )
                .min(available as f64);
                d.expected_units_sold = sold;
                d.expected_leftover = available as f64 - sold + stranded as f64;
                d.expected_revenue = sold * economics.price_at(m);
                d.expected_salvage = d.expected_leftover * economics.salvage_value;
                d.expected_margin = d.expected_revenue + d.expected_salvage;
            }
            d
        })
        .collect();
    let none = depths.first().map_or(0.0, |d| d.expected_margin);
    let best = best_depth(&depths);
    let ratio = |units: u64| crate::pricing::sell_through(units, situation.order_units);
    MarginMarkdown {
        week: situation.week,
        markdown_pct: best.map_or(0.0, |d| d.markdown_pct),
        expected_demand_lift_pct: best.map_or(0.0, |d| d.lift_pct),
        sell_through: ratio(situation.units_sold_to_date),
        threshold: situation.threshold,
        planned_sell_through: ratio(situation.planned_to_date),
        units_available: available,
        gain_over_no_markdown: best.map_or(0.0, |d| d.expected_margin) - none,
        depths,
    }
}

/// The first depth whose margin no later one beats by more than rounding noise:
/// the shallowest of the best.
fn best_depth(depths: &[DepthOutcome]) -> Option<&DepthOutcome> {
    let mut best: Option<&DepthOutcome> = None;
    for d in depths {
        let better = best.is_none_or(|b| d.expected_margin > b.expected_margin + tolerance(b));
        if better {
            best = Some(d);
        }
    }
    best
}

/// Margins closer than this are a tie: float noise must not buy a deeper cut.
fn tolerance(d: &DepthOutcome) -> f64 {
    1e-9 * d.expected_margin.abs().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn economics() -> Economics {
        let t = Tunables {
            unit_price: Some(50.0),
            ..Tunables::default()
        };
        Economics::new(&t, 0.0, 0).expect("price")
    }

    fn situation(remaining: Vec<u64>, stores: u64, dc: u64) -> MarkdownSituation {
        MarkdownSituation {
            week: 6,
            remaining_demand: remaining,
            units_in_stores: stores,
            units_at_dc: dc,
            dc_reachable: true,
            units_sold_to_date: 3_600,
            order_units: 10_000,
            planned_to_date: 3_700,
            threshold: 0.6,
            demand_sd: 0.0,
            stores: Vec::new(),
        }
    }

    #[test]
    fn a_season_expected_to_sell_through_is_not_cut_under_uncertainty() {
        let e = economics();
        let t = Tunables::default();
        let r = PriceResponse::from_tunables(&t);
        // Stock a tenth above expected demand: certain demand would take a cut to
        // sell it; the spread says the tenth is the unlucky draws' cushion.
        let mut s = situation(vec![1_000; 6], 6_600, 0);
        let certain = margin_markdown(&s, &e, &r, &t);
        s.demand_sd = 0.15;
        let uncertain = margin_markdown(&s, &e, &r, &t);
        assert!(uncertain.markdown_pct <= certain.markdown_pct);
        // Units sold follow E[min(D, S)].
        let d0 = &uncertain.depths[0];
        let expect = crate::policy::chase::expected_sales(6_000.0, 0.15, 6_600.0);
        assert!((d0.expected_units_sold - expect).abs() < 1e-6);
        assert!((d0.expected_leftover - (6_600.0 - expect)).abs() < 1e-6);
        // Far too much stock: a cut still pays.
        let mut heavy = situation(vec![1_000; 6], 12_000, 0);
        heavy.demand_sd = 0.15;
        assert!(margin_markdown(&heavy, &e, &r, &t).markdown_pct > 0.0);
    }

    #[test]
    fn stores_that_cannot_share_stock_sell_less_than_the_pool() {
        let e = economics();
        let t = Tunables::default();
        let r = PriceResponse::from_tunables(&t);
        let mut s = situation(vec![1_000; 6], 6_000, 0);
        s.demand_sd = 0.05;
        let pooled = margin_markdown(&s, &e, &r, &t).depths[0].expected_units_sold;
        // All the stock in one store of two equal ones: half the demand finds none.
        s.stores = vec![
            StoreShare {
                on_hand: 6_000,
                share: 0.5,
            },
            StoreShare {
                on_hand: 0,
                share: 0.5,
            },
        ];
        let split = margin_markdown(&s, &e, &r, &t).depths[0].expected_units_sold;
        assert!(split < pooled * 0.6, "{split} vs {pooled}");
    }

    #[test]
    fn the_response_saturates_and_starts_at_the_tunable_slope() {
        let r = PriceResponse::from_tunables(&Tunables::default());
        assert_eq!(r.lift_at(0.0), 0.0);
        // Slope at 0 is 1.5: a 0.01-point markdown lifts 0.015 points.
        assert!((r.lift_at(1e-4) / 1e-4 - 1.5).abs() < 1e-3);
        assert!((r.lift_at(0.10) - (1.0 - (-0.15f64).exp())).abs() < 1e-12);
        assert!((r.lift_at(0.40) - 0.451_188).abs() < 1e-6);
        assert!(r.lift_at(0.95) < 1.0);
        let none = PriceResponse {
            slope: 1.5,
            saturation: 0.0,
        };
        assert_eq!(none.lift_at(0.3), 0.0);
    }

    #[test]
    fn the_grid_runs_from_zero_to_the_cap() {
        let grid = markdown_grid(&Tunables::default());
        assert_eq!(grid.len(), 9);
        assert_eq!(grid[0], 0.0);
        assert_eq!(grid[3], 0.15);
        assert_eq!(grid[8], 0.40);
        let odd = Tunables {
            markdown_cap_pct: 0.33,
            ..Tunables::default()
        };
        assert_eq!(markdown_grid(&odd).last(), Some(&0.30));
        // A cap a hair under a grid step never lets that step in (found by the
        // property test below; the cap used to be rounded to the nearest point).
        let under = Tunables {
            markdown_cap_pct: 0.099_959_621_726_136_57,
            ..Tunables::default()
        };
        assert_eq!(markdown_grid(&under).last(), Some(&0.05));
        let exact = Tunables {
            markdown_cap_pct: 0.1 + 0.05,
            ..Tunables::default()
        };
        assert_eq!(markdown_grid(&exact).last(), Some(&0.15));
    }

    #[test]
    fn a_season_on_plan_gets_no_deep_cut() {
        // 6 weeks of 1,000 units left, 6,400 units in hand: stock covers demand
        // with 400 to spare. Under the seed rule sell-through 36% against 60% would
        // give the 40% cap.
        let s = situation(vec![1_000; 6], 4_000, 2_400);
        let d = margin_markdown(
            &s,
            &economics(),
            &PriceResponse::from_tunables(&Tunables::default()),
            &Tunables::default(),
        );
        assert!(d.markdown_pct <= 0.05, "{d:?}");
        assert!((d.sell_through - 0.36).abs() < 1e-12);
        assert!((d.planned_sell_through - 0.37).abs() < 1e-12);
        assert_eq!(d.threshold, 0.6);
        assert_eq!(d.units_available, 6_400);
        assert_eq!(d.depths.len(), 9);
        // At 5% off demand rises 7.2% to 6,434: more than the 6,400 in hand.
        let five = d.depths[1];
        assert!((five.expected_units_sold - 6_400.0).abs() < 1e-9);
        assert!((five.expected_revenue - 6_400.0 * 47.5).abs() < 1e-6);
        // No markdown: 6,000 sold at 50, 400 left at 4.
        assert!((d.depths[0].expected_margin - (300_000.0 + 1_600.0)).abs() < 1e-6);
        // The 40% cap would earn much less.
        assert!(d.depths[8].expected_margin < d.depths[0].expected_margin * 0.7);
    }

    #[test]
    fn a_heavily_overstocked_season_is_marked_down() {
        // 6,000 units of demand and 20,000 in hand: leftovers fetch only 4.
        let s = situation(vec![1_000; 6], 12_000, 8_000);
        let d = margin_markdown(
            &s,
            &economics(),
            &PriceResponse::from_tunables(&Tunables::default()),
            &Tunables::default(),
        );
        assert!(d.is_markdown());
        // Every unit of demand sells: the margin is 6,000 × (1 + lift(m)) × (50(1 − m)
        // − 4) + 20,000 × 4, whose factor (1 + lift)(46 − 50m) is 46.00 at 0%, 46.64
        // at 5%, 46.71 at 10% and 46.26 at 15%.
        assert_eq!(d.markdown_pct, 0.10, "{d:?}");
        assert!(d.gain_over_no_markdown > 0.0);
        let chosen = d
            .depths
            .iter()
            .find(|x| x.markdown_pct == d.markdown_pct)
            .expect("chosen depth is on the grid");
        assert!(
            (chosen.expected_margin - d.depths[0].expected_margin - d.gain_over_no_markdown).abs()
                < 1e-6
        );
    }

    #[test]
    fn stranded_dc_stock_cannot_be_sold() {
        let mut s = situation(vec![1_000; 6], 3_000, 5_000);
        s.dc_reachable = false;
        let d = margin_markdown(
            &s,
            &economics(),
            &PriceResponse::from_tunables(&Tunables::default()),
            &Tunables::default(),
        );
        assert_eq!(d.units_available, 3_000);
        assert_eq!(d.markdown_pct, 0.0, "stores are short already: {d:?}");
        // 3,000 sold at 50, the DC's 5,000 salvaged at 4.
        assert!((d.depths[0].expected_margin - (150_000.0 + 20_000.0)).abs() < 1e-6);
        assert!((d.depths[0].expected_leftover - 5_000.0).abs() < 1e-9);
    }

    #[test]
    fn ties_go_to_the_shallower_depth() {
        // No demand at all: every depth sells nothing and earns the same salvage.
        let s = situation(vec![0; 6], 100, 0);
        let d = margin_markdown(
            &s,
            &economics(),
            &PriceResponse::from_tunables(&Tunables::default()),
            &Tunables::default(),
        );
        assert_eq!(d.markdown_pct, 0.0);
        assert_eq!(d.gain_over_no_markdown, 0.0);
        assert_eq!(d.expected_demand_lift_pct, 0.0);
    }

    fn outcome(markdown_pct: f64, expected_margin: f64) -> DepthOutcome {
        DepthOutcome {
            markdown_pct,
            lift_pct: 0.0,
            expected_demand: 0.0,
            expected_units_sold: 0.0,
            expected_leftover: 0.0,
            expected_revenue: expected_margin,
            expected_salvage: 0.0,
            expected_margin,
        }
    }

    #[test]
    fn float_noise_is_a_tie_and_a_real_gain_is_not() {
        // 1e-8 above 100 is within 1e-9 × 100: the shallower depth stays.
        let noise = [outcome(0.0, 100.0), outcome(0.05, 100.0 + 1e-8)];
        assert_eq!(best_depth(&noise).map(|d| d.markdown_pct), Some(0.0));
        // Half a unit of money is a real gain.
        let gain = [outcome(0.0, 100.0), outcome(0.05, 100.5)];
        assert_eq!(best_depth(&gain).map(|d| d.markdown_pct), Some(0.05));
        assert_eq!(best_depth(&[]), None);
        assert!((tolerance(&outcome(0.0, 1e6)) - 1e-3).abs() < 1e-12);
        assert_eq!(tolerance(&outcome(0.0, 0.5)), 1e-9);
    }

    proptest! {
        #[test]
        fn the_chosen_depth_earns_at_least_every_other(
            weekly in proptest::collection::vec(0u64..5_000, 1..12),
            stores in 0u64..60_000,
            dc in 0u64..60_000,
            reachable in proptest::bool::ANY,
            price in 1.0f64..200.0,
            cost_ratio in 0.05f64..0.95,
            salvage_ratio in 0.0f64..=1.0,
            slope in 0.0f64..5.0,
            saturation in 0.05f64..3.0,
            cap in 0.0f64..0.9,
        ) {
            let t = Tunables {
                unit_price: Some(price),
                unit_cost_ratio: cost_ratio,
                salvage_ratio,
                markdown_demand_lift_per_pct: slope,
                markdown_lift_saturation_pct: saturation,
                markdown_cap_pct: cap,
                ..Tunables::default()
            };
            let economics = Economics::new(&t, 0.0, 0).expect("price");
            let mut s = situation(weekly, stores, dc);
            s.dc_reachable = reachable;
            let d = margin_markdown(&s, &economics, &PriceResponse::from_tunables(&t), &t);
            let chosen = d.depths.iter().find(|x| x.markdown_pct == d.markdown_pct).expect("on the grid");
            for other in &d.depths {
                prop_assert!(chosen.expected_margin >= other.expected_margin - tolerance(chosen));
                if other.markdown_pct < chosen.markdown_pct {
                    prop_assert!(chosen.expected_margin > other.expected_margin);
                }
            }
            prop_assert!(d.markdown_pct <= cap + 1e-12);
            prop_assert!(d.gain_over_no_markdown >= 0.0);
        }
    }
}

//! `margin`'s replenishment: the DC's stock follows demand instead of the flat
//! pre-season pace.
//!
//! For each store, on each replenishment week:
//! - its share of demand = its observed share of the network's recent sales
//!   (the last up to four weeks), shrunk toward its planned share as
//!   (n · observed + 2 · planned) ÷ (n + 2) for n weeks seen, so two weeks of sales
//!   count as much as the plan. A store that ran out in those weeks sold less than
//!   it was asked for, so its observed share is at least its planned one;
//! - its expected demand = share × the re-forecast network demand of the cover
//!   window (the weeks until the next top-up);
//! - its target = expected × 1.10 + 1.65 · √expected: a tenth for the re-forecast's
//!   level error and a 95% one-sided buffer for weekly noise of a count;
//! - it is shipped max(0, target − on hand), rounded half up. When the stores want
//!   more than the DC holds, the DC's stock is split in proportion to what each
//!   wants (largest remainder), so nothing is invented.
//! - On the last replenishment of the season (the cover window reaches its end),
//!   everything left at the DC ships: a unit at the DC at the end is salvaged for
//!   certain, one on a shelf may still sell. The extra goes by wants plus expected
//!   demand.

use crate::split::largest_remainder;
use serde::{Deserialize, Serialize};

/// Weeks of evidence the planned share counts as.
const PLANNED_SHARE_WEEKS: f64 = 2.0;
/// Share of expected demand added for the re-forecast's level error.
const LEVEL_BUFFER: f64 = 0.10;
/// Standard normal quantile of the noise buffer (95%, one-sided).
const NOISE_BUFFER_Z: f64 = 1.65;

/// What the rule knows about one store.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoreSignal {
    /// Units on its shelves now.
    pub on_hand: u64,
    /// Its share of the network's demand in the plan (allocation share).
    pub planned_share: f64,
    /// Units it sold over the recent weeks.
    pub recent_sold: u64,
    /// Whether it ran out of stock in any of those weeks.
    pub ran_out: bool,
}

/// The network-level inputs of one replenishment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReplenishmentWindow {
    /// Recent weeks the stores' `recent_sold` covers (0 before any sales).
    pub recent_weeks: u32,
    /// Re-forecast network demand of the weeks this top-up must cover.
    pub cover_demand: f64,
    /// Units at the DC.
    pub dc_available: u64,
    /// Whether this is the season's last replenishment: the DC then empties.
    pub last: bool,
}

/// The top-ups and the numbers behind them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandReplenishment {
    /// Units shipped per store, by store position.
    pub units: Vec<u64>,
    /// Each store's share of demand used.
    pub shares: Vec<f64>,
    /// Each store's expected demand over the cover window.
    pub expected: Vec<f64>,
    /// Each store's target stock (expected + buffer).
    pub targets: Vec<f64>,
    /// Σ units.
    pub shipped: u64,
    /// Units still wanted that the DC could not supply.
    pub unmet: u64,
}

/// Each store's share of demand: observed sales shrunk toward the plan.
pub fn demand_shares(stores: &[StoreSignal], recent_weeks: u32) -> Vec<f64> {
    let planned = normalised(&stores.iter().map(|s| s.planned_share).collect::<Vec<_>>());
    let sold: f64 = stores.iter().map(|s| s.recent_sold as f64).sum();
    if recent_weeks == 0 || sold <= 0.0 {
        return planned;
    }
    let observed = observed_shares(stores, &planned, sold);
    let n = f64::from(recent_weeks);
    let blended: Vec<f64> = observed
        .iter()
        .zip(&planned)
        .map(|(o, p)| (n * o + PLANNED_SHARE_WEEKS * p) / (n + PLANNED_SHARE_WEEKS))
        .collect();
    normalised(&blended)
}

/// Observed shares of the recent sales, with a store that ran out held at least at
/// its planned share and the others sharing what is left in proportion to their
/// sales (so the floor is not diluted by normalising afterwards).
fn observed_shares(stores: &[StoreSignal], planned: &[f64], sold: f64) -> Vec<f64> {
    let raw: Vec<f64> = stores.iter().map(|s| s.recent_sold as f64 / sold).collect();
    let floored = |i: usize| raw[i].max(planned[i]);
    let fixed: f64 = (0..stores.len())
        .filter(|i| stores[*i].ran_out)
        .map(floored)
        .sum();
    let free: f64 = (0..stores.len())
        .filter(|i| !stores[*i].ran_out)
        .map(|i| raw[i])
        .sum();
    if fixed >= 1.0 || free <= 0.0 {
        let all: Vec<f64> = (0..stores.len())
            .map(|i| {
                if stores[i].ran_out {
                    floored(i)
                } else {
                    raw[i]
                }
            })
            .collect();
        return normalised(&all);
    }
    (0..stores.len())
        .map(|i| {
            if stores[i].ran_out {
                floored(i)
            } else {
                raw[i] * (1.0 - fixed) / free
            }
        })
        .collect()
}

/// The target stock for an expected demand: a level buffer and a noise buffer.
pub fn target_stock(expected: f64) -> f64 {
    let expected = expected.max(0.0);
    expected * (1.0 + LEVEL_BUFFER) + NOISE_BUFFER_Z * expected.sqrt()
}

/// The top-ups for every store (see the module documentation).
pub fn replenish_to_demand(
    stores: &[StoreSignal],
    window: ReplenishmentWindow,
) -> DemandReplenishment {
    let shares = demand_shares(stores, window.recent_weeks);
    let expected: Vec<f64> = shares
        .iter()
        .map(|s| s * window.cover_demand.max(0.0))
        .collect();
    let targets: Vec<f64> = expected.iter().map(|e| target_stock(*e)).collect();
    let wants: Vec<u64> = stores
        .iter()
        .zip(&targets)
        .map(|(s, t)| ((t - s.on_hand as f64).max(0.0) + 1e-9).round() as u64)
        .collect();
    let wanted: u64 = wants.iter().sum();
    let units = if window.last && window.dc_available > wanted {
        let weights: Vec<f64> = wants
            .iter()
            .zip(&expected)
            .map(|(w, e)| *w as f64 + e)
            .collect();
        largest_remainder(window.dc_available, &weights)
    } else if wanted <= window.dc_available {
        wants
    } else {
        let weights: Vec<f64> = wants.iter().map(|w| *w as f64).collect();
        largest_remainder(window.dc_available, &weights)
    };
    let shipped = units.iter().sum();
    DemandReplenishment {
        units,
        shares,
        expected,
        targets,
        shipped,
        unmet: wanted.saturating_sub(shipped),
    }
}

fn normalised(weights: &[f64]) -> Vec<f64> {
    let clean: Vec<f64> = weights
        .iter()
        .map(|w| if w.is_finite() && *w > 0.0 { *w } else { 0.0 })
        .collect();
    let sum: f64 = clean.iter().sum();
    if sum > 0.0 {
        clean.iter().map(|w| w / sum).collect()
    } else {
        vec![1.0 / clean.len().max(1) as f64; clean.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{StoreStock, replenish};
    use proptest::prelude::*;

    fn store(on_hand: u64, planned_share: f64, recent_sold: u64) -> StoreSignal {
        StoreSignal {
            on_hand,
            planned_share,
            recent_sold,
            ran_out: false,
        }
    }

    #[test]
    fn shares_blend_observation_and_plan() {
        // Planned 50/50; observed 80/20 over 2 weeks: (2·0.8 + 2·0.5) / 4 = 0.65.
        let stores = [store(0, 0.5, 800), store(0, 0.5, 200)];
        let s = demand_shares(&stores, 2);
        assert!((s[0] - 0.65).abs() < 1e-12 && (s[1] - 0.35).abs() < 1e-12);
        // Before any week: the plan.
        assert_eq!(demand_shares(&stores, 0), vec![0.5, 0.5]);
        // Eight weeks: (8·0.8 + 2·0.5) / 10 = 0.74.
        assert!((demand_shares(&stores, 8)[0] - 0.74).abs() < 1e-12);
        // A store that ran out counts at least its plan.
        let out = [
            store(0, 0.5, 800),
            StoreSignal {
                ran_out: true,
                ..store(0, 0.5, 200)
            },
        ];
        assert_eq!(demand_shares(&out, 2), vec![0.5, 0.5]);
    }

    #[test]
    fn shares_without_sales_or_plan_fall_back() {
        // Weeks seen but nothing sold: the plan.
        let quiet = [store(0, 0.2, 0), store(0, 0.8, 0)];
        assert_eq!(demand_shares(&quiet, 3), vec![0.2, 0.8]);
        // No plan either: even.
        let blank = [store(0, 0.0, 0), store(0, f64::NAN, 0)];
        assert_eq!(demand_shares(&blank, 0), vec![0.5, 0.5]);
        // Every store ran out: their floors are normalised together.
        let out = [
            StoreSignal {
                ran_out: true,
                ..store(0, 0.5, 300)
            },
            StoreSignal {
                ran_out: true,
                ..store(0, 0.5, 100)
            },
        ];
        // Observed 0.75 / 0.5 floors: (0.75, 0.5) / 1.25 = (0.6, 0.4); blended
        // with the plan over 2 weeks: (0.55, 0.45).
        let s = demand_shares(&out, 2);
        assert!(
            (s[0] - 0.55).abs() < 1e-12 && (s[1] - 0.45).abs() < 1e-12,
            "{s:?}"
        );
    }

    #[test]
    fn a_last_top_up_that_empties_the_dc_exactly_ships_the_wants() {
        let stores = [store(0, 0.75, 0), store(0, 0.25, 0)];
        let window = ReplenishmentWindow {
            recent_weeks: 0,
            cover_demand: 100.0,
            dc_available: 1_000,
            last: false,
        };
        let wants = replenish_to_demand(&stores, window).units;
        let exact = replenish_to_demand(
            &stores,
            ReplenishmentWindow {
                dc_available: wants.iter().sum(),
                last: true,
                ..window
            },
        );
        assert_eq!(exact.units, wants);
        // 75 expected: 82.5 + 14.29 → 97; 25: 27.5 + 8.25 → 36.
        assert_eq!(wants, vec![97, 36]);
    }

    #[test]
    fn targets_carry_both_buffers() {
        // 100 expected: 110 + 1.65 × 10.
        assert!((target_stock(100.0) - 126.5).abs() < 1e-12);
        assert_eq!(target_stock(-5.0), 0.0);
    }

    #[test]
    fn top_ups_follow_the_cover_demand_within_the_dc() {
        let stores = [store(10, 0.5, 500), store(200, 0.5, 500)];
        let window = ReplenishmentWindow {
            recent_weeks: 2,
            cover_demand: 200.0,
            dc_available: 1_000,
            last: false,
        };
        let r = replenish_to_demand(&stores, window);
        // Each expects 100, targets 126.5: 116.5 → 117 for the first, none for the second.
        assert_eq!(r.units, vec![117, 0]);
        assert_eq!(r.shipped, 117);
        assert_eq!(r.unmet, 0);
        let short = replenish_to_demand(
            &[store(0, 0.5, 500), store(0, 0.5, 500)],
            ReplenishmentWindow {
                dc_available: 101,
                ..window
            },
        );
        // Each wants 127 (126.5 rounded half up); the DC's 101 is split.
        assert_eq!(short.units, vec![51, 50]);
        assert_eq!(short.unmet, 153);
    }

    #[test]
    fn the_last_top_up_empties_the_dc() {
        let stores = [store(0, 0.75, 0), store(0, 0.25, 0)];
        let r = replenish_to_demand(
            &stores,
            ReplenishmentWindow {
                recent_weeks: 0,
                cover_demand: 100.0,
                dc_available: 1_000,
                last: true,
            },
        );
        assert_eq!(r.shipped, 1_000);
        assert!(r.units[0] > r.units[1] * 2, "{:?}", r.units);
    }

    #[test]
    fn a_hot_season_ships_more_than_the_seed_rule() {
        // Plan: 10 stores, 100 units a week each over 12 weeks, 1,200 allocated
        // each, 600 shipped at launch and 6,000 at the DC. The season runs 40% hot:
        // after week 4 each store has sold 140 a week (560) and has 40 left. The
        // re-forecast has moved most of the way to the new pace: 1,360 a week.
        let seed_stock = StoreStock {
            season_allocation: 1_200,
            shipped_so_far: 600,
            on_hand: 40,
        };
        let seed: u64 = replenish(&[seed_stock; 10], 8, 1, 6_000).iter().sum();
        let margin = replenish_to_demand(
            &[store(40, 0.1, 560); 10],
            ReplenishmentWindow {
                recent_weeks: 4,
                cover_demand: 1_360.0,
                dc_available: 6_000,
                last: false,
            },
        );
        // Seed: 600 left / 8 weeks = 75 a week, less 40 on hand: 35 a store, less
        // than the 140 a week each store is selling.
        assert_eq!(seed, 350);
        // Margin: 136 expected a store: 149.6 + 1.65 × √136 (19.24) − 40 = 128.8 → 129.
        assert_eq!(margin.units, vec![129; 10]);
        assert!(margin.shipped > seed * 3);
        // Running cold instead (60 a week, 300 on hand), margin ships nothing.
        let cold = replenish_to_demand(
            &[store(300, 0.1, 240); 10],
            ReplenishmentWindow {
                recent_weeks: 4,
                cover_demand: 640.0,
                dc_available: 6_000,
                last: false,
            },
        );
        assert_eq!(cold.shipped, 0);
    }

    proptest! {
        #[test]
        fn never_more_than_the_dc(
            rows in proptest::collection::vec((0u64..500, 0.0f64..1.0, 0u64..500, proptest::bool::ANY), 1..40),
            recent_weeks in 0u32..5,
            cover in 0.0f64..20_000.0,
            dc in 0u64..20_000,
            last in proptest::bool::ANY,
        ) {
            let stores: Vec<StoreSignal> = rows.iter().map(|(o, p, s, r)| StoreSignal { on_hand: *o, planned_share: *p, recent_sold: *s, ran_out: *r }).collect();
            let r = replenish_to_demand(&stores, ReplenishmentWindow { recent_weeks, cover_demand: cover, dc_available: dc, last });
            prop_assert!(r.shipped <= dc);
            prop_assert_eq!(r.units.iter().sum::<u64>(), r.shipped);
            prop_assert_eq!(r.units.len(), stores.len());
            prop_assert!((r.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            if last {
                prop_assert_eq!(r.shipped, dc);
            }
        }
    }
}

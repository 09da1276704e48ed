//! `margin`'s store-to-store transfers: when the DC is empty, stock moves from stores
//! that hold more than they can sell this season to stores about to run out.
//!
//! - A donor holds more than its target stock for the rest of the season
//!   (`replenish::target_stock` of its expected remaining demand); the excess, whole
//!   units, is what it can give without running short itself.
//! - A receiver has less than a week of cover (on hand ÷ expected weekly demand);
//!   it asks for its target stock over the next two weeks (or the weeks left).
//! - Receivers are served most urgent first, from the donors with the most excess.
//! - A transfer's expected gain is the units it lets the receiver sell within its
//!   expected demand × (price after markdown − salvage): those units would otherwise
//!   have been salvaged at the donor. It is proposed only when that gain beats its
//!   cost (`transfer_cost_per_unit` × units).
//! - A week's transfers above `transfer_approval_units` in total wait for a
//!   planner's approval.

use super::replenish::target_stock;
use crate::economics::Economics;
use serde::{Deserialize, Serialize};

/// A receiver has less than this many weeks of cover.
const RECEIVER_COVER_WEEKS: f64 = 1.0;
/// A receiver is brought up to its target over this many weeks.
const RECEIVER_TARGET_WEEKS: f64 = 2.0;

/// What the rule knows about one store.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoreCover {
    /// Units on its shelves.
    pub on_hand: u64,
    /// Expected demand next week, at the price in force.
    pub expected_weekly: f64,
    /// Expected demand over the rest of the season, at the price in force.
    pub expected_remaining: f64,
}

impl StoreCover {
    /// Weeks its stock lasts at the expected pace (infinite without demand).
    pub fn weeks_of_cover(&self) -> f64 {
        if self.expected_weekly > 0.0 {
            self.on_hand as f64 / self.expected_weekly
        } else {
            f64::INFINITY
        }
    }
}

/// The network-level inputs of one week's transfers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TransferWeek {
    /// Units at the DC: transfers are considered only when it is empty.
    pub dc_available: u64,
    /// Weeks left in the season.
    pub weeks_left: u32,
    /// Markdown in force.
    pub markdown_pct: f64,
    /// Transfers above this many units in total need approval.
    pub approval_units: u64,
}

/// One proposed move and its reason.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    /// Donor store position.
    pub from: usize,
    /// Receiving store position.
    pub to: usize,
    /// Units moved.
    pub units: u64,
    /// The donor's weeks of cover before the move; `None` when it expects no more
    /// sales (its cover is endless, which JSON cannot carry).
    pub donor_weeks_of_cover: Option<f64>,
    /// The receiver's weeks of cover before the move.
    pub receiver_weeks_of_cover: f64,
    /// Units of it the receiver is expected to sell.
    pub expected_units_sold: f64,
    /// Expected units sold × (price after markdown − salvage).
    pub expected_gain: f64,
    /// Units × transfer cost per unit.
    pub cost: f64,
}

/// A week's transfers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferPlan {
    /// The moves, most urgent receiver first.
    pub transfers: Vec<Transfer>,
    /// Σ units.
    pub units: u64,
    /// Σ cost.
    pub cost: f64,
    /// Σ expected gain.
    pub expected_gain: f64,
    /// Whether the total is above the approval threshold.
    pub needs_approval: bool,
}

impl TransferPlan {
    /// The plan cut to at most `max_units` in total, keeping its order (most urgent
    /// receiver first): what ships when a planner approves only part of it. A move cut
    /// short keeps its expected sales up to its new size, its gain and cost scaled
    /// with them. The planner has decided, so the cut plan needs no further approval.
    pub fn capped(&self, max_units: u64) -> TransferPlan {
        let mut out = TransferPlan {
            transfers: Vec::new(),
            units: 0,
            cost: 0.0,
            expected_gain: 0.0,
            needs_approval: false,
        };
        for t in &self.transfers {
            let units = t.units.min(max_units - out.units);
            if units == 0 {
                break;
            }
            let sold = t.expected_units_sold.min(units as f64);
            let unit_gain = if t.expected_units_sold > 0.0 {
                t.expected_gain / t.expected_units_sold
            } else {
                0.0
            };
            let moved = Transfer {
                units,
                expected_units_sold: sold,
                expected_gain: sold * unit_gain,
                cost: t.cost * units as f64 / t.units as f64,
                ..*t
            };
            out.units += units;
            out.cost += moved.cost;
            out.expected_gain += moved.expected_gain;
            out.transfers.push(moved);
        }
        out
    }
}

/// The week's transfers (see the module documentation).
pub fn propose_transfers(
    stores: &[StoreCover],
    week: TransferWeek,
    economics: &Economics,
) -> TransferPlan {
    let mut plan = TransferPlan {
        transfers: Vec::new(),
        units: 0,
        cost: 0.0,
        expected_gain: 0.0,
        needs_approval: false,
    };
    let unit_gain = economics.price_at(week.markdown_pct) - economics.salvage_value;
    if week.dc_available > 0
        || week.weeks_left == 0
        || unit_gain <= economics.transfer_cost_per_unit
    {
        return plan;
    }
    let mut excess: Vec<u64> = stores.iter().map(donor_excess).collect();
    let mut donors: Vec<usize> = (0..stores.len()).filter(|i| excess[*i] > 0).collect();
    donors.sort_by(|a, b| excess[*b].cmp(&excess[*a]).then(a.cmp(b)));
    for to in receivers(stores) {
        let receiver = stores[to];
        let cover_demand =
            receiver.expected_weekly * RECEIVER_TARGET_WEEKS.min(f64::from(week.weeks_left));
        let mut wanted = (target_stock(cover_demand) - receiver.on_hand as f64)
            .ceil()
            .max(0.0) as u64;
        let mut sellable = (cover_demand - receiver.on_hand as f64).max(0.0);
        for &from in &donors {
            if wanted == 0 {
                break;
            }
            let units = wanted.min(excess[from]);
            if units == 0 {
                continue;
            }
            let sold = sellable.min(units as f64);
            let transfer = Transfer {
                from,
                to,
                units,
                donor_weeks_of_cover: Some(stores[from].weeks_of_cover()).filter(|w| w.is_finite()),
                receiver_weeks_of_cover: receiver.weeks_of_cover(),
                expected_units_sold: sold,
                expected_gain: sold * unit_gain,
                cost: units as f64 * economics.transfer_cost_per_unit,
            };
            if transfer.expected_gain <= transfer.cost {
                break;
            }
            excess[from] -= units;
            wanted -= units;
            sellable -= sold;
            plan.units += units;
            plan.cost += transfer.cost;
            plan.expected_gain += transfer.expected_gain;
            plan.transfers.push(transfer);
        }
    }
    plan.needs_approval = plan.units > week.approval_units;
    plan
}

/// Units a store holds above its target stock for the rest of the season.
fn donor_excess(store: &StoreCover) -> u64 {
    (store.on_hand as f64 - target_stock(store.expected_remaining))
        .floor()
        .max(0.0) as u64
}

/// Whether any store is about to run out (less than a week of cover): only then is
/// a transfer worth weighing.
pub fn any_running_out(stores: &[StoreCover]) -> bool {
    stores
        .iter()
        .any(|s| s.weeks_of_cover() < RECEIVER_COVER_WEEKS)
}

/// Stores with less than a week of cover, least cover first.
fn receivers(stores: &[StoreCover]) -> Vec<usize> {
    let mut list: Vec<usize> = (0..stores.len())
        .filter(|i| stores[*i].weeks_of_cover() < RECEIVER_COVER_WEEKS)
        .collect();
    list.sort_by(|a, b| {
        stores[*a]
            .weeks_of_cover()
            .total_cmp(&stores[*b].weeks_of_cover())
            .then(a.cmp(b))
    });
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Tunables;
    use proptest::prelude::*;

    fn economics(transfer_cost: f64) -> Economics {
        let t = Tunables {
            unit_price: Some(50.0),
            transfer_cost_per_unit: transfer_cost,
            ..Tunables::default()
        };
        Economics::new(&t, 0.0, 0).expect("price")
    }

    fn week() -> TransferWeek {
        TransferWeek {
            dc_available: 0,
            weeks_left: 4,
            markdown_pct: 0.0,
            approval_units: 1_000,
        }
    }

    fn cover(on_hand: u64, weekly: f64, weeks_left: f64) -> StoreCover {
        StoreCover {
            on_hand,
            expected_weekly: weekly,
            expected_remaining: weekly * weeks_left,
        }
    }

    #[test]
    fn stock_moves_from_a_full_store_to_one_running_out() {
        // Store 0 holds 1,000 but sells 50 a week for 4 weeks: target 220 + 23.3,
        // so 756 spare. Store 1 sells 100 a week and has 20: 0.2 weeks of cover; it
        // asks for 220 + 23.3 − 20 → 224. Store 2 is fine.
        let stores = [
            cover(1_000, 50.0, 4.0),
            cover(20, 100.0, 4.0),
            cover(300, 100.0, 4.0),
        ];
        let plan = propose_transfers(&stores, week(), &economics(2.0));
        assert_eq!(plan.transfers.len(), 1);
        let t = plan.transfers[0];
        assert_eq!((t.from, t.to, t.units), (0, 1, 224));
        assert!((t.donor_weeks_of_cover.expect("finite") - 20.0).abs() < 1e-12);
        assert!((t.receiver_weeks_of_cover - 0.2).abs() < 1e-12);
        // It expects to sell 180 of them (200 over two weeks − 20): 180 × (50 − 4).
        assert!((t.expected_units_sold - 180.0).abs() < 1e-9);
        assert!((t.expected_gain - 8_280.0).abs() < 1e-9);
        assert!((t.cost - 448.0).abs() < 1e-9);
        assert_eq!(plan.units, 224);
        assert!(!plan.needs_approval);
    }

    #[test]
    fn nothing_moves_while_the_dc_has_stock_or_when_it_does_not_pay() {
        let stores = [cover(1_000, 50.0, 4.0), cover(20, 100.0, 4.0)];
        let with_dc = TransferWeek {
            dc_available: 1,
            ..week()
        };
        assert!(
            propose_transfers(&stores, with_dc, &economics(2.0))
                .transfers
                .is_empty()
        );
        // Moving a unit costs more than selling it instead of salvaging it earns.
        assert!(
            propose_transfers(&stores, week(), &economics(46.0))
                .transfers
                .is_empty()
        );
        // In the last week, a receiver with 95 of its 100 expected units asks for
        // 32 (its buffer) but is expected to sell only 5 of them: worth 5 × 46 = 230,
        // more than 32 moves cost at 2 (64), less than at 10 (320).
        let last = TransferWeek {
            weeks_left: 1,
            ..week()
        };
        let nearly_covered = [cover(1_000, 50.0, 1.0), cover(95, 100.0, 1.0)];
        let plan = propose_transfers(&nearly_covered, last, &economics(2.0));
        assert_eq!(plan.units, 32);
        assert!((plan.expected_gain - 230.0).abs() < 1e-9);
        assert!(
            propose_transfers(&nearly_covered, last, &economics(10.0))
                .transfers
                .is_empty()
        );
        let last_week = TransferWeek {
            weeks_left: 0,
            ..week()
        };
        assert!(
            propose_transfers(&stores, last_week, &economics(2.0))
                .transfers
                .is_empty()
        );
    }

    #[test]
    fn large_moves_need_approval_and_donors_are_shared() {
        // Two receivers, one donor with room for only part of both.
        let stores = [
            cover(600, 50.0, 4.0),
            cover(0, 200.0, 4.0),
            cover(10, 200.0, 4.0),
        ];
        let small = TransferWeek {
            approval_units: 100,
            ..week()
        };
        let plan = propose_transfers(&stores, small, &economics(2.0));
        // The donor's 600 − 243.3 → 356 spare all go to store 1 (0 weeks of cover),
        // which asks for 440 + 33 = 473.
        assert_eq!(plan.transfers.len(), 1);
        assert_eq!((plan.transfers[0].to, plan.transfers[0].units), (1, 356));
        assert!(plan.needs_approval);
    }

    #[test]
    fn cover_and_approval_edges() {
        let idle = cover(5, 0.0, 4.0);
        assert_eq!(idle.weeks_of_cover(), f64::INFINITY);
        assert!((cover(50, 100.0, 4.0).weeks_of_cover() - 0.5).abs() < 1e-12);
        // Exactly at the approval threshold: no approval needed.
        let stores = [cover(1_000, 50.0, 4.0), cover(20, 100.0, 4.0)];
        let at = TransferWeek {
            approval_units: 224,
            ..week()
        };
        let plan = propose_transfers(&stores, at, &economics(2.0));
        assert_eq!(plan.units, 224);
        assert!(!plan.needs_approval);
        assert!((plan.cost - 448.0).abs() < 1e-9 && (plan.expected_gain - 8_280.0).abs() < 1e-9);
        // A store with exactly one week of cover is not a receiver.
        let one_week = [cover(1_000, 50.0, 4.0), cover(100, 100.0, 4.0)];
        assert!(
            propose_transfers(&one_week, week(), &economics(2.0))
                .transfers
                .is_empty()
        );
        // Two donors: the larger gives first, the next tops up.
        let two = [
            cover(400, 50.0, 4.0),
            cover(0, 200.0, 4.0),
            cover(500, 50.0, 4.0),
        ];
        let plan = propose_transfers(&two, week(), &economics(2.0));
        let moves: Vec<(usize, usize, u64)> = plan
            .transfers
            .iter()
            .map(|t| (t.from, t.to, t.units))
            .collect();
        // Excess 256 (store 2) then 156 (store 0); store 1 asks for 473.
        assert_eq!(moves, vec![(2, 1, 256), (0, 1, 156)]);
    }

    #[test]
    fn a_donor_without_expected_sales_has_no_finite_cover() {
        let stores = [cover(500, 0.0, 4.0), cover(10, 100.0, 4.0)];
        assert!(any_running_out(&stores));
        assert!(!any_running_out(&[cover(100, 100.0, 4.0)]));
        let plan = propose_transfers(&stores, week(), &economics(2.0));
        assert_eq!(plan.transfers[0].from, 0);
        assert_eq!(plan.transfers[0].donor_weeks_of_cover, None);
        let json = serde_json::to_string(&plan).expect("json");
        let back: TransferPlan = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, plan);
    }

    #[test]
    fn a_capped_plan_keeps_the_most_urgent_moves_and_scales_the_cut_one() {
        let two = [
            cover(400, 50.0, 4.0),
            cover(0, 200.0, 4.0),
            cover(500, 50.0, 4.0),
        ];
        let plan = propose_transfers(&two, week(), &economics(2.0));
        // 256 from store 2 then 156 from store 0; store 1 expects to sell 400 in two
        // weeks, so every unit of both moves is expected to sell (× 46).
        let cut = plan.capped(300);
        let moves: Vec<(usize, u64)> = cut.transfers.iter().map(|t| (t.from, t.units)).collect();
        assert_eq!(moves, vec![(2, 256), (0, 44)]);
        assert_eq!(cut.units, 300);
        assert!((cut.cost - 600.0).abs() < 1e-9, "{}", cut.cost);
        assert!((cut.expected_gain - 300.0 * 46.0).abs() < 1e-9);
        assert!((cut.transfers[1].expected_units_sold - 44.0).abs() < 1e-9);
        assert!(!cut.needs_approval);
        assert!(plan.capped(0).transfers.is_empty());
        assert_eq!(
            plan.capped(10_000),
            TransferPlan {
                needs_approval: false,
                ..plan.clone()
            }
        );
        // A move whose receiver is expected to sell fewer units than it gets keeps
        // that expectation when cut above it.
        let last = TransferWeek {
            weeks_left: 1,
            ..week()
        };
        let nearly = [cover(1_000, 50.0, 1.0), cover(95, 100.0, 1.0)];
        let small = propose_transfers(&nearly, last, &economics(2.0)).capped(20);
        assert_eq!(small.units, 20);
        assert!((small.transfers[0].expected_units_sold - 5.0).abs() < 1e-9);
        assert!((small.expected_gain - 230.0).abs() < 1e-9);
        assert!((small.cost - 40.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn transfers_never_take_more_than_a_donor_spares(
            rows in proptest::collection::vec((0u64..2_000, 0.0f64..300.0), 1..30),
            weeks_left in 1u32..12,
        ) {
            let stores: Vec<StoreCover> = rows.iter().map(|(o, w)| cover(*o, *w, f64::from(weeks_left))).collect();
            let plan = propose_transfers(&stores, TransferWeek { weeks_left, ..week() }, &economics(2.0));
            let mut given = vec![0u64; stores.len()];
            for t in &plan.transfers {
                prop_assert_ne!(t.from, t.to);
                prop_assert!(t.expected_gain > t.cost);
                given[t.from] += t.units;
            }
            for (i, s) in stores.iter().enumerate() {
                prop_assert!(given[i] <= donor_excess(s));
            }
            prop_assert_eq!(plan.units, plan.transfers.iter().map(|t| t.units).sum::<u64>());
        }
    }
}

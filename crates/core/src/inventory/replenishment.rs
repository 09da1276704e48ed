//! The replenishment rule: after a week's sales, each store is topped up toward
//! its season allocation at the pace of the weeks left, capped by what the DC holds.

use crate::split::largest_remainder;
use serde::{Deserialize, Serialize};

/// What the rule needs to know about one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreStock {
    /// Units it is meant to receive over the season.
    pub season_allocation: u64,
    /// Units shipped to it so far (launch plus earlier top-ups).
    pub shipped_so_far: u64,
    /// Units on its shelves now.
    pub on_hand: u64,
}

/// domain.md's rule for one store: remaining = allocation − shipped; need for next
/// week = remaining / weeks left; ship max(0, need − on hand), rounded half up to
/// whole units and never more than the remaining allocation.
///
/// `cover_weeks` is how many weeks the top-up must last: 1 when stores are topped
/// up every week, 2 for bi-weekly (the next top-up is two weeks away), so the need
/// is the pace times the weeks covered (capped at the weeks left).
pub fn replenishment_need(store: StoreStock, weeks_left: u32, cover_weeks: u32) -> u64 {
    if weeks_left == 0 {
        return 0;
    }
    let remaining = store.season_allocation.saturating_sub(store.shipped_so_far);
    let cover = f64::from(cover_weeks.clamp(1, weeks_left));
    let need = remaining as f64 / f64::from(weeks_left) * cover;
    let want = (need - store.on_hand as f64).max(0.0);
    // Rounded half up; the epsilon keeps 2.5 from becoming 2 through float error.
    let units = (want + 1e-9).round() as u64;
    units.min(remaining)
}

/// Top-ups for every store. When the stores want more than `dc_available`, the DC's
/// stock is shared in proportion to what each wants (largest remainder), so the
/// total shipped never exceeds the DC and no store gets more than it asked for.
pub fn replenish(
    stores: &[StoreStock],
    weeks_left: u32,
    cover_weeks: u32,
    dc_available: u64,
) -> Vec<u64> {
    let wants: Vec<u64> = stores
        .iter()
        .map(|s| replenishment_need(*s, weeks_left, cover_weeks))
        .collect();
    let total: u64 = wants.iter().sum();
    if total <= dc_available {
        return wants;
    }
    largest_remainder(
        dc_available,
        &wants.iter().map(|w| *w as f64).collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn domain_md_worked_example() {
        // Season allocation 105, 58 shipped at launch, week 2 with 10 weeks left,
        // 2 on hand: need 47 / 10 = 4.7, ship max(0, 4.7 − 2) = 2.7 → 3.
        let store = StoreStock {
            season_allocation: 105,
            shipped_so_far: 58,
            on_hand: 2,
        };
        assert_eq!(replenishment_need(store, 10, 1), 3);
    }

    #[test]
    fn a_well_stocked_store_gets_nothing() {
        let store = StoreStock {
            season_allocation: 105,
            shipped_so_far: 58,
            on_hand: 20,
        };
        assert_eq!(replenishment_need(store, 10, 1), 0);
        assert_eq!(replenishment_need(store, 0, 1), 0);
    }

    #[test]
    fn bi_weekly_top_ups_cover_two_weeks() {
        // 47 left over 10 weeks is 4.7 a week; two weeks' worth is 9.4, minus 2 on hand.
        let store = StoreStock {
            season_allocation: 105,
            shipped_so_far: 58,
            on_hand: 2,
        };
        assert_eq!(replenishment_need(store, 10, 2), 7);
        // With one week left, the cover is capped at that week.
        assert_eq!(replenishment_need(store, 1, 2), 45);
    }

    #[test]
    fn the_dc_caps_the_total() {
        let stores = [
            StoreStock {
                season_allocation: 100,
                shipped_so_far: 0,
                on_hand: 0,
            },
            StoreStock {
                season_allocation: 300,
                shipped_so_far: 0,
                on_hand: 0,
            },
        ];
        assert_eq!(replenish(&stores, 1, 1, 1_000), vec![100, 300]);
        assert_eq!(replenish(&stores, 1, 1, 40), vec![10, 30]);
        assert_eq!(replenish(&stores, 1, 1, 0), vec![0, 0]);
    }

    proptest! {
        #[test]
        fn never_more_than_the_dc_or_the_remaining_allocation(
            rows in proptest::collection::vec((0u64..500, 0u64..500, 0u64..100), 1..50),
            weeks_left in 1u32..20,
            dc in 0u64..5_000,
        ) {
            let stores: Vec<StoreStock> = rows.iter().map(|(a, s, o)| StoreStock { season_allocation: *a, shipped_so_far: *s, on_hand: *o }).collect();
            let ships = replenish(&stores, weeks_left, 2, dc);
            prop_assert!(ships.iter().sum::<u64>() <= dc);
            for (s, q) in stores.iter().zip(&ships) {
                prop_assert!(*q <= s.season_allocation.saturating_sub(s.shipped_so_far));
            }
        }
    }
}

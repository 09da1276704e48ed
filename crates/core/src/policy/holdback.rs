//! Holdback with replenishment `none`: stock kept at the DC that nothing will ever
//! move to a store. Creation warns with how much.

use crate::params::{ReplenishmentStrategy, SeasonParameters};
use serde::{Deserialize, Serialize};

/// Units an order would leave stranded at the DC.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StrandedStock {
    /// The holdback that strands them, 0..=1.
    pub holdback_pct: f64,
    /// The order they come from.
    pub order_units: u64,
    /// round(order × holdback), exactly what the allocation keeps at the DC.
    pub units: u64,
}

/// The units an order of `order_units` leaves at the DC for the whole season, or
/// `None` when the DC can ship (replenishment is not `none`) or holds nothing.
pub fn stranded_holdback(parameters: &SeasonParameters, order_units: u64) -> Option<StrandedStock> {
    let holdback_pct = parameters.dc_holdback_percentage.clamp(0.0, 1.0);
    if parameters.replenishment_strategy != ReplenishmentStrategy::None {
        return None;
    }
    // The same rounding as `inventory::allocate`'s DC holdback.
    let units = ((order_units as f64) * holdback_pct).round() as u64;
    (units > 0).then_some(StrandedStock {
        holdback_pct,
        order_units,
        units: units.min(order_units),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SeasonConfig;
    use crate::data::StoreNetwork;
    use crate::inventory::{allocate, cluster_stores};

    fn parameters(strategy: &str, holdback: f64) -> SeasonParameters {
        SeasonConfig::from_json(&format!(
            r#"{{"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17",
                "replenishment_strategy": "{strategy}", "dc_holdback_percentage": {holdback}}}"#
        ))
        .expect("parameters")
        .parameters
    }

    #[test]
    fn holdback_with_none_is_stranded_exactly_as_allocated() {
        let p = parameters("none", 0.45);
        let stranded = stranded_holdback(&p, 9_600).expect("stranded");
        assert_eq!(stranded.units, 4_320);
        assert_eq!(stranded.holdback_pct, 0.45);
        assert_eq!(stranded.order_units, 9_600);
        let stores: StoreNetwork = crate::sample::stores().expect("stores");
        let clusters = cluster_stores(&stores, 42);
        let units = vec![100; stores.len()];
        for order in [1u64, 7, 9_601, 358_686] {
            let a = allocate(order, 0.45, &stores, &clusters, &units);
            let s = stranded_holdback(&p, order).map_or(0, |s| s.units);
            assert_eq!(s, a.dc_holdback, "order {order}");
        }
    }

    #[test]
    fn nothing_is_stranded_when_the_dc_ships_or_holds_nothing() {
        assert_eq!(stranded_holdback(&parameters("weekly", 0.45), 9_600), None);
        assert_eq!(
            stranded_holdback(&parameters("bi-weekly", 0.65), 9_600),
            None
        );
        assert_eq!(stranded_holdback(&parameters("none", 0.0), 9_600), None);
        assert_eq!(stranded_holdback(&parameters("none", 0.45), 0), None);
        let all = stranded_holdback(&parameters("none", 1.0), 10).expect("all");
        assert_eq!(all.units, 10);
    }
}

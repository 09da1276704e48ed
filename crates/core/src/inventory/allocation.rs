//! Splitting the manufacturing order: cluster → store by historical and attribute
//! shares, then the launch shipment and the DC holdback. Every split goes through
//! [`largest_remainder`], so allocations always sum exactly to the order.

use super::cluster::{ClusterName, StoreClusters};
use crate::data::StoreNetwork;
use crate::split::largest_remainder;
use serde::{Deserialize, Serialize};

/// Weight of a store's own sales history in its share of the cluster (domain.md).
const HISTORICAL_WEIGHT: f64 = 0.7;
/// Weight of its size and income relative to the cluster.
const ATTRIBUTE_WEIGHT: f64 = 0.3;

/// One cluster's part of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterAllocation {
    /// The cluster's name.
    pub cluster_id: ClusterName,
    /// Number of stores in it.
    pub stores: usize,
    /// The stores' ids.
    pub store_ids: Vec<String>,
    /// Its share of historical sales, 0..1.
    pub share: f64,
    /// Units of the order allocated to it for the season.
    pub units: u64,
}

/// One store's part of the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreAllocation {
    /// The store.
    pub store_id: String,
    /// Its cluster.
    pub cluster_id: ClusterName,
    /// Its share of the whole order (cluster share × share within the cluster).
    pub share: f64,
    /// Units it is meant to receive over the season.
    pub season_allocation: u64,
    /// Units shipped to it at launch (week 0).
    pub initial: u64,
}

/// The Inventory agent's result for week 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    /// The approved order being split.
    pub manufacturing_qty: u64,
    /// The holdback applied, 0..1.
    pub dc_holdback_percentage: f64,
    /// Units shipped to stores at launch.
    pub initial_shipped: u64,
    /// Units kept at the DC.
    pub dc_holdback: u64,
    /// Per-cluster split, fashion-forward first.
    pub clusters: Vec<ClusterAllocation>,
    /// Per-store split, in network order.
    pub stores: Vec<StoreAllocation>,
}

/// Each store's share of the whole network's season demand: its cluster's share of
/// historical sales times its share within the cluster (0.7 history + 0.3
/// attributes). Shares sum to 1. `historical_units` is by store position.
pub fn store_shares(
    network: &StoreNetwork,
    clusters: &StoreClusters,
    historical_units: &[u64],
) -> (Vec<(ClusterName, f64)>, Vec<f64>) {
    let total: f64 = historical_units.iter().map(|u| *u as f64).sum();
    let mut cluster_shares = Vec::new();
    let mut shares = vec![0.0; network.len()];
    for name in &clusters.names {
        let members = clusters.members(*name);
        let cluster_units: f64 = members.iter().map(|i| historical_units[*i] as f64).sum();
        let cluster_share = if total > 0.0 {
            cluster_units / total
        } else {
            members.len() as f64 / network.len() as f64
        };
        cluster_shares.push((*name, cluster_share));
        let within = shares_within_cluster(network, &members, historical_units);
        for (i, s) in members.iter().zip(within) {
            shares[*i] = cluster_share * s;
        }
    }
    (cluster_shares, shares)
}

fn shares_within_cluster(
    network: &StoreNetwork,
    members: &[usize],
    historical_units: &[u64],
) -> Vec<f64> {
    let n = members.len().max(1) as f64;
    let stores = network.stores();
    let cluster_units: f64 = members.iter().map(|i| historical_units[*i] as f64).sum();
    let mean_size = members
        .iter()
        .map(|i| stores[*i].store_size_sqft)
        .sum::<f64>()
        / n;
    let mean_income = members
        .iter()
        .map(|i| stores[*i].median_income)
        .sum::<f64>()
        / n;
    let ratio = |v: f64, mean: f64| if mean > 0.0 { v / mean } else { 1.0 };
    let attribute: Vec<f64> = members
        .iter()
        .map(|i| {
            (ratio(stores[*i].store_size_sqft, mean_size)
                + ratio(stores[*i].median_income, mean_income))
                / 2.0
        })
        .collect();
    let attribute_sum: f64 = attribute.iter().sum();
    members
        .iter()
        .zip(&attribute)
        .map(|(i, a)| {
            let historical = if cluster_units > 0.0 {
                historical_units[*i] as f64 / cluster_units
            } else {
                1.0 / n
            };
            let attr = if attribute_sum > 0.0 {
                a / attribute_sum
            } else {
                1.0 / n
            };
            HISTORICAL_WEIGHT * historical + ATTRIBUTE_WEIGHT * attr
        })
        .collect()
}

/// Splits `manufacturing_qty` down to clusters and stores and ships
/// `(1 − holdback)` of it at launch. Totals are exact: the clusters' units sum to the
/// order, each cluster's stores sum to the cluster, and shipped + holdback = order.
pub fn allocate(
    manufacturing_qty: u64,
    dc_holdback_percentage: f64,
    network: &StoreNetwork,
    clusters: &StoreClusters,
    historical_units: &[u64],
) -> Allocation {
    let (cluster_shares, shares) = store_shares(network, clusters, historical_units);
    let cluster_units = largest_remainder(
        manufacturing_qty,
        &cluster_shares.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
    );
    let mut season = vec![0u64; network.len()];
    let mut cluster_rows = Vec::new();
    for ((name, share), units) in cluster_shares.iter().zip(&cluster_units) {
        let members = clusters.members(*name);
        let weights: Vec<f64> = members.iter().map(|i| shares[*i]).collect();
        for (i, u) in members.iter().zip(largest_remainder(*units, &weights)) {
            season[*i] = u;
        }
        cluster_rows.push(ClusterAllocation {
            cluster_id: *name,
            stores: members.len(),
            store_ids: members
                .iter()
                .map(|i| network.stores()[*i].store_id.clone())
                .collect(),
            share: *share,
            units: *units,
        });
    }
    let holdback_pct = dc_holdback_percentage.clamp(0.0, 1.0);
    let dc_holdback = ((manufacturing_qty as f64) * holdback_pct).round() as u64;
    let initial_shipped = manufacturing_qty - dc_holdback.min(manufacturing_qty);
    let initial = largest_remainder(
        initial_shipped,
        &season.iter().map(|u| *u as f64).collect::<Vec<_>>(),
    );
    let stores = network
        .stores()
        .iter()
        .enumerate()
        .map(|(i, s)| StoreAllocation {
            store_id: s.store_id.clone(),
            cluster_id: clusters.store_cluster[i],
            share: shares[i],
            season_allocation: season[i],
            initial: initial[i],
        })
        .collect();
    Allocation {
        manufacturing_qty,
        dc_holdback_percentage: holdback_pct,
        initial_shipped,
        dc_holdback: manufacturing_qty - initial_shipped,
        clusters: cluster_rows,
        stores,
    }
}

/// After a re-forecast: each store's new season allocation is what it has been
/// shipped so far plus its share of `remaining_units` (what the DC should still send,
/// already capped by the caller at the DC's stock). Returns the new allocations.
pub fn reallocate_remaining(
    shares: &[f64],
    shipped_so_far: &[u64],
    remaining_units: u64,
) -> Vec<u64> {
    largest_remainder(remaining_units, shares)
        .into_iter()
        .zip(shipped_so_far)
        .map(|(r, s)| r + s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::cluster_stores;
    use proptest::prelude::*;

    fn sample() -> (StoreNetwork, StoreClusters, Vec<u64>) {
        let stores = crate::sample::stores().unwrap();
        let clusters = cluster_stores(&stores, 42);
        let units: Vec<u64> = stores
            .stores()
            .iter()
            .map(|s| s.avg_weekly_sales_12mo as u64 * 52)
            .collect();
        (stores, clusters, units)
    }

    #[test]
    fn standard_retail_ships_55_pct_and_holds_45_pct() {
        let (stores, clusters, units) = sample();
        let a = allocate(9_600, 0.45, &stores, &clusters, &units);
        assert_eq!(a.initial_shipped, 5_280);
        assert_eq!(a.dc_holdback, 4_320);
        assert_eq!(a.stores.iter().map(|s| s.initial).sum::<u64>(), 5_280);
        assert_eq!(
            a.stores.iter().map(|s| s.season_allocation).sum::<u64>(),
            9_600
        );
    }

    #[test]
    fn zara_ships_everything_at_week_zero() {
        let (stores, clusters, units) = sample();
        let a = allocate(10_000, 0.0, &stores, &clusters, &units);
        assert_eq!(a.initial_shipped, 10_000);
        assert_eq!(a.dc_holdback, 0);
        assert!(a.stores.iter().all(|s| s.initial == s.season_allocation));
    }

    #[test]
    fn store_shares_sum_to_one_and_follow_history() {
        let (stores, clusters, units) = sample();
        let (cluster_shares, shares) = store_shares(&stores, &clusters, &units);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((cluster_shares.iter().map(|c| c.1).sum::<f64>() - 1.0).abs() < 1e-9);
        // Within a cluster, the store with the most history gets the largest share
        // unless attributes say otherwise by more than the 0.3 weight allows; check
        // the top seller is at least above the cluster's average share.
        for name in &clusters.names {
            let m = clusters.members(*name);
            let top = *m.iter().max_by_key(|i| units[**i]).unwrap();
            let avg = m.iter().map(|i| shares[*i]).sum::<f64>() / m.len() as f64;
            assert!(shares[top] > avg);
        }
    }

    /// Three stores: S001 (100 sq ft) and S002 (300 sq ft) in one cluster, S003
    /// alone in another; equal incomes in the first cluster.
    fn three_stores() -> (StoreNetwork, StoreClusters, Vec<u64>) {
        let mut rows = crate::sample::stores().unwrap().stores()[..3].to_vec();
        for (row, size) in rows.iter_mut().zip([100.0, 300.0, 200.0]) {
            row.store_size_sqft = size;
            row.median_income = 50_000.0;
        }
        rows[2].median_income = 80_000.0;
        let clusters = StoreClusters {
            store_cluster: vec![
                ClusterName::Mainstream,
                ClusterName::Mainstream,
                ClusterName::ValueConscious,
            ],
            names: vec![ClusterName::Mainstream, ClusterName::ValueConscious],
            inertia: 0.0,
        };
        (
            StoreNetwork::new(rows).unwrap(),
            clusters,
            vec![100, 300, 400],
        )
    }

    #[test]
    fn store_shares_mix_history_and_attributes_seven_to_three() {
        let (stores, clusters, units) = three_stores();
        let (cluster_shares, shares) = store_shares(&stores, &clusters, &units);
        // Each cluster sold 400 of 800 units.
        assert_eq!(
            cluster_shares,
            vec![
                (ClusterName::Mainstream, 0.5),
                (ClusterName::ValueConscious, 0.5)
            ]
        );
        // S001: history 100/400 = 0.25; attributes (100/200 + 1) / 2 = 0.75 against
        // S002's (300/200 + 1) / 2 = 1.25, normalised 0.375. 0.7 × 0.25 + 0.3 × 0.375
        // = 0.2875 of its cluster, 0.14375 of the order; S002 0.7125 → 0.35625.
        let expect = [0.14375, 0.35625, 0.5];
        for (s, e) in shares.iter().zip(expect) {
            assert!((s - e).abs() < 1e-12, "{shares:?}");
        }
        let a = allocate(1_000, 0.45, &stores, &clusters, &units);
        let season: Vec<u64> = a.stores.iter().map(|s| s.season_allocation).collect();
        let initial: Vec<u64> = a.stores.iter().map(|s| s.initial).collect();
        // 143.75 and 356.25 of the cluster's 500: the larger remainder rounds up.
        assert_eq!(season, vec![144, 356, 500]);
        // 550 shipped by season allocation: 79.2, 195.8, 275.
        assert_eq!(initial, vec![79, 196, 275]);
        assert_eq!((a.initial_shipped, a.dc_holdback), (550, 450));
        assert_eq!(a.clusters[0].store_ids, vec!["S001", "S002"]);
        assert_eq!(a.clusters[1].units, 500);
    }

    #[test]
    fn a_cluster_without_history_or_attributes_is_shared_evenly() {
        let (mut stores, clusters, _) = three_stores();
        let mut rows = stores.stores().to_vec();
        for row in &mut rows {
            row.store_size_sqft = 0.0;
            row.median_income = 0.0;
        }
        stores = StoreNetwork::new(rows).unwrap();
        let (cluster_shares, shares) = store_shares(&stores, &clusters, &[0, 0, 0]);
        // No sales: clusters by store count; within them, evenly.
        assert!((cluster_shares[0].1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((shares[0] - 1.0 / 3.0).abs() < 1e-12);
        assert!((shares[2] - 1.0 / 3.0).abs() < 1e-12);
        // Reallocation after a re-forecast adds the shares of the pool.
        assert_eq!(
            reallocate_remaining(&[0.25, 0.75], &[10, 20], 100),
            vec![35, 95]
        );
    }

    proptest! {
        #[test]
        fn allocations_always_preserve_the_order(qty in 0u64..2_000_000, holdback in 0.0f64..=1.0) {
            let (stores, clusters, units) = sample();
            let a = allocate(qty, holdback, &stores, &clusters, &units);
            prop_assert_eq!(a.clusters.iter().map(|c| c.units).sum::<u64>(), qty);
            prop_assert_eq!(a.stores.iter().map(|s| s.season_allocation).sum::<u64>(), qty);
            prop_assert_eq!(a.stores.iter().map(|s| s.initial).sum::<u64>(), a.initial_shipped);
            prop_assert_eq!(a.initial_shipped + a.dc_holdback, qty);
            for s in &a.stores {
                prop_assert!(s.initial <= s.season_allocation);
            }
            for c in &a.clusters {
                let in_cluster: u64 = a.stores.iter().filter(|s| s.cluster_id == c.cluster_id).map(|s| s.season_allocation).sum();
                prop_assert_eq!(in_cluster, c.units);
            }
        }
    }
}

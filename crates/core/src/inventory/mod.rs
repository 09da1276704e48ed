//! The Inventory agent's mathematics: store clustering, the split of the
//! manufacturing order down to stores with the DC holdback, and in-season
//! replenishment from the DC.

mod allocation;
mod cluster;
mod replenishment;

pub use allocation::{
    Allocation, ClusterAllocation, StoreAllocation, allocate, reallocate_remaining, store_shares,
};
pub use cluster::{ClusterName, StoreClusters, cluster_stores, kmeans_plus_plus};
pub use replenishment::{StoreStock, replenish, replenishment_need};

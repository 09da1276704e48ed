//! K-means++ on the seven standardised store features, with clusters named by
//! their mean fashion tier. Seeded and deterministic: the same network always
//! gives the same clusters, so a resumed workflow allocates exactly as before.

use crate::data::StoreNetwork;
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A cluster's name, from its mean fashion tier (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClusterName {
    /// Highest mean fashion tier.
    FashionForward,
    /// Middle.
    Mainstream,
    /// Lowest mean fashion tier.
    ValueConscious,
}

impl ClusterName {
    /// The id used in files and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterName::FashionForward => "fashion_forward",
            ClusterName::Mainstream => "mainstream",
            ClusterName::ValueConscious => "value_conscious",
        }
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of clustering a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreClusters {
    /// Cluster of each store, by store position in the network.
    pub store_cluster: Vec<ClusterName>,
    /// The clusters present, ordered fashion-forward first.
    pub names: Vec<ClusterName>,
    /// Sum of squared distances to the centroids (standardised units).
    pub inertia: f64,
}

impl StoreClusters {
    /// Positions of the stores in `cluster`.
    pub fn members(&self, cluster: ClusterName) -> Vec<usize> {
        self.store_cluster
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == cluster)
            .map(|(i, _)| i)
            .collect()
    }
}

/// Number of k-means++ restarts; the lowest-inertia run wins.
const RESTARTS: u64 = 10;
const MAX_ITERATIONS: usize = 100;

/// Clusters the network into (up to) three groups named by mean fashion tier.
/// With fewer than three stores each store is its own cluster.
pub fn cluster_stores(network: &StoreNetwork, seed: u64) -> StoreClusters {
    let raw: Vec<[f64; 7]> = network.stores().iter().map(|s| s.features()).collect();
    let points = standardise(&raw);
    let k = 3.min(points.len());
    let (labels, inertia) = kmeans_plus_plus(&points, k, seed);
    // Rank clusters by mean fashion tier (raw feature 4), highest first.
    let mut tiers: Vec<(usize, f64)> = (0..k)
        .map(|c| {
            let members: Vec<f64> = labels
                .iter()
                .zip(&raw)
                .filter(|(l, _)| **l == c)
                .map(|(_, f)| f[4])
                .collect();
            let mean = members.iter().sum::<f64>() / members.len().max(1) as f64;
            (c, mean)
        })
        .collect();
    tiers.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let order = [
        ClusterName::FashionForward,
        ClusterName::Mainstream,
        ClusterName::ValueConscious,
    ];
    let mut name_of = [ClusterName::Mainstream; 3];
    for (rank, (c, _)) in tiers.iter().enumerate() {
        name_of[*c] = order[rank];
    }
    StoreClusters {
        store_cluster: labels.iter().map(|l| name_of[*l]).collect(),
        names: order[..k].to_vec(),
        inertia,
    }
}

/// Z-scores each feature (population standard deviation); a constant feature
/// becomes 0 everywhere rather than a division by zero.
fn standardise<const D: usize>(raw: &[[f64; D]]) -> Vec<[f64; D]> {
    let n = raw.len().max(1) as f64;
    let mut mean = [0.0; D];
    let mut sd = [0.0; D];
    for d in 0..D {
        mean[d] = raw.iter().map(|p| p[d]).sum::<f64>() / n;
        sd[d] = (raw.iter().map(|p| (p[d] - mean[d]).powi(2)).sum::<f64>() / n).sqrt();
    }
    raw.iter()
        .map(|p| {
            let mut z = [0.0; D];
            for d in 0..D {
                z[d] = if sd[d] > 1e-12 {
                    (p[d] - mean[d]) / sd[d]
                } else {
                    0.0
                };
            }
            z
        })
        .collect()
}

fn distance2<const D: usize>(a: &[f64; D], b: &[f64; D]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

/// K-means with k-means++ seeding, [`RESTARTS`] seeded restarts, keeping the
/// lowest inertia. Returns the label of each point (0..k) and the inertia.
pub fn kmeans_plus_plus<const D: usize>(
    points: &[[f64; D]],
    k: usize,
    seed: u64,
) -> (Vec<usize>, f64) {
    if points.is_empty() || k == 0 {
        return (vec![0; points.len()], 0.0);
    }
    let k = k.min(points.len());
    let mut best: Option<(Vec<usize>, f64)> = None;
    for restart in 0..RESTARTS {
        let mut rng = SplitMix64::new(seed ^ restart.wrapping_mul(0xA24B_AED4_963E_E407));
        let run = lloyd(points, seed_centroids(points, k, &mut rng));
        if best.as_ref().is_none_or(|b| run.1 < b.1 - 1e-9) {
            best = Some(run);
        }
    }
    best.unwrap_or_else(|| (vec![0; points.len()], 0.0))
}

fn seed_centroids<const D: usize>(
    points: &[[f64; D]],
    k: usize,
    rng: &mut SplitMix64,
) -> Vec<[f64; D]> {
    let first = (rng.next_u64() % points.len() as u64) as usize;
    let mut centroids = vec![points[first]];
    while centroids.len() < k {
        let d2: Vec<f64> = points
            .iter()
            .map(|p| {
                centroids
                    .iter()
                    .map(|c| distance2(p, c))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let total: f64 = d2.iter().sum();
        let next = if total <= 0.0 {
            // Every point sits on a centroid: any point will do.
            centroids.len() % points.len()
        } else {
            let mut target = rng.next_f64() * total;
            let mut chosen = points.len() - 1;
            for (i, d) in d2.iter().enumerate() {
                if target < *d {
                    chosen = i;
                    break;
                }
                target -= d;
            }
            chosen
        };
        centroids.push(points[next]);
    }
    centroids
}

fn lloyd<const D: usize>(points: &[[f64; D]], mut centroids: Vec<[f64; D]>) -> (Vec<usize>, f64) {
    let k = centroids.len();
    let mut labels = vec![usize::MAX; points.len()];
    for _ in 0..MAX_ITERATIONS {
        let mut changed = false;
        for (i, p) in points.iter().enumerate() {
            let nearest = (0..k)
                .min_by(|&a, &b| {
                    distance2(p, &centroids[a]).total_cmp(&distance2(p, &centroids[b]))
                })
                .unwrap_or(0);
            if labels[i] != nearest {
                labels[i] = nearest;
                changed = true;
            }
        }
        if !changed {
            break;
        }
        for (c, centroid) in centroids.iter_mut().enumerate() {
            let members: Vec<&[f64; D]> = points
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == c)
                .map(|(p, _)| p)
                .collect();
            // An emptied cluster keeps its centroid; k-means++ seeding makes this rare.
            if members.is_empty() {
                continue;
            }
            for d in 0..D {
                centroid[d] = members.iter().map(|p| p[d]).sum::<f64>() / members.len() as f64;
            }
        }
    }
    let inertia = points
        .iter()
        .zip(&labels)
        .map(|(p, l)| distance2(p, &centroids[*l]))
        .sum();
    (labels, inertia)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_blobs_are_found() {
        let mut points = Vec::new();
        for i in 0..10 {
            let j = i as f64 * 0.01;
            points.push([0.0 + j, 0.0]);
            points.push([10.0 + j, 10.0]);
            points.push([-10.0 + j, 10.0]);
        }
        let (labels, inertia) = kmeans_plus_plus(&points, 3, 7);
        for trio in labels.chunks(3) {
            assert_ne!(trio[0], trio[1]);
            assert_ne!(trio[1], trio[2]);
            assert_ne!(trio[0], trio[2]);
        }
        for i in 0..3 {
            assert!(labels.iter().skip(i).step_by(3).all(|l| *l == labels[i]));
        }
        assert!(inertia < 0.1);
    }

    #[test]
    fn identical_points_do_not_break_seeding() {
        let points = vec![[1.0, 1.0]; 5];
        let (labels, inertia) = kmeans_plus_plus(&points, 3, 1);
        assert_eq!(labels.len(), 5);
        assert_eq!(inertia, 0.0);
    }

    #[test]
    fn the_sample_network_clusters_deterministically_by_fashion_tier() {
        let stores = crate::sample::stores().unwrap();
        let a = cluster_stores(&stores, 42);
        let b = cluster_stores(&stores, 42);
        assert_eq!(a, b);
        assert_eq!(a.names.len(), 3);
        let mean_tier = |c: ClusterName| {
            let m = a.members(c);
            assert!(!m.is_empty(), "{c} is empty");
            m.iter()
                .map(|i| stores.stores()[*i].fashion_tier.code())
                .sum::<f64>()
                / m.len() as f64
        };
        assert!(mean_tier(ClusterName::FashionForward) > mean_tier(ClusterName::Mainstream));
        assert!(mean_tier(ClusterName::Mainstream) > mean_tier(ClusterName::ValueConscious));
    }
}

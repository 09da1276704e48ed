//! Whole-unit splits that preserve totals exactly (largest-remainder method): every
//! allocation in Atelier goes through here so that no unit is created or lost.

/// Splits `total` units in proportion to `weights`. The result sums to `total`
/// exactly; ties in the remainders go to the earlier position, so the split is
/// deterministic. With all weights zero (or none positive) the units are spread evenly.
pub fn largest_remainder(total: u64, weights: &[f64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let clean: Vec<f64> = weights
        .iter()
        .map(|w| if w.is_finite() && *w > 0.0 { *w } else { 0.0 })
        .collect();
    let sum: f64 = clean.iter().sum();
    let shares: Vec<f64> = if sum > 0.0 {
        clean.iter().map(|w| w / sum).collect()
    } else {
        vec![1.0 / clean.len() as f64; clean.len()]
    };
    let exact: Vec<f64> = shares.iter().map(|s| s * total as f64).collect();
    let mut units: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let assigned: u64 = units.iter().sum();
    // Float error can make the floors overshoot by a unit on huge totals; trim from
    // the largest before handing out the remainder.
    let mut left = total as i128 - assigned as i128;
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let mut i = 0;
    while left > 0 {
        units[order[i % order.len()]] += 1;
        left -= 1;
        i += 1;
    }
    while left < 0 {
        if let Some(max) = (0..units.len()).max_by_key(|&k| units[k]) {
            units[max] -= 1;
        }
        left += 1;
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn remainders_go_to_the_largest_fractions() {
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(100, &[0.555, 0.445]), vec![56, 44]);
        assert_eq!(largest_remainder(7, &[0.0, 0.0]), vec![4, 3]);
        assert_eq!(largest_remainder(5, &[]), Vec::<u64>::new());
    }

    #[test]
    fn floors_that_overshoot_a_huge_total_are_trimmed_from_the_largest() {
        // 0.7, 0.1 and 1.0 of 10^18: the shares sum to a hair over 1 in floating
        // point and the floors overshoot by 48 units, taken from the largest.
        let units = largest_remainder(1_000_000_000_000_000_000, &[0.7, 0.1, 1.0]);
        assert_eq!(
            units,
            vec![
                388_888_888_888_888_896,
                55_555_555_555_555_568,
                555_555_555_555_555_536
            ]
        );
        assert_eq!(units.iter().sum::<u64>(), 1_000_000_000_000_000_000);
    }

    #[test]
    fn bad_weights_count_as_zero() {
        assert_eq!(largest_remainder(9, &[f64::NAN, -1.0, 2.0]), vec![0, 0, 9]);
        assert_eq!(
            largest_remainder(3, &[f64::INFINITY, 1.0, 1.0]),
            vec![0, 2, 1]
        );
    }

    proptest! {
        #[test]
        fn splits_preserve_the_total(total in 0u64..10_000_000, weights in proptest::collection::vec(0.0f64..1000.0, 1..60)) {
            let units = largest_remainder(total, &weights);
            prop_assert_eq!(units.iter().sum::<u64>(), total);
            prop_assert_eq!(units.len(), weights.len());
        }
    }
}

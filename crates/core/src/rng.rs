//! The one seeded random number generator of the core (SplitMix64) and the few
//! draws built on it. Seeded and platform-independent, so a replayed season, a
//! clustering and a simulated draw come out the same everywhere.

/// SplitMix64: a tiny, well-known generator, enough for seeding k-means++ and for
/// simulated seasons, and stable across platforms and crate versions (unlike
/// `rand`'s StdRng, whose algorithm may change between releases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box–Muller; one of the pair is discarded so that a
    /// draw never depends on whether an earlier one was cached).
    pub fn standard_normal(&mut self) -> f64 {
        // 1 − u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A normal draw with the given mean and standard deviation.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        mean + sd * self.standard_normal()
    }

    /// True with probability `p` (clamped to 0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p.clamp(0.0, 1.0)
    }

    /// A whole number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// `x` rounded to a whole number at random, up with probability equal to its
    /// fractional part: unbiased, so totals of many draws keep their expectation.
    pub fn round_stochastic(&mut self, x: f64) -> u64 {
        if !(x.is_finite() && x > 0.0) {
            return 0;
        }
        let floor = x.floor();
        let up = self.next_f64() < x - floor;
        floor as u64 + u64::from(up)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_splitmix64s() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn draws_have_their_moments() {
        let mut r = SplitMix64::new(7);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| r.normal(2.0, 3.0)).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.03, "mean {mean}");
        assert!((var.sqrt() - 3.0).abs() < 0.03, "sd {}", var.sqrt());
        let uniform: Vec<f64> = (0..n).map(|_| r.next_f64()).collect();
        assert!(uniform.iter().all(|u| (0.0..1.0).contains(u)));
        let hits = (0..n).filter(|_| r.chance(0.25)).count() as f64 / n as f64;
        assert!((hits - 0.25).abs() < 0.005, "{hits}");
        let rounded: u64 = (0..n).map(|_| r.round_stochastic(2.3)).sum();
        assert!((rounded as f64 / n as f64 - 2.3).abs() < 0.01);
        assert_eq!(r.round_stochastic(-1.0), 0);
        assert_eq!(r.round_stochastic(f64::NAN), 0);
        assert_eq!(r.round_stochastic(4.0), 4);
        assert_eq!(r.below(0), 0);
        assert!((0..1000).all(|_| r.below(6) < 6));
    }
}

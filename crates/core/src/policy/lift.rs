//! Learning the markdown's real lift from the weeks that follow it, so that a lift
//! that did not come is not read as weak demand.
//!
//! After a markdown at week k:
//! - the level before it is Σ sold ÷ Σ baseline over the last (up to) four weeks
//!   up to k whose sales were not cut short by stockouts;
//! - each later uncensored week expects baseline × level without a markdown; the
//!   observed lift is Σ sold ÷ Σ expected − 1 over them;
//! - the estimate shrinks it toward the assumed lift by precision: the observation's
//!   variance is σ²(1/n + 1/m), with σ the spread of the weekly sold ÷ baseline ratios
//!   before the markdown (at least 3%, 10% when fewer than two weeks show it), n the
//!   weeks after and m the weeks the level rests on; the assumed lift has a prior
//!   standard deviation of 25 points. One clean week moves most of the way, and the
//!   estimate never goes below 0 (a markdown does not lower demand; a fall in sales
//!   below the old level is read as weaker demand instead).
//!
//! [`observed_on_baseline`] then divides the weeks after the markdown by 1 + the
//! estimated lift, not the assumed one.

use serde::{Deserialize, Serialize};

/// Weeks before the markdown the level rests on.
const LEVEL_WEEKS: usize = 4;
/// Prior standard deviation of the assumed lift.
const PRIOR_LIFT_SD: f64 = 0.25;
/// Weekly noise of sold ÷ baseline when the weeks before cannot show it.
const DEFAULT_WEEK_NOISE_SD: f64 = 0.10;
/// Least weekly noise assumed: a few weeks that happen to agree prove little.
const MIN_WEEK_NOISE_SD: f64 = 0.03;

/// One played week, as the lift estimate and the re-forecast read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedWeek {
    /// Season week, 1-based.
    pub week: u32,
    /// Units sold in the network.
    pub sold: u64,
    /// The baseline forecast for the week (no markdown).
    pub baseline: u64,
    /// Whether stockouts cut the week's sales short (so they understate demand).
    pub censored: bool,
}

/// The estimated lift and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LiftEstimate {
    /// The markdown's week.
    pub markdown_week: u32,
    /// The lift assumed when the markdown was decided.
    pub assumed_pct: f64,
    /// Σ sold ÷ Σ expected − 1 over the clean weeks after; `None` before any.
    pub observed_pct: Option<f64>,
    /// The estimate: the observation shrunk toward the assumption.
    pub estimated_pct: f64,
    /// Clean weeks after the markdown the observation rests on.
    pub weeks_seen: usize,
    /// Sold ÷ baseline before the markdown.
    pub pre_markdown_level: f64,
    /// Weekly noise σ of sold ÷ baseline used to weigh the evidence.
    pub week_noise_sd: f64,
    /// Weight of the observation in the estimate, 0..1.
    pub evidence_weight: f64,
}

/// Estimates the lift of a markdown applied after week `markdown_week`.
pub fn estimate_lift(weeks: &[ObservedWeek], markdown_week: u32, assumed_pct: f64) -> LiftEstimate {
    let clean = |w: &&ObservedWeek| !w.censored && w.baseline > 0;
    let before: Vec<&ObservedWeek> = weeks
        .iter()
        .filter(|w| w.week <= markdown_week)
        .filter(clean)
        .collect();
    let level_weeks = &before[before.len().saturating_sub(LEVEL_WEEKS)..];
    let level = ratio_of_sums(level_weeks).unwrap_or(1.0);
    let week_noise_sd = noise_sd(&before);
    let after: Vec<&ObservedWeek> = weeks
        .iter()
        .filter(|w| w.week > markdown_week)
        .filter(clean)
        .collect();
    let observed = ratio_of_sums(&after).map(|r| r / level - 1.0);
    let mut estimate = LiftEstimate {
        markdown_week,
        assumed_pct,
        observed_pct: observed,
        estimated_pct: assumed_pct,
        weeks_seen: after.len(),
        pre_markdown_level: level,
        week_noise_sd,
        evidence_weight: 0.0,
    };
    if let Some(observed) = observed.filter(|_| level > 0.0) {
        let m = level_weeks.len().max(1) as f64;
        let variance = week_noise_sd.powi(2) * (1.0 / after.len() as f64 + 1.0 / m);
        let weight = PRIOR_LIFT_SD.powi(2) / (PRIOR_LIFT_SD.powi(2) + variance);
        estimate.evidence_weight = weight;
        estimate.estimated_pct = (assumed_pct + weight * (observed - assumed_pct)).max(0.0);
    }
    estimate
}

/// The observed weeks on the baseline forecast's footing, for the re-forecast:
/// weeks after the markdown are divided by 1 + `lift_pct` (the estimated lift, so
/// a lift that did not come is not read as weak demand), and a censored week that
/// fell below the baseline counts as on plan (its shortfall says the shelves were
/// empty, not that demand was low).
pub fn observed_on_baseline(
    weeks: &[ObservedWeek],
    markdown_week: Option<u32>,
    lift_pct: f64,
) -> Vec<u64> {
    weeks
        .iter()
        .map(|w| {
            let mut actual = w.sold as f64;
            if markdown_week.is_some_and(|m| w.week > m) {
                actual /= 1.0 + lift_pct.max(0.0);
            }
            if w.censored && actual < w.baseline as f64 {
                actual = w.baseline as f64;
            }
            actual.round() as u64
        })
        .collect()
}

fn ratio_of_sums(weeks: &[&ObservedWeek]) -> Option<f64> {
    let sold: f64 = weeks.iter().map(|w| w.sold as f64).sum();
    let baseline: f64 = weeks.iter().map(|w| w.baseline as f64).sum();
    (baseline > 0.0).then(|| sold / baseline)
}

/// Standard deviation of the weekly sold ÷ baseline ratios, within the floor and
/// the default.
fn noise_sd(weeks: &[&ObservedWeek]) -> f64 {
    let ratios: Vec<f64> = weeks
        .iter()
        .map(|w| w.sold as f64 / w.baseline as f64)
        .collect();
    if ratios.len() < 2 {
        return DEFAULT_WEEK_NOISE_SD;
    }
    let n = ratios.len() as f64;
    let mean = ratios.iter().sum::<f64>() / n;
    let var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    var.sqrt().max(MIN_WEEK_NOISE_SD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weeks(sold: &[u64], baseline: u64) -> Vec<ObservedWeek> {
        sold.iter()
            .enumerate()
            .map(|(i, s)| ObservedWeek {
                week: i as u32 + 1,
                sold: *s,
                baseline,
                censored: false,
            })
            .collect()
    }

    #[test]
    fn a_lift_that_did_not_come_is_learnt_and_not_read_as_weak_demand() {
        // Six weeks on plan, a 40% markdown assumed to lift demand 60% after week 6,
        // then three weeks selling exactly as before.
        let w = weeks(&[1_000; 9], 1_000);
        let e = estimate_lift(&w, 6, 0.6);
        assert_eq!(e.weeks_seen, 3);
        assert_eq!(e.observed_pct, Some(0.0));
        assert!(e.estimated_pct < 0.02, "{e:?}");
        assert!((e.pre_markdown_level - 1.0).abs() < 1e-12);
        // With the assumed lift the weeks read 37.5% weak (1,000 / 1.6 = 625) ...
        let assumed = observed_on_baseline(&w, Some(6), 0.6);
        assert_eq!(assumed[6], 625);
        // ... with the estimate they read on plan, within 2%.
        let learnt = observed_on_baseline(&w, Some(6), e.estimated_pct);
        assert!(learnt[6..].iter().all(|u| *u >= 980), "{learnt:?}");
        assert_eq!(&learnt[..6], &[1_000; 6]);
    }

    #[test]
    fn the_estimate_weighs_the_evidence_by_its_precision() {
        // Noise at its 3% floor, three weeks after and four before: the evidence's
        // variance is 0.03² × (1/3 + 1/4) = 0.000525 against the prior's 0.0625.
        let w = weeks(&[1_000; 9], 1_000);
        let e = estimate_lift(&w, 6, 0.6);
        let weight = 0.0625 / (0.0625 + 0.000_525);
        assert!((e.evidence_weight - weight).abs() < 1e-12, "{e:?}");
        assert!((e.estimated_pct - 0.6 * (1.0 - weight)).abs() < 1e-12);
        // Two weeks before at 0.9 and 1.1: the sample sd is 0.1414.
        let e = estimate_lift(&weeks(&[900, 1_100, 1_000], 1_000), 2, 0.6);
        assert!((e.week_noise_sd - 0.02f64.sqrt()).abs() < 1e-12, "{e:?}");
        // The level rests on the last four weeks only.
        let e = estimate_lift(
            &weeks(&[500, 500, 1_000, 1_000, 1_000, 1_000, 1_000], 1_000),
            6,
            0.3,
        );
        assert!((e.pre_markdown_level - 1.0).abs() < 1e-12, "{e:?}");
        // Nothing sold before: no level to read a lift against.
        let e = estimate_lift(&weeks(&[0, 0, 100], 1_000), 2, 0.3);
        assert_eq!(e.pre_markdown_level, 0.0);
        assert_eq!(e.estimated_pct, 0.3);
        assert_eq!(e.evidence_weight, 0.0);
        // A negative lift handed to the footing counts as none.
        assert_eq!(
            observed_on_baseline(&weeks(&[800, 800], 1_000), Some(1), -0.5),
            vec![800, 800]
        );
        assert_eq!(
            observed_on_baseline(&weeks(&[800, 800], 1_000), None, 0.6),
            vec![800, 800]
        );
    }

    #[test]
    fn a_lift_that_came_is_kept() {
        // Level 0.9 before; +30% after on that level.
        let mut sold = vec![900; 6];
        sold.extend([1_170, 1_170]);
        let e = estimate_lift(&weeks(&sold, 1_000), 6, 0.3);
        assert!((e.pre_markdown_level - 0.9).abs() < 1e-12);
        assert!((e.observed_pct.expect("observed") - 0.3).abs() < 1e-12);
        assert!((e.estimated_pct - 0.3).abs() < 1e-12);
    }

    #[test]
    fn few_or_noisy_weeks_stay_near_the_assumption() {
        // Noisy weeks before (σ ≈ 0.27) and one week after at −0% lift: the estimate
        // moves toward 0 but keeps a good part of the assumption.
        let sold = [700, 1_300, 800, 1_200, 1_000];
        let e = estimate_lift(&weeks(&sold, 1_000), 4, 0.6);
        assert_eq!(e.weeks_seen, 1);
        assert!(e.week_noise_sd > 0.2, "{e:?}");
        assert!(e.estimated_pct > 0.25 && e.estimated_pct < 0.6, "{e:?}");
        // Nothing seen after the markdown yet: the assumption stands.
        let e = estimate_lift(&weeks(&[1_000; 4], 1_000), 4, 0.6);
        assert_eq!(e.observed_pct, None);
        assert_eq!(e.estimated_pct, 0.6);
        assert_eq!(e.evidence_weight, 0.0);
        assert_eq!(e.week_noise_sd, MIN_WEEK_NOISE_SD);
    }

    #[test]
    fn censored_weeks_are_not_evidence() {
        let mut w = weeks(&[1_000, 1_000, 1_000, 1_000, 1_000], 1_000);
        // Week 5 sold out early: it says nothing about the lift.
        w[4].censored = true;
        w[4].sold = 400;
        let e = estimate_lift(&w, 3, 0.6);
        assert_eq!(e.weeks_seen, 1);
        assert_eq!(e.observed_pct, Some(0.0));
        // On the footing, the censored week counts as on plan.
        assert_eq!(observed_on_baseline(&w, Some(3), 0.0)[4], 1_000);
        // Only one week before the markdown shows the noise: the default applies.
        let e = estimate_lift(&weeks(&[1_000, 1_000], 1_000), 1, 0.6);
        assert_eq!(e.week_noise_sd, DEFAULT_WEEK_NOISE_SD);
    }

    #[test]
    fn the_estimate_never_goes_below_zero() {
        let mut sold = vec![1_000; 4];
        sold.extend([500, 500, 500]);
        let e = estimate_lift(&weeks(&sold, 1_000), 4, 0.3);
        assert!((e.observed_pct.expect("observed") + 0.5).abs() < 1e-12);
        assert_eq!(e.estimated_pct, 0.0);
    }
}

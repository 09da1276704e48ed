//! Seeded draws of whole seasons of store demand, built on the category's history,
//! for simulating many seasons rather than the three shipped ones.
//!
//! A draw starts from the **baseline**: each store's units on the same weekday one
//! year (364 days, or a multiple of it) before each season day, from the history.
//! It multiplies it by, with the defaults of [`SyntheticConfig`]:
//! - a **season level** L = 1 + N(−0.15, 0.10²), at least 0.05: the shipped
//!   scenarios sit 11–51% below the same weeks of the year before, and a season
//!   rarely matches last year;
//! - a **store shock** per store, lognormal with mean 1 and log-sd 0.15: local
//!   competition, a refit, a new neighbour;
//! - a **week factor** per week, lognormal with mean 1 and log-sd 0.05: weather and
//!   calendar moving the whole network;
//! - **store-week noise**, lognormal with mean 1 and log-sd 0.10;
//! - a **viral spike**, with probability 0.10 a season: from a uniform week, for 2
//!   weeks (the second at half strength), in each store with probability 0.5,
//!   demand × (1 + S), S lognormal with median 0.5 and log-sd 0.3.
//!
//! It then rounds each store-day's expectation up or down at random (unbiased). It
//! also draws **supply disruptions**: with probability 0.10 a season, 1 or 2
//! consecutive weeks from a uniform week during which the DC cannot ship; they
//! are returned as weeks, for the simulator to honour, and do not change demand.
//!
//! Every draw is a pure function of (seed, index): the same seed gives the same
//! seasons on every platform (SplitMix64, `core::rng`).

use crate::data::{ActualSale, CategorySales, StoreNetwork, WeekActuals};
use crate::rng::SplitMix64;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Days in a year of whole weeks: the baseline comes from the same weekday.
const YEAR_DAYS: i64 = 364;

/// Why seasons cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyntheticError {
    /// A season day has no day of the history a whole number of years before it.
    #[error(
        "the history ({first}..={last}) has no day a whole number of years before season day {day}"
    )]
    HistoryDoesNotCover {
        /// The season day.
        day: NaiveDate,
        /// First day of the history.
        first: NaiveDate,
        /// Last day of the history.
        last: NaiveDate,
    },
    /// A distribution's parameter is out of range.
    #[error("synthetic.{field}: {reason}")]
    BadConfig {
        /// The parameter.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The distributions of a draw (see the module documentation for their meaning).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SyntheticConfig {
    /// Mean of L − 1, the season level against last year (−0.15).
    pub level_shift_mean: f64,
    /// Standard deviation of L (0.10).
    pub level_shift_sd: f64,
    /// Log-sd of the store shocks (0.15).
    pub store_shock_sd: f64,
    /// Log-sd of the network's week factors (0.05).
    pub week_noise_sd: f64,
    /// Log-sd of the store-week noise (0.10).
    pub store_week_noise_sd: f64,
    /// Probability of a viral spike in a season (0.10).
    pub spike_probability: f64,
    /// Probability that a spike reaches a given store (0.5).
    pub spike_store_probability: f64,
    /// Median of the spike's lift S (0.5 = +50%).
    pub spike_lift_median: f64,
    /// Log-sd of the spike's lift (0.3).
    pub spike_lift_sd: f64,
    /// Probability of a supply disruption in a season (0.10).
    pub disruption_probability: f64,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            level_shift_mean: -0.15,
            level_shift_sd: 0.10,
            store_shock_sd: 0.15,
            week_noise_sd: 0.05,
            store_week_noise_sd: 0.10,
            spike_probability: 0.10,
            spike_store_probability: 0.5,
            spike_lift_median: 0.5,
            spike_lift_sd: 0.3,
            disruption_probability: 0.10,
        }
    }
}

impl SyntheticConfig {
    /// Checks every parameter is usable.
    pub fn validate(&self) -> Result<(), SyntheticError> {
        let bad =
            |field: &'static str, reason: String| Err(SyntheticError::BadConfig { field, reason });
        if !(self.level_shift_mean.is_finite() && self.level_shift_mean > -1.0) {
            return bad(
                "level_shift_mean",
                format!("{} is not above −1", self.level_shift_mean),
            );
        }
        let spreads = [
            ("level_shift_sd", self.level_shift_sd),
            ("store_shock_sd", self.store_shock_sd),
            ("week_noise_sd", self.week_noise_sd),
            ("store_week_noise_sd", self.store_week_noise_sd),
            ("spike_lift_sd", self.spike_lift_sd),
            ("spike_lift_median", self.spike_lift_median),
        ];
        for (field, value) in spreads {
            if !(value.is_finite() && (0.0..=5.0).contains(&value)) {
                return bad(field, format!("{value} is outside 0..=5"));
            }
        }
        let chances = [
            ("spike_probability", self.spike_probability),
            ("spike_store_probability", self.spike_store_probability),
            ("disruption_probability", self.disruption_probability),
        ];
        for (field, value) in chances {
            if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
                return bad(field, format!("{value} is not a probability"));
            }
        }
        Ok(())
    }
}

/// A viral spike that happened in a draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViralSpike {
    /// First week hit, 1-based.
    pub start_week: u32,
    /// Lift S in its first week (half of it the week after).
    pub lift: f64,
    /// Positions of the stores it reached.
    pub stores: Vec<usize>,
}

/// One drawn season.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticSeason {
    /// The draw's index under its seed.
    pub index: u64,
    /// The season level L against last year.
    pub level: f64,
    /// Each store's shock.
    pub store_shocks: Vec<f64>,
    /// The network's week factors.
    pub week_factors: Vec<f64>,
    /// The viral spike, if one happened.
    pub spike: Option<ViralSpike>,
    /// Weeks (1-based) in which the DC cannot ship.
    pub disrupted_weeks: Vec<u32>,
    /// Units demanded, by store position then season day.
    pub daily: Vec<Vec<u32>>,
}

impl SyntheticSeason {
    /// Units demanded per store in season week `week` (1-based).
    pub fn week_units(&self, week: u32) -> Vec<u64> {
        let from = 7 * (week.max(1) as usize - 1);
        self.daily
            .iter()
            .map(|days| days.iter().skip(from).take(7).map(|u| u64::from(*u)).sum())
            .collect()
    }

    /// The season's demand over all stores and days.
    pub fn total_units(&self) -> u64 {
        self.daily.iter().flatten().map(|u| u64::from(*u)).sum()
    }

    /// Week `week` as the weekly file a scenario would hold: one row per store and
    /// day, so the engine plays it as it plays the shipped scenarios.
    pub fn week_actuals(&self, week: u32, network: &StoreNetwork, start: NaiveDate) -> WeekActuals {
        let from = 7 * (week.max(1) as usize - 1);
        let mut rows = Vec::with_capacity(7 * network.len());
        for day in from..from + 7 {
            let date = start + Duration::days(day as i64);
            for (store, days) in network.stores().iter().zip(&self.daily) {
                rows.push(ActualSale {
                    date,
                    store_id: store.store_id.clone(),
                    quantity_sold: days.get(day).copied().unwrap_or(0),
                });
            }
        }
        WeekActuals { rows }
    }
}

/// Draws seasons for one category, season start and length.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonGenerator {
    /// First day of the season.
    pub season_start: NaiveDate,
    /// Season length in weeks.
    pub weeks: u32,
    /// The distributions.
    pub config: SyntheticConfig,
    /// Baseline units by store position then season day.
    pub baseline: Vec<Vec<f64>>,
}

impl SeasonGenerator {
    /// The generator for a season from the category's history (see the module
    /// documentation for the baseline).
    pub fn from_history(
        sales: &CategorySales,
        season_start: NaiveDate,
        weeks: u32,
        config: SyntheticConfig,
    ) -> Result<SeasonGenerator, SyntheticError> {
        config.validate()?;
        let (Some(first), Some(last)) =
            (sales.daily_units.keys().next().copied(), sales.last_date())
        else {
            return Err(SyntheticError::HistoryDoesNotCover {
                day: season_start,
                first: season_start,
                last: season_start,
            });
        };
        let days = 7 * weeks as i64;
        let mut sources = Vec::with_capacity(days as usize);
        for offset in 0..days {
            let day = season_start + Duration::days(offset);
            let years_back = ((day - last).num_days().max(0) + YEAR_DAYS - 1) / YEAR_DAYS;
            let source = day - Duration::days(YEAR_DAYS * years_back.max(1));
            if source < first {
                return Err(SyntheticError::HistoryDoesNotCover { day, first, last });
            }
            sources.push(source);
        }
        let baseline = sales
            .store_daily_units
            .iter()
            .map(|store| {
                sources
                    .iter()
                    .map(|d| f64::from(store.get(d).copied().unwrap_or(0)))
                    .collect()
            })
            .collect();
        Ok(SeasonGenerator {
            season_start,
            weeks,
            config,
            baseline,
        })
    }

    /// The baseline's units over the season: last year's demand.
    pub fn baseline_total(&self) -> f64 {
        self.baseline.iter().flatten().sum()
    }

    /// Draw number `index` under `seed`.
    pub fn draw(&self, seed: u64, index: u64) -> SyntheticSeason {
        let mut rng = SplitMix64::new(draw_seed(seed, index));
        let c = &self.config;
        let stores = self.baseline.len();
        let level = rng
            .normal(1.0 + c.level_shift_mean, c.level_shift_sd)
            .max(0.05);
        let store_shocks: Vec<f64> = (0..stores)
            .map(|_| mean_one(&mut rng, c.store_shock_sd))
            .collect();
        let week_factors: Vec<f64> = (0..self.weeks)
            .map(|_| mean_one(&mut rng, c.week_noise_sd))
            .collect();
        let spike = self.draw_spike(&mut rng);
        let disrupted_weeks = self.draw_disruption(&mut rng);
        let daily = (0..stores)
            .map(|s| {
                let mut days = Vec::with_capacity(7 * self.weeks as usize);
                for week in 1..=self.weeks {
                    let noise = mean_one(&mut rng, c.store_week_noise_sd);
                    let spike_factor = spike.as_ref().map_or(1.0, |v| spike_factor(v, s, week));
                    let factor = level
                        * store_shocks[s]
                        * week_factors[week as usize - 1]
                        * noise
                        * spike_factor;
                    for d in 0..7 {
                        let expected = self.baseline[s][7 * (week as usize - 1) + d] * factor;
                        days.push(
                            u32::try_from(rng.round_stochastic(expected)).unwrap_or(u32::MAX),
                        );
                    }
                }
                days
            })
            .collect();
        SyntheticSeason {
            index,
            level,
            store_shocks,
            week_factors,
            spike,
            disrupted_weeks,
            daily,
        }
    }

    fn draw_spike(&self, rng: &mut SplitMix64) -> Option<ViralSpike> {
        let c = &self.config;
        if !rng.chance(c.spike_probability) {
            return None;
        }
        let start_week = 1 + rng.below(u64::from(self.weeks)) as u32;
        let lift = c.spike_lift_median * rng.normal(0.0, c.spike_lift_sd).exp();
        let stores = (0..self.baseline.len())
            .filter(|_| rng.chance(c.spike_store_probability))
            .collect();
        Some(ViralSpike {
            start_week,
            lift,
            stores,
        })
    }

    fn draw_disruption(&self, rng: &mut SplitMix64) -> Vec<u32> {
        if !rng.chance(self.config.disruption_probability) {
            return Vec::new();
        }
        let start = 1 + rng.below(u64::from(self.weeks)) as u32;
        let length = 1 + rng.below(2) as u32;
        (start..start + length)
            .filter(|w| *w <= self.weeks)
            .collect()
    }
}

/// The spike's multiplier for a store in a week: 1 + S in its first week, 1 + S/2
/// in its second, 1 elsewhere.
fn spike_factor(spike: &ViralSpike, store: usize, week: u32) -> f64 {
    if !spike.stores.contains(&store) {
        return 1.0;
    }
    match week.checked_sub(spike.start_week) {
        Some(0) => 1.0 + spike.lift,
        Some(1) => 1.0 + spike.lift / 2.0,
        _ => 1.0,
    }
}

/// A lognormal draw with mean 1 and log-sd `sd`.
fn mean_one(rng: &mut SplitMix64, sd: f64) -> f64 {
    rng.normal(-sd * sd / 2.0, sd).exp()
}

/// The generator's seed for draw `index`: one SplitMix64 step over the pair, so
/// neighbouring indices give unrelated sequences.
fn draw_seed(seed: u64, index: u64) -> u64 {
    SplitMix64::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    /// Two stores over two years: store 0 sells 10 a day in 2023 and 20 in 2024,
    /// store 1 sells 30.
    fn sales() -> CategorySales {
        let mut store_daily_units = vec![BTreeMap::new(), BTreeMap::new()];
        let mut daily_units = BTreeMap::new();
        let mut day = d(2023, 1, 2);
        while day <= d(2024, 12, 29) {
            let first = if day < d(2024, 1, 1) { 10 } else { 20 };
            store_daily_units[0].insert(day, first);
            store_daily_units[1].insert(day, 30);
            daily_units.insert(day, u64::from(first) + 30);
            day += Duration::days(1);
        }
        CategorySales {
            daily_units,
            store_daily_units,
            revenue: 0.0,
            units: 0,
        }
    }

    fn generator(config: SyntheticConfig) -> SeasonGenerator {
        SeasonGenerator::from_history(&sales(), d(2025, 2, 17), 12, config).expect("generator")
    }

    #[test]
    fn the_baseline_is_last_year_and_the_history_must_cover_it() {
        let config = SyntheticConfig::default();
        let g = generator(config);
        assert_eq!(g.baseline.len(), 2);
        assert_eq!(g.baseline[0].len(), 84);
        // From 2024-02-19: 20 + 30 a day.
        assert_eq!(g.baseline_total(), 84.0 * 50.0);
        assert_eq!(g.baseline[0][0], 20.0);
        // Two years after the history: still taken from 2024, 728 days back.
        let later = SeasonGenerator::from_history(&sales(), d(2026, 2, 16), 12, config)
            .expect("two years on");
        assert_eq!(later.baseline_total(), 84.0 * 50.0);
        // A season inside the history takes the year before it.
        let inside =
            SeasonGenerator::from_history(&sales(), d(2024, 6, 3), 12, config).expect("inside");
        assert_eq!(inside.baseline_total(), 84.0 * 40.0);
        // A season straddling the history's end: each day a year back.
        let straddle = SeasonGenerator::from_history(&sales(), d(2024, 12, 2), 12, config)
            .expect("straddles the history's end");
        assert_eq!(straddle.baseline[0][0], 10.0);
        assert_eq!(straddle.baseline[0][83], 20.0);
        let empty =
            SeasonGenerator::from_history(&CategorySales::default(), d(2025, 2, 17), 12, config);
        assert!(matches!(
            empty,
            Err(SyntheticError::HistoryDoesNotCover { .. })
        ));
        let err = SeasonGenerator::from_history(&sales(), d(2023, 6, 1), 12, config)
            .expect_err("before a year of history");
        assert!(
            err.to_string().contains("no day a whole number of years"),
            "{err}"
        );
    }

    #[test]
    fn every_bad_distribution_parameter_is_named() {
        let bad = SyntheticConfig {
            spike_probability: 1.5,
            ..SyntheticConfig::default()
        };
        let err =
            SeasonGenerator::from_history(&sales(), d(2025, 2, 17), 12, bad).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "synthetic.spike_probability: 1.5 is not a probability"
        );
        let d0 = SyntheticConfig::default();
        let cases = [
            (
                SyntheticConfig {
                    level_shift_mean: -1.0,
                    ..d0
                },
                "level_shift_mean",
            ),
            (
                SyntheticConfig {
                    level_shift_mean: f64::NAN,
                    ..d0
                },
                "level_shift_mean",
            ),
            (
                SyntheticConfig {
                    level_shift_sd: -0.1,
                    ..d0
                },
                "level_shift_sd",
            ),
            (
                SyntheticConfig {
                    store_shock_sd: 6.0,
                    ..d0
                },
                "store_shock_sd",
            ),
            (
                SyntheticConfig {
                    week_noise_sd: f64::NAN,
                    ..d0
                },
                "week_noise_sd",
            ),
            (
                SyntheticConfig {
                    store_week_noise_sd: -1.0,
                    ..d0
                },
                "store_week_noise_sd",
            ),
            (
                SyntheticConfig {
                    spike_lift_sd: 9.0,
                    ..d0
                },
                "spike_lift_sd",
            ),
            (
                SyntheticConfig {
                    spike_lift_median: -0.5,
                    ..d0
                },
                "spike_lift_median",
            ),
            (
                SyntheticConfig {
                    spike_store_probability: -0.1,
                    ..d0
                },
                "spike_store_probability",
            ),
            (
                SyntheticConfig {
                    disruption_probability: 2.0,
                    ..d0
                },
                "disruption_probability",
            ),
        ];
        for (config, field) in cases {
            match config.validate() {
                Err(SyntheticError::BadConfig { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let edges = SyntheticConfig {
            level_shift_mean: -0.99,
            level_shift_sd: 0.0,
            store_shock_sd: 5.0,
            spike_probability: 1.0,
            disruption_probability: 0.0,
            ..d0
        };
        assert_eq!(edges.validate(), Ok(()));
    }

    #[test]
    fn the_same_seed_gives_the_same_seasons() {
        let g = generator(SyntheticConfig::default());
        assert_eq!(g.draw(7, 3), g.draw(7, 3));
        assert_ne!(g.draw(7, 3).daily, g.draw(7, 4).daily);
        assert_ne!(g.draw(7, 3).daily, g.draw(8, 3).daily);
        let s = g.draw(7, 3);
        assert_eq!(s.index, 3);
        assert_eq!(s.daily.len(), 2);
        assert_eq!(s.daily[0].len(), 84);
        let weekly: u64 = (1..=12).map(|w| s.week_units(w).iter().sum::<u64>()).sum();
        assert_eq!(weekly, s.total_units());
    }

    fn mean_sd(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn the_distributions_have_their_documented_moments() {
        let g = generator(SyntheticConfig::default());
        let draws: Vec<SyntheticSeason> = (0..4_000).map(|i| g.draw(42, i)).collect();
        let (level_mean, level_sd) =
            mean_sd(&draws.iter().map(|s| s.level - 1.0).collect::<Vec<_>>());
        assert!((level_mean + 0.15).abs() < 0.006, "level mean {level_mean}");
        assert!((level_sd - 0.10).abs() < 0.006, "level sd {level_sd}");
        let shocks: Vec<f64> = draws
            .iter()
            .flat_map(|s| s.store_shocks.iter().map(|x| x.ln()))
            .collect();
        let (_, shock_sd) = mean_sd(&shocks);
        assert!((shock_sd - 0.15).abs() < 0.006, "shock log-sd {shock_sd}");
        let (shock_mean, _) = mean_sd(
            &draws
                .iter()
                .flat_map(|s| s.store_shocks.clone())
                .collect::<Vec<_>>(),
        );
        assert!((shock_mean - 1.0).abs() < 0.01, "shock mean {shock_mean}");
        let weeks: Vec<f64> = draws
            .iter()
            .flat_map(|s| s.week_factors.iter().map(|x| x.ln()))
            .collect();
        let (_, week_sd) = mean_sd(&weeks);
        assert!((week_sd - 0.05).abs() < 0.003, "week log-sd {week_sd}");
        let spikes: Vec<&ViralSpike> = draws.iter().filter_map(|s| s.spike.as_ref()).collect();
        let spike_rate = spikes.len() as f64 / draws.len() as f64;
        assert!((spike_rate - 0.10).abs() < 0.015, "spike rate {spike_rate}");
        let lifts: Vec<f64> = spikes.iter().map(|s| (s.lift / 0.5).ln()).collect();
        let (lift_mean, lift_sd) = mean_sd(&lifts);
        assert!(
            lift_mean.abs() < 0.05 && (lift_sd - 0.3).abs() < 0.05,
            "{lift_mean} {lift_sd}"
        );
        let disrupted = draws
            .iter()
            .filter(|s| !s.disrupted_weeks.is_empty())
            .count() as f64
            / draws.len() as f64;
        assert!(
            (disrupted - 0.10).abs() < 0.015,
            "disruption rate {disrupted}"
        );
        assert!(draws.iter().all(|s| s.disrupted_weeks.len() <= 2
            && s.disrupted_weeks.iter().all(|w| (1..=12).contains(w))));
    }

    #[test]
    fn without_spikes_demand_averages_the_level_times_last_year() {
        let config = SyntheticConfig {
            spike_probability: 0.0,
            ..SyntheticConfig::default()
        };
        let g = generator(config);
        let ratios: Vec<f64> = (0..2_000)
            .map(|i| {
                let s = g.draw(1, i);
                s.total_units() as f64 / g.baseline_total()
            })
            .collect();
        let (mean, _) = mean_sd(&ratios);
        // E[total] = last year × E[L] × 1 × 1 × 1 = 0.85 × last year.
        assert!((mean - 0.85).abs() < 0.01, "mean ratio {mean}");
        assert!(g.draw(1, 0).spike.is_none());
    }

    #[test]
    fn a_spike_lifts_its_two_weeks_in_its_stores() {
        let spike = ViralSpike {
            start_week: 3,
            lift: 0.8,
            stores: vec![1],
        };
        assert_eq!(spike_factor(&spike, 1, 3), 1.8);
        assert_eq!(spike_factor(&spike, 1, 4), 1.4);
        assert_eq!(spike_factor(&spike, 1, 5), 1.0);
        assert_eq!(spike_factor(&spike, 1, 2), 1.0);
        assert_eq!(spike_factor(&spike, 0, 3), 1.0);
    }

    #[test]
    fn weeks_become_scenario_files() {
        let stores = crate::sample::stores().expect("stores");
        let sales = crate::sample::history(&stores).expect("history");
        let dresses = sales.category("Women's Dresses").expect("category");
        let start = d(2025, 2, 17);
        let g = SeasonGenerator::from_history(dresses, start, 12, SyntheticConfig::default())
            .expect("generator");
        let s = g.draw(5, 0);
        let week = s.week_actuals(2, &stores, start);
        assert_eq!(week.rows.len(), 7 * stores.len());
        assert_eq!(week.rows[0].date, d(2025, 2, 24));
        assert_eq!(week.rows.last().map(|r| r.date), Some(d(2025, 3, 2)));
        assert_eq!(week.units_by_store(&stores), s.week_units(2));
        // Last year's 12 weeks sold 273,288; a draw sits near 85% of that.
        assert!((g.baseline_total() - 273_288.0).abs() < 1.0);
        let ratio = s.total_units() as f64 / g.baseline_total();
        assert!((0.4..1.6).contains(&ratio), "{ratio}");
    }
}

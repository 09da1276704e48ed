//! `margin`'s manufacturing order: the newsvendor quantile of season demand at the
//! critical ratio (p − c) ÷ (p − s), from an error distribution of the season total
//! that is honest about what the history cannot show.
//!
//! The distribution is lognormal: ln(actual ÷ forecast) ~ N(bias, sd²), with
//! - `bias` and `model_sd`: the mean and spread of ln(actual ÷ forecast) over
//!   rolling-origin backtests of the same ensemble at the season's real gap and
//!   horizon (every 2 weeks over the last year of origins, not the 8 the forecast's
//!   own interval uses);
//! - `level_sd`: the season's level shift that backtests on a smooth history never
//!   see, the larger of the category's own year-over-year level changes at the
//!   season's horizon and the tunable floor `season_level_sd` (0.15). On the sample
//!   history both backtests (≈1%) and year-over-year changes (≈1%) are tiny, while
//!   the shipped scenarios sit 11–51% below the same weeks of the year before: the
//!   floor is what keeps the order from trusting a ±2.4% interval;
//! - `sd` = √(model_sd² + level_sd²). Where a history shows large year-over-year
//!   swings the backtests already contain part of them, so the sum errs wide; at a
//!   critical ratio near 0.65 (z ≈ 0.39) a too-wide sd costs 0.39 × the excess.
//!
//! The order is forecast × exp(bias + z · sd), z = Φ⁻¹(critical ratio); coverage of
//! the quantile and of the 80% interval is measured by the `order_coverage` example
//! and the `policy_order` integration test.

use crate::data::WeeklySeries;
use crate::demand::{DemandError, TotalBacktest, backtest_season_totals};
use crate::economics::Economics;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Weeks between backtest origins: every other week sees every time of year
/// while halving the work.
pub const BACKTEST_STRIDE_WEEKS: usize = 2;
/// At most this many origins: a year of them.
pub const MAX_BACKTEST_ORIGINS: usize = 26;

/// The distribution of ln(actual season total ÷ forecast).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForecastErrorModel {
    /// Backtests the model rests on (0: no backtest was possible).
    pub origins: usize,
    /// Mean ln(actual ÷ forecast) over the backtests (positive: the ensemble
    /// forecast low).
    pub bias: f64,
    /// Standard deviation of ln(actual ÷ forecast) over the backtests.
    pub model_sd: f64,
    /// Standard deviation of the category's year-over-year log level change over
    /// windows of the season's length.
    pub year_over_year_sd: f64,
    /// The tunable floor on the level shift.
    pub level_sd_floor: f64,
    /// max(year_over_year_sd, level_sd_floor).
    pub level_sd: f64,
    /// √(model_sd² + level_sd²): the spread the order uses.
    pub sd: f64,
    /// Earlier seasons the centre was calibrated on (0: the backtests alone).
    #[serde(default)]
    pub prior_seasons: usize,
}

/// The prior's spread of the season centre around the backtests' bias (log): a
/// level the history has not shown is as likely as the level floor says.
pub const CENTRE_PRIOR_SD: f64 = 0.15;
/// Weight of the level floor against the seasons' own spread, in seasons: with two
/// earlier seasons the floor and their spread count alike.
pub const LEVEL_FLOOR_SEASONS: f64 = 2.0;

impl ForecastErrorModel {
    /// The model from backtest results and year-over-year log changes.
    pub fn from_parts(
        backtests: &[TotalBacktest],
        year_over_year: &[f64],
        level_sd_floor: f64,
    ) -> ForecastErrorModel {
        let logs: Vec<f64> = backtests
            .iter()
            .filter(|b| b.forecast > 0.0 && b.actual > 0.0)
            .map(|b| (b.actual / b.forecast).ln())
            .collect();
        let (bias, model_sd) = mean_sd(&logs);
        let (_, year_over_year_sd) = mean_sd(year_over_year);
        let level_sd = year_over_year_sd.max(level_sd_floor.max(0.0));
        ForecastErrorModel {
            origins: logs.len(),
            bias,
            model_sd,
            year_over_year_sd,
            level_sd_floor,
            level_sd,
            sd: (model_sd * model_sd + level_sd * level_sd).sqrt(),
            prior_seasons: 0,
        }
    }

    /// The model centred on earlier seasons of the category: `ratios` are each
    /// season's actual demand ÷ the forecast made for it. Normal-normal shrinkage of
    /// the centre: prior N(bias, [`CENTRE_PRIOR_SD`]²) from the backtests, seasons
    /// ln(ratio) ~ N(centre, level²), where the level spread pools the floor
    /// (weight [`LEVEL_FLOOR_SEASONS`]) with the seasons' own spread. The order's
    /// spread is the level's plus the centre's remaining uncertainty; the
    /// backtests' own spread is inside each season's ratio, so it is not added
    /// again. Ratios that are not positive and finite are left out.
    pub fn calibrated(&self, ratios: &[f64]) -> ForecastErrorModel {
        let logs: Vec<f64> = ratios
            .iter()
            .filter(|r| r.is_finite() && **r > 0.0)
            .map(|r| r.ln())
            .collect();
        if logs.is_empty() {
            return *self;
        }
        let n = logs.len() as f64;
        let (mean, spread) = mean_sd(&logs);
        let k = LEVEL_FLOOR_SEASONS;
        let level_var = (k * self.level_sd.powi(2) + n * spread.powi(2)) / (k + n);
        let prior_var = CENTRE_PRIOR_SD * CENTRE_PRIOR_SD;
        let post_var = 1.0 / (1.0 / prior_var + n / level_var.max(1e-12));
        let centre = post_var * (self.bias / prior_var + n * mean / level_var.max(1e-12));
        ForecastErrorModel {
            bias: centre,
            level_sd: level_var.sqrt(),
            sd: (level_var + post_var).sqrt(),
            prior_seasons: logs.len(),
            ..*self
        }
    }

    /// The model for a season from the category's weekly history.
    pub fn from_history(
        history: &WeeklySeries,
        season_start: NaiveDate,
        horizon_weeks: u32,
        level_sd_floor: f64,
    ) -> Result<ForecastErrorModel, DemandError> {
        let backtests = backtest_season_totals(
            history,
            season_start,
            horizon_weeks,
            BACKTEST_STRIDE_WEEKS,
            MAX_BACKTEST_ORIGINS,
        )?;
        let yoy = year_over_year_log_changes(&history.values, horizon_weeks as usize);
        Ok(ForecastErrorModel::from_parts(
            &backtests,
            &yoy,
            level_sd_floor,
        ))
    }

    /// actual ÷ forecast at probability `q` (0 < q < 1): the forecast times this is
    /// the q-quantile of season demand.
    pub fn quantile_ratio(&self, q: f64) -> f64 {
        (self.bias + normal_quantile(q) * self.sd).exp()
    }

    /// The central interval of nominal coverage `level` (0.8 for 80%) around a
    /// forecast of `total` units, whole units outward.
    pub fn interval(&self, total: u64, level: f64) -> (u64, u64) {
        let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
        let low = total as f64 * self.quantile_ratio(tail);
        let high = total as f64 * self.quantile_ratio(1.0 - tail);
        (low.floor().max(0.0) as u64, high.ceil().max(0.0) as u64)
    }
}

/// Log changes ln(window ÷ same window a year earlier) for every window of `weeks`
/// weeks (one week apart) with a full year before it; windows with a zero total
/// are left out.
pub fn year_over_year_log_changes(values: &[f64], weeks: usize) -> Vec<f64> {
    const YEAR: usize = 52;
    if weeks == 0 || values.len() < YEAR + weeks {
        return Vec::new();
    }
    (YEAR..=values.len() - weeks)
        .filter_map(|start| {
            let now: f64 = values[start..start + weeks].iter().sum();
            let before: f64 = values[start - YEAR..start - YEAR + weeks].iter().sum();
            (now > 0.0 && before > 0.0).then(|| (now / before).ln())
        })
        .collect()
}

/// `margin`'s manufacturing order and the numbers that explain it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NewsvendorOrder {
    /// The ensemble's season total.
    pub forecast_units: u64,
    /// (p − c) ÷ (p − s).
    pub critical_ratio: f64,
    /// Φ⁻¹(critical ratio): how many standard deviations above the median the
    /// order sits.
    pub z: f64,
    /// The error model's bias (log).
    pub error_bias: f64,
    /// The error model's spread (log).
    pub error_sd: f64,
    /// order ÷ forecast before rounding: exp(bias + z · sd).
    pub quantile_ratio: f64,
    /// quantile_ratio − 1: the safety stock this amounts to (negative when the
    /// quantile sits below the forecast).
    pub safety_stock_pct: f64,
    /// The 80% interval of season demand, units.
    pub interval_80: (u64, u64),
    /// round(forecast × quantile_ratio).
    pub order_units: u64,
}

/// The newsvendor order: the critical-ratio quantile of season demand.
pub fn newsvendor_order(
    forecast_units: u64,
    economics: &Economics,
    errors: &ForecastErrorModel,
) -> NewsvendorOrder {
    newsvendor_order_at(forecast_units, economics.critical_ratio(), errors)
}

/// The order at a given critical ratio: a first buy that a chase can top up
/// commits at a lower one (`policy::chase::first_buy_ratio`).
pub fn newsvendor_order_at(
    forecast_units: u64,
    critical_ratio: f64,
    errors: &ForecastErrorModel,
) -> NewsvendorOrder {
    let z = normal_quantile(critical_ratio);
    let quantile_ratio = errors.quantile_ratio(critical_ratio);
    let order = (forecast_units as f64 * quantile_ratio).round();
    NewsvendorOrder {
        forecast_units,
        critical_ratio,
        z,
        error_bias: errors.bias,
        error_sd: errors.sd,
        quantile_ratio,
        safety_stock_pct: quantile_ratio - 1.0,
        interval_80: errors.interval(forecast_units, 0.8),
        order_units: if order.is_finite() {
            order.max(0.0) as u64
        } else {
            0
        },
    }
}

fn mean_sd(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation
/// (relative error below 1.2e-9 over (0, 1)), so no statistics crate is pulled in
/// for one function. p is clamped to [1e-12, 1 − 1e-12]: the tails are finite.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    let p = if p.is_nan() {
        0.5
    } else {
        p.clamp(1e-12, 1.0 - 1e-12)
    };
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Tunables;

    #[test]
    fn normal_quantiles_match_the_tables() {
        for (p, z) in [
            (0.5, 0.0),
            (0.65, 0.385_320_466_4),
            (0.8, 0.841_621_233_6),
            (0.9, 1.281_551_565_5),
            (0.975, 1.959_963_984_5),
            (0.01, -2.326_347_874_0),
            (0.999, 3.090_232_306_2),
        ] {
            assert!((normal_quantile(p) - z).abs() < 1e-8, "p = {p}");
        }
        assert!((normal_quantile(0.2) + normal_quantile(0.8)).abs() < 1e-12);
        assert!(normal_quantile(0.0).is_finite());
        assert!(normal_quantile(1.0) > 7.0);
        assert_eq!(normal_quantile(f64::NAN), 0.0);
    }

    fn backtest(forecast: f64, actual: f64) -> TotalBacktest {
        TotalBacktest {
            cutoff_weeks: 104,
            forecast,
            actual,
        }
    }

    #[test]
    fn the_model_adds_backtest_error_and_level_shift() {
        let e = 0.1f64.exp();
        // ln errors +0.1 and −0.1: bias 0, sd 0.1. Year-over-year changes of ±0.05
        // are below the 0.15 floor.
        let model = ForecastErrorModel::from_parts(
            &[
                backtest(100.0, 100.0 * e),
                backtest(100.0, 100.0 / e),
                backtest(0.0, 5.0),
                backtest(100.0, 0.0),
            ],
            &[0.05, -0.05],
            0.15,
        );
        assert_eq!(model.origins, 2);
        assert!(model.bias.abs() < 1e-12);
        assert!((model.model_sd - 0.1).abs() < 1e-12);
        assert!((model.year_over_year_sd - 0.05).abs() < 1e-12);
        assert_eq!(model.level_sd, 0.15);
        assert!((model.sd - (0.01f64 + 0.0225).sqrt()).abs() < 1e-12);
        // Wide year-over-year swings replace the floor.
        let swings = ForecastErrorModel::from_parts(&[], &[0.3, -0.3], 0.15);
        assert!((swings.level_sd - 0.3).abs() < 1e-12);
        assert!((swings.sd - 0.3).abs() < 1e-12);
        assert_eq!(swings.origins, 0);
    }

    #[test]
    fn the_order_is_the_critical_ratio_quantile() {
        let t = Tunables {
            unit_price: Some(50.0),
            ..Tunables::default()
        };
        let economics = Economics::new(&t, 0.0, 0).expect("price");
        let model = ForecastErrorModel::from_parts(&[], &[], 0.15);
        let order = newsvendor_order(100_000, &economics, &model);
        // Critical ratio 30 / 46 = 0.652: z = 0.391, ratio exp(0.391 × 0.15) = 1.0604.
        assert!((order.critical_ratio - 30.0 / 46.0).abs() < 1e-12);
        assert!((order.z - 0.391_2).abs() < 1e-3, "{}", order.z);
        let ratio = (order.z * 0.15).exp();
        assert!((order.quantile_ratio - ratio).abs() < 1e-12);
        assert!((order.safety_stock_pct - (ratio - 1.0)).abs() < 1e-12);
        assert_eq!(order.order_units, (100_000.0 * ratio).round() as u64);
        assert_eq!(order.order_units, 106_044);
        // 80%: exp(±1.2816 × 0.15) = 0.82511 .. 1.21195.
        assert_eq!(order.interval_80, (82_511, 121_196));
        // A biased ensemble moves the whole distribution.
        let low = ForecastErrorModel {
            bias: -0.1,
            ..model
        };
        let lower = newsvendor_order(100_000, &economics, &low);
        assert!(lower.order_units < order.order_units);
        assert!((lower.quantile_ratio - (ratio * (-0.1f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn earlier_seasons_move_the_centre_by_shrinkage() {
        let model = ForecastErrorModel::from_parts(&[], &[], 0.15);
        assert_eq!(model.calibrated(&[]), model);
        // One season 22% under: prior var 0.0225, level var (2·0.0225 + 0)/3 = 0.015;
        // posterior var 1/(1/0.0225 + 1/0.015) = 0.009, centre 0.009·ln(0.78)/0.015.
        let one = model.calibrated(&[0.78, -1.0, f64::NAN]);
        assert_eq!(one.prior_seasons, 1);
        assert!(
            (one.bias - 0.6 * 0.78f64.ln()).abs() < 1e-12,
            "{}",
            one.bias
        );
        assert!((one.level_sd - 0.015f64.sqrt()).abs() < 1e-12);
        assert!((one.sd - 0.024f64.sqrt()).abs() < 1e-12);
        // Many seasons: the centre is theirs and the spread their own.
        let ratios: Vec<f64> = (0..400)
            .map(|i| (-0.25f64 + if i % 2 == 0 { 0.1 } else { -0.1 }).exp())
            .collect();
        let many = model.calibrated(&ratios);
        assert!((many.bias + 0.25).abs() < 0.002, "{}", many.bias);
        assert!((many.level_sd - 0.1).abs() < 0.002, "{}", many.level_sd);
        assert!(many.sd > many.level_sd && many.sd < 0.102);
    }

    #[test]
    fn year_over_year_windows() {
        // 52 weeks of 10 then 52 weeks of 11: every 4-week window a year on is +10%.
        let mut values = vec![10.0; 52];
        values.extend(vec![11.0; 52]);
        let changes = year_over_year_log_changes(&values, 4);
        assert_eq!(changes.len(), 49);
        assert!(changes.iter().all(|c| (c - 1.1f64.ln()).abs() < 1e-12));
        assert!(year_over_year_log_changes(&values[..55], 4).is_empty());
        assert_eq!(year_over_year_log_changes(&values[..56], 4).len(), 1);
        // Shorter than the window, or a window longer than a year: nothing to compare.
        assert!(year_over_year_log_changes(&[1.0; 3], 4).is_empty());
        assert!(year_over_year_log_changes(&values, 60).is_empty());
        // A window that sold nothing this year is left out too.
        let mut stopped = vec![10.0; 52];
        stopped.extend([0.0; 4]);
        assert!(year_over_year_log_changes(&stopped, 4).is_empty());
        // Windows with nothing sold either year are left out.
        let mut gaps = vec![0.0; 4];
        gaps.extend(vec![10.0; 52]);
        let changes = year_over_year_log_changes(&gaps, 4);
        assert_eq!(changes.len(), 0, "{changes:?}");
        gaps.push(20.0);
        let changes = year_over_year_log_changes(&gaps, 4);
        assert_eq!(changes.len(), 1);
        assert!((changes[0] - 5.0f64.ln()).abs() < 1e-12);
        assert!(year_over_year_log_changes(&values, 0).is_empty());
    }
}

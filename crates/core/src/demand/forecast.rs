//! The season forecast (an equal-weight ensemble of the models in `models`, mapped
//! from Monday weeks onto the season's weeks, with a backtested interval for the
//! total) and the in-season re-forecast of the remaining weeks.

use super::models::{self, Model, PERIOD};
use super::{DemandError, DemandForecast, MemberForecast, TotalInterval};
use crate::data::WeeklySeries;
use crate::split::largest_remainder;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Complete weeks the models need: two years, so that every week of the year has
/// been seen twice and a year-over-year growth can be measured. Public so that an
/// upload of history can be refused before it replaces one that forecasts.
pub const MIN_HISTORY_WEEKS: usize = 2 * PERIOD;
/// At most this many backtests, `BACKTEST_STRIDE` weeks apart, newest first: enough
/// to see the error of different times of year, few enough to stay fast.
const MAX_BACKTESTS: usize = 8;
const BACKTEST_STRIDE: usize = 4;
/// Nominal coverage of the season-total interval.
const INTERVAL_LEVEL: f64 = 0.8;
/// One-sided 90% quantiles of Student's t with 1..=8 degrees of freedom (the
/// two-sided 80% interval), indexed by degrees of freedom − 1.
const T_90: [f64; MAX_BACKTESTS] = [3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397];

/// The ensemble's members: name and model. Equal weights, because with a handful
/// of backtests per category, weights estimated from them would be noisier than the
/// differences they try to exploit (the "forecast combination puzzle"). The
/// decomposition is the third member because it was the most accurate alone on the
/// sample's rolling backtests and lowered (or kept) the ensemble's mean season-total
/// error in every category, season length (12, 26 weeks) and gap (0, 7 weeks) tried.
const MEMBERS: [(&str, Model); 3] = [
    ("holt_winters", models::holt_winters),
    ("seasonal_naive_drift", models::seasonal_naive_drift),
    ("decomposition_trend", models::decomposition_trend),
];

/// The longest gap between the history's end and the season's start that is
/// forecast through: two years. Beyond it the history says little, and the models
/// would be run over an unbounded number of weeks.
pub const MAX_GAP_WEEKS: i64 = 2 * PERIOD as i64;

/// Whether a season can be forecast from this history, without forecasting it: a
/// cheap check for callers that must refuse a season before committing to it.
pub fn check_forecastable(
    history: &WeeklySeries,
    season_start: NaiveDate,
    horizon_weeks: u32,
) -> Result<(), DemandError> {
    if horizon_weeks == 0 || horizon_weeks > PERIOD as u32 {
        return Err(DemandError::BadHorizon(horizon_weeks));
    }
    let weeks = history.values.len();
    if weeks < MIN_HISTORY_WEEKS {
        return Err(DemandError::HistoryTooShort {
            weeks,
            needed: MIN_HISTORY_WEEKS,
        });
    }
    let next_monday = history.next_monday();
    if season_start < next_monday {
        return Err(DemandError::SeasonBeforeHistoryEnd {
            season_start,
            history_end: next_monday - chrono::Duration::days(1),
        });
    }
    let gap_weeks = (season_start - next_monday).num_days() / 7;
    if gap_weeks > MAX_GAP_WEEKS {
        return Err(DemandError::SeasonTooFarAhead {
            season_start,
            gap_weeks,
            max_weeks: MAX_GAP_WEEKS,
        });
    }
    Ok(())
}

/// Forecasts the category's demand for the `horizon_weeks` weeks starting on
/// `season_start` (any weekday; week k is the 7 days from start + 7(k − 1)), from its
/// weekly history.
///
/// Each member forecasts the Monday weeks from the end of the history through the
/// season, so a gap between history and season is bridged rather than ignored; each
/// Monday week's units are spread evenly over its 7 days and the season's weeks
/// collect the days they cover. The ensemble is the members' mean per week; its total
/// is rounded and split into whole weeks with the largest-remainder method, so
/// `weekly` sums to `total_season_demand` exactly. Non-finite or negative history
/// values are read as zero sales.
///
/// The 80% `interval` comes from rolling-origin backtests of the same ensemble with
/// the same gap and horizon on earlier cut-offs of the history (up to 8, 4 weeks
/// apart, newest first, each training on at least 104 weeks): each gives the relative
/// error e = actual / forecast − 1 of the season total; σ is their root mean square
/// (so a bias widens the interval too) and the bounds are total × (1 ± t·σ), with t
/// the 90% quantile of Student's t with as many degrees of freedom as backtests
/// (exact for independent, zero-mean normal errors; the backtests overlap, so it is
/// if anything optimistic). When the history is too short for a single backtest
/// (fewer than 104 weeks + gap + horizon), the errors of the seasonal naive forecast
/// (the same weeks one year earlier, no growth) over the latest 8 windows of the
/// season's length, 4 weeks apart, stand in: a simpler model's errors, so a wider
/// interval.
pub fn forecast_season(
    history: &WeeklySeries,
    season_start: NaiveDate,
    horizon_weeks: u32,
) -> Result<DemandForecast, DemandError> {
    check_forecastable(history, season_start, horizon_weeks)?;
    let next_monday = history.next_monday();
    let values: Vec<f64> = history
        .values
        .iter()
        .map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 })
        .collect();
    let window = SeasonWindow {
        offset_days: (season_start - next_monday).num_days().unsigned_abs() as usize,
        weeks: horizon_weeks as usize,
    };

    let members = forecast_members(&values, window);
    let ensemble = ensemble_mean(&members, window.weeks);
    let total_f64: f64 = ensemble.iter().sum();
    let total = if total_f64.is_finite() {
        total_f64.round().max(0.0) as u64
    } else {
        0
    };
    let weekly = largest_remainder(total, &ensemble);
    let interval = total_interval(total, &relative_errors(&values, window));

    Ok(DemandForecast {
        season_start,
        weekly,
        total_season_demand: total,
        members,
        interval,
    })
}

/// Re-forecasts weeks k+1..=N of a season from its weekly forecast (N weeks) and the
/// actuals of weeks 1..=k (k = `actual_weekly.len()`): the remaining forecast times
/// a level factor, split into whole weeks that keep the rounded scaled total.
///
/// The factor is the median of actual / forecast over the last (up to) four observed
/// weeks whose forecast is above zero, so one unusual week among three or more moves
/// it no further than its neighbours, and an old week does not outweigh recent pace.
/// It is then shrunk toward 1 as 1 + (median − 1) · m / (m + 1), with m the weeks it
/// rests on: the original forecast counts as one week of evidence, so a single week
/// moves the forecast halfway and four weeks 80% of the way. With no observed week
/// forecast above zero there is no ratio to read and the remaining weeks are kept.
/// k = 0 returns the forecast unchanged; k ≥ N returns nothing.
pub fn reforecast_remaining(forecast_weekly: &[u64], actual_weekly: &[u64]) -> Vec<u64> {
    let seen = actual_weekly.len();
    if seen >= forecast_weekly.len() {
        return Vec::new();
    }
    let remaining = &forecast_weekly[seen..];
    let mut ratios: Vec<f64> = forecast_weekly[..seen]
        .iter()
        .zip(actual_weekly)
        .rev()
        .filter(|(forecast, _)| **forecast > 0)
        .take(4)
        .map(|(forecast, actual)| *actual as f64 / *forecast as f64)
        .collect();
    if ratios.is_empty() {
        return remaining.to_vec();
    }
    ratios.sort_by(f64::total_cmp);
    let m = ratios.len();
    let median = if m % 2 == 1 {
        ratios[m / 2]
    } else {
        (ratios[m / 2 - 1] + ratios[m / 2]) / 2.0
    };
    let factor = 1.0 + (median - 1.0) * m as f64 / (m as f64 + 1.0);
    if factor == 1.0 {
        return remaining.to_vec();
    }
    let weights: Vec<f64> = remaining.iter().map(|u| *u as f64).collect();
    let total = (weights.iter().sum::<f64>() * factor).round() as u64;
    largest_remainder(total, &weights)
}

/// One rolling-origin backtest of the ensemble's season total: trained on the
/// history's first `cutoff_weeks` weeks, forecasting a season at the same gap and
/// horizon as the real one, against what those weeks sold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TotalBacktest {
    /// Weeks of history the backtest trained on.
    pub cutoff_weeks: usize,
    /// The ensemble's season total.
    pub forecast: f64,
    /// What the season's days sold.
    pub actual: f64,
}

/// Rolling-origin backtests of the season total at the real season's gap (history
/// end → `season_start`) and horizon, as [`forecast_season`]'s interval uses, but
/// over every origin `stride_weeks` apart (newest first, at most `max_origins`),
/// each training on at least 104 weeks. Empty when the history is too short for
/// one; the error when the season itself cannot be forecast from this history.
pub fn backtest_season_totals(
    history: &WeeklySeries,
    season_start: NaiveDate,
    horizon_weeks: u32,
    stride_weeks: usize,
    max_origins: usize,
) -> Result<Vec<TotalBacktest>, DemandError> {
    check_forecastable(history, season_start, horizon_weeks)?;
    let values: Vec<f64> = history
        .values
        .iter()
        .map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 })
        .collect();
    let window = SeasonWindow {
        offset_days: (season_start - history.next_monday())
            .num_days()
            .unsigned_abs() as usize,
        weeks: horizon_weeks as usize,
    };
    let steps = window.steps();
    let latest_cutoff = values.len().saturating_sub(steps);
    Ok((MIN_HISTORY_WEEKS..=latest_cutoff)
        .rev()
        .step_by(stride_weeks.max(1))
        .take(max_origins)
        .map(|cutoff| {
            let (train, test) = values.split_at(cutoff);
            let members = forecast_members(train, window);
            TotalBacktest {
                cutoff_weeks: cutoff,
                forecast: ensemble_mean(&members, window.weeks).iter().sum(),
                actual: window.season_weeks(&test[..steps]).iter().sum(),
            }
        })
        .collect())
}

/// Where the season lies relative to the end of a history: `offset_days` after its
/// next Monday, `weeks` weeks long.
#[derive(Debug, Clone, Copy)]
struct SeasonWindow {
    offset_days: usize,
    weeks: usize,
}

impl SeasonWindow {
    /// Monday weeks to forecast past the history to cover the season's last day.
    fn steps(self) -> usize {
        (self.offset_days + 7 * self.weeks).div_ceil(7)
    }

    /// Units per season week from units per Monday week (the first Monday week being
    /// the history's next): each Monday week gives a seventh of its units to each of
    /// its days.
    fn season_weeks(self, monday_weeks: &[f64]) -> Vec<f64> {
        (0..self.weeks)
            .map(|k| {
                (0..7)
                    .map(|d| {
                        let day = self.offset_days + 7 * k + d;
                        monday_weeks.get(day / 7).copied().unwrap_or(0.0) / 7.0
                    })
                    .sum()
            })
            .collect()
    }
}

/// Each member's forecast of the season's weeks.
fn forecast_members(values: &[f64], window: SeasonWindow) -> Vec<MemberForecast> {
    MEMBERS
        .iter()
        .map(|(name, model)| {
            let weekly: Vec<f64> = window
                .season_weeks(&model(values, window.steps()))
                .into_iter()
                .map(|y| if y.is_finite() { y.max(0.0) } else { 0.0 })
                .collect();
            MemberForecast {
                model: (*name).to_string(),
                total: weekly.iter().sum(),
                weekly,
            }
        })
        .collect()
}

fn ensemble_mean(members: &[MemberForecast], weeks: usize) -> Vec<f64> {
    (0..weeks)
        .map(|k| members.iter().map(|m| m.weekly[k]).sum::<f64>() / members.len() as f64)
        .collect()
}

/// Relative errors (actual / forecast − 1) of the season total: from backtests of
/// the ensemble when the history allows one, else from the seasonal naive forecast.
fn relative_errors(values: &[f64], window: SeasonWindow) -> Vec<f64> {
    let steps = window.steps();
    let latest_cutoff = values.len().saturating_sub(steps);
    let backtests: Vec<f64> = (MIN_HISTORY_WEEKS..=latest_cutoff)
        .rev()
        .step_by(BACKTEST_STRIDE)
        .take(MAX_BACKTESTS)
        .filter_map(|cutoff| {
            let (train, test) = values.split_at(cutoff);
            let members = forecast_members(train, window);
            let forecast: f64 = ensemble_mean(&members, window.weeks).iter().sum();
            let actual: f64 = window.season_weeks(&test[..steps]).iter().sum();
            relative_error(actual, forecast)
        })
        .collect();
    if !backtests.is_empty() {
        return backtests;
    }
    let length = 7 * window.weeks;
    let daily: Vec<f64> = values.iter().flat_map(|w| [w / 7.0; 7]).collect();
    let year = 7 * PERIOD;
    (year..=daily.len().saturating_sub(length))
        .rev()
        .step_by(7 * BACKTEST_STRIDE)
        .take(MAX_BACKTESTS)
        .filter_map(|start| {
            let actual: f64 = daily[start..start + length].iter().sum();
            let naive: f64 = daily[start - year..start - year + length].iter().sum();
            relative_error(actual, naive)
        })
        .collect()
}

fn relative_error(actual: f64, forecast: f64) -> Option<f64> {
    (forecast > 0.0 && actual.is_finite()).then(|| actual / forecast - 1.0)
}

/// The 80% interval total × (1 ± t·σ) described on [`forecast_season`]; a point when
/// there are no errors to go on (a history of zeros).
fn total_interval(total: u64, errors: &[f64]) -> TotalInterval {
    let n = errors.len().min(MAX_BACKTESTS);
    let half_width = match n {
        0 => 0.0,
        _ => {
            let sigma = (errors.iter().map(|e| e * e).sum::<f64>() / errors.len() as f64).sqrt();
            T_90[n - 1] * sigma * total as f64
        }
    };
    TotalInterval {
        level: INTERVAL_LEVEL,
        low: (total as f64 - half_width).floor().max(0.0) as u64,
        high: (total as f64 + half_width).ceil() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn series(values: Vec<f64>) -> WeeklySeries {
        WeeklySeries {
            first_monday: d(2022, 1, 3),
            values,
        }
    }

    #[test]
    fn inputs_outside_the_contract_are_refused() {
        let h = series(vec![100.0; 110]);
        let next = h.next_monday();
        assert_eq!(
            forecast_season(&h, next, 0),
            Err(DemandError::BadHorizon(0))
        );
        assert_eq!(
            forecast_season(&h, next, 53),
            Err(DemandError::BadHorizon(53))
        );
        assert_eq!(
            forecast_season(&series(vec![100.0; 103]), next, 12),
            Err(DemandError::HistoryTooShort {
                weeks: 103,
                needed: 104
            })
        );
        assert_eq!(
            forecast_season(&h, next - chrono::Duration::days(1), 12),
            Err(DemandError::SeasonBeforeHistoryEnd {
                season_start: next - chrono::Duration::days(1),
                history_end: next - chrono::Duration::days(1),
            })
        );
    }

    #[test]
    fn constant_history_gives_a_constant_season_and_a_point_interval() {
        let h = series(vec![700.0; 120]);
        // A Thursday start, three weeks after the history ends.
        let start = h.next_monday() + chrono::Duration::days(24);
        let f = forecast_season(&h, start, 10).expect("forecast");
        assert_eq!(f.weekly, vec![700; 10]);
        assert_eq!(f.total_season_demand, 7000);
        assert_eq!((f.interval.low, f.interval.high), (7000, 7000));
        assert_eq!(f.members.len(), 3);
    }

    #[test]
    fn zero_and_odd_histories_do_not_panic() {
        let zeros = forecast_season(&series(vec![0.0; 104]), d(2024, 1, 1), 52).expect("zeros");
        assert_eq!(zeros.total_season_demand, 0);
        assert_eq!(zeros.weekly, vec![0; 52]);
        let mut odd = vec![f64::NAN, -5.0, f64::INFINITY];
        odd.extend(vec![10.0; 101]);
        let f = forecast_season(&series(odd), d(2024, 1, 1), 52).expect("odd");
        assert_eq!(f.weekly.iter().sum::<u64>(), f.total_season_demand);
        assert!(
            f.interval.low <= f.total_season_demand && f.total_season_demand <= f.interval.high
        );
    }

    #[test]
    fn days_are_mapped_by_overlap() {
        // Monday weeks of 70 and 140 units; a season starting on the Thursday of the
        // first collects 4 days of the first week (40) and 3 of the second (60).
        let window = SeasonWindow {
            offset_days: 3,
            weeks: 1,
        };
        assert_eq!(window.steps(), 2);
        let weeks = window.season_weeks(&[70.0, 140.0]);
        assert!((weeks[0] - 100.0).abs() < 1e-9);
    }

    #[test]
    fn interval_widens_with_the_backtest_errors() {
        let i = total_interval(1000, &[0.1, -0.1]);
        // σ = 0.1, t(2 df) = 1.886.
        assert_eq!((i.low, i.high), (811, 1189));
        assert_eq!(total_interval(1000, &[]).low, 1000);
    }

    fn check_reforecast(forecast: &[u64], actual: &[u64], expect: &[u64]) {
        assert_eq!(reforecast_remaining(forecast, actual), expect);
    }

    #[test]
    fn reforecast_follows_a_sustained_change() {
        // 30% above for 3 weeks: factor 1 + 0.3 · 3/4 = 1.225.
        check_reforecast(&[100; 7], &[130, 130, 130], &[123, 123, 122, 122]);
        // 30% below for 4 weeks: factor 1 − 0.3 · 4/5 = 0.76.
        check_reforecast(&[100; 6], &[70, 70, 70, 70], &[76, 76]);
        // One week: half way.
        check_reforecast(&[650, 650, 650], &[850], &[750, 750]);
    }

    #[test]
    fn reforecast_ignores_a_one_week_spike() {
        check_reforecast(&[100; 6], &[100, 300, 100], &[100, 100, 100]);
    }

    #[test]
    fn reforecast_edge_cases() {
        // On plan: unchanged.
        check_reforecast(&[100, 200, 300, 400], &[100, 200], &[300, 400]);
        // Nothing observed, or the whole season observed.
        check_reforecast(&[5, 6], &[], &[5, 6]);
        check_reforecast(&[5, 6], &[5, 6], &[]);
        check_reforecast(&[5], &[5, 6], &[]);
        // Zero forecasts: no ratio to read, no division by zero.
        check_reforecast(&[0, 0, 0, 0], &[10, 20], &[0, 0]);
        check_reforecast(&[0, 100, 100, 100], &[10, 150], &[125, 125]);
    }
}

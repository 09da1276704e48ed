//! The statistical models the Demand ensemble averages, each forecasting a weekly
//! series (Monday weeks) a number of steps past its last week: Holt-Winters
//! exponential smoothing, a seasonal naive forecast with year-over-year drift and a
//! classical seasonal decomposition with a linear trend.

/// Weeks in the seasonal cycle: retail demand repeats yearly.
pub(super) const PERIOD: usize = 52;

/// A model's signature: the weekly history in, forecasts for the given number of
/// weeks after it out.
pub(super) type Model = fn(&[f64], usize) -> Vec<f64>;

/// Holt-Winters exponential smoothing with an additive trend (damped when that fits
/// better) and a 52-week season, its four parameters fitted by minimising the
/// in-sample one-step squared error.
///
/// Seasonality is multiplicative (retail peaks grow with the level) when every week
/// sold something, additive otherwise: a week of zeros would make a multiplicative
/// index divide by zero. If no multiplicative fit stays finite (a level driven to
/// zero), the additive one is used. Forecasts are clipped at zero because demand
/// cannot be negative. Series shorter than one season get their mean, repeated.
pub(super) fn holt_winters(values: &[f64], steps: usize) -> Vec<f64> {
    if values.len() < PERIOD {
        return vec![mean(values); steps];
    }
    let multiplicative = values.iter().all(|v| *v > 0.0);
    let fit = multiplicative
        .then(|| HoltWinters::fit(values, Seasonality::Multiplicative))
        .flatten()
        .or_else(|| HoltWinters::fit(values, Seasonality::Additive));
    match fit {
        Some(model) => model.forecast(values.len(), steps),
        // Only non-finite input gets here: nothing better than its mean is known.
        None => vec![mean(values); steps],
    }
}

/// Seasonal naive with drift: each future week is the average of the same week in
/// every earlier year of the history, each scaled by the yearly growth once per year
/// it lies back (see [`yearly_growth`]). Averaging years damps one-off events; the
/// growth factor carries the trend the plain seasonal naive forecast misses.
/// Series shorter than one season get their mean, repeated.
pub(super) fn seasonal_naive_drift(values: &[f64], steps: usize) -> Vec<f64> {
    let n = values.len();
    let growth = yearly_growth(values);
    (n..n + steps)
        .map(|t| {
            let same_weeks: Vec<f64> = (1..=t / PERIOD)
                .filter(|k| t - k * PERIOD < n)
                .map(|k| values[t - k * PERIOD] * growth.powi(k as i32))
                .collect();
            if same_weeks.is_empty() {
                mean(values)
            } else {
                mean(&same_weeks)
            }
        })
        .collect()
}

/// Classical decomposition with a linear trend: a centred 52-week moving average
/// gives the trend-cycle, the mean ratio of each week of the year to it gives the
/// seasonal indices (differences when some week sold nothing), and a least-squares
/// line through the deseasonalised last two years is extended over the forecast.
/// Unlike the other members, its trend is fitted to every week of the recent past
/// rather than to one-step errors or two yearly totals. Series shorter than one
/// season and a week get their mean, repeated.
pub(super) fn decomposition_trend(values: &[f64], steps: usize) -> Vec<f64> {
    let n = values.len();
    if n <= PERIOD {
        return vec![mean(values); steps];
    }
    let half = PERIOD / 2;
    let multiplicative = values.iter().all(|v| *v > 0.0);
    let mut sums = vec![0.0; PERIOD];
    let mut counts = vec![0usize; PERIOD];
    for t in half..n - half {
        // The 2×52 moving average: 53 weeks, the two ends at half weight.
        let window = &values[t - half..=t + half];
        let trend =
            (window.iter().sum::<f64>() - (window[0] + window[PERIOD]) / 2.0) / PERIOD as f64;
        sums[t % PERIOD] += if multiplicative {
            values[t] / trend
        } else {
            values[t] - trend
        };
        counts[t % PERIOD] += 1;
    }
    let neutral = if multiplicative { 1.0 } else { 0.0 };
    let mut season: Vec<f64> = sums
        .iter()
        .zip(&counts)
        .map(|(s, c)| if *c > 0 { s / *c as f64 } else { neutral })
        .collect();
    let average = mean(&season);
    for s in &mut season {
        *s = if multiplicative {
            *s / average
        } else {
            *s - average
        };
    }
    let recent = n.saturating_sub(2 * PERIOD)..n;
    let points: Vec<(f64, f64)> = recent
        .map(|t| {
            let s = season[t % PERIOD];
            let level = if multiplicative {
                values[t] / s
            } else {
                values[t] - s
            };
            (t as f64, level)
        })
        .collect();
    let (intercept, slope) = least_squares(&points);
    (n..n + steps)
        .map(|t| {
            let level = intercept + slope * t as f64;
            let s = season[t % PERIOD];
            let y = if multiplicative { level * s } else { level + s };
            y.max(0.0)
        })
        .collect()
}

/// Intercept and slope of the least-squares line through `points` (flat through
/// their mean when the x values do not vary).
fn least_squares(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (mean_y - slope * mean_x, slope)
}

/// The yearly growth factor: the geometric mean of the last (up to) two
/// year-over-year ratios of trailing 52-week totals, so that a change of trend shows
/// within a year or two. With less than two years, the weeks past the first year are
/// compared with the same weeks one year earlier. 1 when there is nothing to compare
/// or a total is zero.
fn yearly_growth(values: &[f64]) -> f64 {
    let n = values.len();
    let window = PERIOD.min(n.saturating_sub(PERIOD));
    if window == 0 {
        return 1.0;
    }
    let mut log_ratios = Vec::new();
    let mut end = n;
    while end >= window + PERIOD && log_ratios.len() < 2 {
        let now: f64 = values[end - window..end].iter().sum();
        let before: f64 = values[end - window - PERIOD..end - PERIOD].iter().sum();
        if now > 0.0 && before > 0.0 {
            log_ratios.push((now / before).ln());
        }
        end -= PERIOD;
    }
    if log_ratios.is_empty() {
        1.0
    } else {
        mean(&log_ratios).exp()
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Seasonality {
    Additive,
    Multiplicative,
}

/// Smoothing parameters: level (alpha), trend (beta, as a share of the level's
/// change), season (gamma) and trend damping (phi).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Params([f64; 4]);

impl Params {
    /// Bounds per parameter. Gamma is further capped at 1 − alpha (the usual
    /// admissible region). Phi may reach 1 (no damping): the damping also applies
    /// while smoothing, and on the sample a trend damped at 0.98 every week faded
    /// between yearly peaks and under-forecast growing categories by 1–2%.
    const LOW: [f64; 4] = [0.01, 0.0, 0.0, 0.8];
    const HIGH: [f64; 4] = [0.99, 1.0, 0.99, 1.0];

    fn clamped(mut self) -> Params {
        for (i, p) in self.0.iter_mut().enumerate() {
            *p = p.clamp(Self::LOW[i], Self::HIGH[i]);
        }
        self.0[2] = self.0[2].min(1.0 - self.0[0]);
        self
    }
}

/// Level, trend and the 52 seasonal indices; `season[j]` serves weeks `t ≡ j (mod 52)`.
#[derive(Debug, Clone, PartialEq)]
struct HoltWinters {
    seasonality: Seasonality,
    params: Params,
    level: f64,
    trend: f64,
    season: Vec<f64>,
}

impl HoltWinters {
    /// The state before the first week, from the first (up to) two seasons: the
    /// level is the first season's mean moved back half a year along the trend, the
    /// trend comes from the yearly growth, and each index compares a week with the
    /// trend line through its season's mean (so growth within a year is not read as
    /// seasonality). Needs at least one season.
    fn initial(values: &[f64], seasonality: Seasonality, params: Params) -> HoltWinters {
        let seasons = (values.len() / PERIOD).clamp(1, 2);
        let start = &values[..seasons * PERIOD];
        let means: Vec<f64> = start.chunks(PERIOD).map(mean).collect();
        let growth = yearly_growth(&values[..values.len().min(2 * PERIOD)]);
        let trend = means[0] * (growth - 1.0) / PERIOD as f64;
        let middle = (PERIOD as f64 - 1.0) / 2.0;
        let mut season = vec![0.0; PERIOD];
        for (k, year) in start.chunks(PERIOD).enumerate() {
            for (j, y) in year.iter().enumerate() {
                let local = means[k] + trend * (j as f64 - middle);
                season[j] += match seasonality {
                    Seasonality::Additive => y - local,
                    Seasonality::Multiplicative if local > 0.0 => y / local,
                    Seasonality::Multiplicative => y / means[k],
                } / seasons as f64;
            }
        }
        let average = mean(&season);
        for s in &mut season {
            match seasonality {
                Seasonality::Additive => *s -= average,
                Seasonality::Multiplicative => *s /= average,
            }
        }
        HoltWinters {
            seasonality,
            params,
            level: means[0] - trend * (middle + 1.0),
            trend,
            season,
        }
    }

    /// Runs the smoother through `values` from its initial state; returns the sum of
    /// squared one-step errors, or `None` when a multiplicative level or index stops
    /// being positive (the parameters are then unusable).
    fn smooth(&mut self, values: &[f64]) -> Option<f64> {
        let [alpha, beta, gamma, phi] = self.params.0;
        let mut sse = 0.0;
        for (t, &y) in values.iter().enumerate() {
            let j = t % PERIOD;
            let expected_level = self.level + phi * self.trend;
            let s = self.season[j];
            let (predicted, deseasoned, detrended) = match self.seasonality {
                Seasonality::Additive => (expected_level + s, y - s, y - expected_level),
                Seasonality::Multiplicative => {
                    if expected_level <= 0.0 || s <= 0.0 {
                        return None;
                    }
                    (expected_level * s, y / s, y / expected_level)
                }
            };
            sse += (y - predicted).powi(2);
            let level = alpha * deseasoned + (1.0 - alpha) * expected_level;
            self.trend = beta * (level - self.level) + (1.0 - beta) * phi * self.trend;
            self.level = level;
            self.season[j] = gamma * detrended + (1.0 - gamma) * s;
        }
        sse.is_finite().then_some(sse)
    }

    /// The fitted model after smoothing the whole series: a coarse grid over the
    /// parameters, then a compass search (each parameter nudged up and down, the step
    /// halved when nothing improves) from the grid's best point.
    fn fit(values: &[f64], seasonality: Seasonality) -> Option<HoltWinters> {
        // The initial state does not depend on the parameters: build it once and
        // swap each trial's parameters in.
        let start = HoltWinters::initial(values, seasonality, Params(Params::LOW));
        let sse = |params: Params| {
            HoltWinters {
                params,
                ..start.clone()
            }
            .smooth(values)
        };
        let mut best: Option<(Params, f64)> = None;
        for alpha in [0.1, 0.3, 0.5, 0.7, 0.9] {
            for beta in [0.0, 0.05, 0.2] {
                for gamma in [0.0, 0.1, 0.3] {
                    for phi in [0.8, 0.9, 0.98, 1.0] {
                        let p = Params([alpha, beta, gamma, phi]).clamped();
                        let better = sse(p).filter(|e| best.is_none_or(|(_, b)| *e < b));
                        if let Some(e) = better {
                            best = Some((p, e));
                        }
                    }
                }
            }
        }
        let (mut params, mut error) = best?;
        let mut step = 0.05;
        while step > 1e-3 {
            let mut improved = false;
            for i in 0..4 {
                for direction in [1.0, -1.0] {
                    let mut candidate = params;
                    candidate.0[i] += direction * step;
                    let candidate = candidate.clamped();
                    if let Some(e) = sse(candidate).filter(|e| *e < error) {
                        (params, error) = (candidate, e);
                        improved = true;
                    }
                }
            }
            if !improved {
                step /= 2.0;
            }
        }
        let mut model = HoltWinters { params, ..start };
        model.smooth(values)?;
        Some(model)
    }

    /// Forecasts `steps` weeks after week `n − 1` (the last smoothed week): damped
    /// trend from the last level, latest seasonal index of each week.
    fn forecast(&self, n: usize, steps: usize) -> Vec<f64> {
        let phi = self.params.0[3];
        let mut damping = 0.0;
        let mut phi_h = 1.0;
        (1..=steps)
            .map(|h| {
                phi_h *= phi;
                damping += phi_h;
                let level = self.level + damping * self.trend;
                let s = self.season[(n + h - 1) % PERIOD];
                let y = match self.seasonality {
                    Seasonality::Additive => level + s,
                    Seasonality::Multiplicative => level * s,
                };
                y.max(0.0)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Multiplicative yearly pattern on a linear trend: 1000 units a week growing by
    /// 1 a week (about 5% a year, as retail categories grow), with a summer peak and a
    /// holiday spike.
    fn seasonal_trend(weeks: usize) -> Vec<f64> {
        (0..weeks)
            .map(|t| {
                let phase = (t % PERIOD) as f64 / PERIOD as f64;
                let spike = if t % PERIOD == 47 { 0.6 } else { 0.0 };
                let shape = 1.0 + 0.3 * (2.0 * std::f64::consts::PI * phase).sin() + spike;
                (1000.0 + 1.0 * t as f64) * shape
            })
            .collect()
    }

    fn max_relative_error(forecast: &[f64], actual: &[f64]) -> f64 {
        forecast
            .iter()
            .zip(actual)
            .map(|(f, a)| (f - a).abs() / a)
            .fold(0.0, f64::max)
    }

    fn check(model: Model, tolerance: f64) {
        let series = seasonal_trend(156 + 30);
        let (train, test) = series.split_at(156);
        let forecast = model(train, test.len());
        let error = max_relative_error(&forecast, test);
        assert!(error < tolerance, "worst week off by {:.2}%", 100.0 * error);
    }

    #[test]
    fn holt_winters_forecasts_seasonal_trend_within_1_pct() {
        check(holt_winters, 0.01);
    }

    #[test]
    fn seasonal_naive_drift_forecasts_seasonal_trend_within_1_pct() {
        check(seasonal_naive_drift, 0.01);
    }

    #[test]
    fn decomposition_trend_forecasts_seasonal_trend_within_1_pct() {
        check(decomposition_trend, 0.01);
    }

    #[test]
    fn yearly_growth_reads_a_steady_10_pct() {
        let series: Vec<f64> = (0..156)
            .map(|t| 100.0 * 1.1f64.powf(t as f64 / 52.0))
            .collect();
        assert!((yearly_growth(&series) - 1.1).abs() < 1e-9);
        // Less than two years: the overlap with the first year is compared.
        assert!((yearly_growth(&series[..80]) - 1.1).abs() < 1e-9);
        assert_eq!(yearly_growth(&series[..52]), 1.0);
        assert_eq!(yearly_growth(&[0.0; 104]), 1.0);
    }

    #[test]
    fn constant_series_forecast_the_constant() {
        let series = vec![250.0; 120];
        for model in [holt_winters, seasonal_naive_drift, decomposition_trend] {
            for y in model(&series, 60) {
                assert!((y - 250.0).abs() < 1e-6, "{y}");
            }
        }
    }

    #[test]
    fn zeros_neither_panic_nor_poison_the_forecast() {
        // Nothing sold at all.
        for model in [holt_winters, seasonal_naive_drift, decomposition_trend] {
            assert_eq!(model(&[0.0; 110], 12), vec![0.0; 12]);
        }
        // Sales only in a summer window, zeros the rest of the year: additive
        // seasonality, non-negative and finite forecasts, the window recognised.
        let series: Vec<f64> = (0..156)
            .map(|t| {
                if (20..30).contains(&(t % 52)) {
                    500.0
                } else {
                    0.0
                }
            })
            .collect();
        for model in [holt_winters, seasonal_naive_drift, decomposition_trend] {
            let forecast = model(&series, 52);
            assert!(forecast.iter().all(|y| y.is_finite() && *y >= 0.0));
            assert!(forecast[25] > 400.0 && forecast[5] < 100.0, "{forecast:?}");
        }
    }

    #[test]
    fn short_series_get_their_mean() {
        for model in [holt_winters, seasonal_naive_drift, decomposition_trend] {
            assert_eq!(model(&[10.0, 20.0], 3), vec![15.0; 3]);
            assert_eq!(model(&[], 2), vec![0.0; 2]);
        }
    }
}

//! Measures how honest `margin`'s order distribution is: over rolling backtest
//! seasons of the sample history (every category, a 12-week season 7 weeks after
//! the history ends, as the shipped parameter files have), over the three shipped
//! scenarios and over synthetic draws, the share of seasons whose real total falls
//! under the order's quantile and inside the 80% interval, against the forecast's
//! own ±t·σ interval.
//!
//! `cargo run --release -p atelier-core --example order_coverage`

use atelier_core::data::{SalesHistory, WeeklySeries};
use atelier_core::demand::forecast_season;
use atelier_core::economics::Economics;
use atelier_core::params::Tunables;
use atelier_core::policy::order::{ForecastErrorModel, newsvendor_order};
use atelier_core::synthetic::{SeasonGenerator, SyntheticConfig};
use chrono::{Duration, NaiveDate};

const GAP_DAYS: i64 = 49;
const WEEKS: u32 = 12;

#[derive(Default)]
struct Tally {
    seasons: usize,
    under_quantile: usize,
    in_interval: usize,
    in_old_interval: usize,
    log_errors: Vec<f64>,
}

impl Tally {
    fn add(
        &mut self,
        actual: f64,
        forecast: u64,
        model: &ForecastErrorModel,
        q: f64,
        old: (u64, u64),
    ) {
        let (low, high) = model.interval(forecast, 0.8);
        self.seasons += 1;
        self.under_quantile += usize::from(actual <= forecast as f64 * model.quantile_ratio(q));
        self.in_interval += usize::from(low as f64 <= actual && actual <= high as f64);
        self.in_old_interval += usize::from(old.0 as f64 <= actual && actual <= old.1 as f64);
        self.log_errors.push((actual / forecast as f64).ln());
    }

    fn print(&self, name: &str) {
        let share = |n: usize| 100.0 * n as f64 / self.seasons.max(1) as f64;
        let n = self.log_errors.len().max(1) as f64;
        let mean = self.log_errors.iter().sum::<f64>() / n;
        let sd = (self
            .log_errors
            .iter()
            .map(|e| (e - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        println!(
            "{name:34} seasons {:5}  under quantile {:5.1}%  in 80% interval {:5.1}%  in forecast's own 80% interval {:5.1}%  ln(actual/forecast) mean {mean:+.3} sd {sd:.3}",
            self.seasons,
            share(self.under_quantile),
            share(self.in_interval),
            share(self.in_old_interval)
        );
    }
}

fn days_total(full: &WeeklySeries, start: NaiveDate) -> f64 {
    (0..7 * WEEKS as i64)
        .map(|d| {
            let day = (start + Duration::days(d) - full.first_monday).num_days();
            full.values.get(day as usize / 7).copied().unwrap_or(0.0) / 7.0
        })
        .sum()
}

/// Rolling-origin backtests of the order's coverage in every category's history.
fn backtests(history: &SalesHistory, tunables: &Tunables, floor: f64) {
    let mut all = Tally::default();
    for name in history.category_names() {
        let sales = history.category(&name).expect("category");
        let economics = Economics::new(tunables, sales.revenue, sales.units).expect("price");
        let q = economics.critical_ratio();
        let full = sales.weekly().expect("weeks");
        let mut tally = Tally::default();
        let last_cut = full.values.len() - (GAP_DAYS as usize / 7 + WEEKS as usize);
        for cut in 104..=last_cut {
            let train = WeeklySeries {
                first_monday: full.first_monday,
                values: full.values[..cut].to_vec(),
            };
            let start = train.next_monday() + Duration::days(GAP_DAYS);
            let forecast = forecast_season(&train, start, WEEKS).expect("forecast");
            let model =
                ForecastErrorModel::from_history(&train, start, WEEKS, floor).expect("model");
            let actual = days_total(&full, start);
            let old = (forecast.interval.low, forecast.interval.high);
            tally.add(actual, forecast.total_season_demand, &model, q, old);
            all.add(actual, forecast.total_season_demand, &model, q, old);
        }
        tally.print(&format!("backtests {name}"));
    }
    all.print("backtests, all categories");
}

fn main() {
    let stores = atelier_core::sample::stores().expect("sample stores");
    let history = atelier_core::sample::history(&stores).expect("sample history");
    let tunables = Tunables::default();
    for floor in [0.0, tunables.season_level_sd] {
        println!("season_level_sd = {floor}");
        backtests(&history, &tunables, floor);

        let sales = history.category("Women's Dresses").expect("dresses");
        let economics = Economics::new(&tunables, sales.revenue, sales.units).expect("price");
        let q = economics.critical_ratio();
        let full = sales.weekly().expect("weeks");
        let start = NaiveDate::from_ymd_opt(2025, 2, 17).expect("date");
        let forecast = forecast_season(&full, start, WEEKS).expect("forecast");
        let model = ForecastErrorModel::from_history(&full, start, WEEKS, floor).expect("model");
        let order = newsvendor_order(forecast.total_season_demand, &economics, &model);
        println!(
            "  Women's Dresses 2025-02-17: forecast {} order {order:?}",
            forecast.total_season_demand
        );
        println!("  error model {model:?}");
        let old = (forecast.interval.low, forecast.interval.high);
        let mut shipped = Tally::default();
        for (name, _) in atelier_core::sample::SCENARIOS {
            let weeks = atelier_core::sample::scenario(name, &stores)
                .expect("scenario")
                .expect("parses");
            let actual: u64 = weeks.iter().map(|w| w.total_units()).sum();
            println!(
                "  {name}: demand {actual} = {:+.1}% of the forecast",
                100.0 * (actual as f64 / forecast.total_season_demand as f64 - 1.0)
            );
            shipped.add(actual as f64, forecast.total_season_demand, &model, q, old);
        }
        shipped.print("shipped scenarios");
        let generator =
            SeasonGenerator::from_history(sales, start, WEEKS, SyntheticConfig::default())
                .expect("generator");
        let mut synthetic = Tally::default();
        for i in 0..1_000 {
            let actual = generator.draw(2025, i).total_units() as f64;
            synthetic.add(actual, forecast.total_season_demand, &model, q, old);
        }
        synthetic.print("synthetic draws (seed 2025)");

        // Calibrated: the centre learnt from 200 earlier seasons (training draws
        // under another seed), measured on the held-out draws and the scenarios.
        let ratios: Vec<f64> = (0..200)
            .map(|i| {
                generator.draw(2026, i).total_units() as f64 / forecast.total_season_demand as f64
            })
            .collect();
        let calibrated = model.calibrated(&ratios);
        println!("  calibrated on 200 training draws (seed 2026): {calibrated:?}");
        let mut shipped = Tally::default();
        for (name, _) in atelier_core::sample::SCENARIOS {
            let weeks = atelier_core::sample::scenario(name, &stores)
                .expect("scenario")
                .expect("parses");
            let actual: u64 = weeks.iter().map(|w| w.total_units()).sum();
            shipped.add(
                actual as f64,
                forecast.total_season_demand,
                &calibrated,
                q,
                old,
            );
        }
        shipped.print("shipped scenarios, calibrated");
        let mut synthetic = Tally::default();
        for i in 0..1_000 {
            let actual = generator.draw(2025, i).total_units() as f64;
            synthetic.add(actual, forecast.total_season_demand, &calibrated, q, old);
        }
        synthetic.print("synthetic draws (seed 2025), calibrated");
    }
}

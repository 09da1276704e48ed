//! Backtests of the Demand forecast on the shipped sample history: a 12-week season
//! from 2024-02-12 forecast from the weeks before it, against what was sold.

use atelier_core::data::WeeklySeries;
use atelier_core::demand::forecast_season;
use chrono::NaiveDate;

const CATEGORIES: [&str; 3] = ["Women's Dresses", "Men's Shirts", "Accessories"];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn weekly(category: &str) -> WeeklySeries {
    let stores = atelier_core::sample::stores().expect("sample stores");
    let history = atelier_core::sample::history(&stores).expect("sample history");
    history
        .category(category)
        .and_then(|c| c.weekly())
        .expect("category with complete weeks")
}

/// Season-total absolute % error and weekly MAPE (%) of `forecast` against `actual`.
fn errors(forecast: &[f64], actual: &[f64]) -> (f64, f64) {
    let total_f: f64 = forecast.iter().sum();
    let total_a: f64 = actual.iter().sum();
    let mape = forecast
        .iter()
        .zip(actual)
        .map(|(f, a)| (f - a).abs() / a)
        .sum::<f64>()
        / actual.len() as f64;
    (100.0 * (total_f - total_a).abs() / total_a, 100.0 * mape)
}

/// Bound on the season-total error. Measured on this backtest: 0.57% (Women's
/// Dresses), 0.03% (Men's Shirts), 0.17% (Accessories); over 41 rolling 12-week
/// origins (cut-offs at weeks 104..=144) the ensemble's mean was 1.19%, 0.47% and
/// 0.75%. 3% leaves room for a few times the worst measured error while still
/// failing if a member breaks (one member off by 10% moves the mean by over 3%).
const TOTAL_ERROR_PCT: f64 = 3.0;
/// Bound on the weekly MAPE. Measured: 3.09%, 0.63% and 1.66% (rolling means 2.56%,
/// 1.53%, 1.84%): week-to-week noise and holidays that move between weeks keep it
/// above the total's error. 6% is about twice the worst measured and far inside the
/// prior design's target of 20%.
const WEEKLY_MAPE_PCT: f64 = 6.0;

#[test]
fn a_season_starting_on_a_saturday_sums_to_its_total() {
    let full = weekly("Women's Dresses");
    let start = date(2025, 3, 1);
    let forecast = forecast_season(&full, start, 12).expect("forecast");
    assert_eq!(forecast.season_start, start);
    assert_eq!(forecast.weekly.len(), 12);
    assert_eq!(
        forecast.weekly.iter().sum::<u64>(),
        forecast.total_season_demand
    );
    assert!(forecast.weekly.iter().all(|u| *u > 0));
    // The same weeks a year earlier (Saturday 2024-03-02) sold about this much; with
    // a few % growth the forecast should be near it.
    let year_before = date(2024, 3, 2) - full.first_monday;
    let first_day = usize::try_from(year_before.num_days()).expect("after start");
    let sold: f64 = (first_day..first_day + 84)
        .map(|day| full.values[day / 7] / 7.0)
        .sum();
    let ratio = forecast.total_season_demand as f64 / sold;
    assert!(
        (0.95..1.2).contains(&ratio),
        "forecast / last year = {ratio:.3}"
    );
}

#[test]
fn twelve_weeks_from_2024_02_12_are_forecast_within_tolerance() {
    let start = date(2024, 2, 12);
    for category in CATEGORIES {
        let full = weekly(category);
        let train = full.before(start);
        let first =
            usize::try_from((start - full.first_monday).num_days() / 7).expect("after start");
        let actual = &full.values[first..first + 12];
        let forecast = forecast_season(&train, start, 12).expect("forecast");

        for member in &forecast.members {
            assert!(
                member.total.is_finite() && member.total > 0.0,
                "{category} {}",
                member.model
            );
            let (total_err, mape) = errors(&member.weekly, actual);
            println!(
                "{category:16} {:22} total error {total_err:5.2}%  weekly MAPE {mape:5.2}%",
                member.model
            );
        }
        let ensemble: Vec<f64> = forecast.weekly.iter().map(|u| *u as f64).collect();
        let (total_err, mape) = errors(&ensemble, actual);
        let i = forecast.interval;
        println!(
            "{category:16} {:22} total error {total_err:5.2}%  weekly MAPE {mape:5.2}%  \
             total {} actual {} interval {}..{}",
            "ensemble",
            forecast.total_season_demand,
            actual.iter().sum::<f64>(),
            i.low,
            i.high
        );

        assert_eq!(
            forecast.weekly.iter().sum::<u64>(),
            forecast.total_season_demand
        );
        assert!(i.low <= forecast.total_season_demand && forecast.total_season_demand <= i.high);
        assert!(
            total_err < TOTAL_ERROR_PCT,
            "{category}: season total off by {total_err:.2}%"
        );
        assert!(mape < WEEKLY_MAPE_PCT, "{category}: weekly MAPE {mape:.2}%");
    }
}

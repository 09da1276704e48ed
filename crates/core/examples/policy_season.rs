//! A rough check, in core only, that the `margin` functions earn more than the
//! seed's rules: each shipped parameter file × shipped scenario (and synthetic
//! draws) is played store by store with the same bookkeeping the engine keeps
//! (stores sell what they have, a markdown lifts the played demand by 1.5 × depth
//! as the engine plays scenarios, re-forecasts from the baseline), once with the
//! seed's functions and once with `policy::*`. It is NOT the engine: the engine's
//! steps (issue 8) are the implementation `run` and `simulate` use; this is a
//! measurement of the functions before they are wired in.
//!
//! `cargo run --release -p atelier-core --example policy_season [-- SYNTHETIC_DRAWS]`

use atelier_core::SeasonConfig;
use atelier_core::data::{SalesHistory, StoreNetwork};
use atelier_core::demand::{forecast_season, manufacturing_order, reforecast_remaining};
use atelier_core::economics::{Economics, SeasonUnits, SoldAt, season_money};
use atelier_core::inventory::{StoreStock, allocate, reallocate_remaining, replenish};
use atelier_core::params::ReplenishmentStrategy;
use atelier_core::plan::{CLUSTER_SEED, recent_store_units};
use atelier_core::policy::lift::{ObservedWeek, estimate_lift, observed_on_baseline};
use atelier_core::policy::markdown::{MarkdownSituation, PriceResponse, margin_markdown};
use atelier_core::policy::order::{ForecastErrorModel, newsvendor_order};
use atelier_core::policy::replenish::{ReplenishmentWindow, StoreSignal, replenish_to_demand};
use atelier_core::policy::transfers::{StoreCover, TransferWeek, propose_transfers};
use atelier_core::pricing::propose_markdown;
use atelier_core::synthetic::{SeasonGenerator, SyntheticConfig};
use atelier_core::variance::check_week;

const CATEGORY: &str = "Women's Dresses";

/// What a season needs that does not change between policies or draws.
struct Setup<'a> {
    config: SeasonConfig,
    stores: &'a StoreNetwork,
    clusters: atelier_core::inventory::StoreClusters,
    recent: Vec<u64>,
    baseline: Vec<u64>,
    economics: Economics,
    errors: ForecastErrorModel,
}

/// The state of a season in play.
struct Play {
    order: u64,
    on_hand: Vec<u64>,
    shipped: Vec<u64>,
    season_alloc: Vec<u64>,
    shares: Vec<f64>,
    dc: u64,
    forecast: Vec<u64>,
    markdown: Option<(u32, f64, f64)>,
    weeks: Vec<ObservedWeek>,
    sold_by_store: Vec<Vec<u64>>,
    ran_out: Vec<Vec<bool>>,
    sold: Vec<SoldAt>,
    demand: u64,
    transferred: u64,
}

fn play(setup: &Setup, weekly_demand: &[Vec<u64>], margin: bool) -> (f64, f64) {
    let p = &setup.config.parameters;
    let t = &setup.config.tunables;
    let total: u64 = setup.baseline.iter().sum();
    let order = if margin {
        newsvendor_order(total, &setup.economics, &setup.errors).order_units
    } else {
        manufacturing_order(total, t.safety_stock_for(p.replenishment_strategy)).manufacturing_qty
    };
    let a = allocate(
        order,
        p.dc_holdback_percentage,
        setup.stores,
        &setup.clusters,
        &setup.recent,
    );
    let mut s = Play {
        order,
        on_hand: a.stores.iter().map(|x| x.initial).collect(),
        shipped: a.stores.iter().map(|x| x.initial).collect(),
        season_alloc: a.stores.iter().map(|x| x.season_allocation).collect(),
        shares: a.stores.iter().map(|x| x.share).collect(),
        dc: a.dc_holdback,
        forecast: setup.baseline.clone(),
        markdown: None,
        weeks: Vec::new(),
        sold_by_store: Vec::new(),
        ran_out: Vec::new(),
        sold: Vec::new(),
        demand: 0,
        transferred: 0,
    };
    let horizon = p.forecast_horizon_weeks.min(weekly_demand.len() as u32);
    for week in 1..=horizon {
        play_week(
            setup,
            &mut s,
            &weekly_demand[week as usize - 1],
            week,
            margin,
        );
    }
    let leftover = s.on_hand.iter().sum::<u64>() + s.dc;
    let money = season_money(
        &setup.economics,
        &SeasonUnits {
            ordered: s.order,
            sold: s.sold.clone(),
            leftover,
            transferred: s.transferred,
            demand: Some(s.demand),
            reorder_premium: 0.0,
        },
    );
    (money.gross_margin, money.margin_capture.unwrap_or(0.0))
}

fn play_week(setup: &Setup, s: &mut Play, file: &[u64], week: u32, margin: bool) {
    let p = &setup.config.parameters;
    let t = &setup.config.tunables;
    let horizon = p.forecast_horizon_weeks;
    let (depth, lift) = match s.markdown {
        Some((k, m, _)) if week > k => (m, 1.5 * m),
        _ => (0.0, 0.0),
    };
    let demand: Vec<u64> = file
        .iter()
        .map(|u| (*u as f64 * (1.0 + lift)).round() as u64)
        .collect();
    let sold: Vec<u64> = demand
        .iter()
        .zip(&s.on_hand)
        .map(|(d, o)| (*d).min(*o))
        .collect();
    let out: Vec<bool> = demand.iter().zip(&s.on_hand).map(|(d, o)| d > o).collect();
    for (o, x) in s.on_hand.iter_mut().zip(&sold) {
        *o -= x;
    }
    let week_sold: u64 = sold.iter().sum();
    s.demand += demand.iter().sum::<u64>();
    s.sold.push(SoldAt {
        units: week_sold,
        markdown_pct: depth,
    });
    let censored = out.iter().filter(|x| **x).count() as f64 / out.len() as f64 > 0.10;
    s.weeks.push(ObservedWeek {
        week,
        sold: week_sold,
        baseline: setup.baseline[week as usize - 1],
        censored,
    });
    s.sold_by_store.push(sold);
    s.ran_out.push(out);
    let check = check_week(
        week,
        s.forecast[week as usize - 1],
        week_sold,
        t.variance_threshold_pct,
        t.emergency_variance_pct,
    );
    let lift_in_force = |s: &Play| match s.markdown {
        Some((k, _, assumed)) if margin => estimate_lift(&s.weeks, k, assumed).estimated_pct,
        Some((_, _, assumed)) => assumed,
        None => 0.0,
    };
    let reforecast = |s: &mut Play| {
        let l = lift_in_force(s);
        let footing = observed_on_baseline(&s.weeks, s.markdown.map(|m| m.0), l);
        let remaining: Vec<u64> = reforecast_remaining(&setup.baseline, &footing)
            .into_iter()
            .map(|r| (r as f64 * (1.0 + l)).round() as u64)
            .collect();
        s.forecast.truncate(week as usize);
        s.forecast.extend(&remaining);
        if !margin {
            let pool = remaining.iter().sum::<u64>().min(s.dc);
            s.season_alloc = reallocate_remaining(&s.shares, &s.shipped, pool);
        }
    };
    if week < horizon && (margin || check.threshold_exceeded) {
        reforecast(s);
    }
    if p.markdown_checkpoint_week == Some(week) {
        let sold_to_date: u64 = s.weeks.iter().map(|w| w.sold).sum();
        let threshold = p.markdown_threshold.unwrap_or(0.6);
        let m = if margin {
            let base: Vec<u64> = setup.baseline[week as usize..].to_vec();
            let footing = observed_on_baseline(&s.weeks, None, 0.0);
            let remaining = reforecast_remaining(&setup.baseline, &footing);
            let situation = MarkdownSituation {
                week,
                remaining_demand: if remaining.is_empty() {
                    base
                } else {
                    remaining
                },
                units_in_stores: s.on_hand.iter().sum(),
                units_at_dc: s.dc,
                dc_reachable: p.replenishment_strategy != ReplenishmentStrategy::None,
                units_sold_to_date: sold_to_date,
                order_units: s.order,
                planned_to_date: setup.baseline[..week as usize].iter().sum(),
                threshold,
                demand_sd: 0.0,
                stores: Vec::new(),
            };
            let d = margin_markdown(
                &situation,
                &setup.economics,
                &PriceResponse::from_tunables(t),
                t,
            );
            (d.markdown_pct, d.expected_demand_lift_pct)
        } else {
            let d = propose_markdown(sold_to_date as f64 / s.order as f64, threshold, t);
            (d.markdown_pct, d.expected_demand_lift_pct)
        };
        if m.0 > 0.0 {
            s.markdown = Some((week, m.0, m.1));
            if week < horizon {
                reforecast(s);
            }
        }
    }
    replenish_week(setup, s, week, margin);
}

fn replenish_week(setup: &Setup, s: &mut Play, week: u32, margin: bool) {
    let p = &setup.config.parameters;
    let horizon = p.forecast_horizon_weeks;
    let strategy = p.replenishment_strategy;
    if strategy.replenishes_after(week, horizon) {
        let cover = strategy.cover_weeks();
        let units = if margin {
            let recent = s.sold_by_store.len().min(4);
            let signals: Vec<StoreSignal> = (0..s.on_hand.len())
                .map(|i| StoreSignal {
                    on_hand: s.on_hand[i],
                    planned_share: s.shares[i],
                    recent_sold: s.sold_by_store[s.sold_by_store.len() - recent..]
                        .iter()
                        .map(|w| w[i])
                        .sum(),
                    ran_out: s.ran_out[s.ran_out.len() - recent..].iter().any(|w| w[i]),
                })
                .collect();
            let end = (week + cover).min(horizon) as usize;
            let next = (week + 1..horizon).find(|w| strategy.replenishes_after(*w, horizon));
            let cover_to = next.map_or(horizon as usize, |n| n as usize);
            let cover_demand: f64 = s.forecast[week as usize..cover_to.max(end)]
                .iter()
                .map(|u| *u as f64)
                .sum();
            replenish_to_demand(
                &signals,
                ReplenishmentWindow {
                    recent_weeks: recent as u32,
                    cover_demand,
                    dc_available: s.dc,
                    last: next.is_none(),
                },
            )
            .units
        } else {
            let stock: Vec<StoreStock> = (0..s.on_hand.len())
                .map(|i| StoreStock {
                    season_allocation: s.season_alloc[i],
                    shipped_so_far: s.shipped[i],
                    on_hand: s.on_hand[i],
                })
                .collect();
            replenish(&stock, horizon - week, cover, s.dc)
        };
        for (i, u) in units.iter().enumerate() {
            s.on_hand[i] += u;
            s.shipped[i] += u;
        }
        s.dc -= units.iter().sum::<u64>();
    }
    if margin && week < horizon && s.dc == 0 {
        let weeks_left = horizon - week;
        let next_week = s.forecast[week as usize] as f64;
        let left: f64 = s.forecast[week as usize..].iter().map(|u| *u as f64).sum();
        let recent = s.sold_by_store.len().min(4);
        let signals: Vec<StoreSignal> = (0..s.on_hand.len())
            .map(|i| StoreSignal {
                on_hand: 0,
                planned_share: s.shares[i],
                recent_sold: s.sold_by_store[s.sold_by_store.len() - recent..]
                    .iter()
                    .map(|w| w[i])
                    .sum(),
                ran_out: s.ran_out[s.ran_out.len() - recent..].iter().any(|w| w[i]),
            })
            .collect();
        let shares = atelier_core::policy::replenish::demand_shares(&signals, recent as u32);
        let covers: Vec<StoreCover> = (0..s.on_hand.len())
            .map(|i| StoreCover {
                on_hand: s.on_hand[i],
                expected_weekly: shares[i] * next_week,
                expected_remaining: shares[i] * left,
            })
            .collect();
        let depth = s.markdown.map_or(0.0, |m| m.1);
        let week_t = TransferWeek {
            dc_available: 0,
            weeks_left,
            markdown_pct: depth,
            approval_units: u64::MAX,
        };
        for tr in propose_transfers(&covers, week_t, &setup.economics).transfers {
            s.on_hand[tr.from] -= tr.units;
            s.on_hand[tr.to] += tr.units;
            s.transferred += tr.units;
        }
    }
}

fn setup<'a>(name: &str, stores: &'a StoreNetwork, history: &SalesHistory) -> Setup<'a> {
    let config = atelier_core::sample::parameter_set(name)
        .expect("shipped")
        .expect("valid");
    let sales = history.category(CATEGORY).expect("category");
    let weekly = sales.weekly().expect("weeks");
    let p = &config.parameters;
    let forecast =
        forecast_season(&weekly, p.season_start_date, p.forecast_horizon_weeks).expect("forecast");
    let errors = ForecastErrorModel::from_history(
        &weekly,
        p.season_start_date,
        p.forecast_horizon_weeks,
        config.tunables.season_level_sd,
    )
    .expect("errors");
    Setup {
        stores,
        clusters: atelier_core::inventory::cluster_stores(stores, CLUSTER_SEED),
        recent: recent_store_units(sales),
        baseline: forecast.weekly,
        economics: Economics::for_category(&config.tunables, sales).expect("price"),
        errors,
        config,
    }
}

fn main() {
    let draws: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let stores = atelier_core::sample::stores().expect("stores");
    let history = atelier_core::sample::history(&stores).expect("history");
    let sales = history.category(CATEGORY).expect("category");
    println!(
        "{:16} {:14} {:>14} {:>14} {:>12} {:>8} {:>8}",
        "params", "scenario", "seed margin", "margin margin", "gain", "seed cap", "marg cap"
    );
    let (mut seed_sum, mut margin_sum) = (0.0, 0.0);
    for (name, _) in atelier_core::sample::PARAMETER_SETS {
        let setup = setup(name, &stores, &history);
        for (scenario, _) in atelier_core::sample::SCENARIOS {
            let weeks = atelier_core::sample::scenario(scenario, &stores)
                .expect("scenario")
                .expect("parses");
            let demand: Vec<Vec<u64>> = weeks.iter().map(|w| w.units_by_store(&stores)).collect();
            let (seed, seed_cap) = play(&setup, &demand, false);
            let (margin, margin_cap) = play(&setup, &demand, true);
            seed_sum += seed;
            margin_sum += margin;
            println!(
                "{name:16} {scenario:14} {seed:14.0} {margin:14.0} {:12.0} {seed_cap:8.3} {margin_cap:8.3}",
                margin - seed
            );
        }
        if draws > 0 && setup.config.parameters.forecast_horizon_weeks == 12 {
            let p = &setup.config.parameters;
            let generator = SeasonGenerator::from_history(
                sales,
                p.season_start_date,
                12,
                SyntheticConfig::default(),
            )
            .expect("generator");
            let (mut a, mut b, mut wins) = (0.0, 0.0, 0);
            for i in 0..draws {
                let season = generator.draw(2025, i);
                let demand: Vec<Vec<u64>> = (1..=12).map(|w| season.week_units(w)).collect();
                let (seed, _) = play(&setup, &demand, false);
                let (margin, _) = play(&setup, &demand, true);
                a += seed;
                b += margin;
                wins += usize::from(margin >= seed);
            }
            let n = draws as f64;
            println!(
                "{name:16} {:14} {:14.0} {:14.0} {:12.0}  margin ≥ seed in {wins} of {draws}",
                "synthetic mean",
                a / n,
                b / n,
                (b - a) / n
            );
        }
    }
    println!(
        "shipped total: seed {seed_sum:.0}, margin {margin_sum:.0}, gain {:.0}",
        margin_sum - seed_sum
    );
}

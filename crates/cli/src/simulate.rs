//! `atelier simulate`: seasons played in memory with the engine's own steps, each
//! policy over each parameter set on the same draws of demand, summarised as means
//! and percentiles, with the paired difference `margin − seed`.

use crate::inputs;
use anyhow::{Context, Result, bail};
use atelier_core::Policy;
use atelier_core::data::read_actuals;
use atelier_core::params::SeasonConfig;
use atelier_core::sample::{self, DEFAULT_CATEGORY};
use atelier_core::season::SeasonReport;
use atelier_core::synthetic::{SeasonGenerator, SyntheticConfig};
use atelier_engine::agents::SeasonData;
use atelier_engine::simulate::SeasonSimulator;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `atelier simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// Season parameters JSON; repeat to compare sets (default: every shipped 12-week set).
    #[arg(long)]
    params: Vec<PathBuf>,
    /// Policy to play: seed or margin; repeat to compare (default: both).
    #[arg(long, value_parser = parse_policy)]
    policy: Vec<Policy>,
    /// A shipped scenario to play; repeatable (default: the three shipped scenarios
    /// when no --demand or --synthetic is given).
    #[arg(long)]
    scenario: Vec<String>,
    /// A folder of actuals_week_NN.csv files played as demand; repeatable.
    #[arg(long)]
    demand: Vec<PathBuf>,
    /// Synthetic seasons drawn from the history (see docs/simulation.md).
    #[arg(long)]
    synthetic: Option<u64>,
    /// Seed of the synthetic draws: the same seed gives the same seasons.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Category to plan.
    #[arg(long, default_value = DEFAULT_CATEGORY)]
    category: String,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn parse_policy(text: &str) -> Result<Policy, String> {
    Policy::parse(text).ok_or_else(|| format!("unknown policy '{text}' (seed or margin)"))
}

/// One policy over one parameter set, summarised over the draws.
#[derive(Debug, Serialize)]
pub struct PolicyResult {
    policy: &'static str,
    params: String,
    seasons: usize,
    gross_margin_mean: f64,
    gross_margin_p10: f64,
    gross_margin_p50: f64,
    gross_margin_p90: f64,
    revenue_mean: f64,
    margin_capture_mean: Option<f64>,
    fill_rate_mean: f64,
    lost_sales_mean: f64,
    leftover_mean: f64,
    markdown_cost_mean: f64,
    #[serde(skip)]
    margins: Vec<f64>,
}

/// `margin − seed` on the same draws of one parameter set.
#[derive(Debug, Serialize)]
struct Paired {
    params: String,
    seasons: usize,
    margin_minus_seed_mean: f64,
    /// 90% interval of the mean difference (normal approximation).
    interval_90: [f64; 2],
    /// Share of draws where `margin` earned more.
    margin_wins: f64,
}

/// A named draw of weekly demand per store.
type Draw = Vec<Vec<u64>>;

/// Runs `atelier simulate`.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let stores = sample::stores()?;
    let history = sample::history(&stores)?;
    let data = Arc::new(SeasonData { stores, history });
    let policies = if args.policy.is_empty() {
        vec![Policy::Seed, Policy::Margin]
    } else {
        args.policy.clone()
    };
    let sets = parameter_sets(&args.params)?;
    let mut results = Vec::new();
    let mut paired = Vec::new();
    for (name, config) in &sets {
        let draws = draws(args, config, &data)?;
        let mut by_policy = Vec::new();
        for policy in &policies {
            let mut config = config.clone();
            config.tunables.policy = *policy;
            let sim = SeasonSimulator::prepare(&args.category, &config, data.clone())
                .with_context(|| format!("{name} under {}", policy.as_str()))?;
            let reports = play_all(
                &sim,
                &draws,
                args.threads,
                &format!("{name} {}", policy.as_str()),
            )?;
            by_policy.push(summarise(*policy, name, &reports));
        }
        if let (Some(s), Some(m)) = (
            by_policy.iter().find(|r| r.policy == "seed"),
            by_policy.iter().find(|r| r.policy == "margin"),
        ) {
            paired.push(pair(name, &s.margins, &m.margins));
        }
        results.extend(by_policy);
    }
    if args.json {
        let out = serde_json::json!({ "results": results, "paired": paired });
        return crate::print_stdout(&serde_json::to_string_pretty(&out)?);
    }
    crate::print_stdout(&table(&results, &paired))
}

/// The parameter sets: the files given, or every shipped 12-week set.
fn parameter_sets(paths: &[PathBuf]) -> Result<Vec<(String, SeasonConfig)>> {
    if paths.is_empty() {
        return sample::PARAMETER_SETS
            .iter()
            .filter(|(name, _)| *name != "furniture")
            .map(|(name, _)| {
                let config = sample::parameter_set(name)
                    .context("shipped set")?
                    .with_context(|| format!("shipped set {name}"))?;
                Ok((name.to_string(), config))
            })
            .collect();
    }
    paths
        .iter()
        .map(|p| {
            let name = p.file_stem().map_or_else(
                || p.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
            Ok((name, inputs::season_config(Some(p))?))
        })
        .collect()
}

/// The draws of demand: shipped scenarios, folders, or synthetic seasons.
fn draws(args: &SimulateArgs, config: &SeasonConfig, data: &SeasonData) -> Result<Vec<Draw>> {
    let mut out = Vec::new();
    let scenarios: Vec<String> =
        if args.scenario.is_empty() && args.demand.is_empty() && args.synthetic.is_none() {
            sample::SCENARIOS
                .iter()
                .map(|(n, _)| n.to_string())
                .collect()
        } else {
            args.scenario.clone()
        };
    for name in &scenarios {
        let weeks = sample::scenario(name, &data.stores)
            .with_context(|| format!("unknown scenario '{name}'"))??;
        out.push(
            weeks
                .iter()
                .map(|w| w.units_by_store(&data.stores))
                .collect(),
        );
    }
    let horizon = config.parameters.forecast_horizon_weeks;
    for dir in &args.demand {
        let mut draw = Vec::new();
        for week in 1..=horizon {
            let path = dir.join(format!("actuals_week_{week:02}.csv"));
            let file = inputs::open(&path)?;
            let actuals = read_actuals(file, &path.display().to_string(), &data.stores)?;
            draw.push(actuals.units_by_store(&data.stores));
        }
        out.push(draw);
    }
    if let Some(n) = args.synthetic {
        let sales = atelier_core::plan::category_sales(&data.history, &args.category)?;
        let generator = SeasonGenerator::from_history(
            sales,
            config.parameters.season_start_date,
            horizon,
            SyntheticConfig::default(),
        )?;
        for i in 0..n {
            let season = generator.draw(args.seed, i);
            out.push((1..=horizon).map(|w| season.week_units(w)).collect());
        }
    }
    if out.is_empty() {
        bail!("nothing to simulate: give --scenario, --demand or --synthetic");
    }
    Ok(out)
}

/// Plays every draw on `threads` workers, in draw order.
fn play_all(
    sim: &SeasonSimulator,
    draws: &[Draw],
    threads: Option<usize>,
    label: &str,
) -> Result<Vec<SeasonReport>> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 64);
    let bar = ProgressBar::new(draws.len() as u64).with_message(label.to_string());
    bar.set_style(
        ProgressStyle::with_template("{msg:30} {bar:30} {pos}/{len} seasons")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let chunk = draws.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<SeasonReport>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = draws
            .chunks(chunk)
            .map(|part| {
                let bar = bar.clone();
                scope.spawn(move || {
                    part.iter()
                        .map(|draw| {
                            let view = sim.play(draw)?;
                            bar.inc(1);
                            view.report
                                .context("a simulated season ended without a report")
                        })
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| bail!("a simulation worker panicked"))
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut all = Vec::with_capacity(draws.len());
    for part in results {
        all.extend(part?);
    }
    Ok(all)
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// The `q` quantile (0..=1) by linear interpolation.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

fn summarise(policy: Policy, params: &str, reports: &[SeasonReport]) -> PolicyResult {
    let margins: Vec<f64> = reports.iter().map(|r| r.gross_margin).collect();
    let of = |f: fn(&SeasonReport) -> f64| mean(&reports.iter().map(f).collect::<Vec<_>>());
    let captures: Vec<f64> = reports.iter().filter_map(|r| r.margin_capture).collect();
    PolicyResult {
        policy: policy.as_str(),
        params: params.to_string(),
        seasons: reports.len(),
        gross_margin_mean: mean(&margins),
        gross_margin_p10: quantile(&margins, 0.1),
        gross_margin_p50: quantile(&margins, 0.5),
        gross_margin_p90: quantile(&margins, 0.9),
        revenue_mean: of(|r| r.revenue),
        margin_capture_mean: (!captures.is_empty()).then(|| mean(&captures)),
        fill_rate_mean: of(|r| r.fill_rate),
        lost_sales_mean: of(|r| r.lost_sales as f64),
        leftover_mean: of(|r| r.leftover_units as f64),
        markdown_cost_mean: of(|r| r.markdown_cost),
        margins,
    }
}

fn pair(params: &str, seed: &[f64], margin: &[f64]) -> Paired {
    let diffs: Vec<f64> = seed.iter().zip(margin).map(|(s, m)| m - s).collect();
    let n = diffs.len();
    let m = mean(&diffs);
    let sd = if n > 1 {
        (diffs.iter().map(|d| (d - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let half = 1.645 * sd / (n.max(1) as f64).sqrt();
    Paired {
        params: params.to_string(),
        seasons: n,
        margin_minus_seed_mean: m,
        interval_90: [m - half, m + half],
        margin_wins: diffs.iter().filter(|d| **d > 0.0).count() as f64 / n.max(1) as f64,
    }
}

fn money(x: f64) -> String {
    crate::wording::money(x, None)
}

fn table(results: &[PolicyResult], paired: &[Paired]) -> String {
    let mut out = format!(
        "{:<16} {:<7} {:>7} {:>12} {:>12} {:>12} {:>8} {:>9} {:>10} {:>10}\n",
        "params",
        "policy",
        "seasons",
        "margin mean",
        "margin p10",
        "margin p90",
        "capture",
        "fill rate",
        "leftover",
        "markdown"
    );
    for r in results {
        out.push_str(&format!(
            "{:<16} {:<7} {:>7} {:>12} {:>12} {:>12} {:>8} {:>8.1}% {:>10} {:>10}\n",
            r.params,
            r.policy,
            r.seasons,
            money(r.gross_margin_mean),
            money(r.gross_margin_p10),
            money(r.gross_margin_p90),
            r.margin_capture_mean
                .map_or("-".into(), |c| format!("{:.1}%", c * 100.0)),
            r.fill_rate_mean * 100.0,
            money(r.leftover_mean),
            money(r.markdown_cost_mean),
        ));
    }
    for p in paired {
        out.push_str(&format!(
            "\n{}: margin − seed = {} per season (90% interval {} .. {}); margin earns more in {:.0}% of {} draws",
            p.params,
            money(p.margin_minus_seed_mean),
            money(p.interval_90[0]),
            money(p.interval_90[1]),
            p.margin_wins * 100.0,
            p.seasons
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let v = [4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        assert!((quantile(&v, 0.1) - 1.4).abs() < 1e-12);
    }

    #[test]
    fn the_pair_is_margin_minus_seed() {
        let p = pair("x", &[10.0, 20.0, 30.0], &[12.0, 19.0, 35.0]);
        assert!((p.margin_minus_seed_mean - 2.0).abs() < 1e-12);
        assert!((p.margin_wins - 2.0 / 3.0).abs() < 1e-12);
        assert!(p.interval_90[0] < 2.0 && p.interval_90[1] > 2.0);
    }
}

//! `atelier simulate`: seasons played in memory with the engine's own steps, each
//! policy over each parameter set on the same draws of demand, summarised as means
//! and percentiles, with the paired difference `margin − seed`.

use crate::inputs;
use anyhow::{Context, Result, bail};
use atelier_core::Policy;
use atelier_core::data::read_actuals;
use atelier_core::params::MarkdownBasis;
use atelier_core::params::SeasonConfig;
use atelier_core::sample::{self, DEFAULT_CATEGORY};
use atelier_core::season::SeasonReport;
use atelier_core::synthetic::{SeasonGenerator, SyntheticConfig};
use atelier_core::world::{World, WorldSpread};
use atelier_engine::agents::SeasonData;
use atelier_engine::rule_tuning::{TunedRule, tune_rule};
use atelier_engine::simulate::{Draw, SeasonSimulator, play_many};
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
    /// Policy to play: seed, rule or margin; repeat to compare (default: seed and
    /// margin, plus the tuned rule with --tune-rule).
    #[arg(long, value_parser = parse_policy)]
    policy: Vec<Policy>,
    /// Tune the `rule` policy's knobs on training draws (another seed) first, print
    /// the best rule, and compare every policy against it on the draws asked for;
    /// `margin` centres its order on the same training seasons.
    #[arg(long)]
    tune_rule: bool,
    /// Training draws for --tune-rule.
    #[arg(long, default_value_t = 200)]
    train: u64,
    /// Seed of the training draws (default: --seed + 1,000,003, never the
    /// evaluation's).
    #[arg(long)]
    train_seed: Option<u64>,
    /// Write the tuned rule's parameter file here (one per parameter set: NAME is
    /// replaced by the set's name).
    #[arg(long)]
    rule_out: Option<PathBuf>,
    /// A demand regime the generator does not assume, applied to the synthetic
    /// draws: late_surge, early_collapse, store_mix_shift, fat_tails,
    /// forecast_30_high, forecast_30_low, lift_far_below, lift_far_above.
    #[arg(long, value_parser = parse_regime)]
    regime: Option<Regime>,
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

/// Reads `--policy` (seed, rule or margin, any case).
pub fn parse_policy(text: &str) -> Result<Policy, String> {
    Policy::parse(text).ok_or_else(|| format!("unknown policy '{text}' (seed, rule or margin)"))
}

fn parse_regime(text: &str) -> Result<Regime, String> {
    Regime::parse(text).ok_or_else(|| {
        format!(
            "unknown regime '{text}' ({})",
            Regime::ALL.map(Regime::as_str).join(", ")
        )
    })
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
    units_reordered_mean: f64,
    reorder_cost_mean: f64,
    #[serde(skip)]
    margins: Vec<f64>,
}

/// `margin − baseline` on the same draws of one parameter set (the baseline: the
/// tuned `rule` when played, else `seed`).
#[derive(Debug, Serialize)]
struct Paired {
    params: String,
    baseline: &'static str,
    seasons: usize,
    margin_minus_baseline_mean: f64,
    /// The mean difference ÷ the baseline's mean margin.
    margin_minus_baseline_pct: f64,
    /// 90% interval of the mean difference (normal approximation).
    interval_90: [f64; 2],
    /// Share of draws where `margin` earned more.
    margin_wins: f64,
}

/// A tuned rule, reported with the parameter set it was tuned for.
#[derive(Debug, Serialize)]
struct RuleReport {
    params: String,
    #[serde(flatten)]
    tuned: TunedRule,
    /// Training seasons' actual ÷ forecast: what `margin` was calibrated on.
    training_ratio_mean: f64,
}

/// Runs `atelier simulate`.
pub fn run(args: &SimulateArgs) -> Result<()> {
    let stores = sample::stores()?;
    let history = sample::history(&stores)?;
    let data = Arc::new(SeasonData { stores, history });
    let policies = if args.policy.is_empty() {
        if args.tune_rule {
            vec![Policy::Seed, Policy::Rule, Policy::Margin]
        } else {
            vec![Policy::Seed, Policy::Margin]
        }
    } else {
        args.policy.clone()
    };
    let sets = parameter_sets(&args.params)?;
    let mut results = Vec::new();
    let mut paired = Vec::new();
    let mut rules = Vec::new();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    for (name, config) in &sets {
        let draws = draws(args, config, &data)?;
        // Each policy plays the planner's parameters; the tuned rule its own knobs
        // (holdback and checkpoint included), and `margin` centred on the same
        // training seasons the rule was tuned on.
        let mut rule_config = config.clone();
        let mut margin_config = config.clone();
        if args.tune_rule {
            let (tuned, ratios) = tune(args, name, config, &data, threads)?;
            rule_config = tuned.knobs.apply(config);
            margin_config.tunables.prior_seasons = ratios.clone();
            rules.push(RuleReport {
                params: name.clone(),
                training_ratio_mean: mean(&ratios),
                tuned,
            });
        }
        let mut by_policy = Vec::new();
        for policy in &policies {
            let mut config = match policy {
                Policy::Seed => seed_settings(config, name)?,
                Policy::Rule => rule_config.clone(),
                Policy::Margin => margin_config.clone(),
            };
            config.tunables.policy = *policy;
            let sim = SeasonSimulator::prepare(&args.category, &config, data.clone())
                .with_context(|| format!("{name} under {}", policy.as_str()))?;
            let reports = play_all(
                &sim,
                &draws,
                threads,
                &format!("{name} {}", policy.as_str()),
            )?;
            by_policy.push(summarise(*policy, name, &reports));
        }
        let baseline = by_policy
            .iter()
            .find(|r| r.policy == "rule")
            .or_else(|| by_policy.iter().find(|r| r.policy == "seed"));
        if let (Some(b), Some(m)) = (baseline, by_policy.iter().find(|r| r.policy == "margin")) {
            paired.push(pair(name, b, m));
        }
        results.extend(by_policy);
    }
    if args.json {
        let out = serde_json::json!({ "rules": rules, "results": results, "paired": paired });
        return crate::print_stdout(&serde_json::to_string_pretty(&out)?);
    }
    let mut text = String::new();
    for r in &rules {
        text.push_str(&rule_text(r));
    }
    text.push_str(&table(&results, &paired));
    crate::print_stdout(&text)
}

/// The seed policy's settings for a set: the shipped set's own (or the file's)
/// parameters and tunables, under `seed`.
fn seed_settings(config: &SeasonConfig, name: &str) -> Result<SeasonConfig> {
    let mut c = match sample::parameter_set(name) {
        Some(shipped) => shipped?,
        None => config.clone(),
    };
    c.tunables.policy = Policy::Seed;
    c.tunables.prior_seasons.clear();
    Ok(c)
}

/// Tunes the rule on training draws and returns it with the training seasons'
/// actual ÷ forecast ratios (what `margin` is calibrated on).
fn tune(
    args: &SimulateArgs,
    name: &str,
    config: &SeasonConfig,
    data: &Arc<SeasonData>,
    threads: usize,
) -> Result<(TunedRule, Vec<f64>)> {
    let train_seed = args
        .train_seed
        .unwrap_or_else(|| args.seed.wrapping_add(1_000_003));
    if train_seed == args.seed && args.synthetic.is_some() {
        bail!("--train-seed {train_seed} is the evaluation's --seed: tune on other draws");
    }
    let training = synthetic_draws(args, config, data, args.train, train_seed)?;
    let sim = SeasonSimulator::prepare(&args.category, config, data.clone())?;
    let forecast = sim
        .launched()
        .forecast
        .as_ref()
        .map_or(0, |f| f.total_season_demand)
        .max(1) as f64;
    let ratios: Vec<f64> = training
        .iter()
        .map(|d| d.weeks.iter().flatten().sum::<u64>() as f64 / forecast)
        .collect();
    let bar = ProgressBar::new_spinner().with_message(format!("{name}: tuning the rule"));
    let tuned = tune_rule(&args.category, config, data, &training, threads, &|k, m| {
        bar.set_message(format!(
            "{name}: tuning the rule — safety {:+.0}%, checkpoint {:?}: {}",
            k.safety_stock_pct * 100.0,
            k.markdown_checkpoint_week,
            money(m)
        ));
        bar.tick();
    })?;
    bar.finish_and_clear();
    if let Some(out) = &args.rule_out {
        let path = PathBuf::from(out.display().to_string().replace("NAME", name));
        let file = tuned.knobs.apply(config).to_file_json();
        std::fs::write(&path, serde_json::to_string_pretty(&file)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok((tuned, ratios))
}

fn rule_text(r: &RuleReport) -> String {
    let k = &r.tuned.knobs;
    format!(
        "{}: tuned rule ({} rules, {} passes): safety stock {:+.0}%, markdown judged against the {} at {:.0}% , {:.1}× the gap, cap {:.0}%, checkpoint {}, holdback {:.0}%; training margin {} (seed settings {}); training seasons sit at {:.1}% of the forecast\n",
        r.params,
        r.tuned.rules_tried,
        r.tuned.passes,
        k.safety_stock_pct * 100.0,
        match k.markdown_basis {
            MarkdownBasis::Order => "order",
            MarkdownBasis::Plan => "plan",
        },
        k.markdown_threshold * 100.0,
        k.markdown_elasticity,
        k.markdown_cap_pct * 100.0,
        k.markdown_checkpoint_week
            .map_or("none".into(), |w| format!("week {w}")),
        k.dc_holdback_percentage * 100.0,
        money(r.tuned.training_margin),
        money(r.tuned.start_margin),
        r.training_ratio_mean * 100.0
    )
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

/// `n` synthetic seasons under `seed`, each in a world drawn from
/// [`WorldSpread`] with the draw's supply disruptions.
fn synthetic_draws(
    args: &SimulateArgs,
    config: &SeasonConfig,
    data: &SeasonData,
    n: u64,
    seed: u64,
) -> Result<Vec<Draw>> {
    let horizon = config.parameters.forecast_horizon_weeks;
    let sales = atelier_core::plan::category_sales(&data.history, &args.category)?;
    let generator = SeasonGenerator::from_history(
        sales,
        config.parameters.season_start_date,
        horizon,
        SyntheticConfig::default(),
    )?;
    let spread = WorldSpread::default();
    Ok((0..n)
        .map(|i| {
            let season = generator.draw(seed, i);
            Draw {
                weeks: (1..=horizon).map(|w| season.week_units(w)).collect(),
                world: spread.draw(seed, i, &season.disrupted_weeks),
            }
        })
        .collect())
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
        out.push(Draw {
            weeks: weeks
                .iter()
                .map(|w| w.units_by_store(&data.stores))
                .collect(),
            world: World::standard(),
        });
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
        out.push(Draw {
            weeks: draw,
            world: inputs::world(dir)?,
        });
    }
    if let Some(n) = args.synthetic {
        let mut synthetic = synthetic_draws(args, config, data, n, args.seed)?;
        if let Some(regime) = args.regime {
            for (i, d) in synthetic.iter_mut().enumerate() {
                regime.apply(d, args.seed, i as u64);
            }
        }
        out.extend(synthetic);
    }
    if out.is_empty() {
        bail!("nothing to simulate: give --scenario, --demand or --synthetic");
    }
    Ok(out)
}

/// Plays every draw on `threads` workers, in draw order, with a progress bar.
fn play_all(
    sim: &SeasonSimulator,
    draws: &[Draw],
    threads: usize,
    label: &str,
) -> Result<Vec<SeasonReport>> {
    let bar = ProgressBar::new(draws.len() as u64).with_message(label.to_string());
    bar.set_style(
        ProgressStyle::with_template("{msg:30} {bar:30} {pos}/{len} seasons")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let reports = play_many(sim, draws, threads, &|| bar.inc(1))?;
    bar.finish_and_clear();
    Ok(reports)
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
        units_reordered_mean: of(|r| r.units_reordered as f64),
        reorder_cost_mean: of(|r| r.reorder_cost),
        margins,
    }
}

fn pair(params: &str, baseline: &PolicyResult, margin: &PolicyResult) -> Paired {
    let diffs: Vec<f64> = baseline
        .margins
        .iter()
        .zip(&margin.margins)
        .map(|(s, m)| m - s)
        .collect();
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
        baseline: baseline.policy,
        seasons: n,
        margin_minus_baseline_mean: m,
        margin_minus_baseline_pct: if baseline.gross_margin_mean.abs() > 0.0 {
            m / baseline.gross_margin_mean.abs()
        } else {
            0.0
        },
        interval_90: [m - half, m + half],
        margin_wins: diffs.iter().filter(|d| **d > 0.0).count() as f64 / n.max(1) as f64,
    }
}

fn money(x: f64) -> String {
    crate::wording::money(x, None)
}

fn table(results: &[PolicyResult], paired: &[Paired]) -> String {
    let mut out = format!(
        "{:<16} {:<7} {:>7} {:>12} {:>12} {:>12} {:>8} {:>9} {:>10} {:>10} {:>9}\n",
        "params",
        "policy",
        "seasons",
        "margin mean",
        "margin p10",
        "margin p90",
        "capture",
        "fill rate",
        "leftover",
        "markdown",
        "reorders"
    );
    for r in results {
        out.push_str(&format!(
            "{:<16} {:<7} {:>7} {:>12} {:>12} {:>12} {:>8} {:>8.1}% {:>10} {:>10} {:>9}\n",
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
            money(r.units_reordered_mean),
        ));
    }
    for p in paired {
        out.push_str(&format!(
            "\n{}: margin − {} = {} per season ({:+.2}%, 90% interval {} .. {}); margin earns more in {:.0}% of {} draws",
            p.params,
            p.baseline,
            money(p.margin_minus_baseline_mean),
            p.margin_minus_baseline_pct * 100.0,
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

    fn result(policy: Policy, margins: &[f64]) -> PolicyResult {
        summarise(
            policy,
            "x",
            &margins
                .iter()
                .map(|m| {
                    let mut r = atelier_core::season::season_report(
                        &[],
                        atelier_core::season::SeasonTotals {
                            manufactured: 0,
                            leftover_in_stores: 0,
                            leftover_at_dc: 0,
                            markdown_cost: 0.0,
                        },
                    );
                    r.gross_margin = *m;
                    r
                })
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn the_pair_is_margin_minus_the_baseline() {
        let p = pair(
            "x",
            &result(Policy::Rule, &[10.0, 20.0, 30.0]),
            &result(Policy::Margin, &[12.0, 19.0, 35.0]),
        );
        assert_eq!(p.baseline, "rule");
        assert!((p.margin_minus_baseline_mean - 2.0).abs() < 1e-12);
        assert!((p.margin_minus_baseline_pct - 0.1).abs() < 1e-12);
        assert!((p.margin_wins - 2.0 / 3.0).abs() < 1e-12);
        assert!(p.interval_90[0] < 2.0 && p.interval_90[1] > 2.0);
    }
}

/// Demand regimes the generator does not assume, for stress tests: each changes a
/// synthetic draw's demand or its world after it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Weeks 7 onward sell 60% more: a late surge.
    LateSurge,
    /// Weeks 4 onward sell half: an early collapse.
    EarlyCollapse,
    /// Even-numbered stores sell 50% more, odd ones 40% less: the mix shifts.
    StoreMixShift,
    /// One season in five doubles, one in five halves: fat tails.
    FatTails,
    /// Seasons scaled to sit 30% under the forecast on average.
    Forecast30High,
    /// Seasons scaled to sit 30% over the forecast on average.
    Forecast30Low,
    /// Markdowns lift demand 0.3% per point, linearly.
    LiftFarBelow,
    /// Markdowns lift demand 4% per point, linearly.
    LiftFarAbove,
}

/// The generator's mean season total ÷ forecast (ln mean −0.25 over 1,000 draws,
/// `docs/simulation.md`): the regimes that move the level rescale from it.
const GENERATOR_RATIO: f64 = 0.78;

impl Regime {
    /// Every regime.
    pub const ALL: [Regime; 8] = [
        Regime::LateSurge,
        Regime::EarlyCollapse,
        Regime::StoreMixShift,
        Regime::FatTails,
        Regime::Forecast30High,
        Regime::Forecast30Low,
        Regime::LiftFarBelow,
        Regime::LiftFarAbove,
    ];

    /// The flag's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::LateSurge => "late_surge",
            Regime::EarlyCollapse => "early_collapse",
            Regime::StoreMixShift => "store_mix_shift",
            Regime::FatTails => "fat_tails",
            Regime::Forecast30High => "forecast_30_high",
            Regime::Forecast30Low => "forecast_30_low",
            Regime::LiftFarBelow => "lift_far_below",
            Regime::LiftFarAbove => "lift_far_above",
        }
    }

    /// Parses the flag's spelling.
    pub fn parse(text: &str) -> Option<Regime> {
        Regime::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    /// Changes draw `index` (under `seed`).
    fn apply(self, draw: &mut Draw, seed: u64, index: u64) {
        let scale = |draw: &mut Draw, f: &dyn Fn(usize, usize) -> f64| {
            for (w, week) in draw.weeks.iter_mut().enumerate() {
                for (s, units) in week.iter_mut().enumerate() {
                    *units = (*units as f64 * f(w, s)).round() as u64;
                }
            }
        };
        match self {
            Regime::LateSurge => scale(draw, &|w, _| if w >= 6 { 1.6 } else { 1.0 }),
            Regime::EarlyCollapse => scale(draw, &|w, _| if w >= 3 { 0.5 } else { 1.0 }),
            Regime::StoreMixShift => scale(draw, &|_, s| if s % 2 == 0 { 1.5 } else { 0.6 }),
            Regime::FatTails => {
                let mut rng = atelier_core::rng::SplitMix64::new(seed ^ 0xFA7 ^ index);
                let u = rng.next_f64();
                let f = if u < 0.2 {
                    2.0
                } else if u < 0.4 {
                    0.5
                } else {
                    1.0
                };
                scale(draw, &|_, _| f);
            }
            Regime::Forecast30High => scale(draw, &|_, _| 0.7 / GENERATOR_RATIO),
            Regime::Forecast30Low => scale(draw, &|_, _| 1.3 / GENERATOR_RATIO),
            Regime::LiftFarBelow => {
                draw.world.markdown_lift = atelier_core::world::LiftCurve::from_response(0.3, None);
            }
            Regime::LiftFarAbove => {
                draw.world.markdown_lift = atelier_core::world::LiftCurve::from_response(4.0, None);
            }
        }
    }
}

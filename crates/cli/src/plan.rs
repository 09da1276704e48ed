//! `atelier plan`: the pre-season part on the command line, decided by the same
//! steps and policy as `atelier run` up to week 1 (so the order printed is the
//! order a season would propose).

use crate::inputs;
use anyhow::{Context, Result};
use atelier_core::Policy;
use atelier_core::plan::SeasonPlan;
use atelier_core::sample::DEFAULT_CATEGORY;
use atelier_engine::agents::SeasonData;
use atelier_engine::simulate::SeasonSimulator;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Flags of `atelier plan`.
#[derive(Args)]
pub struct PlanArgs {
    /// Daily sales history CSV (default: the shipped sample).
    #[arg(long)]
    history: Option<PathBuf>,
    /// Store attributes CSV (default: the shipped sample).
    #[arg(long)]
    stores: Option<PathBuf>,
    /// Category to plan.
    #[arg(long, default_value = DEFAULT_CATEGORY)]
    category: String,
    /// Season parameters JSON (default: the shipped Zara set).
    #[arg(long)]
    params: Option<PathBuf>,
    /// The policy that decides: seed, rule or margin (default: the parameter
    /// file's, else margin).
    #[arg(long, value_parser = crate::simulate::parse_policy)]
    policy: Option<Policy>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs the plan and prints it. Everything is computed before anything is printed,
/// so an error leaves stdout empty.
pub fn run(args: &PlanArgs) -> Result<()> {
    let mut config = inputs::season_config(args.params.as_deref())?;
    if let Some(policy) = args.policy {
        config.tunables.policy = policy;
    }
    let stores = inputs::stores(args.stores.as_deref())?;
    let history = inputs::history(args.history.as_deref(), &stores)?;
    let category = atelier_engine::orchestrator::new_workflow::resolve_category(
        &args.category,
        &history.category_names(),
    )?;
    let data = Arc::new(SeasonData { stores, history });
    let sim = SeasonSimulator::prepare(&category, &config, data)?;
    let launched = sim.launched();
    let plan = SeasonPlan {
        category,
        parameters: config.parameters.clone(),
        forecast: launched
            .forecast
            .clone()
            .context("the launched season has no forecast")?,
        manufacturing: launched.order.context("the launched season has no order")?,
        allocation: launched
            .allocation
            .clone()
            .context("the launched season has no allocation")?,
    };
    let text = if args.json {
        serde_json::to_string_pretty(&plan)?
    } else {
        summary(&plan, config.tunables.policy)
    };
    crate::print_stdout(&text)
}

fn summary(plan: &SeasonPlan, plan_policy: Policy) -> String {
    let p = &plan.parameters;
    let f = &plan.forecast;
    let m = &plan.manufacturing;
    let a = &plan.allocation;
    let mut out = String::new();
    out.push_str(&format!(
        "Season plan: {} | {} weeks from {} to {}\n",
        plan.category, p.forecast_horizon_weeks, p.season_start_date, p.season_end_date
    ));
    out.push_str(&format!(
        "  replenishment {}, DC holdback {:.0}%, markdown {}\n\n",
        p.replenishment_strategy,
        p.dc_holdback_percentage * 100.0,
        match (p.markdown_checkpoint_week, p.markdown_threshold) {
            (Some(w), Some(t)) =>
                format!("check at week {w} against {:.0}% sell-through", t * 100.0),
            _ => "never".to_string(),
        }
    ));
    out.push_str(&format!(
        "Demand forecast: {} units ({:.0}% interval {}..{})\n",
        f.total_season_demand,
        f.interval.level * 100.0,
        f.interval.low,
        f.interval.high
    ));
    for member in &f.members {
        out.push_str(&format!("  {:<24} {:>10.0}\n", member.model, member.total));
    }
    out.push_str("  weekly: ");
    out.push_str(
        &f.weekly
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    );
    out.push_str(&format!(
        "\n\nManufacturing order ({} policy): {} units (forecast {} {:+.0}%)\n\n",
        plan_policy,
        m.manufacturing_qty,
        m.forecast_units,
        m.safety_stock_pct * 100.0
    ));
    out.push_str(&format!(
        "Allocation: {} shipped at launch, {} held at the DC\n",
        a.initial_shipped, a.dc_holdback
    ));
    for c in &a.clusters {
        out.push_str(&format!(
            "  {:<16} {:>3} stores {:>8} units ({:.1}% of history)\n",
            c.cluster_id.as_str(),
            c.stores,
            c.units,
            c.share * 100.0
        ));
    }
    out.push_str("\n  store  cluster           season  launch\n");
    for s in &a.stores {
        out.push_str(&format!(
            "  {:<6} {:<16} {:>7} {:>7}\n",
            s.store_id,
            s.cluster_id.as_str(),
            s.season_allocation,
            s.initial
        ));
    }
    out
}

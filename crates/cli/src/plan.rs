//! `atelier plan`: the pre-season part on the command line.

use crate::inputs;
use anyhow::Result;
use atelier_core::plan::{SeasonPlan, plan_season};
use atelier_core::sample::DEFAULT_CATEGORY;
use clap::Args;
use std::path::PathBuf;

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
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Runs the plan and prints it. Everything is computed before anything is printed,
/// so an error leaves stdout empty.
pub fn run(args: &PlanArgs) -> Result<()> {
    let config = inputs::season_config(args.params.as_deref())?;
    let stores = inputs::stores(args.stores.as_deref())?;
    let history = inputs::history(args.history.as_deref(), &stores)?;
    let category = crate::wording::resolve_category(&args.category, &history.category_names())?;
    let plan = plan_season(&history, &stores, &category, &config)?;
    let text = if args.json {
        serde_json::to_string_pretty(&plan)?
    } else {
        summary(&plan)
    };
    crate::print_stdout(&text)
}

fn summary(plan: &SeasonPlan) -> String {
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
        "\n\nManufacturing order: {} units (forecast {} + {:.0}% safety stock)\n\n",
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

//! `atelier tune ID`: what simulation says about next season's safety stock,
//! holdback, checkpoint week, markdown cap and order centre, from the demand the
//! season saw, each recommendation checked again on held-out draws.

use crate::season::{DbArgs, offline_session};
use crate::wording::money;
use anyhow::{Result, bail};
use atelier_core::tune::Knob;
use atelier_engine::DataCatalog;
use atelier_engine::tune::{TuneOptions, TuneReport, tune};
use clap::Args;

/// Flags of `atelier tune`.
#[derive(Args)]
pub struct TuneArgs {
    /// The completed season to learn from.
    id: String,
    /// Seasons drawn around the one observed, per value tried.
    #[arg(long, default_value_t = 200)]
    draws: usize,
    /// Seed of the draws: the same seed gives the same answer.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `atelier tune`.
pub fn run(args: &TuneArgs) -> Result<()> {
    if !(2..=10_000).contains(&args.draws) {
        bail!("--draws {} is outside 2..=10000", args.draws);
    }
    let s = offline_session(&args.db)?;
    let view = s.orchestrator.view(&args.id)?;
    let events = s.orchestrator.events(&args.id, 0, None)?;
    let data = s.catalog.load(&view.data).map_err(anyhow::Error::msg)?;
    let report = tune(
        &view,
        &events,
        data,
        TuneOptions {
            draws: args.draws,
            seed: args.seed,
        },
    )?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)?
    } else {
        words(&report)
    };
    crate::print_stdout(&text)
}

/// The report for a planner: each knob, what was tried, and the recommendation.
pub fn words(r: &TuneReport) -> String {
    let cur = Some(r.currency.as_str());
    let mut out = format!(
        "next season for {} ({} policy), from {} draws around the {} units of demand it saw ({} before the markdown's lift; seed {}, held-out seed {}):\nwith this season's settings the mean gross margin is {}\n",
        r.workflow_id,
        r.policy.as_str(),
        r.draws,
        r.observed_demand,
        r.demand_before_lift,
        r.seed,
        r.held_out_seed,
        money(r.current_margin_mean, cur)
    );
    for k in &r.knobs {
        let verdict = match (&k.recommended, &k.best_in_sample, &k.held_out) {
            (Some(t), _, Some(h)) => format!(
                "change to {}: {} a season on held-out draws (90% interval {} .. {})",
                t.setting,
                signed(h.mean, cur),
                money(h.low, cur),
                money(h.high, cur)
            ),
            (None, Some(t), Some(h)) => format!(
                "keep it: {} gained {} on the tuning draws but {} on held-out ones",
                t.setting,
                signed(t.gain.mean, cur),
                signed(h.mean, cur)
            ),
            _ if k.tried.is_empty() => "nothing to try".to_string(),
            _ => "keep it: no value tried earns more with confidence".to_string(),
        };
        out.push_str(&format!(
            "  {} ({}): now {} → {verdict}\n",
            label(k.knob),
            k.field,
            k.current
        ));
        let tried: Vec<String> = k
            .tried
            .iter()
            .map(|t| format!("{} {}", t.setting, signed(t.gain.mean, cur)))
            .collect();
        if !tried.is_empty() {
            out.push_str(&format!("      tried (mean gain): {}\n", tried.join(", ")));
        }
    }
    if let Some(t) = &r.together {
        let what: Vec<String> = t
            .settings
            .iter()
            .map(|(k, s)| format!("{} {s}", short(*k)))
            .collect();
        out.push_str(&format!(
            "  together ({}): {} a season on held-out draws (90% interval {} .. {}) → {}\n",
            what.join(", "),
            signed(t.gain.mean, cur),
            money(t.gain.low, cur),
            money(t.gain.high, cur),
            if t.supported {
                "apply them together".to_string()
            } else {
                format!(
                    "they earn less together than apart: apply only the {} ({})",
                    short(t.best_alone.0),
                    t.best_alone.1
                )
            }
        ));
    }
    out.truncate(out.trim_end().len());
    out
}

fn label(knob: Knob) -> &'static str {
    match knob {
        Knob::SafetyStock => "safety stock",
        Knob::Holdback => "holdback",
        Knob::CheckpointWeek => "checkpoint week",
        Knob::MarkdownCap => "markdown cap",
        Knob::OrderCentre => "order centre (seasons calibrated on)",
    }
}

/// A knob's name inside a sentence.
fn short(knob: Knob) -> &'static str {
    match knob {
        Knob::SafetyStock => "safety stock",
        Knob::Holdback => "holdback",
        Knob::CheckpointWeek => "checkpoint",
        Knob::MarkdownCap => "markdown cap",
        Knob::OrderCentre => "order centre",
    }
}

/// An amount with its sign: `+1,200 USD`, `-300 USD`.
pub(crate) fn signed(amount: f64, currency: Option<&str>) -> String {
    if amount >= 0.0 {
        format!("+{}", money(amount, currency))
    } else {
        money(amount, currency)
    }
}

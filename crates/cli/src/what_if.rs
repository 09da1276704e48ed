//! `atelier what-if ID`: a planner's settings for next season (policy, safety
//! stock or a first buy in units, holdback, checkpoint week, markdown cap) played
//! on the seasons `atelier tune` draws around a completed one, beside the season's
//! own settings on the same seasons: the spread of gross margin of each (p10, p50,
//! p90) and the paired gain. The dashboard's What-if tab asks the same of
//! `POST /api/workflows/{id}/what-if`, and gets the same answer for the same
//! draws and seed.

use crate::season::{DbArgs, offline_session};
use crate::tune::signed;
use crate::wording::{money, pct, units};
use anyhow::{Result, bail};
use atelier_core::Policy;
use atelier_core::tune::{Percentile, WhatIf};
use atelier_engine::DataCatalog;
use atelier_engine::tune::TuneOptions;
use atelier_engine::what_if::{SettingsPlayed, WhatIfBasis, WhatIfFailure, WhatIfReport};
use clap::Args;

/// A checkpoint week, or `none` for no markdown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckpointArg(Option<u32>);

impl std::str::FromStr for CheckpointArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("none") {
            return Ok(CheckpointArg(None));
        }
        s.trim()
            .parse::<u32>()
            .map(|w| CheckpointArg(Some(w)))
            .map_err(|_| format!("'{s}' is not a week number or none"))
    }
}

/// Flags of `atelier what-if`: each knob left out keeps the season's value.
#[derive(Args)]
pub struct WhatIfArgs {
    /// The completed season the seasons are drawn around.
    id: String,
    /// The rules that decide: seed, rule or margin.
    #[arg(long, value_parser = parse_policy)]
    policy: Option<Policy>,
    /// Safety stock as the policy reads it (a fraction: 0.15): of the forecast
    /// under seed and rule, the season-level spread a newsvendor order covers
    /// under margin. Not with --order-units.
    #[arg(long, allow_negative_numbers = true)]
    safety_stock: Option<f64>,
    /// A first buy of exactly this many units, whatever the policy would order.
    #[arg(long)]
    order_units: Option<u64>,
    /// Share of the order held at the DC at launch (a fraction: 0.3).
    #[arg(long, allow_negative_numbers = true)]
    holdback: Option<f64>,
    /// The markdown checkpoint week, or none for no markdown.
    #[arg(long)]
    checkpoint_week: Option<CheckpointArg>,
    /// The deepest markdown (a fraction: 0.3).
    #[arg(long, allow_negative_numbers = true)]
    markdown_cap: Option<f64>,
    /// A season's actual ÷ forecast added to those the order is calibrated on
    /// (0.8: demand came in a fifth under the forecast), as `atelier tune`
    /// recommends it. Margin policy only.
    #[arg(long, allow_negative_numbers = true)]
    order_centre: Option<f64>,
    /// Seasons drawn around the one observed (the API's default: 40).
    #[arg(long, default_value_t = 40)]
    draws: usize,
    /// Seed of the draws: with the same draws and seed, `atelier tune` tries its
    /// values on the same seasons.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print one JSON object (what the API answers).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: DbArgs,
}

fn parse_policy(text: &str) -> Result<Policy, String> {
    Policy::parse(text).ok_or_else(|| format!("'{text}' is not a policy: seed, rule or margin"))
}

impl WhatIfArgs {
    fn what_if(&self) -> WhatIf {
        WhatIf {
            policy: self.policy,
            safety_stock: self.safety_stock,
            order_units: self.order_units,
            holdback: self.holdback,
            checkpoint_week: self.checkpoint_week.map(|c| c.0),
            markdown_cap: self.markdown_cap,
            order_centre: self.order_centre,
        }
    }
}

/// Runs `atelier what-if`.
pub fn run(args: &WhatIfArgs) -> Result<()> {
    if !(2..=200).contains(&args.draws) {
        bail!("--draws {} is outside 2..=200", args.draws);
    }
    let s = offline_session(&args.db)?;
    let view = s.orchestrator.view(&args.id)?;
    let asked = args.what_if();
    atelier_engine::what_if::check(&view, &asked).map_err(flag_error)?;
    let events = s.orchestrator.events(&args.id, 0, None)?;
    let data = s.catalog.load(&view.data).map_err(anyhow::Error::msg)?;
    let options = TuneOptions {
        draws: args.draws,
        seed: args.seed,
    };
    let basis = WhatIfBasis::prepare(&view, &events, data, options)?;
    let report = basis.ask(&asked).map_err(flag_error)?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)?
    } else {
        words(&report)
    };
    crate::print_stdout(&text)
}

/// A refusal in the flags' words: `--holdback: 1.5 is outside 0..=1`.
fn flag_error(e: WhatIfFailure) -> anyhow::Error {
    match e {
        WhatIfFailure::Settings(e) => {
            anyhow::anyhow!("--{}", e.to_string().replace('_', "-"))
        }
        WhatIfFailure::Simulation(e) => e.into(),
    }
}

/// The answer for a planner: both settings side by side, then their margins.
pub fn words(r: &WhatIfReport) -> String {
    let cur = Some(r.currency.as_str());
    let (a, b) = (&r.current.settings, &r.planned.settings);
    let mut rows: Vec<(String, String, String)> = vec![
        ("policy".into(), a.policy.to_string(), b.policy.to_string()),
        ("safety stock".into(), safety(a), safety(b)),
        ("first buy".into(), order(a), order(b)),
        ("holdback".into(), pct(a.holdback), pct(b.holdback)),
        (
            "checkpoint".into(),
            week(a.checkpoint_week),
            week(b.checkpoint_week),
        ),
        (
            "markdown cap".into(),
            pct(a.markdown_cap),
            pct(b.markdown_cap),
        ),
        (
            "order centre".into(),
            pct(a.order_centre),
            pct(b.order_centre),
        ),
    ];
    let (m, n) = (&r.current.margin, &r.planned.margin);
    for (label, x, y) in [
        ("gross margin p10", &m.p10, &n.p10),
        ("gross margin p50", &m.p50, &n.p50),
        ("gross margin p90", &m.p90, &n.p90),
    ] {
        rows.push((label.into(), figure(x, cur), figure(y, cur)));
    }
    rows.push((
        "gross margin mean".into(),
        money(m.mean, cur),
        money(n.mean, cur),
    ));
    let width = rows
        .iter()
        .map(|(_, x, _)| x.chars().count())
        .max()
        .unwrap_or(0)
        .max("this season".len());
    let mut out = format!(
        "what-if for {}: {} seasons drawn around the {} units of demand it saw (the markdown's lift divided out; seed {})\n  {:<18}{:<width$}  {}\n",
        r.workflow_id,
        r.draws,
        units(r.demand_centre),
        r.seed,
        "",
        "this season",
        "yours"
    );
    for (label, x, y) in rows {
        out.push_str(&format!("  {label:<18}{x:<width$}  {y}\n"));
    }
    let g = &r.gain;
    out.push_str(&format!(
        "  yours less this season's, per season drawn: {} (90% interval {} .. {})",
        signed(g.mean, cur),
        signed(g.low, cur),
        signed(g.high, cur)
    ));
    out
}

fn safety(s: &SettingsPlayed) -> String {
    if s.order_fixed {
        "—".into()
    } else if s.safety_stock_field.ends_with("season_level_sd") {
        format!("{} (spread covered)", pct(s.safety_stock))
    } else {
        format!("{} of the forecast", pct(s.safety_stock))
    }
}

fn order(s: &SettingsPlayed) -> String {
    let fixed = if s.order_fixed { " (fixed)" } else { "" };
    format!("{} units{fixed}", units(s.order_units))
}

fn week(w: Option<u32>) -> String {
    w.map_or_else(|| "none".into(), |w| format!("week {w}"))
}

fn figure(p: &Percentile, currency: Option<&str>) -> String {
    money(p.value, currency)
}

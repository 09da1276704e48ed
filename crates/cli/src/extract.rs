//! `atelier extract`: phase 0 from the command line. Reads a planner's description and
//! prints the seven season parameters, with the model when `ATELIER_LLM_*` configures
//! one and with the offline extractor otherwise.

use anyhow::bail;
use atelier_llm::{ChatClient, ExtractError, Extraction, LlmConfig, extract_parameters};
use chrono::NaiveDate;

/// Arguments of `atelier extract`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExtractArgs {
    /// The planner's description of the season, in plain language.
    pub text: String,
    /// The date that resolves dates written without a year (default: today).
    #[arg(long)]
    pub today: Option<NaiveDate>,
    /// Print one JSON object: the seven parameters plus extraction_confidence,
    /// extraction_reasoning and source.
    #[arg(long)]
    pub json: bool,
}

/// Runs the extraction and prints the result; on a text that leaves parameters out,
/// names them on stderr, prints nothing on stdout and fails.
pub fn run(args: &ExtractArgs) -> anyhow::Result<()> {
    let today = args
        .today
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let client = LlmConfig::from_env().map(ChatClient::new);
    match extract_parameters(&args.text, today, client.as_ref()) {
        Ok(extraction) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&extraction.summary_json())?
                );
            } else {
                print!("{}", summary(&extraction));
            }
            Ok(())
        }
        Err(err) => {
            eprintln!("error: {err}");
            let what = match &err {
                ExtractError::Missing { .. } => "missing parameters",
                ExtractError::Invalid(_) => "invalid parameters",
                ExtractError::Ambiguous(_) => "ambiguous parameters",
            };
            eprintln!("{what}: {}", err.fields().join(", "));
            eprintln!(
                "Rephrase the description to state them, or write a parameter file for --params."
            );
            bail!(
                "could not extract the season parameters ({what}: {})",
                err.fields().join(", ")
            )
        }
    }
}

/// The readable form: one line per parameter, then the reasoning sentence by sentence.
fn summary(e: &Extraction) -> String {
    let p = &e.parameters;
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let mut out = format!(
        "Season parameters (source: {}, confidence: {})\n",
        e.source.as_str(),
        e.extraction_confidence.as_str()
    );
    let rows = [
        (
            "forecast_horizon_weeks",
            p.forecast_horizon_weeks.to_string(),
        ),
        ("season_start_date", p.season_start_date.to_string()),
        ("season_end_date", p.season_end_date.to_string()),
        (
            "replenishment_strategy",
            p.replenishment_strategy.to_string(),
        ),
        ("dc_holdback_percentage", pct(p.dc_holdback_percentage)),
        (
            "markdown_checkpoint_week",
            p.markdown_checkpoint_week
                .map_or("none (no markdowns)".to_string(), |w| w.to_string()),
        ),
        (
            "markdown_threshold",
            p.markdown_threshold.map_or("none".to_string(), pct),
        ),
    ];
    for (name, value) in rows {
        out.push_str(&format!("  {name:<26}{value}\n"));
    }
    out.push_str("Reasoning:\n");
    for sentence in e.extraction_reasoning.split_inclusive(". ") {
        out.push_str(&format!("  {}\n", sentence.trim()));
    }
    if let Some(reason) = &e.fallback_reason {
        out.push_str(&format!("The model's answer was not used: {reason}\n"));
    }
    for call in &e.llm_calls {
        out.push_str(&format!(
            "Model call: {} in {} ms, {} attempt(s)\n",
            call.model, call.latency_ms, call.attempts
        ));
    }
    out
}

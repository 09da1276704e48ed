//! `atelier`: the command line of the season-planning orchestrator. Thin: each
//! subcommand parses its flags, loads inputs (the shipped sample by default) and
//! calls the core or the engine.

mod backup;
mod export;
mod extract;
mod inputs;
mod plan;
mod season;
mod serve;
mod simulate;
mod tune;
mod what_if;
mod wording;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Plans and runs a retail season: forecast, manufacturing order, allocation,
/// in-season monitoring and markdowns.
#[derive(Parser)]
#[command(
    name = "atelier",
    version,
    after_help = "The planner's dashboard: run `atelier serve` and open http://127.0.0.1:8080/ in a browser.\nEvery command takes --help."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pre-season plan: forecast, manufacturing order and store allocation.
    Plan(plan::PlanArgs),
    /// Run a season as a durable workflow (default: Zara parameters, normal_season).
    Run(season::RunArgs),
    /// Answer a pending approval: --accept or --modify JSON.
    Approve(season::ApproveArgs),
    /// Continue a workflow: retry after an error, play the next weeks.
    Resume(season::ResumeArgs),
    /// Show a workflow.
    Status(season::StatusArgs),
    /// Serve the REST API and the live WebSocket stream (see /api/openapi.json).
    Serve(serve::ServeArgs),
    /// Re-forecast the remaining weeks of a running season now.
    Reforecast(season::ReforecastArgs),
    /// Print a workflow's events as JSON lines.
    Events(season::EventsArgs),
    /// Export a season: the xlsx workbook (--xlsx FILE) and each table as CSV (--csv DIR).
    Export(export::ExportArgs),
    /// Turn a planner's plain-language description into the seven season parameters.
    Extract(extract::ExtractArgs),
    /// Play seasons in memory under each policy and parameter set, on shipped,
    /// folder or synthetic demand, and compare their money.
    Simulate(simulate::SimulateArgs),
    /// Recommend next season's safety stock, holdback, checkpoint week and markdown
    /// cap for a completed season, by simulating each on demand like the season's.
    Tune(tune::TuneArgs),
    /// Try next season's settings (policy, safety stock or a first buy in units,
    /// holdback, checkpoint week, markdown cap) on seasons like a completed one:
    /// the spread of gross margin beside the season's own settings.
    WhatIf(what_if::WhatIfArgs),
    /// Copy the SQLite event store to OUT while it is in use (SQLite's online backup).
    Backup(backup::BackupArgs),
    /// Replace the SQLite event store with a backup, after checking the backup.
    Restore(backup::RestoreArgs),
    /// Print the workflow state diagram (Mermaid), generated from the transition table.
    States,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan::run(&args),
        Command::Run(args) => season::run(&args, llm(), describe),
        Command::Approve(args) => season::approve(&args, llm()),
        Command::Resume(args) => season::resume(&args, llm()),
        Command::Status(args) => season::status(&args),
        Command::Events(args) => season::events(&args),
        Command::Export(args) => export::run(&args),
        Command::Reforecast(args) => season::reforecast(&args, llm()),
        Command::Serve(args) => serve::run(&args),
        Command::Extract(args) => extract::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Tune(args) => tune::run(&args),
        Command::WhatIf(args) => what_if::run(&args),
        Command::Backup(args) => backup::backup(&args),
        Command::Restore(args) => backup::restore(&args),
        Command::States => print_stdout(atelier_engine::state::mermaid_diagram().trim_end()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints `text` and a newline to stdout; a closed pipe (`atelier plan | head`) is
/// not an error worth a panic.
pub fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The model for season commands' explanations, when `ATELIER_LLM_*` configures one
/// (the engine falls back to its templates on any failure); none means the templates.
fn llm() -> Option<atelier_llm::LlmConfig> {
    atelier_llm::LlmConfig::from_env()
}

/// Parameters from a planner's description (phase 0), with default tunables, and the
/// extraction's reasoning to record in the workflow.
fn describe(
    text: &str,
    today: chrono::NaiveDate,
) -> anyhow::Result<(atelier_core::SeasonConfig, atelier_engine::event::Reasoning)> {
    let client = atelier_llm::LlmConfig::from_env().map(atelier_llm::ChatClient::new);
    let extraction = atelier_llm::extract_parameters(text, today, client.as_ref())
        .map_err(|e| anyhow::anyhow!("could not extract the season parameters: {e}"))?;
    eprintln!(
        "parameters from the description ({} confidence, {}): {}",
        extraction.extraction_confidence.as_str(),
        extraction.source.as_str(),
        extraction.extraction_reasoning
    );
    let call = extraction
        .llm_calls
        .iter()
        .rev()
        .find(|c| c.error.is_none());
    let reasoning = atelier_engine::event::Reasoning {
        decision_point: "parameter_extraction".into(),
        text: format!(
            "From the description \"{text}\" ({} confidence): {}",
            extraction.extraction_confidence.as_str(),
            extraction.extraction_reasoning
        ),
        source: match extraction.source {
            atelier_llm::Source::Llm => atelier_engine::event::ReasoningSource::Llm,
            _ => atelier_engine::event::ReasoningSource::Offline,
        },
        model: call.map(|c| c.model.clone()),
        prompt: None,
        latency_ms: call.map(|c| c.latency_ms),
        prompt_tokens: call.and_then(|c| c.prompt_tokens),
        completion_tokens: call.and_then(|c| c.completion_tokens),
        fallback_reason: extraction.fallback_reason.clone(),
    };
    Ok((
        atelier_core::SeasonConfig::with_defaults(extraction.parameters),
        reasoning,
    ))
}

//! `atelier`: the command line of the season-planning orchestrator. Thin: each
//! subcommand parses its flags, loads inputs (the shipped sample by default) and
//! calls the core or the engine.

mod inputs;
mod plan;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Plans and runs a retail season: forecast, manufacturing order, allocation,
/// in-season monitoring and markdowns.
#[derive(Parser)]
#[command(name = "atelier", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pre-season plan: forecast, manufacturing order and store allocation.
    Plan(plan::PlanArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan::run(&args),
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

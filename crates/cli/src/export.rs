//! `atelier export ID --xlsx F [--csv DIR]`: a season as the workbook the API
//! serves at `/api/workflows/{id}/export.xlsx`, and each table as CSV.

use crate::season::{DbArgs, offline_session};
use anyhow::{Context, Result, bail};
use atelier_server::export::{csv, season_tables, workbook};
use clap::Args;
use std::path::PathBuf;

/// Flags of `atelier export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The workflow.
    id: String,
    /// Write the xlsx workbook here (sheets summary, weeks, stores, approvals,
    /// timeline).
    #[arg(long, value_name = "FILE")]
    xlsx: Option<PathBuf>,
    /// Write each table as NAME.csv into this directory.
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

/// Writes the workbook and/or the CSV files.
pub fn run(args: &ExportArgs) -> Result<()> {
    if args.xlsx.is_none() && args.csv.is_none() {
        bail!("say where to write: --xlsx FILE and/or --csv DIR");
    }
    let s = offline_session(&args.db)?;
    let view = s.orchestrator.view(&args.id)?;
    let events = s.orchestrator.events(&args.id, 0, None)?;
    let tables = season_tables(&view, &events);
    if let Some(path) = &args.xlsx {
        let bytes = workbook(&tables, &view.tunables.currency).context("building the workbook")?;
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    if let Some(dir) = &args.csv {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for t in &tables {
            let path = dir.join(format!("{}.csv", t.name));
            std::fs::write(&path, csv(t)).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}

//! `atelier backup` and `atelier restore`: an online copy of the SQLite event store
//! (SQLite's backup API, consistent while a server writes) and its return, checked
//! before anything is replaced. A PostgreSQL store is refused with the tool to use
//! instead (pg_dump).

use crate::season::DbArgs;
use anyhow::{Context, Result};
use atelier_engine::store::{BackupError, BackupSummary, backup_sqlite, restore_sqlite};
use clap::Args;
use std::path::PathBuf;

/// Flags of `atelier backup`.
#[derive(Args)]
pub struct BackupArgs {
    /// The file to write the copy to (refused if it exists, unless --force).
    out: PathBuf,
    /// Overwrite OUT if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// Flags of `atelier restore`.
#[derive(Args)]
pub struct RestoreArgs {
    /// A file written by `atelier backup`.
    backup: PathBuf,
    /// Replace the database if it exists (it must not be open: stop the server first).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// `atelier backup`.
pub fn backup(args: &BackupArgs) -> Result<()> {
    let db = args.db.path();
    let summary = backup_sqlite(&db, &args.out, args.force)
        .map_err(hint)
        .with_context(|| format!("cannot back up {}", db.display()))?;
    crate::print_stdout(&format!(
        "backed up {} to {}: {}",
        db.display(),
        args.out.display(),
        describe(&summary)
    ))
}

/// `atelier restore`.
pub fn restore(args: &RestoreArgs) -> Result<()> {
    let db = args.db.path();
    let summary = restore_sqlite(&args.backup, &db, args.force)
        .map_err(hint)
        .with_context(|| {
            format!(
                "cannot restore {} into {}",
                args.backup.display(),
                db.display()
            )
        })?;
    crate::print_stdout(&format!(
        "restored {} into {}: {}",
        args.backup.display(),
        db.display(),
        describe(&summary)
    ))
}

/// The engine's refusal, with the flag that overrides it where there is one.
fn hint(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::Exists(_) => anyhow::anyhow!("{e} (pass --force to replace it)"),
        e => e.into(),
    }
}

fn describe(s: &BackupSummary) -> String {
    format!(
        "schema version {}, {} workflow{}, {} events, {} bytes",
        s.schema_version,
        s.workflows,
        if s.workflows == 1 { "" } else { "s" },
        s.events,
        s.bytes
    )
}

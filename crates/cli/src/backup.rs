//! `atelier backup` and `atelier restore`: an online copy of the SQLite event store
//! (SQLite's backup API, consistent while a server writes) and its return, checked
//! before anything is replaced, with the data sets uploaded beside it
//! (`<db>.datasets/`, copied to `<backup>.datasets/` and back). A PostgreSQL store
//! is refused with the tool to use instead (pg_dump, which holds its data sets).

use crate::season::DbArgs;
use anyhow::{Context, Result};
use atelier_engine::store::{BackupError, BackupSummary, backup_sqlite, restore_sqlite};
use atelier_server::state::datasets_dir;
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
    // Data sets are immutable once written, so copying them after the log is
    // consistent: a data set the copied log names already existed.
    let datasets = copy_datasets(&datasets_dir(&db), &datasets_dir(&args.out))
        .with_context(|| format!("cannot back up the data sets of {}", db.display()))?;
    crate::print_stdout(&format!(
        "backed up {} to {}: {}, {datasets} uploaded data set{}",
        db.display(),
        args.out.display(),
        describe(&summary),
        if datasets == 1 { "" } else { "s" }
    ))
}

/// `atelier restore`.
pub fn restore(args: &RestoreArgs) -> Result<()> {
    let db = args.db.path();
    let from = datasets_dir(&args.backup);
    let names = needed_datasets(&args.backup)?;
    let missing: Vec<&String> = names
        .iter()
        .filter(|id| !from.join(id).join("manifest.json").is_file())
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "cannot restore {}: its workflows use uploaded data sets that are not in {}: {}; nothing was changed",
            args.backup.display(),
            from.display(),
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let summary = restore_sqlite(&args.backup, &db, args.force)
        .map_err(hint)
        .with_context(|| {
            format!(
                "cannot restore {} into {}",
                args.backup.display(),
                db.display()
            )
        })?;
    let datasets = copy_datasets(&from, &datasets_dir(&db))
        .with_context(|| format!("cannot restore the data sets into {}", db.display()))?;
    crate::print_stdout(&format!(
        "restored {} into {}: {}, {datasets} uploaded data set{}",
        args.backup.display(),
        db.display(),
        describe(&summary),
        if datasets == 1 { "" } else { "s" }
    ))
}

/// The uploaded data sets the workflows of the SQLite file `db` were created on.
fn needed_datasets(db: &std::path::Path) -> Result<Vec<String>> {
    if !db.is_file() {
        return Ok(Vec::new());
    }
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot read {}", db.display()))?;
    let mut stmt = match conn.prepare("SELECT payload FROM events WHERE seq = 1") {
        Ok(stmt) => stmt,
        // Not an event store: restore's own checks say so.
        Err(_) => return Ok(Vec::new()),
    };
    let payloads = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .unwrap_or_default();
    let mut ids: Vec<String> = payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter(|v| v["data"]["kind"] == "uploaded")
        .filter_map(|v| v["data"]["dataset_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Copies the data set folder `from` (if any) to `to`, replacing it: written
/// beside `to` and renamed into place, so a failed copy leaves the old one.
/// Returns how many data sets it holds.
fn copy_datasets(from: &std::path::Path, to: &std::path::Path) -> Result<usize> {
    if !from.is_dir() {
        return Ok(0);
    }
    let mut partial = to.as_os_str().to_os_string();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    copy_tree(from, &partial)?;
    if to.exists() {
        std::fs::remove_dir_all(to)?;
    }
    std::fs::rename(&partial, to)?;
    Ok(std::fs::read_dir(to)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("manifest.json").is_file())
        .count())
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
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

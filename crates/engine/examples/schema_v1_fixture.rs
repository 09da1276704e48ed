//! Writes `tests/fixtures/schema_v1_season.sqlite`: a SQLite event store at schema
//! version 1 (the tables, before migration 2's index) holding one season paused
//! after week 5, for `tests/migration.rs`, which opens it with today's code,
//! checks it was migrated and plays the season on to its report.
//!
//! How it is made: today's orchestrator plays the Zara parameter set on the shipped
//! sample (offline reasoner, a manual clock at 2025-02-01 09:00 UTC, every approval
//! accepted by `fixture`) into a fresh file, weeks 1 to 5 of `normal_season`; then
//! migration 2 is undone exactly (its index dropped, `user_version` set back to 1)
//! and the file is made self-contained (rollback journal, vacuumed). Version 1's
//! tables are the ones today's migration 1 creates, so this is the file a build at
//! version 1 wrote. Regenerate with
//!
//!     cargo run -p atelier-engine --example schema_v1_fixture -- crates/engine/tests/fixtures/schema_v1_season.sqlite

use atelier_core::sample;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::clock::ManualClock;
use atelier_engine::event::{ActualsMeaning, DataSource, ExpiryAction, Resolution};
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::SqliteStore;
use atelier_engine::{DataCatalog, NewWorkflow, Orchestrator, WorkflowState};
use chrono::{TimeZone, Utc};
use std::error::Error;
use std::path::PathBuf;
use std::sync::Arc;

/// The workflow the fixture holds.
const WORKFLOW: &str = "fixture-v1";
/// Weeks recorded before the file is written.
const WEEKS: u32 = 5;

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: schema_v1_fixture OUT.sqlite")?,
    );
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = out.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    {
        let store = Arc::new(SqliteStore::open(&out)?);
        let catalog = Arc::new(FileCatalog::default());
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0)
                .single()
                .ok_or("time")?,
        ));
        let orchestrator = Orchestrator::new(
            store,
            AgentRegistry::default(),
            Arc::new(OfflineReasoner),
            clock,
            catalog.clone(),
        );
        let config =
            sample::parameter_set(sample::DEFAULT_PARAMETER_SET).ok_or("no shipped Zara set")??;
        orchestrator.create(NewWorkflow {
            workflow_id: WORKFLOW.to_string(),
            category: sample::DEFAULT_CATEGORY.to_string(),
            config,
            data: DataSource::Sample,
            actuals_meaning: ActualsMeaning::Demand,
            actuals_source: None,
            approval_timeout_secs: None,
            approval_expiry: ExpiryAction::Fail,
            extraction: None,
            world: None,
        })?;
        let data = catalog.load(&DataSource::Sample)?;
        let weeks = sample::scenario(sample::DEFAULT_SCENARIO, &data.stores)
            .ok_or("no shipped scenario")??;
        let mut view = orchestrator.advance(WORKFLOW)?;
        while view.weeks.len() < WEEKS as usize {
            view = match view.state {
                s if s.is_waiting() => {
                    orchestrator.approve(WORKFLOW, None, Resolution::Accept, "fixture")?
                }
                WorkflowState::Phase3Monitoring => {
                    let week = view.next_week();
                    orchestrator.record_week(WORKFLOW, week, &weeks[week as usize - 1])?
                }
                other => return Err(format!("unexpected state {other:?}").into()),
            };
        }
    }
    // Undo migration 2 ("workflows by last change") and write one self-contained file.
    let conn = rusqlite::Connection::open(&out)?;
    conn.execute_batch(
        "DROP INDEX workflows_by_update;
         PRAGMA user_version = 1;
         PRAGMA journal_mode = DELETE;
         VACUUM;",
    )?;
    println!(
        "wrote {} (schema version 1, {WORKFLOW} after week {WEEKS})",
        out.display()
    );
    Ok(())
}

//! The event store: one trait, so that the orchestrator does not care whether the
//! log lives in the embedded SQLite file (now) or in Postgres (next).

mod sqlite;

pub use sqlite::SqliteStore;

use crate::event::{Event, StoredEvent};
use crate::state::WorkflowState;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Why the store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No workflow with that id.
    #[error("unknown workflow '{0}'")]
    UnknownWorkflow(String),
    /// A workflow with that id exists already.
    #[error("workflow '{0}' already exists")]
    AlreadyExists(String),
    /// Someone else appended first: the caller's view is stale.
    #[error("workflow '{workflow_id}' moved on: expected last event {expected}, found {found}")]
    Conflict {
        /// The workflow.
        workflow_id: String,
        /// The last event the caller saw.
        expected: u64,
        /// The last event in the store.
        found: u64,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// A stored payload could not be read back.
    #[error("event {seq} of workflow '{workflow_id}' is unreadable: {reason}")]
    Corrupt {
        /// The workflow.
        workflow_id: String,
        /// The event.
        seq: u64,
        /// Why.
        reason: String,
    },
}

/// A line of the workflow list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowSummary {
    /// The workflow.
    pub workflow_id: String,
    /// Its category.
    pub category: String,
    /// Its state (a cache of the fold, updated in the same transaction as the events).
    pub state: WorkflowState,
    /// Last event number.
    pub last_seq: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An append-only, per-workflow numbered log.
pub trait EventStore: Send + Sync {
    /// Appends `events` after event `expected_last_seq` in one transaction: all or
    /// none, and only if nobody appended in between. `state` is the fold's state after
    /// the events (cached for listings). Returns the stored events.
    fn append(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        state: WorkflowState,
        category: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Events with numbers above `after`, at most `limit` of them.
    fn load(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Whether the workflow exists.
    fn exists(&self, workflow_id: &str) -> Result<bool, StoreError>;

    /// All workflows, newest first.
    fn list(&self) -> Result<Vec<WorkflowSummary>, StoreError>;
}

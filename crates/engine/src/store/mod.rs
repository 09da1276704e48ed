//! The event store: one trait, so that the orchestrator does not care whether the
//! log lives in the embedded SQLite file (one planner, the default) or in
//! PostgreSQL (several offices, several servers). [`open_store`] picks one from a
//! location: a `postgres://` URL or a file path.

mod agenda;
mod backup;
mod coordination;
mod encode;
mod group_commit;
mod idempotency;
mod migrate;
mod outage;
mod postgres;
mod postgres_connect;
mod postgres_datasets;
mod postgres_live;
mod postgres_schema;
mod sqlite;
mod sqlite_batch;

pub use agenda::{Agenda, AppendMeta, OwedExplanation};
pub use backup::{BackupError, BackupSummary, backup_sqlite, restore_sqlite};
pub use coordination::{StoreLock, StoreNotice, StoreWatch};
pub use group_commit::GroupCommitStats;
pub use idempotency::{KEY_RETENTION, KeyAnswer, KeyClaim, KeyRecord};
pub use outage::{Cue, OutageStore};
pub use postgres::{PoolUse, PostgresOptions, PostgresStore};
pub use postgres_connect::{DEFAULT_APPLICATION_NAME, redact_url};
pub use postgres_datasets::DatasetParts;
pub use sqlite::{SqliteOptions, SqliteStore};

use crate::event::{Event, StoredEvent};
use crate::state::WorkflowState;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

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
    /// The database's location names nothing Atelier can open (an unknown URL
    /// scheme, a missing folder); nothing was created.
    #[error("{0}")]
    UnknownLocation(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(String),
    /// The connection failed while a commit was under way: the append may or may
    /// not be durable. The orchestrator resolves it by reading the log back before
    /// it answers; this error reaches a caller only when that read fails too.
    #[error("the commit of workflow '{workflow_id}' has an unknown outcome: {reason}")]
    CommitUnknown {
        /// The workflow.
        workflow_id: String,
        /// The connection's failure.
        reason: String,
    },
    /// The reasoning append would settle explanations someone else (the sweep,
    /// or another server) already wrote: nothing was written, so no decision is
    /// explained twice.
    #[error(
        "the explanations owed by event {seq} of workflow '{workflow_id}' were already written"
    )]
    AlreadyExplained {
        /// The workflow.
        workflow_id: String,
        /// The last event of the step that owed them.
        seq: u64,
    },
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
    /// An event's encoded payload is over [`MAX_EVENT_BYTES`]: the append is
    /// refused whole and nothing is written.
    #[error(
        "a {kind} event of workflow '{workflow_id}' would take {bytes} bytes, over the limit of {max} bytes for one event; nothing was written"
    )]
    EventTooLarge {
        /// The workflow.
        workflow_id: String,
        /// The event's kind (`reforecast_applied`, ...).
        kind: &'static str,
        /// Its encoded size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// The database was migrated by a newer Atelier, whose tables this one may
    /// misread: it is left untouched.
    #[error(
        "the database's schema is at version {found}, newer than this Atelier knows ({known}): upgrade Atelier"
    )]
    SchemaTooNew {
        /// The database's version.
        found: u32,
        /// The newest this build knows.
        known: u32,
    },
}

/// The largest encoded event a store accepts (bytes). The largest events of a
/// season are the agents' results, about 140 bytes per store (7 KB for the
/// sample's 50 stores): this leaves room for some 30,000 stores while a stray
/// free text of megabytes is refused before anything is written.
pub const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// A line of the workflow list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// none, and only if nobody appended in between, with `meta` written in the
    /// same transaction (the workflow's cached state and approval deadline, the
    /// explanations the step owes or settles). Returns the stored events, once
    /// they are durably committed.
    fn append_step(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        meta: AppendMeta<'_>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// [`append_step`](Self::append_step) with nothing beside the events: no
    /// approval deadline, nothing owed or settled (tests, restores).
    fn append(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        state: WorkflowState,
        category: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.append_step(
            workflow_id,
            expected_last_seq,
            events,
            AppendMeta::plain(state, category, now),
        )
    }

    /// What the background sweep must do at `now`: approvals past their
    /// deadline, workflows left in a running state and explanations owed for
    /// longer than `grace`, and when the next of these falls due. Answered from
    /// the workflows' rows and the owed explanations, without reading any log.
    fn agenda(&self, now: DateTime<Utc>, grace: chrono::Duration) -> Result<Agenda, StoreError>;

    /// Events with numbers above `after`, at most `limit` of them.
    fn load(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Whether the workflow exists.
    fn exists(&self, workflow_id: &str) -> Result<bool, StoreError>;

    /// The workflow's last event number, without reading its log: how a cached
    /// view checks that nobody (another process, another server) appended since.
    /// The default reads the log; both stores answer from the workflow's row.
    fn last_seq(&self, workflow_id: &str) -> Result<u64, StoreError> {
        if !self.exists(workflow_id)? {
            return Err(StoreError::UnknownWorkflow(workflow_id.to_string()));
        }
        Ok(self.load(workflow_id, 0, None)?.last().map_or(0, |e| e.seq))
    }

    /// All workflows, newest first.
    fn list(&self) -> Result<Vec<WorkflowSummary>, StoreError>;

    /// Takes the workflow's step lock across every process on this database,
    /// waiting for it: held while a step is computed and committed, so that two
    /// servers do not both compute the same step (the sequence check would refuse
    /// the second commit anyway; the lock saves the wasted work and model calls).
    /// Granted at once by a store one process owns.
    fn lock_workflow(&self, workflow_id: &str) -> Result<StoreLock, StoreError> {
        let _ = workflow_id;
        Ok(StoreLock::uncontended())
    }

    /// The lock called `name` (e.g. "approval sweep") if no process holds it, without
    /// waiting: whoever gets it does the job, so that a background sweep runs once
    /// across servers. A process that dies releases its locks.
    fn try_lock(&self, name: &str) -> Result<Option<StoreLock>, StoreError> {
        let _ = name;
        Ok(Some(StoreLock::uncontended()))
    }

    /// Claims the idempotency key `key_id` for a request whose fingerprint is
    /// `fingerprint`: a new (or expired) key is recorded and `Fresh` returned; a
    /// known one returns its record, answered or not, for the caller to replay,
    /// refuse (another fingerprint) or resolve (no answer). Keys expire
    /// [`KEY_RETENTION`] after `now`.
    fn claim_key(
        &self,
        key_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError>;

    /// Records the answer given to the request that claimed `key_id`.
    fn answer_key(&self, key_id: &str, answer: &KeyAnswer) -> Result<(), StoreError>;

    /// Forgets `key_id`: its request changed nothing (a refusal that a retry may
    /// not get again, such as an unreachable database), so a retry runs afresh.
    fn release_key(&self, key_id: &str) -> Result<(), StoreError>;

    /// Notices of appends made by any process on this database, for live streams
    /// on several servers; `None` when the store is one process's alone (its
    /// appends are all made through this process).
    fn watch(&self) -> Result<Option<StoreWatch>, StoreError> {
        Ok(None)
    }
}

/// Whether `location` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Opens the store at `location`: a `postgres://` (or `postgresql://`) URL opens
/// the PostgreSQL store with default options, anything else is a SQLite file path.
/// Either is created and migrated as needed.
pub fn open_store(location: &str) -> Result<Arc<dyn EventStore>, StoreError> {
    check_location(location)?;
    if is_postgres_url(location) {
        Ok(Arc::new(PostgresStore::open(location)?))
    } else {
        Ok(Arc::new(SqliteStore::open(Path::new(location))?))
    }
}

/// Refuses, before anything is created, a location that cannot be meant: a URL
/// of a database Atelier does not speak (`mysql://…` would otherwise become a
/// SQLite file under a folder named `mysql:`), or a SQLite file whose folder does
/// not exist (a mistyped path would otherwise create folders anywhere, even at
/// the root).
pub fn check_location(location: &str) -> Result<(), StoreError> {
    if let Some((scheme, _)) = location.split_once("://")
        && !is_postgres_url(location)
    {
        return Err(StoreError::UnknownLocation(format!(
            "'{}' is a {scheme}:// URL; Atelier keeps its log in a SQLite file (a path) or PostgreSQL (postgres://…)",
            redact_url(location)
        )));
    }
    if is_postgres_url(location) {
        return Ok(());
    }
    let path = Path::new(location);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(StoreError::UnknownLocation(format!(
            "the folder {} of the database {} does not exist: create it first (mkdir -p {})",
            parent.display(),
            path.display(),
            parent.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_opens_sqlite_and_only_postgres_urls_are_read_as_postgres() {
        assert!(is_postgres_url("postgres://u@localhost/db"));
        assert!(is_postgres_url("postgresql://localhost"));
        assert!(!is_postgres_url("atelier.db"));
        assert!(!is_postgres_url("./postgres/atelier.db"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let store = open_store(path.to_str().unwrap()).unwrap();
        assert!(!store.exists("w").unwrap());
        assert!(path.exists());
    }

    #[test]
    fn an_unreachable_postgres_is_a_database_error_not_a_file() {
        // Port 1 on loopback: nothing listens there.
        let err = open_store("postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
            .err()
            .expect("nothing listens on port 1");
        assert!(matches!(err, StoreError::Database(_)), "{err}");
    }
}

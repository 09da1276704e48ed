//! A store that loses its database on cue: for tests of what a command answers
//! when the database goes away in the middle of it (before its own commit, during
//! it, or after it, while the steps it unblocks run). A real outage cannot be
//! timed to the event; this wrapper can, so those tests are deterministic.

use super::{
    Agenda, AppendMeta, EventStore, KeyAnswer, KeyClaim, StoreError, StoreLock, StoreWatch,
    WorkflowSummary,
};
use crate::event::{Event, StoredEvent};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// When the database goes away, relative to the first append that holds an event
/// of the given kind (`approval_resolved`, `week_recorded`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// Just before that append: it is refused and nothing of it is written.
    Before(&'static str),
    /// While that append commits: it is durable, but its answer is lost
    /// (`StoreError::CommitUnknown`), and the database is gone when the caller
    /// reads the log back to learn the outcome.
    DuringCommit(&'static str),
    /// Just after that append commits and is answered: whatever comes next fails.
    After(&'static str),
}

impl Cue {
    fn kind(self) -> &'static str {
        match self {
            Cue::Before(k) | Cue::DuringCommit(k) | Cue::After(k) => k,
        }
    }
}

/// An [`EventStore`] that passes every call to `inner` until its [`Cue`] comes,
/// then fails every call as an unreachable database does (`StoreError::Database`)
/// until [`OutageStore::restore`].
pub struct OutageStore {
    inner: Arc<dyn EventStore>,
    cue: Mutex<Option<Cue>>,
    down: AtomicBool,
    appends: AtomicUsize,
}

impl OutageStore {
    /// Wraps `inner`, with the database up and no cue armed.
    pub fn new(inner: Arc<dyn EventStore>) -> OutageStore {
        OutageStore {
            inner,
            cue: Mutex::new(None),
            down: AtomicBool::new(false),
            appends: AtomicUsize::new(0),
        }
    }

    /// Arms `cue` (replacing any armed before): the database goes away when it
    /// comes, once.
    pub fn arm(&self, cue: Cue) {
        *self.cue.lock().unwrap_or_else(PoisonError::into_inner) = Some(cue);
    }

    /// The database is back: every call reaches `inner` again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// Appends committed through this wrapper so far: each is one transaction (and
    /// one fsync on disk), so tests can count what a command costs.
    pub fn appends(&self) -> usize {
        self.appends.load(Ordering::SeqCst)
    }

    /// Whether the database is away now (the cue came and no restore since).
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    fn up(&self) -> Result<(), StoreError> {
        if self.is_down() {
            return Err(gone());
        }
        Ok(())
    }

    fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
    }

    /// The armed cue, taken, if `events` hold its kind.
    fn cue_for(&self, events: &[Event]) -> Option<Cue> {
        let mut cue = self.cue.lock().unwrap_or_else(PoisonError::into_inner);
        let kind = (*cue)?.kind();
        if events.iter().any(|e| e.kind() == kind) {
            cue.take()
        } else {
            None
        }
    }
}

/// What every call meets while the database is away.
fn gone() -> StoreError {
    StoreError::Database("the database cannot be reached (an outage on cue)".into())
}

impl EventStore for OutageStore {
    fn append_step(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        meta: AppendMeta<'_>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.up()?;
        let cue = self.cue_for(events);
        if let Some(Cue::Before(_)) = cue {
            self.go_down();
            return Err(gone());
        }
        let stored = self
            .inner
            .append_step(workflow_id, expected_last_seq, events, meta)?;
        self.appends.fetch_add(1, Ordering::SeqCst);
        match cue {
            Some(Cue::DuringCommit(_)) => {
                self.go_down();
                Err(StoreError::CommitUnknown {
                    workflow_id: workflow_id.to_string(),
                    reason: "the connection was lost before the commit's answer".into(),
                })
            }
            Some(Cue::After(_)) => {
                self.go_down();
                Ok(stored)
            }
            _ => Ok(stored),
        }
    }

    fn agenda(&self, now: DateTime<Utc>, grace: chrono::Duration) -> Result<Agenda, StoreError> {
        self.up()?;
        self.inner.agenda(now, grace)
    }

    fn load(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.up()?;
        self.inner.load(workflow_id, after, limit)
    }

    fn exists(&self, workflow_id: &str) -> Result<bool, StoreError> {
        self.up()?;
        self.inner.exists(workflow_id)
    }

    fn last_seq(&self, workflow_id: &str) -> Result<u64, StoreError> {
        self.up()?;
        self.inner.last_seq(workflow_id)
    }

    fn list(&self) -> Result<Vec<WorkflowSummary>, StoreError> {
        self.up()?;
        self.inner.list()
    }

    fn lock_workflow(&self, workflow_id: &str) -> Result<StoreLock, StoreError> {
        self.up()?;
        self.inner.lock_workflow(workflow_id)
    }

    fn try_lock(&self, name: &str) -> Result<Option<StoreLock>, StoreError> {
        self.up()?;
        self.inner.try_lock(name)
    }

    fn claim_key(
        &self,
        key_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError> {
        self.up()?;
        self.inner.claim_key(key_id, fingerprint, now)
    }

    fn answer_key(&self, key_id: &str, answer: &KeyAnswer) -> Result<(), StoreError> {
        self.up()?;
        self.inner.answer_key(key_id, answer)
    }

    fn release_key(&self, key_id: &str) -> Result<(), StoreError> {
        self.up()?;
        self.inner.release_key(key_id)
    }

    fn watch(&self) -> Result<Option<StoreWatch>, StoreError> {
        self.inner.watch()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::WorkflowState;
    use crate::store::SqliteStore;

    fn created() -> Event {
        Event::WorkflowResumed {
            to: WorkflowState::Phase3Monitoring,
        }
    }

    fn append(store: &OutageStore, after: u64) -> Result<Vec<StoredEvent>, StoreError> {
        store.append(
            "w",
            after,
            &[created()],
            WorkflowState::Phase3Monitoring,
            "c",
            Utc::now(),
        )
    }

    #[test]
    fn each_cue_loses_the_database_at_its_moment_and_restore_brings_it_back() {
        let inner: Arc<dyn EventStore> = Arc::new(SqliteStore::in_memory().expect("sqlite"));
        let store = OutageStore::new(inner.clone());
        append(&store, 0).expect("up");

        store.arm(Cue::Before("workflow_resumed"));
        assert!(matches!(append(&store, 1), Err(StoreError::Database(_))));
        assert_eq!(inner.last_seq("w").expect("inner"), 1, "written before");
        assert!(matches!(store.list(), Err(StoreError::Database(_))));
        store.restore();

        store.arm(Cue::DuringCommit("workflow_resumed"));
        assert!(matches!(
            append(&store, 1),
            Err(StoreError::CommitUnknown { .. })
        ));
        assert_eq!(inner.last_seq("w").expect("inner"), 2, "durable");
        assert!(store.load("w", 0, None).is_err());
        store.restore();

        store.arm(Cue::After("workflow_resumed"));
        assert_eq!(append(&store, 2).expect("answered")[0].seq, 3);
        assert!(store.is_down());
        assert!(store.exists("w").is_err());
        store.restore();
        // Once: the cue was taken.
        assert_eq!(append(&store, 3).expect("up")[0].seq, 4);
        // A cue waits for its kind.
        store.arm(Cue::After("approval_resolved"));
        assert_eq!(append(&store, 4).expect("up")[0].seq, 5);
        assert!(!store.is_down());
    }
}

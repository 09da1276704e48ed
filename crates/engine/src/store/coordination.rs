//! What several servers on one database need besides the log: locks that hold
//! across processes (one step of a workflow at a time, one sweeper at a time) and
//! live notice of appends made by the others. A store owned by one process (SQLite)
//! needs neither: its locks are always granted and it sends no notices, since the
//! server's own per-workflow lock and event broadcast already cover one process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A lock held across processes for as long as this value lives; dropping it
/// releases the lock.
pub struct StoreLock {
    // In a mutex only so that the lock is `Sync` whatever holds it (a database
    // connection is `Send` alone); nothing locks it.
    _held: Option<Mutex<Box<dyn Send>>>,
}

impl StoreLock {
    /// A lock no other process can contend for: what a store owned by one process
    /// grants.
    pub fn uncontended() -> StoreLock {
        StoreLock { _held: None }
    }

    /// A lock whose release is `held`'s drop.
    pub(crate) fn held_by(held: impl Send + 'static) -> StoreLock {
        StoreLock {
            _held: Some(Mutex::new(Box::new(held))),
        }
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLock")
    }
}

/// What a watch hears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreNotice {
    /// A workflow's log grew to `last_seq` (through any server).
    Appended {
        /// The workflow.
        workflow_id: String,
        /// Its last event number after the append.
        last_seq: u64,
    },
    /// The watch lost its connection and has it back: notices may have been
    /// missed meanwhile, so every log being followed should be read again from the
    /// last number known (a notice is a hint; the log by number is the truth).
    Resync,
}

/// A stream of [`StoreNotice`]s; dropping it stops the watching.
pub struct StoreWatch {
    notices: Receiver<StoreNotice>,
    stop: Arc<AtomicBool>,
}

impl StoreWatch {
    pub(crate) fn new(notices: Receiver<StoreNotice>, stop: Arc<AtomicBool>) -> StoreWatch {
        StoreWatch { notices, stop }
    }

    /// The next notice, waiting at most `timeout`; `None` on timeout or when the
    /// watching has ended.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<StoreNotice> {
        self.notices.recv_timeout(timeout).ok()
    }

    /// The next notice if one is waiting.
    pub fn try_recv(&self) -> Option<StoreNotice> {
        self.notices.try_recv().ok()
    }
}

impl Drop for StoreWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

//! What a server does about the other servers on the same database: background
//! sweeps run under a lock named for them, so that one server runs each (the
//! others skip the round), and live streams learn of events another server wrote
//! from the store's notices, with a catch-up read by event number (a notice is a
//! hint; the log by number is the truth, so a missed notice loses nothing). On a
//! store one process owns (SQLite) every sweep lock is granted and there are no
//! notices: the server's own writes already wake its streams.

use crate::state::AppState;
use atelier_engine::store::{StoreLock, StoreNotice, StoreWatch};
use std::time::Duration;

/// The lock of the approval-expiry sweep.
pub const APPROVAL_SWEEP: &str = "sweep: approval expiry";

/// The lock of the data-set retention sweep.
pub const RETENTION_SWEEP: &str = "sweep: data set retention";

/// A sweep's lock. Releasing a PostgreSQL lock is a blocking call, which must
/// not run on the async runtime's threads: it is released on a thread of its own.
pub struct SweepLock(Option<StoreLock>);

impl Drop for SweepLock {
    fn drop(&mut self) {
        if let Some(lock) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("atelier-unlock".into())
                .spawn(move || drop(lock));
        }
    }
}

/// The sweep lock `name` when no server holds it; `None` when another server
/// runs the sweep now, or when the database cannot be asked (the sweep waits for
/// its next round either way).
pub async fn sweep_lock(state: &AppState, name: &'static str) -> Option<SweepLock> {
    match state.read(move |s| Ok(s.store().try_lock(name)?)).await {
        Ok(lock) => lock.map(|l| SweepLock(Some(l))),
        Err(e) => {
            tracing::warn!(sweep = name, "cannot take the sweep's lock: {e}");
            None
        }
    }
}

/// How long the follower waits for a notice before it looks at shutdown again.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// Starts following appends made by other servers on the same database, on a
/// thread of its own, until the server shuts down: each notice about a workflow
/// some client streams makes its hub read the log from its last number; a
/// reconnected watch makes every streamed hub catch up. Does nothing on a store
/// that sends no notices.
pub fn follow_other_servers(state: &AppState) {
    let state = state.clone();
    let spawned = std::thread::Builder::new()
        .name("atelier-follow".into())
        .spawn(move || follow(&state));
    if let Err(e) = spawned {
        tracing::error!("cannot follow other servers' appends: {e}");
    }
}

fn follow(state: &AppState) {
    let shutdown = state.shutdown_signal();
    let mut retry = FOLLOW_POLL;
    while !*shutdown.borrow() {
        let watch = match state.store().watch() {
            Ok(Some(watch)) => watch,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!("cannot watch the store for other servers' appends: {e}");
                std::thread::sleep(retry);
                retry = (retry * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        // Anything appended while there was no watch.
        catch_up_all(state);
        relay(state, &watch, &shutdown);
        return;
    }
}

fn relay(state: &AppState, watch: &StoreWatch, shutdown: &tokio::sync::watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        match watch.recv_timeout(FOLLOW_POLL) {
            Some(StoreNotice::Appended {
                workflow_id,
                last_seq,
            }) => {
                // Another server's append may have set an earlier deadline.
                state.sweep_wake().notify_one();
                let Some(hub) = state.hubs().watched_hub(&workflow_id) else {
                    continue;
                };
                if hub.last_seq() >= last_seq {
                    continue;
                }
                if let Err(e) = hub.sync(state.store().as_ref(), &workflow_id) {
                    tracing::warn!(%workflow_id, "cannot read another server's events: {e}");
                }
            }
            Some(StoreNotice::Resync) => {
                state.sweep_wake().notify_one();
                catch_up_all(state);
            }
            None => {}
        }
    }
}

/// Every streamed workflow reads its log from its last number.
fn catch_up_all(state: &AppState) {
    for (id, hub) in state.hubs().watched() {
        if let Err(e) = hub.sync(state.store().as_ref(), &id) {
            tracing::warn!(workflow_id = %id, "cannot catch up: {e}");
        }
    }
}

//! The state every handler shares: the orchestrator over the event store and the
//! server's catalog, the stream hubs, metrics, per-workflow write locks and the
//! configuration. All engine calls are blocking and go through
//! [`AppState::read`] / [`AppState::write`], which run them on the blocking pool.

use crate::catalog::ServerCatalog;
use crate::config::{ServerConfig, StreamConfig, TokenEntry};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::stream::Hubs;
use crate::throttle::Throttle;
use atelier_engine::Orchestrator;
use atelier_engine::clock::{Clock, SystemClock};
use atelier_engine::store::{EventStore, PostgresStore, is_postgres_url, open_store, redact_url};
use atelier_llm::ChatClient;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

/// Shared server state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    orchestrator: Orchestrator,
    /// The same store when it is PostgreSQL: its pool's use and reachability.
    postgres: Option<Arc<PostgresStore>>,
    llm: Option<Arc<ChatClient>>,
    catalog: Arc<ServerCatalog>,
    hubs: Hubs,
    metrics: Arc<Metrics>,
    throttle: Throttle,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    config: ServerConfig,
    shutdown: watch::Sender<bool>,
    /// Wakes the sweep after a write (here, or another server's on PostgreSQL):
    /// it may have set an earlier approval deadline than the one the sweep
    /// sleeps until.
    sweep_wake: Arc<tokio::sync::Notify>,
    /// Completed seasons' what-if draws and tune reports, kept for the next
    /// question (`simulations.rs`).
    simulations: crate::simulations::Simulations,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The event store could not be opened.
    #[error("cannot open the event store {path}: {reason}")]
    Store {
        /// The database file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The data set directory could not be opened.
    #[error("cannot open the data sets: {0}")]
    Catalog(String),
    /// The listener or runtime could not be set up.
    #[error("cannot listen: {0}")]
    Listen(String),
}

/// Where uploads of the server on the SQLite file `db` live: beside it. (On
/// PostgreSQL they live in the database, which every server shares.)
pub fn datasets_dir(db: &std::path::Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(".datasets");
    PathBuf::from(name)
}

impl AppState {
    /// Opens the store and the catalog with the wall clock.
    pub fn open(config: ServerConfig) -> Result<AppState, StartError> {
        Self::open_with_clock(config, Arc::new(SystemClock))
    }

    /// Opens with a given clock (tests move time to expire approvals).
    pub fn open_with_clock(
        config: ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, StartError> {
        let location = config.db_path.to_string_lossy().to_string();
        let failed = |e: atelier_engine::store::StoreError| StartError::Store {
            path: redact_url(&config.db_path.display().to_string()),
            reason: e.to_string(),
        };
        let (store, postgres): (Arc<dyn EventStore>, _) = if is_postgres_url(&location) {
            let pg = Arc::new(PostgresStore::open(&location).map_err(failed)?);
            (pg.clone(), Some(pg))
        } else {
            (open_store(&location).map_err(failed)?, None)
        };
        Self::assemble(config, store, postgres, clock)
    }

    /// Opens over a store the caller made (the data sets beside the SQLite file
    /// `config.db_path` names), with a given clock: for tests whose store loses
    /// its database on cue (`atelier_engine::store::OutageStore`), which a real
    /// outage cannot be timed to do.
    pub fn open_with_store(
        config: ServerConfig,
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, StartError> {
        Self::assemble(config, store, None, clock)
    }

    fn assemble(
        config: ServerConfig,
        store: Arc<dyn EventStore>,
        postgres: Option<Arc<PostgresStore>>,
        clock: Arc<dyn Clock>,
    ) -> Result<AppState, StartError> {
        let catalog = Arc::new(
            match &postgres {
                Some(pg) => ServerCatalog::in_database(pg.clone(), clock.clone()),
                None => ServerCatalog::open(datasets_dir(&config.db_path), clock.clone()),
            }
            .map_err(StartError::Catalog)?,
        );
        let orchestrator = Orchestrator::open(store, catalog.clone(), config.llm.as_ref(), clock);
        Ok(AppState {
            inner: Arc::new(Inner {
                orchestrator,
                postgres,
                llm: config.llm.clone().map(|c| Arc::new(ChatClient::new(c))),
                catalog,
                hubs: Hubs::new(config.stream.ring_capacity),
                metrics: Arc::new(Metrics::default()),
                throttle: Throttle::new(config.rate_limits.clone()),
                locks: Mutex::new(HashMap::new()),
                shutdown: watch::Sender::new(false),
                sweep_wake: Arc::new(tokio::sync::Notify::new()),
                simulations: crate::simulations::Simulations::default(),
                config,
            }),
        })
    }

    /// What wakes the background sweep before its next deadline: poked after
    /// every write (by this server, or by another one on the same database), so
    /// that a new, earlier approval deadline is not slept past. A poke while the
    /// sweep is busy is kept for its next wait.
    pub fn sweep_wake(&self) -> &Arc<tokio::sync::Notify> {
        &self.inner.sweep_wake
    }

    /// The configured tokens.
    pub fn tokens(&self) -> &[TokenEntry] {
        &self.inner.config.tokens
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Stream limits.
    pub fn stream_config(&self) -> &StreamConfig {
        &self.inner.config.stream
    }

    /// The orchestrator.
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.inner.orchestrator
    }

    /// The model client for parameter extraction, when one is configured.
    pub fn llm_client(&self) -> Option<&ChatClient> {
        self.inner.llm.as_deref()
    }

    /// The event store.
    pub fn store(&self) -> Arc<dyn EventStore> {
        self.inner.orchestrator.store().clone()
    }

    /// The store as PostgreSQL, when it is (for its pool's use and a health
    /// check with a short wait).
    pub fn postgres(&self) -> Option<&Arc<PostgresStore>> {
        self.inner.postgres.as_ref()
    }

    /// The data catalog.
    pub fn catalog(&self) -> &Arc<ServerCatalog> {
        &self.inner.catalog
    }

    /// Stream hubs.
    pub fn hubs(&self) -> &Hubs {
        &self.inner.hubs
    }

    /// Metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The simulations kept for completed seasons (what-if draws, tune reports).
    pub fn simulations(&self) -> &crate::simulations::Simulations {
        &self.inner.simulations
    }

    /// Rate limits and authentication back-off.
    pub fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// Removes the uploaded data sets no workflow uses and that have not been
    /// current for the configured retention; returns their ids.
    pub async fn prune_datasets(&self) -> Result<Vec<String>, ApiError> {
        let Some(retention) = self.config().dataset_retention else {
            return Ok(Vec::new());
        };
        self.read(move |s| {
            let store = s.store();
            let mut in_use = std::collections::HashSet::new();
            for w in store.list()? {
                for e in store.load(&w.workflow_id, 0, Some(1))? {
                    if let atelier_engine::event::Event::WorkflowCreated {
                        data: atelier_engine::event::DataSource::Uploaded { dataset_id },
                        ..
                    } = e.event
                    {
                        in_use.insert(dataset_id);
                    }
                }
            }
            s.catalog().prune(&in_use, retention)
        })
        .await
    }

    /// Tells WebSocket clients to close: graceful shutdown waits for every
    /// connection, and a stream never ends by itself.
    pub fn begin_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// A receiver that turns true when shutdown begins.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Runs a read on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState) -> Result<T, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || f(&state))
            .await
            .map_err(ApiError::internal)?
    }

    /// Runs a write to one workflow: serialised with other writes to it (the store
    /// would refuse a concurrent append anyway, as a conflict), on the blocking
    /// pool, then publishes the new events to its stream. `f` may publish earlier
    /// itself (a played scenario publishes after each week).
    ///
    /// An unknown workflow is a 404 before anything is kept for it: the lock and
    /// the stream hub exist only for workflows in the store, so requests naming
    /// random ids cannot grow memory.
    pub async fn write<T, F>(&self, workflow_id: &str, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &dyn Fn()) -> Result<T, ApiError> + Send + 'static,
    {
        let lock = match self.existing_lock(workflow_id) {
            Some(lock) => lock,
            None => {
                let id = workflow_id.to_string();
                if !self.read(move |s| Ok(s.store().exists(&id)?)).await? {
                    return Err(ApiError::NotFound(format!(
                        "unknown workflow '{workflow_id}'"
                    )));
                }
                self.lock_for(workflow_id)
            }
        };
        self.write_locked(workflow_id, lock, f).await
    }

    /// Runs the write that creates workflow `workflow_id` (a fresh id), as
    /// [`AppState::write`] does. When it fails without creating the workflow,
    /// nothing is kept for the id.
    pub async fn write_new<T, F>(&self, workflow_id: &str, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &dyn Fn()) -> Result<T, ApiError> + Send + 'static,
    {
        let lock = self.lock_for(workflow_id);
        let result = self.write_locked(workflow_id, lock.clone(), f).await;
        if result.is_err() {
            let id = workflow_id.to_string();
            let exists = self
                .read(move |s| Ok(s.store().exists(&id)?))
                .await
                .unwrap_or(true);
            if !exists {
                self.forget(workflow_id, &lock);
            }
        }
        result
    }

    /// The lock of a workflow written to before, if any.
    fn existing_lock(&self, workflow_id: &str) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(workflow_id)
            .cloned()
    }

    /// The workflow's lock, created on first use.
    fn lock_for(&self, workflow_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(workflow_id.to_string())
            .or_default()
            .clone()
    }

    /// Drops what was kept for an id that names no workflow (its lock, if it is
    /// still `lock`, and its stream hub).
    fn forget(&self, workflow_id: &str, lock: &Arc<tokio::sync::Mutex<()>>) {
        let mut locks = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if locks.get(workflow_id).is_some_and(|l| Arc::ptr_eq(l, lock)) {
            locks.remove(workflow_id);
        }
        drop(locks);
        self.hubs().remove_unwatched(workflow_id);
    }

    /// Number of workflows with a write lock (tests check it stays bounded).
    #[cfg(test)]
    fn lock_count(&self) -> usize {
        self.inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    async fn write_locked<T, F>(
        &self,
        workflow_id: &str,
        lock: Arc<tokio::sync::Mutex<()>>,
        f: F,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &dyn Fn()) -> Result<T, ApiError> + Send + 'static,
    {
        // The engine serialises each workflow's steps itself, a step at a time, and
        // explains them after its lock is released (an LLM may take seconds): this
        // lock is not held around the call, so no model call waits under it. The
        // lock's entry only marks the workflow as known to this server.
        drop(lock);
        let state = self.clone();
        let id = workflow_id.to_string();
        let span = tracing::info_span!("write", workflow_id = %id);
        tokio::task::spawn_blocking(move || {
            let _span = span.entered();
            let hub = state.hubs().hub(&id);
            if !hub.is_synced() {
                // Baseline, so only this process's appends count as appended.
                let _ = hub.sync(state.store().as_ref(), &id);
            }
            // Counted as the hub's growth over the write, not by each sync: the
            // thread following other servers' appends may read this write's
            // events first (on PostgreSQL every append is also a notice).
            let before = hub.last_seq();
            let publish = || {
                if let Err(e) = hub.sync(state.store().as_ref(), &id) {
                    tracing::error!(workflow_id = %id, "cannot publish: {e}");
                }
            };
            let result = f(&state, &publish);
            publish();
            if hub.last_seq() > before {
                state.sweep_wake().notify_one();
            }
            state
                .metrics()
                .events_appended(hub.last_seq().saturating_sub(before));
            result
        })
        .await
        .map_err(ApiError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServerConfig;

    #[tokio::test]
    async fn writes_to_unknown_workflows_keep_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = AppState::open(ServerConfig::new(dir.path().join("a.db"))).expect("open");
        for i in 0..100 {
            let err = state
                .write(&format!("wf_random_{i}"), |_, _| Ok(()))
                .await
                .expect_err("unknown");
            assert!(matches!(err, ApiError::NotFound(_)), "{err:?}");
        }
        // A creation that fails keeps nothing either.
        let err = state
            .write_new("wf_new", |_, _| -> Result<(), ApiError> {
                Err(ApiError::bad("no"))
            })
            .await
            .expect_err("fails");
        assert!(matches!(err, ApiError::BadRequest { .. }), "{err:?}");
        assert_eq!(state.lock_count(), 0);
        assert_eq!(state.hubs().count(), 0);
    }
}

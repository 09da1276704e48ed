//! The state every handler shares: the orchestrator over the SQLite store and the
//! server's catalog, the stream hubs, metrics, per-workflow write locks and the
//! configuration. All engine calls are blocking and go through
//! [`AppState::read`] / [`AppState::write`], which run them on the blocking pool.

use crate::catalog::ServerCatalog;
use crate::config::{ServerConfig, StreamConfig, TokenEntry};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::stream::Hubs;
use atelier_engine::Orchestrator;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::clock::{Clock, SystemClock};
use atelier_engine::reasoning::{LlmReasoner, OfflineReasoner, Reasoner};
use atelier_engine::store::{EventStore, SqliteStore};
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
    llm: Option<Arc<ChatClient>>,
    catalog: Arc<ServerCatalog>,
    hubs: Hubs,
    metrics: Metrics,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    config: ServerConfig,
    shutdown: watch::Sender<bool>,
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

/// Where uploads of the server on `db` live: beside the database.
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
        let store = SqliteStore::open(&config.db_path).map_err(|e| StartError::Store {
            path: config.db_path.display().to_string(),
            reason: e.to_string(),
        })?;
        let catalog = Arc::new(
            ServerCatalog::open(datasets_dir(&config.db_path)).map_err(StartError::Catalog)?,
        );
        // The same choice as the CLI's: the model when one is configured, else the
        // offline templates.
        let reasoner: Arc<dyn Reasoner> = match &config.llm {
            Some(llm) => Arc::new(LlmReasoner::new(ChatClient::new(llm.clone()))),
            None => Arc::new(OfflineReasoner),
        };
        let orchestrator = Orchestrator::new(
            Arc::new(store),
            AgentRegistry::default(),
            reasoner,
            clock,
            catalog.clone(),
        );
        Ok(AppState {
            inner: Arc::new(Inner {
                orchestrator,
                llm: config.llm.clone().map(|c| Arc::new(ChatClient::new(c))),
                catalog,
                hubs: Hubs::new(config.stream.ring_capacity),
                metrics: Metrics::default(),
                locks: Mutex::new(HashMap::new()),
                shutdown: watch::Sender::new(false),
                config,
            }),
        })
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

    /// The data catalog.
    pub fn catalog(&self) -> &Arc<ServerCatalog> {
        &self.inner.catalog
    }

    /// Stream hubs.
    pub fn hubs(&self) -> &Hubs {
        &self.inner.hubs
    }

    /// Metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
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
    pub async fn write<T, F>(&self, workflow_id: &str, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&AppState, &dyn Fn()) -> Result<T, ApiError> + Send + 'static,
    {
        let lock = self
            .inner
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(workflow_id.to_string())
            .or_default()
            .clone();
        let _guard = lock.lock().await;
        let state = self.clone();
        let id = workflow_id.to_string();
        tokio::task::spawn_blocking(move || {
            let hub = state.hubs().hub(&id);
            if !hub.is_synced() {
                // Baseline, so only this process's appends count as appended.
                let _ = hub.sync(state.store().as_ref(), &id);
            }
            let publish = || match hub.sync(state.store().as_ref(), &id) {
                Ok((n, _)) => state.metrics().events_appended(n),
                Err(e) => eprintln!("atelier-server: cannot publish {id}: {e}"),
            };
            let result = f(&state, &publish);
            publish();
            result
        })
        .await
        .map_err(ApiError::internal)?
    }
}

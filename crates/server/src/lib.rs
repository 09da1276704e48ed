//! Atelier as a service (`atelier serve`): planners and their tools start a
//! workflow, watch it live, approve, and upload each week's sales. Every resource
//! is a view of the workflow's event log (see `shared/design.md`).
//!
//! Layout:
//! - [`config`]: tokens and roles, body limit, stream limits, the model (if any);
//! - [`state`]: shared state, and the one path by which handlers call the (blocking)
//!   engine: per-workflow serialised writes on the blocking pool, then publish;
//! - [`routes`]: the route list, built with the OpenAPI document, and the
//!   handlers (workflows, views, data, parameter extraction, service);
//! - [`stream`]: WebSocket fan-out from the store, with resume and lag handling;
//! - [`catalog`]: the sample and uploaded data sets;
//! - [`cluster`]: several servers on one database: sweeps run once, streams
//!   follow the others' appends;
//! - [`contract`]: the request and response types, which the OpenAPI document
//!   describes;
//! - [`extract`], [`auth`], [`error`]: typed bodies, queries and paths, who may
//!   call (and, without tokens, from which site), one error type;
//! - [`metrics`], [`openapi`]: Prometheus text and the OpenAPI document's frame;
//! - [`web`]: the planner's dashboard at `/` (embedded page and assets) and
//!   `GET /api/session`;
//! - [`testing`]: a server on a background thread, for tests and benchmarks.
//!
//! Architecture invariant: the server holds no workflow state of its own. A
//! restarted server continues every workflow from the store.

pub mod auth;
pub mod catalog;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod contract;
pub mod edge;
pub mod error;
pub mod export;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod simulations;
pub mod state;
pub mod stream;
pub mod testing;
pub mod throttle;
pub mod web;

pub use config::{ConfigError, Role, ServerConfig, StreamConfig, TokenEntry};
pub use error::ApiError;
pub use state::{AppState, StartError};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;

/// The application: routes, limits, metrics and request spans. Built from state
/// so tests can serve it on any listener.
pub fn app(state: AppState) -> Router {
    let config = state.config();
    let body_limits = extract::BodyLimits {
        max_bytes: config.max_body_bytes,
        read_timeout: config.limits.body_read_timeout,
    };
    let (router, document) = routes::api();
    let router = router.merge(web::router());
    let document = routes::meta::ApiDocument(axum::body::Bytes::from(
        serde_json::to_vec(&openapi::to_json(&document)).unwrap_or_default(),
    ));
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::same_machine_only,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            edge::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics().clone(),
            metrics::track,
        ))
        .layer(axum::middleware::from_fn(edge::json_errors))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(axum::Extension(document))
        .layer(axum::Extension(body_limits))
        .with_state(state)
}

/// Serves until `shutdown` completes, then stops accepting, closes the streams and
/// lets in-flight requests finish, for at most `shutdown_grace` (a client holding
/// a half-sent body would otherwise keep the server forever); then it returns,
/// and the connections still open are dropped. Each engine step commits in one
/// transaction, and a write already started runs to its end on the blocking pool
/// (which the runtime waits for), so an acknowledged write is durable whenever
/// the process stops.
///
/// Each connection has `limits.header_read_timeout` to send a request's head and,
/// between requests, waits at most `limits.idle_timeout` for the next one; at most
/// `limits.max_connections` are served at once: one more is closed as soon as it
/// is accepted, so held connections cannot exhaust the process's descriptors.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let expiry = tokio::spawn(sweep(state.clone()));
    let outside = tokio::spawn(watch_outside_writes(state.clone()));
    let retention = tokio::spawn(prune_datasets(state.clone()));
    cluster::follow_other_servers(&state);
    let limits = state.config().limits.clone();
    let grace = state.config().shutdown_grace;
    let router = app(state.clone());
    let caps = connection::ConnectionCaps::new(
        limits.max_connections,
        limits.max_connections_per_address,
        state.config().trusted_proxies.clone(),
    );
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let shutdown = std::pin::pin!(shutdown);
    let mut shutdown = shutdown;
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let slot = match caps.admit(peer.ip()) {
                        Ok(slot) => slot,
                        Err(why) => {
                            state.metrics().connection_refused();
                            match why {
                                connection::Refusal::Total => tracing::warn!(%peer, "connection refused: {} connections open (streams included)", limits.max_connections),
                                connection::Refusal::PerAddress => tracing::warn!(%peer, "connection refused: {} connections open from this address", limits.max_connections_per_address),
                            }
                            drop(tcp);
                            continue;
                        }
                    };
                    connections.spawn(connection::serve(
                        tcp,
                        peer,
                        router.clone(),
                        limits.clone(),
                        stopping.clone(),
                        slot,
                    ));
                }
                Err(e) => {
                    // Out of descriptors, say: wait rather than spin.
                    tracing::warn!("cannot accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    state.begin_shutdown();
    let _ = stop.send(true);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "connections still open {} s after shutdown began; stopping without them",
            grace.as_secs_f64()
        );
        connections.abort_all();
    }
    expiry.abort();
    outside.abort();
    retention.abort();
    Ok(())
}

/// How often unused data sets are looked for.
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// Removes, every hour, the uploaded data sets past their retention.
async fn prune_datasets(state: AppState) {
    let mut tick = tokio::time::interval(RETENTION_INTERVAL);
    loop {
        tick.tick().await;
        let Some(_sweeping) = cluster::sweep_lock(&state, cluster::RETENTION_SWEEP).await else {
            continue;
        };
        match state.prune_datasets().await {
            Ok(removed) if !removed.is_empty() => {
                tracing::info!(removed = ?removed, "removed unused data sets");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot prune data sets: {e}"),
        }
    }
}

/// How often streamed workflows are checked for events written by another process
/// (the CLI on the same database): the server's own writes wake streams at once,
/// and on PostgreSQL other servers' writes arrive as notices (`cluster`).
const OUTSIDE_WRITES_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Picks up events another process appended to a streamed workflow, so that live
/// clients see them within a couple of seconds rather than at the server's next
/// write. Only hubs with connected clients are read.
async fn watch_outside_writes(state: AppState) {
    let mut tick = tokio::time::interval(OUTSIDE_WRITES_INTERVAL);
    loop {
        tick.tick().await;
        for (id, hub) in state.hubs().watched() {
            let _ = state
                .read(move |s| Ok(hub.sync(s.store().as_ref(), &id)?))
                .await;
        }
    }
}

/// The sweep: settles expired approvals (a timeout is an event scheduled against
/// the workflow), finishes workflows left mid-step (a running state unchanged for
/// `orphan_grace`: the process that ran it died) by advancing them as a client's
/// next write would, and writes the explanations a dead process owed (a step
/// committed, its words not). It asks the store for its agenda (what is due, and
/// when the next thing falls due) instead of folding workflows, sleeps until that
/// deadline or until a write (here or, on PostgreSQL, on another server) wakes
/// it, and runs a round only when something is due, under the sweep's lock, so
/// that one server at a time does the work.
async fn sweep(state: AppState) {
    let grace =
        chrono::Duration::from_std(state.config().orphan_grace).unwrap_or(chrono::Duration::MAX);
    let retry = state.config().sweep_retry;
    let max_sleep = state.config().sweep_max_sleep;
    // No round before this instant: set after a round that left work (it failed,
    // or another server holds the lock), so that it is not tried in a loop.
    let mut quiet_until = tokio::time::Instant::now();
    loop {
        let read_at = tokio::time::Instant::now();
        let now = state.orchestrator().clock().now();
        let agenda = state.read(move |s| Ok(s.store().agenda(now, grace)?)).await;
        let wait = match agenda {
            Err(e) => {
                tracing::warn!("sweep: cannot read the agenda: {e}");
                retry
            }
            Ok(agenda) if due(&agenda) && tokio::time::Instant::now() >= quiet_until => {
                quiet_until = tokio::time::Instant::now() + retry;
                if let Some(_sweeping) = cluster::sweep_lock(&state, cluster::APPROVAL_SWEEP).await
                {
                    sweep_round(&state, agenda).await;
                }
                // Read the agenda again: what the round left, and what is next.
                continue;
            }
            Ok(agenda) => {
                let until_next = agenda
                    .next
                    .map(|at| (at - now).to_std().unwrap_or(Duration::ZERO));
                let mut wait = until_next.map_or(max_sleep, |d| d.min(max_sleep));
                if due(&agenda) {
                    wait = wait
                        .min(quiet_until.saturating_duration_since(tokio::time::Instant::now()));
                }
                wait
            }
        };
        // A write's wake-up reads the agenda again, but not more often than
        // `SWEEP_REREAD`: under a stream of appends (every instance's, on
        // PostgreSQL) the agenda is read a few times a second, not per append.
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = async {
                state.sweep_wake().notified().await;
                tokio::time::sleep_until(read_at + SWEEP_REREAD).await;
            } => {}
        }
    }
}

/// The least time between two readings of the sweep's agenda prompted by
/// writes (a deadline due sooner is still kept).
const SWEEP_REREAD: Duration = Duration::from_millis(250);

/// Whether the agenda holds work due now.
fn due(agenda: &atelier_engine::store::Agenda) -> bool {
    !(agenda.expired_approvals.is_empty() && agenda.stalled.is_empty() && agenda.owed.is_empty())
}

/// One round of the sweep: owed words first (so a workflow's words follow the
/// step that owed them), then workflows left mid-step, then expired approvals.
async fn sweep_round(state: &AppState, agenda: atelier_engine::store::Agenda) {
    for owed in agenda.owed {
        let id = owed.workflow_id.clone();
        let written = state
            .write(&id, move |s, _| {
                tracing::info!(workflow_id = %owed.workflow_id, seq = owed.seq, "writing the explanations a step owed");
                Ok(s.orchestrator().explain_owed(&owed)?)
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(workflow_id = %id, "sweep: {e}");
        }
    }
    let advances = agenda
        .stalled
        .into_iter()
        .map(|id| (id, true))
        .chain(agenda.expired_approvals.into_iter().map(|id| (id, false)));
    for (id, stalled) in advances {
        let wid = id.clone();
        let finished = state
            .write(&id, move |s, _| {
                if stalled {
                    tracing::info!(workflow_id = %wid, "finishing a workflow left mid-step");
                }
                // The engine settles an approval whose deadline has passed, and
                // carries a running workflow on to its next wait.
                s.orchestrator().advance(&wid)?;
                Ok(())
            })
            .await;
        if let Err(e) = finished {
            tracing::warn!(workflow_id = %id, "sweep: {e}");
        }
    }
}

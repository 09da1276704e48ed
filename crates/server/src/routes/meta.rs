//! Service endpoints: health, metrics, the OpenAPI document, and the WebSocket
//! stream's upgrade.

use crate::auth::Viewer;
use crate::contract::request::StreamQuery;
use crate::contract::views::Health;
use crate::contract::workflow::WorkflowBody;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{PathParams, QueryParams};
use crate::routes::workflows::{StreamBase, document};
use crate::state::AppState;
use crate::stream::{self, Ending};
use atelier_engine::WorkflowState;
use axum::extract::ws::Utf8Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Extension, State, WebSocketUpgrade};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The OpenAPI document as served, encoded once when the router is built.
#[derive(Clone)]
pub struct ApiDocument(pub Bytes);

/// How long the health check waits for a PostgreSQL connection: shorter than a
/// load balancer's check timeout, so that a dead database reads as a 503, not as
/// a hung server.
const HEALTH_DB_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Liveness and the database's reachability: 200 when the store can be read, 503
/// naming the database when it cannot (a load balancer then sends the traffic to
/// another instance).
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses(
        (status = 200, description = "ok", body = Health),
        (status = 503, description = "The database cannot be reached: `status` is `unavailable`, `database` names it and `error` says why", body = Health),
        (status = 500, description = "The store cannot be read", body = ErrorBody),
    ))]
pub async fn healthz(State(state): State<AppState>) -> Result<Response, ApiError> {
    let database = if state.postgres().is_some() {
        "postgresql"
    } else {
        "sqlite"
    };
    let reached = state
        .read(|s| {
            Ok(match s.postgres() {
                Some(pg) => pg.ping(HEALTH_DB_WAIT),
                None => s.store().exists("healthz").map(|_| ()),
            })
        })
        .await?;
    Ok(match reached {
        Ok(()) => Json(Health {
            status: "ok",
            database,
            error: None,
        })
        .into_response(),
        Err(e) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            Json(Health {
                status: "unavailable",
                database,
                error: Some(format!("the {database} database cannot be reached: {e}")),
            }),
        )
            .into_response(),
    })
}

/// How long `/metrics` waits for the database before it answers without the
/// workflow counts: well within a scraper's timeout.
const METRICS_DB_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Prometheus metrics (text format 0.0.4); on PostgreSQL, the connection
/// pool's use too.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses(
        (status = 200, description = "Prometheus text", body = String, content_type = "text/plain"),
    ),
    security(("bearer" = [])))]
pub async fn metrics(State(state): State<AppState>, _: Viewer) -> Result<Response, ApiError> {
    // Served whether or not the database answers: the pool's figures matter most
    // during an outage. The workflow counts need it, so they are left out then,
    // and `atelier_db_up` says so.
    let by_state = state
        .read(|s| {
            if let Some(pg) = s.postgres() {
                pg.ping(METRICS_DB_WAIT)?;
            }
            let mut counts: BTreeMap<WorkflowState, u64> = BTreeMap::new();
            for w in s.store().list()? {
                *counts.entry(w.state).or_default() += 1;
            }
            Ok(counts)
        })
        .await;
    let up = by_state.is_ok();
    let mut text = state.metrics().render(&by_state.unwrap_or_default());
    crate::metrics::render_db_up(&mut text, up);
    if let Some(pg) = state.postgres() {
        crate::metrics::render_pool(&mut text, pg.pool_use());
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "service",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
pub async fn openapi_json(Extension(document): Extension<ApiDocument>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document.0).into_response()
}

/// The stream's `status` message: the workflow's resource after the events sent.
#[derive(serde::Serialize)]
struct StatusMessage {
    /// Always `status`: no event has this type.
    #[serde(rename = "type")]
    kind: &'static str,
    /// As `GET /api/workflows/{id}` answers.
    workflow: WorkflowBody,
}

/// The stream's `status` messages for one client: the hub's kept encoding when it
/// is of the hub's last event, else the resource read, encoded and kept for the
/// workflow's other clients.
fn status_source(
    state: &AppState,
    id: &str,
    hub: &Arc<stream::Hub>,
    base: StreamBase,
) -> stream::StatusSource {
    let (state, id, hub) = (state.clone(), id.to_string(), hub.clone());
    Arc::new(move || {
        let (state, id, hub, base) = (state.clone(), id.clone(), hub.clone(), base.clone());
        Box::pin(async move {
            if let Some(text) = hub.status_at_last(base.0.as_deref()) {
                return Some(text);
            }
            let view = crate::routes::workflows::load_view(&state, id).await.ok()?;
            let message = StatusMessage {
                kind: "status",
                workflow: document(&view, &base).0,
            };
            let text = Utf8Bytes::from(serde_json::to_string(&message).ok()?);
            hub.keep_status(view.last_seq, base.0, text.clone());
            Some(text)
        })
    })
}

/// The workflow's events as a WebSocket stream: every stored event after `after`,
/// in order, then live ones. Messages are JSON with `seq`, `workflow_id`,
/// `timestamp`, `type` (`agent_status`, `agent_completed`, `phase_skipped`,
/// `variance_alert`, `variance_measured`, `human_input_required`,
/// `workflow_complete`, `error`, other event kinds, and `lagged` before a close
/// for falling behind).
#[utoipa::path(get, path = "/api/workflows/{id}/stream", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("after" = Option<u64>, Query, description = "Send events numbered above this (default 0: all); at most the workflow's last event"),
        ("status" = Option<bool>, Query, description = "true: on connecting and after each commit's events, the workflow's resource (as `GET /api/workflows/{id}` answers) as `{\"type\":\"status\",\"workflow\":{...}}`, which carries no `seq` (default false)"),
        ("batch" = Option<bool>, Query, description = "true: the events ready at once (a commit's, a page of a replay) come as one message, a JSON array of the same objects, in order; the `lagged` notice stays a single object (default false: one event per message)"),
        ("token" = Option<String>, Query, description = "Bearer token, for clients that cannot set headers"),
    ),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket request, or invalid query (`after` beyond the last event)", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn stream(
    State(state): State<AppState>,
    _: Viewer,
    base: StreamBase,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<StreamQuery>,
    slot: Option<Extension<crate::connection::ConnectionSlot>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let after = query.after.unwrap_or(0);
    let upgrade = upgrade.map_err(|r| {
        ApiError::bad(format!(
            "this endpoint needs a WebSocket upgrade: {}",
            r.body_text()
        ))
    })?;
    // Clients only answer pings and close: nothing they send needs axum's default
    // limits (64 MiB messages, 16 MiB frames), which would let one client make the
    // server buffer that much. A message over the stated limit is refused with a
    // close frame (1009) by the client's task.
    let upgrade = upgrade
        .max_message_size(stream::MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(stream::MAX_CLIENT_FRAME_BYTES);
    let wid = id.clone();
    let hub = state
        .read(move |s| {
            if !s.store().exists(&wid)? {
                return Err(ApiError::NotFound(format!("unknown workflow '{wid}'")));
            }
            let hub = s.hubs().hub(&wid);
            hub.sync(s.store().as_ref(), &wid)?;
            // A number beyond the log would silently skip the events to come.
            let last = hub.last_seq();
            if after > last {
                return Err(ApiError::field(
                    "after",
                    format!(
                        "'after' is {after}, beyond the workflow's last event {last}; resume with the last seq received"
                    ),
                ));
            }
            Ok(hub)
        })
        .await?;
    let status = query
        .status
        .unwrap_or(false)
        .then(|| status_source(&state, &id, &hub, base));
    let delivery = stream::Delivery {
        after,
        batched: query.batch.unwrap_or(false),
        status,
    };
    let store = state.store();
    let config = state.stream_config().clone();
    let shutdown = state.shutdown_signal();
    Ok(upgrade.on_upgrade(move |socket| async move {
        // The stream holds its connection's place under the caps until it ends.
        let _slot = slot;
        state.metrics().ws_clients(1);
        let ending = stream::run_client(socket, store, hub, id, delivery, config, shutdown).await;
        if ending == Ending::Lagged {
            state.metrics().ws_lagged();
        }
        state.metrics().ws_clients(-1);
    }))
}

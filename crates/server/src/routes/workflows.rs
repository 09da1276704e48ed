//! Workflow resources: create, list, show, the event log, approvals, weekly
//! actuals, re-forecast, resume and playing a scenario. Bodies and queries arrive
//! typed and valid (see [`crate::extract`]); the caller's permission is checked by
//! its extractor before the body is read.

use crate::auth::{Approver, Planner, Viewer};
use crate::contract::request::{
    ActualsQuery, ApprovalRequest, CreateWorkflowRequest, EventsQuery, PlayQuery, ReforecastRequest,
};
use crate::contract::workflow::{
    CreatedWorkflow, EventsPage, WeekResult, WorkflowBody, websocket_url,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CsvFileForm, CsvUpload, JsonBody, PathParams, QueryParams};
use crate::idempotency::IdempotencyKey;
use crate::state::AppState;
use atelier_core::data::{WeekActuals, read_actuals};
use atelier_core::sample;
use atelier_engine::event::{ActualsSource, Event, ReforecastReason};
use atelier_engine::orchestrator::content_hash;
use atelier_engine::play::{self as season_play, Approvals};
use atelier_engine::store::{StoreError, WorkflowSummary};
use atelier_engine::{DataCatalog, EngineError, NewWorkflow, WorkflowView};
use axum::extract::State;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::{Extension, Json};
use std::net::SocketAddr;

/// Default page size of the event log.
const DEFAULT_PAGE: u64 = 500;

/// Where the client reached the server, for the stream URLs it is given:
/// `wss://atelier.example.com` from a trusted proxy's `X-Forwarded-Proto` and
/// `X-Forwarded-Host`; `ws://<Host>` for a client that came straight (no
/// forwarded headers); `None` (the URL is then relative) when a request carries
/// forwarded headers from an address not in `trusted_proxies`, whose `Host` may
/// be the proxy's rewrite and whose claims are not believed.
#[derive(Clone, Debug)]
pub struct StreamBase(pub Option<String>);

impl FromRequestParts<AppState> for StreamBase {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|h| h.to_str().ok())
                .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let proto = header("x-forwarded-proto");
        let forwarded_host = header("x-forwarded-host");
        let host = header(header::HOST.as_str());
        if proto.is_none() && forwarded_host.is_none() {
            return Ok(StreamBase(host.map(|h| format!("ws://{h}"))));
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let trusted = peer.is_some_and(|ip| {
            state
                .config()
                .trusted_proxies
                .iter()
                .any(|net| net.contains(ip))
        });
        if !trusted {
            return Ok(StreamBase(None));
        }
        let scheme = match proto.as_deref() {
            Some(p) if p.eq_ignore_ascii_case("https") => "wss",
            _ => "ws",
        };
        Ok(StreamBase(
            forwarded_host.or(host).map(|h| format!("{scheme}://{h}")),
        ))
    }
}

/// The workflow's document as the client that reached the server at `base`
/// should see it.
pub fn document(view: &WorkflowView, base: &StreamBase) -> Json<WorkflowBody> {
    Json(WorkflowBody::new(view, base.0.as_deref()))
}

/// Creates a workflow and runs it to its first approval.
#[utoipa::path(post, path = "/api/workflows", tag = "workflows",
    request_body = CreateWorkflowRequest,
    responses(
        (status = 201, description = "Created and started", body = CreatedWorkflow),
        (status = 400, description = "Invalid body (field named)", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    _: Planner,
    base: StreamBase,
    key: Option<Extension<IdempotencyKey>>,
    JsonBody(body): JsonBody<CreateWorkflowRequest>,
) -> Result<(StatusCode, Json<CreatedWorkflow>), ApiError> {
    let config = body.season()?;
    let CreateWorkflowRequest {
        category,
        scenario,
        approval_timeout_secs,
        on_expiry,
        actuals_meaning,
        ..
    } = body;
    let category = category.into_inner();
    // With a key, the id is the key's: a repeat whose first run was recorded
    // (its answer lost with its instance, or its commit's outcome unknown) finds
    // the workflow instead of making a second one.
    let keyed = key.is_some();
    let id = match &key {
        Some(Extension(k)) => k.workflow_id(),
        None => atelier_engine::new_workflow_id(),
    };
    let request_id = id.clone();
    let view = state
        .write_new(&id, move |s, publish| {
            if keyed && s.store().exists(&request_id)? {
                // Made by an earlier request with this key: finish and answer it.
                return Ok(s
                    .orchestrator()
                    .advance(&request_id)
                    .map_err(EngineError::after_recording)?);
            }
            let data_source = s.catalog().current()?;
            let data = s.catalog().load(&data_source).map_err(ApiError::internal)?;
            let scenario = scenario.map(|name| ActualsSource::Scenario {
                name: name.into_inner(),
            });
            let request = NewWorkflow::new(
                request_id.clone(),
                &category,
                &data.history.category_names(),
                config,
                data_source,
            )
            .and_then(|r| r.played_from(scenario, actuals_meaning))
            .and_then(|r| r.approvals(approval_timeout_secs.map(|t| t.get()), on_expiry))
            .map_err(EngineError::from)?;
            let created = s.orchestrator().create(request);
            match created {
                Ok(_) => {}
                // A repeat with the same key raced the first: it exists now.
                Err(EngineError::Store(StoreError::AlreadyExists(_))) if keyed => {}
                Err(e) => return Err(e.into()),
            }
            publish();
            // The workflow is recorded: a failure from here on must not say that
            // nothing changed.
            Ok(s.orchestrator()
                .advance(&request_id)
                .map_err(EngineError::after_recording)?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWorkflow {
            workflow_id: id.clone(),
            status: view.state,
            websocket_url: websocket_url(base.0.as_deref(), &id),
        }),
    ))
}

/// Lists workflows, newest first.
#[utoipa::path(get, path = "/api/workflows", tag = "workflows",
    responses(
        (status = 200, description = "Workflows: workflow_id, category, state, last_seq, created_at, updated_at", body = Vec<WorkflowSummary>),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<Vec<WorkflowSummary>>, ApiError> {
    let list = state.read(|s| Ok(s.store().list()?)).await?;
    Ok(Json(list))
}

/// Reads a workflow's view on the blocking pool.
pub async fn load_view(state: &AppState, id: String) -> Result<WorkflowView, ApiError> {
    state.read(move |s| Ok(s.orchestrator().view(&id)?)).await
}

/// One workflow: state, current agent, progress, pending approval, last event.
#[utoipa::path(get, path = "/api/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The workflow", body = WorkflowBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    _: Viewer,
    base: StreamBase,
    PathParams(id): PathParams<String>,
) -> Result<Json<WorkflowBody>, ApiError> {
    let view = load_view(&state, id).await?;
    Ok(document(&view, &base))
}

/// The event log after `after`, at most `limit` events (default 500, max 1000).
#[utoipa::path(get, path = "/api/workflows/{id}/events", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("after" = Option<u64>, Query, description = "Only events numbered above this (default 0)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "Page size (default 500)"),
    ),
    responses(
        (status = 200, description = "A page of events", body = EventsPage),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<EventsQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let after = query.after.unwrap_or(0);
    let limit = query.limit.map_or(DEFAULT_PAGE, |l| l.get());
    let mut events = state
        .read(move |s| Ok(s.orchestrator().events(&id, after, Some(limit + 1))?))
        .await?;
    let has_more = events.len() as u64 > limit;
    events.truncate(limit as usize);
    let last_seq = events.last().map(|e| e.seq);
    Ok(Json(EventsPage {
        events,
        last_seq,
        has_more,
    }))
}

/// Answers an approval; the workflow then runs on to its next wait.
#[utoipa::path(post, path = "/api/workflows/{id}/approvals/{approval_id}", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("approval_id" = String, Path, description = "The pending approval's id"),
    ),
    request_body = ApprovalRequest,
    responses(
        (status = 200, description = "The workflow after the decision", body = WorkflowBody),
        (status = 400, description = "Invalid body or modification", body = ErrorBody),
        (status = 403, description = "Not an approver", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not waiting for this approval", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    approver: Approver,
    base: StreamBase,
    key: Option<Extension<IdempotencyKey>>,
    PathParams((id, approval_id)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<ApprovalRequest>,
) -> Result<Json<WorkflowBody>, ApiError> {
    let resolution = body.resolution()?;
    // Who answered, as the event and the report record it: `ann (approver)`.
    let by = approver.caller.signature();
    let retry = key.is_some_and(|Extension(k)| k.retry);
    let wid = id.clone();
    let view = state
        .write(&id, move |s, _| {
            let o = s.orchestrator();
            let this_answer = |view: &WorkflowView| {
                view.answered_approvals.iter().any(|a| {
                    a.approval_id == approval_id
                        && a.resolution.as_ref() == Some(&resolution)
                        && a.by.as_deref() == Some(by.as_str())
                })
            };
            // A retry whose earlier attempt recorded the answer (its instance
            // died, or the database was lost after the commit): the same answer
            // by the same caller is in the log, so what it unblocks is finished
            // and answered; it is not applied again.
            if retry && this_answer(&o.view(&wid)?) {
                return Ok(o.advance(&wid).map_err(EngineError::after_recording)?);
            }
            match o.approve(&wid, Some(&approval_id), resolution.clone(), &by) {
                // The earlier attempt was still running, and recorded it meanwhile.
                Err(e @ (EngineError::NotWaiting { .. } | EngineError::WrongApproval { .. }))
                    if retry =>
                {
                    if this_answer(&o.view(&wid)?) {
                        Ok(o.advance(&wid).map_err(EngineError::after_recording)?)
                    } else {
                        Err(e.into())
                    }
                }
                other => Ok(other?),
            }
        })
        .await?;
    Ok(document(&view, &base))
}

/// Records a week's actuals (CSV `date,store_id,quantity_sold`, as text/csv or the
/// file of a multipart form) and answers with the week's variance check. The
/// quantities are read as the workflow's `actuals_meaning` says: recorded sales as
/// they are, or demand (lifted after a markdown, sold up to the stock).
#[utoipa::path(post, path = "/api/workflows/{id}/actuals", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("week" = Option<u32>, Query, minimum = 1, maximum = 52, description = "Season week (at most the horizon); inferred from the dates when absent"),
    ),
    request_body(description = "date,store_id,quantity_sold: the body as text/csv, or the file of a multipart form (the part named `file`, else the first part with a file name)",
        content((String = "text/csv"), (inline(CsvFileForm) = "multipart/form-data"))),
    responses(
        (status = 200, description = "The week's variance check", body = WeekResult),
        (status = 400, description = "Invalid CSV (line and field named), broken multipart body, no file part (field `file`), or invalid query", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not accepting this week now, or the week was recorded with other content", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor multipart/form-data", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn actuals(
    State(state): State<AppState>,
    _: Planner,
    key: Option<Extension<IdempotencyKey>>,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<ActualsQuery>,
    CsvUpload(body): CsvUpload,
) -> Result<Json<WeekResult>, ApiError> {
    let given_week = query.week.map(|w| w.get());
    let retry = key.is_some_and(|Extension(k)| k.retry);
    let wid = id.clone();
    let (view, week) = state
        .write(&id, move |s, _| {
            let view = s.orchestrator().view(&wid)?;
            let data = s.catalog().load(&view.data).map_err(ApiError::internal)?;
            let actuals = read_actuals(body.as_ref(), "upload", &data.stores)?;
            let week = match given_week {
                Some(w) => u32::try_from(w)
                    .ok()
                    .filter(|w| (1..=view.horizon()).contains(w))
                    .ok_or_else(|| {
                        ApiError::field(
                            "week",
                            format!("'week' must be within 1..={}", view.horizon()),
                        )
                    })?,
                None => infer_week(&view, &actuals)?,
            };
            // A retry whose earlier attempt recorded this week (the same file):
            // what the week set off is finished and the week answered again.
            let recorded = view
                .weeks
                .get(week as usize - 1)
                .is_some_and(|row| row.content_hash == content_hash(&actuals));
            if retry && recorded {
                let view = s
                    .orchestrator()
                    .advance(&wid)
                    .map_err(EngineError::after_recording)?;
                return Ok((view, week));
            }
            let view = s.orchestrator().record_week(&wid, week, &actuals)?;
            Ok((view, week))
        })
        .await?;
    let row = view
        .weeks
        .get(week as usize - 1)
        .ok_or_else(|| ApiError::internal(format!("week {week} recorded but not in the view")))?;
    Ok(Json(WeekResult::new(row, view.state)))
}

/// The week every date of the file falls in.
fn infer_week(view: &WorkflowView, actuals: &WeekActuals) -> Result<u32, ApiError> {
    let p = &view.parameters;
    let mut week = None;
    for (i, row) in actuals.rows.iter().enumerate() {
        let at_line = |message: String| ApiError::BadRequest {
            message,
            field: Some("date".into()),
            line: Some(i as u64 + 2),
            fields: Vec::new(),
        };
        let w = p.week_of(row.date).ok_or_else(|| {
            at_line(format!(
                "date {} is outside the season ({}..={})",
                row.date, p.season_start_date, p.season_end_date
            ))
        })?;
        match week {
            None => week = Some(w),
            Some(first) if first != w => {
                return Err(at_line(format!(
                    "the file spans weeks {first} and {w}; upload one week at a time"
                )));
            }
            Some(_) => {}
        }
    }
    week.ok_or_else(|| ApiError::bad("the file has no rows"))
}

/// A planner's re-forecast of the remaining weeks (between weeks).
#[utoipa::path(post, path = "/api/workflows/{id}/reforecast", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    request_body = ReforecastRequest,
    responses(
        (status = 200, description = "The workflow after the re-forecast", body = WorkflowBody),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not between weeks of a running season", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn reforecast(
    State(state): State<AppState>,
    _: Planner,
    base: StreamBase,
    key: Option<Extension<IdempotencyKey>>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<ReforecastRequest>,
) -> Result<Json<WorkflowBody>, ApiError> {
    let reason = body.reason.into_inner();
    let retry = key.is_some_and(|Extension(k)| k.retry);
    let wid = id.clone();
    let view = state
        .write(&id, move |s, _| {
            let o = s.orchestrator();
            // A retry whose earlier attempt recorded the re-forecast: it is in
            // force after the last week, so it is answered, not made again.
            if retry && manual_reforecast_in_force(s, &wid)? {
                return Ok(o.advance(&wid).map_err(EngineError::after_recording)?);
            }
            Ok(o.manual_reforecast(&wid, &reason)?)
        })
        .await?;
    Ok(document(&view, &base))
}

/// Whether a planner's re-forecast was recorded after the workflow's last week.
/// Re-forecasts do not compound (each starts from the baseline and the weeks
/// seen), so a second one with no week between would change no figure: a retry
/// finding one answers it rather than record the same plan twice.
fn manual_reforecast_in_force(s: &AppState, workflow_id: &str) -> Result<bool, ApiError> {
    let o = s.orchestrator();
    let weeks = o.view(workflow_id)?.weeks.len() as u32;
    Ok(o.events(workflow_id, 0, None)?.iter().any(|e| {
        matches!(
            e.event,
            Event::ReforecastApplied {
                reason: ReforecastReason::Manual,
                after_week,
                ..
            } if after_week == weeks
        )
    }))
}

/// Retries a workflow in state `error` (and continues any other).
#[utoipa::path(post, path = "/api/workflows/{id}/resume", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The workflow after resuming", body = WorkflowBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The workflow cannot continue now", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    _: Planner,
    base: StreamBase,
    PathParams(id): PathParams<String>,
) -> Result<Json<WorkflowBody>, ApiError> {
    let wid = id.clone();
    let view = state
        .write(&id, move |s, _| Ok(s.orchestrator().resume(&wid)?))
        .await?;
    Ok(document(&view, &base))
}

/// Plays the workflow's scenario week by week until `until_week`, the end, or an
/// approval (a demo without uploads).
#[utoipa::path(post, path = "/api/workflows/{id}/play", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("until_week" = Option<u32>, Query, minimum = 1, maximum = 52, description = "Stop after this week (default: the season's end)"),
    ),
    responses(
        (status = 200, description = "The workflow where play stopped", body = WorkflowBody),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The workflow has no scenario, or cannot continue now", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn play(
    State(state): State<AppState>,
    _: Planner,
    base: StreamBase,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<PlayQuery>,
) -> Result<Json<WorkflowBody>, ApiError> {
    let until = query.until_week.map(|w| w.get());
    let wid = id.clone();
    let view = state
        .write(&id, move |s, publish| {
            let o = s.orchestrator();
            // Refuse before anything is written: a 409 leaves the log as it was.
            // `play` runs whatever needs no input first; this read only finds the
            // scenario, the data and the weeks already played.
            let before = o.view(&wid)?;
            let Some(ActualsSource::Scenario { name }) = before.actuals_source.clone() else {
                return Err(ApiError::Conflict(format!(
                    "workflow {wid} was created without a scenario; upload actuals instead"
                )));
            };
            let data = s.catalog().load(&before.data).map_err(ApiError::internal)?;
            let weeks = sample::scenario(&name, &data.stores)
                .ok_or_else(|| ApiError::Conflict(format!("unknown scenario '{name}'")))??;
            // Once a week is played, a lost database must not read as if nothing
            // changed: the weeks played are recorded.
            let played = std::cell::Cell::new(false);
            let until = until.map(|u| u32::try_from(u).unwrap_or(u32::MAX));
            let (view, _) = season_play::play(
                o,
                &wid,
                |week| Ok::<_, EngineError>(weeks.get(week as usize - 1).cloned()),
                Approvals::Wait,
                until,
                |view| {
                    if view.weeks.len() > before.weeks.len() {
                        played.set(true);
                        publish();
                    }
                },
            )
            .map_err(|e| if played.get() { e.after_recording() } else { e })?;
            Ok(view)
        })
        .await?;
    Ok(document(&view, &base))
}

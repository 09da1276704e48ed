//! Workflow resources: create, list, show, the event log, approvals, weekly
//! actuals, re-forecast, playing a scenario, and the read views of a season.
//!
//! Views answer 404 for an unknown workflow and 409 when the workflow exists but
//! has not reached the point that produces the view (no forecast before phase 1
//! ran, no report before the season completed).

use crate::auth::{Caller, Permission};
use crate::body::{CsvFileForm, CsvUpload, JsonBody, query_u64};
use crate::error::{ApiError, ErrorBody, param_error};
use crate::state::AppState;
use atelier_core::SeasonConfig;
use atelier_core::data::read_actuals;
use atelier_core::sample;
use atelier_engine::event::{
    ActualsMeaning, ActualsSource, ExpiryAction, Modification, Resolution,
};
use atelier_engine::report::workflow_json;
use atelier_engine::{DataCatalog, NewWorkflow, WorkflowState, WorkflowView};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use utoipa::ToSchema;

/// The seven season parameters as the API takes them (validated by the core).
#[derive(Serialize, ToSchema)]
pub struct ParametersDoc {
    /// Season length in weeks, 1..=52.
    pub forecast_horizon_weeks: u32,
    /// First day of week 1 (YYYY-MM-DD).
    #[schema(format = Date)]
    pub season_start_date: String,
    /// Optional; derived from start and horizon, checked when given.
    #[schema(format = Date)]
    pub season_end_date: Option<String>,
    /// `none`, `weekly` or `bi-weekly`.
    pub replenishment_strategy: String,
    /// Share of the order held at the DC, 0..=1.
    pub dc_holdback_percentage: f64,
    /// Week of the sell-through check; null for no markdowns.
    pub markdown_checkpoint_week: Option<u32>,
    /// Target sell-through at the checkpoint, 0..1 (with the checkpoint).
    pub markdown_threshold: Option<f64>,
}

/// What to plan, and what the weekly actuals it will be given mean
/// (`actuals_meaning`).
#[derive(Serialize, ToSchema)]
pub struct CreateWorkflowRequest {
    /// A category in the current data set (`GET /api/categories`).
    pub category: String,
    /// The seven parameters.
    pub parameters: ParametersDoc,
    /// Optional tunables (defaults from domain.md).
    #[schema(value_type = Option<Object>)]
    pub tunables: Option<Value>,
    /// A shipped scenario to play with `POST .../play` (e.g. `normal_season`).
    pub scenario: Option<String>,
    /// Approvals expire after this many seconds, 1..=31536000 (one year); none by
    /// default.
    #[schema(minimum = 1, maximum = 31_536_000)]
    pub approval_timeout_secs: Option<u64>,
    /// What an expiry does: `accept` or `fail` (default).
    pub on_expiry: Option<String>,
    /// What the quantities of the weekly actuals are. `sales`: what really sold,
    /// recorded as it is (a markdown's lift is already in it). `demand`: what
    /// shoppers wanted; stores sell what they have, the rest is lost, and after a
    /// markdown the lift multiplies it. Default: `demand` with a `scenario` (a
    /// shipped scenario's files are demand), `sales` without one.
    pub actuals_meaning: Option<ActualsMeaningDoc>,
}

/// What the quantities of weekly actuals are: `demand` (lifted after a markdown,
/// capped by stock) or `sales` (recorded as they are).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActualsMeaningDoc {
    /// The week's demand (a shipped scenario's files).
    Demand,
    /// Recorded sales (uploaded point-of-sale data).
    Sales,
}

/// The longest approval timeout taken: one year. Larger values would overflow
/// the engine's date arithmetic.
pub const MAX_APPROVAL_TIMEOUT_SECS: u64 = 31_536_000;

/// A created workflow.
#[derive(Serialize, ToSchema)]
pub struct CreatedWorkflow {
    /// The new workflow's id.
    pub workflow_id: String,
    /// Its state after its first steps (usually `waiting_mfg_approval`).
    pub status: String,
    /// Where to stream its events.
    pub websocket_url: String,
}

/// The workflow as `atelier status --json` shows it, plus stream details.
#[derive(Serialize, ToSchema)]
pub struct WorkflowDoc {
    /// The workflow.
    pub workflow_id: String,
    /// Its state.
    pub state: String,
    /// The category.
    pub category: String,
    /// The parameters.
    #[schema(value_type = Object)]
    pub parameters: Value,
    /// The agent working now, if any.
    pub current_agent: Option<String>,
    /// Share done, 0..1.
    pub progress: f64,
    /// The last event number (resume the stream after it).
    pub last_event: u64,
    /// The order proposed or approved.
    #[schema(value_type = Option<Object>)]
    pub manufacturing: Option<Value>,
    /// The forecast.
    #[schema(value_type = Option<Object>)]
    pub forecast: Option<Value>,
    /// The allocation.
    #[schema(value_type = Option<Object>)]
    pub allocation: Option<Value>,
    /// Phases skipped and why.
    #[schema(value_type = Vec<Object>)]
    pub phases_skipped: Vec<Value>,
    /// Weeks played.
    #[schema(value_type = Vec<Object>)]
    pub weeks: Vec<Value>,
    /// The markdown, if one was proposed.
    #[schema(value_type = Option<Object>)]
    pub markdown: Option<Value>,
    /// The approval awaited: approval_id, kind, data, options, expires_at.
    #[schema(value_type = Option<Object>)]
    pub pending_approval: Option<Value>,
    /// Emergency-reorder alerts raised.
    pub emergency_alerts: u32,
    /// The season report once completed.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
    /// The failure cause in state `error`.
    pub error: Option<String>,
    /// The week whose actuals are awaited next.
    pub next_week: u32,
    /// Where its data came from.
    #[schema(value_type = Object)]
    pub data: Value,
    /// What its weekly actuals mean: `demand` or `sales`.
    pub actuals_meaning: ActualsMeaningDoc,
    /// Where to stream its events.
    pub websocket_url: String,
}

/// A page of the event log.
#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    /// Stored events: workflow_id, seq, recorded_at, event.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
    /// Number of the last event in this page (ask `after=` it for the next).
    pub last_seq: Option<u64>,
    /// Whether more events follow.
    pub has_more: bool,
}

/// An answer to an approval.
#[derive(Serialize, ToSchema)]
pub struct ApprovalRequest {
    /// `accept` or `modify`.
    pub action: String,
    /// With `modify`: one of manufacturing_qty or safety_stock_pct (manufacturing),
    /// or markdown_pct (markdown).
    #[schema(value_type = Option<Object>)]
    pub modifications: Option<Value>,
}

/// A planner's re-forecast.
#[derive(Serialize, ToSchema)]
pub struct ReforecastRequest {
    /// Why (recorded in the log).
    pub reason: String,
}

/// A recorded week's variance check.
#[derive(Serialize, ToSchema)]
pub struct WeekResult {
    /// The week recorded.
    pub week: u32,
    /// Forecast in force for the week.
    pub forecast: u64,
    /// Units sold.
    pub actual: u64,
    /// Variance in percent (30.8 for 30.8%); null against a zero forecast.
    pub variance_pct: Option<f64>,
    /// Above the threshold.
    pub threshold_exceeded: bool,
    /// The remaining weeks were re-forecast.
    pub reforecast_triggered: bool,
    /// The workflow's state after the week (e.g. `waiting_markdown_approval`).
    pub state: String,
}

fn stream_path(id: &str) -> String {
    format!("/api/workflows/{id}/stream")
}

fn websocket_url(headers: &HeaderMap, id: &str) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("ws://{host}{}", stream_path(id)),
        None => stream_path(id),
    }
}

fn state_name(view: &WorkflowView) -> String {
    view.state.map_or("none", |s| s.as_str()).to_string()
}

fn full_json(view: &WorkflowView, headers: &HeaderMap) -> Value {
    let mut v = workflow_json(view);
    if let Value::Object(m) = &mut v {
        m.insert("next_week".into(), json!(view.next_week()));
        m.insert("data".into(), json!(view.data));
        m.insert("actuals_meaning".into(), json!(view.actuals_meaning));
        m.insert(
            "websocket_url".into(),
            json!(websocket_url(headers, &view.workflow_id)),
        );
    }
    v
}

/// Creates a workflow and runs it to its first approval.
#[utoipa::path(post, path = "/api/workflows", tag = "workflows",
    request_body = CreateWorkflowRequest,
    responses(
        (status = 201, description = "Created and started", body = CreatedWorkflow),
        (status = 400, description = "Invalid body (field named)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Result<(StatusCode, Json<CreatedWorkflow>), ApiError> {
    caller.require(Permission::Plan)?;
    let mut body = body?;
    body.deny_unknown(&[
        "category",
        "parameters",
        "tunables",
        "scenario",
        "approval_timeout_secs",
        "on_expiry",
        "actuals_meaning",
    ])?;
    let category: String = body.take("category")?;
    let parameters = body
        .take_raw("parameters")
        .ok_or_else(|| ApiError::field("parameters", "'parameters' is required"))?;
    let Value::Object(mut params) = parameters else {
        return Err(ApiError::field(
            "parameters",
            "'parameters' must be an object",
        ));
    };
    if params.contains_key("tunables") {
        return Err(ApiError::field(
            "parameters.tunables",
            "tunables go at the top level of the body, not inside parameters",
        ));
    }
    if let Some(t) = body.take_raw("tunables") {
        params.insert("tunables".into(), t);
    }
    let config = SeasonConfig::from_json(&Value::Object(params).to_string()).map_err(|e| {
        let mut err = param_error(&e, "parameters.");
        if let (atelier_core::params::ParamError::Json(m), ApiError::BadRequest { field, .. }) =
            (&e, &mut err)
        {
            // serde names an unknown key as `name`; point at it.
            if let Some(name) = m.split('`').nth(1) {
                *field = Some(format!("parameters.{name}"));
            }
        }
        err
    })?;
    let scenario: Option<String> = body.take_opt("scenario")?;
    if let Some(name) = &scenario
        && !sample::SCENARIOS.iter().any(|(n, _)| n == name)
    {
        return Err(ApiError::field(
            "scenario",
            format!(
                "unknown scenario '{name}'; shipped: {}",
                sample::SCENARIOS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let approval_timeout_secs: Option<u64> = body.take_opt("approval_timeout_secs")?;
    if approval_timeout_secs == Some(0) {
        // A zero timeout would expire every approval the moment it is asked.
        return Err(ApiError::field(
            "approval_timeout_secs",
            "must be at least 1 second (leave it out for no timeout)",
        ));
    }
    if let Some(secs) = approval_timeout_secs
        && secs > MAX_APPROVAL_TIMEOUT_SECS
    {
        // The engine adds the timeout to the request's date; far beyond a season
        // it would overflow.
        return Err(ApiError::field(
            "approval_timeout_secs",
            format!(
                "'approval_timeout_secs' must be at most {MAX_APPROVAL_TIMEOUT_SECS} (one year), got {secs}"
            ),
        ));
    }
    let on_expiry = match body.take_opt::<String>("on_expiry")?.as_deref() {
        None | Some("fail") => ExpiryAction::Fail,
        Some("accept") => ExpiryAction::Accept,
        Some(other) => {
            return Err(ApiError::field(
                "on_expiry",
                format!("'on_expiry' must be accept or fail, got '{other}'"),
            ));
        }
    };
    let actuals_meaning = match body.take_opt::<String>("actuals_meaning")?.as_deref() {
        // A shipped scenario's files are demand; an upload is what really sold.
        None if scenario.is_some() => ActualsMeaning::Demand,
        None => ActualsMeaning::Sales,
        Some("demand") => ActualsMeaning::Demand,
        Some("sales") => ActualsMeaning::Sales,
        Some(other) => {
            return Err(ApiError::field(
                "actuals_meaning",
                format!("'actuals_meaning' must be demand or sales, got '{other}'"),
            ));
        }
    };
    let id = atelier_engine::new_workflow_id();
    let request_id = id.clone();
    let view = state
        .write_new(&id, move |s, publish| {
            let data_source = s.catalog().current();
            let data = s.catalog().load(&data_source).map_err(ApiError::internal)?;
            if data.history.category(&category).is_none() {
                return Err(ApiError::field(
                    "category",
                    format!(
                        "unknown category '{category}'; known: {}",
                        data.history.category_names().join(", ")
                    ),
                ));
            }
            s.orchestrator().create(NewWorkflow {
                workflow_id: request_id.clone(),
                category,
                config,
                data: data_source,
                actuals_meaning,
                actuals_source: scenario.map(|name| ActualsSource::Scenario { name }),
                approval_timeout_secs,
                approval_expiry: on_expiry,
                extraction: None,
            })?;
            publish();
            Ok(s.orchestrator().advance(&request_id)?)
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWorkflow {
            workflow_id: id.clone(),
            status: state_name(&view),
            websocket_url: websocket_url(&headers, &id),
        }),
    ))
}

/// Lists workflows, newest first.
#[utoipa::path(get, path = "/api/workflows", tag = "workflows",
    responses(
        (status = 200, description = "Workflows: workflow_id, category, state, last_seq, created_at, updated_at", body = Vec<Object>),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let list = state.read(|s| Ok(s.store().list()?)).await?;
    Ok(Json(json!(list)))
}

async fn load_view(state: &AppState, id: String) -> Result<WorkflowView, ApiError> {
    state.read(move |s| Ok(s.orchestrator().view(&id)?)).await
}

/// One workflow: state, current agent, progress, pending approval, last event.
#[utoipa::path(get, path = "/api/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The workflow", body = WorkflowDoc),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let view = load_view(&state, id).await?;
    Ok(Json(full_json(&view, &headers)))
}

/// The event log after `after`, at most `limit` events (default 500, max 1000).
#[utoipa::path(get, path = "/api/workflows/{id}/events", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("after" = Option<u64>, Query, description = "Only events numbered above this (default 0)"),
        ("limit" = Option<u64>, Query, description = "Page size (default 500, max 1000)"),
    ),
    responses(
        (status = 200, description = "A page of events", body = EventsPage),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<EventsPage>, ApiError> {
    caller.require(Permission::Read)?;
    let after = query_u64(&query, "after")?.unwrap_or(0);
    let limit = query_u64(&query, "limit")?.unwrap_or(500).clamp(1, 1000);
    let events = state
        .read(move |s| Ok(s.orchestrator().events(&id, after, Some(limit + 1))?))
        .await?;
    let has_more = events.len() as u64 > limit;
    let events: Vec<Value> = events
        .into_iter()
        .take(limit as usize)
        .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
        .collect();
    let last_seq = events
        .last()
        .and_then(|e| e.get("seq"))
        .and_then(Value::as_u64);
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
        (status = 200, description = "The workflow after the decision", body = WorkflowDoc),
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
    caller: Caller,
    headers: HeaderMap,
    Path((id, approval_id)): Path<(String, String)>,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Approve)?;
    let mut body = body?;
    body.deny_unknown(&["action", "modifications"])?;
    let action: String = body.take("action")?;
    let resolution = match action.as_str() {
        "accept" => {
            if body.take_raw("modifications").is_some() {
                return Err(ApiError::field(
                    "modifications",
                    "modifications go with action 'modify', not 'accept'",
                ));
            }
            Resolution::Accept
        }
        "modify" => {
            let modifications: Modification = body.take("modifications")?;
            Resolution::Modify { modifications }
        }
        other => {
            return Err(ApiError::field(
                "action",
                format!("'action' must be accept or modify, got '{other}'"),
            ));
        }
    };
    let by = caller.name.clone();
    let wid = id.clone();
    let view = state
        .write(&id, move |s, _| {
            Ok(s.orchestrator()
                .approve(&wid, Some(&approval_id), resolution, &by)?)
        })
        .await?;
    Ok(Json(full_json(&view, &headers)))
}

/// Records a week's actuals (CSV `date,store_id,quantity_sold`, as text/csv or the
/// file of a multipart form) and
/// answers with the week's variance check. The quantities are read as the
/// workflow's `actuals_meaning` says: recorded sales as they are, or demand
/// (lifted after a markdown, sold up to the stock).
#[utoipa::path(post, path = "/api/workflows/{id}/actuals", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("week" = Option<u32>, Query, description = "Season week; inferred from the dates when absent"),
    ),
    request_body(description = "date,store_id,quantity_sold: the body as text/csv, or the file of a multipart form (the part named `file`, else the first part with a file name)",
        content((String = "text/csv"), (inline(CsvFileForm) = "multipart/form-data"))),
    responses(
        (status = 200, description = "The week's variance check", body = WeekResult),
        (status = 400, description = "Invalid CSV (line and field named), broken multipart body, or no file part (field `file`)", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not accepting this week now, or the week was recorded with other content", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor multipart/form-data", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn actuals(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Result<CsvUpload, ApiError>,
) -> Result<Json<WeekResult>, ApiError> {
    caller.require(Permission::Plan)?;
    let CsvUpload(body) = body?;
    let given_week = query_u64(&query, "week")?;
    let wid = id.clone();
    let (view, week) = state
        .write(&id, move |s, _| {
            let view = s.orchestrator().view(&wid)?;
            let source = view
                .data
                .clone()
                .ok_or_else(|| ApiError::internal("workflow without a data source"))?;
            let data = s.catalog().load(&source).map_err(ApiError::internal)?;
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
            let view = s.orchestrator().record_week(&wid, week, &actuals)?;
            Ok((view, week))
        })
        .await?;
    let row = view
        .weeks
        .get(week as usize - 1)
        .ok_or_else(|| ApiError::internal(format!("week {week} recorded but not in the view")))?;
    Ok(Json(WeekResult {
        week,
        forecast: row.forecast,
        actual: row.actual,
        variance_pct: row.variance_pct,
        threshold_exceeded: row.threshold_exceeded,
        reforecast_triggered: row.reforecast,
        state: state_name(&view),
    }))
}

/// The week every date of the file falls in.
fn infer_week(
    view: &WorkflowView,
    actuals: &atelier_core::data::WeekActuals,
) -> Result<u32, ApiError> {
    let p = view
        .parameters
        .as_ref()
        .ok_or_else(|| ApiError::internal("workflow without parameters"))?;
    let mut week = None;
    for (i, row) in actuals.rows.iter().enumerate() {
        let w = p.week_of(row.date).ok_or_else(|| ApiError::BadRequest {
            message: format!(
                "date {} is outside the season ({}..={})",
                row.date, p.season_start_date, p.season_end_date
            ),
            field: Some("date".into()),
            line: Some(i as u64 + 2),
            fields: Vec::new(),
        })?;
        match week {
            None => week = Some(w),
            Some(first) if first != w => {
                return Err(ApiError::BadRequest {
                    message: format!(
                        "the file spans weeks {first} and {w}; upload one week at a time"
                    ),
                    field: Some("date".into()),
                    line: Some(i as u64 + 2),
                    fields: Vec::new(),
                });
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
        (status = 200, description = "The workflow after the re-forecast", body = WorkflowDoc),
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
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Plan)?;
    let mut body = body?;
    body.deny_unknown(&["reason"])?;
    let reason: String = body.take("reason")?;
    if reason.trim().is_empty() {
        return Err(ApiError::field("reason", "'reason' must not be empty"));
    }
    let wid = id.clone();
    let view = state
        .write(&id, move |s, _| {
            Ok(s.orchestrator().manual_reforecast(&wid, &reason)?)
        })
        .await?;
    Ok(Json(full_json(&view, &headers)))
}

/// Retries a workflow in state `error` (and continues any other).
#[utoipa::path(post, path = "/api/workflows/{id}/resume", tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The workflow after resuming", body = WorkflowDoc),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Plan)?;
    let wid = id.clone();
    let view = state
        .write(&id, move |s, _| Ok(s.orchestrator().resume(&wid)?))
        .await?;
    Ok(Json(full_json(&view, &headers)))
}

/// Plays the workflow's scenario week by week until `until_week`, the end, or an
/// approval (a demo without uploads).
#[utoipa::path(post, path = "/api/workflows/{id}/play", tag = "workflows",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("until_week" = Option<u32>, Query, description = "Stop after this week (default: the season's end)"),
    ),
    responses(
        (status = 200, description = "The workflow where play stopped", body = WorkflowDoc),
        (status = 400, description = "Invalid query", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The workflow has no scenario", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn play(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Plan)?;
    let until = query_u64(&query, "until_week")?;
    let wid = id.clone();
    let view = state
        .write(&id, move |s, publish| {
            let o = s.orchestrator();
            // Refuse before anything is written: a 409 leaves the log as it was.
            let Some(ActualsSource::Scenario { name }) = o.view(&wid)?.actuals_source else {
                return Err(ApiError::Conflict(format!(
                    "workflow {wid} was created without a scenario; upload actuals instead"
                )));
            };
            let mut view = o.advance(&wid)?;
            let source = view
                .data
                .clone()
                .ok_or_else(|| ApiError::internal("workflow without a data source"))?;
            let data = s.catalog().load(&source).map_err(ApiError::internal)?;
            let weeks = sample::scenario(&name, &data.stores)
                .ok_or_else(|| ApiError::Conflict(format!("unknown scenario '{name}'")))??;
            while view.state == Some(WorkflowState::Phase3Monitoring) {
                let week = view.next_week();
                if until.is_some_and(|u| u64::from(week) > u) {
                    break;
                }
                let Some(actuals) = weeks.get(week as usize - 1) else {
                    break;
                };
                view = o.record_week(&wid, week, actuals)?;
                publish();
            }
            Ok(view)
        })
        .await?;
    Ok(Json(full_json(&view, &headers)))
}

fn not_yet(view: &WorkflowView, what: &str) -> ApiError {
    ApiError::Conflict(format!(
        "workflow {} has no {what} yet (state {})",
        view.workflow_id,
        state_name(view)
    ))
}

/// The demand forecast and the manufacturing order.
#[utoipa::path(get, path = "/api/workflows/{id}/forecast", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "total_season_demand, weekly_initial, weekly_current, interval, manufacturing", body = Object),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not forecast yet", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn forecast(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let view = load_view(&state, id).await?;
    let f = view
        .forecast
        .as_ref()
        .ok_or_else(|| not_yet(&view, "forecast"))?;
    Ok(Json(json!({
        "workflow_id": view.workflow_id,
        "total_season_demand": f.total_season_demand,
        "weekly_initial": f.weekly,
        "weekly_current": view.forecast_weekly,
        "interval": f.interval,
        "manufacturing": view.order,
    })))
}

/// The allocation: clusters, per-store shares and the stock position now.
#[utoipa::path(get, path = "/api/workflows/{id}/allocation", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "allocation (clusters, stores), stock per store, dc_stock", body = Object),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not allocated yet", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn allocation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let view = load_view(&state, id).await?;
    let a = view
        .allocation
        .as_ref()
        .ok_or_else(|| not_yet(&view, "allocation"))?;
    Ok(Json(json!({
        "workflow_id": view.workflow_id,
        "allocation": a,
        "stock": view.stock,
        "dc_stock": view.dc_stock,
    })))
}

/// The markdown checkpoint and what was proposed or applied (an empty list before
/// the checkpoint, or when markdowns are off).
#[utoipa::path(get, path = "/api/workflows/{id}/markdowns", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "checkpoint_week, threshold, markdowns, skipped reason", body = Object),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn markdowns(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let view = load_view(&state, id).await?;
    let skipped = view
        .phases_skipped
        .iter()
        .find(|(p, _)| *p == WorkflowState::Phase4MarkdownCheck)
        .map(|(_, r)| r.clone());
    Ok(Json(json!({
        "workflow_id": view.workflow_id,
        "checkpoint_week": view.parameters.as_ref().and_then(|p| p.markdown_checkpoint_week),
        "threshold": view.parameters.as_ref().and_then(|p| p.markdown_threshold),
        "markdowns": view.markdown.iter().collect::<Vec<_>>(),
        "skipped": skipped,
    })))
}

/// The weekly variance table (empty before week 1).
#[utoipa::path(get, path = "/api/workflows/{id}/variance", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "weeks: forecast, actual, variance_pct, direction, threshold_exceeded, reforecast, ...", body = Object),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn variance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let view = load_view(&state, id).await?;
    Ok(Json(json!({
        "workflow_id": view.workflow_id,
        "threshold_pct": view.tunables.variance_threshold_pct,
        "weeks": view.weeks,
    })))
}

/// The season report.
#[utoipa::path(get, path = "/api/workflows/{id}/report", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The season report and its weekly rows", body = Object),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The season has not completed", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    let view = load_view(&state, id).await?;
    let r = view
        .report
        .as_ref()
        .ok_or_else(|| not_yet(&view, "report"))?;
    Ok(Json(json!({
        "workflow_id": view.workflow_id,
        "report": r,
        "weeks": view.weeks,
        "markdown": view.markdown,
    })))
}

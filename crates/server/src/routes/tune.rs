//! Next season in the browser (issue 18), over the same engine code as the CLI:
//!
//! - `POST /api/workflows/{id}/tune` answers what `atelier tune ID --json` prints
//!   for the same draws and seed ([`atelier_engine::tune::tune`] on the same view,
//!   log and data);
//! - `POST /api/workflows/{id}/what-if` plays the planner's settings on the same
//!   draws beside the season's own ([`atelier_engine::what_if`], as `atelier
//!   what-if`), and answers the spread of gross margin of each.
//!
//! Both write nothing. Their simulations are kept per season, last event, draws
//! and seed (`simulations.rs`): a planner's second what-if plays only their
//! settings, and a tune asked again is not recomputed.

use crate::auth::Viewer;
use crate::contract::request::{TuneRequest, WhatIfRequest};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, PathParams};
use crate::simulations::SimulationKey;
use crate::state::AppState;
use atelier_engine::agents::SeasonData;
use atelier_engine::event::StoredEvent;
use atelier_engine::simulate::SimulationError;
use atelier_engine::tune::{TuneReport, observed_demand, tune as tune_season};
use atelier_engine::what_if::{self, WhatIfBasis, WhatIfFailure, WhatIfReport};
use atelier_engine::{DataCatalog, EngineError, WorkflowState, WorkflowView};
use axum::Json;
use axum::extract::State;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Tunes computed at once per server. One keeps a tune from taking every core of
/// a small server from the seasons being played; the next request waits for the
/// slot rather than being refused (a tune takes about a second).
pub const MAX_CONCURRENT_TUNES: usize = 1;

/// What-ifs computed at once per server, apart from the tunes: a planner's
/// what-if does not wait behind a tune, and the two together take at most two
/// cores.
pub const MAX_CONCURRENT_WHAT_IFS: usize = 1;

static TUNE_SLOTS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_TUNES);
static WHAT_IF_SLOTS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_WHAT_IFS);

fn unprocessable(message: String) -> ApiError {
    ApiError::Unprocessable {
        message,
        missing_parameters: Vec::new(),
        partial: None,
    }
}

/// The completed season `id`: its view, or a 404 (unknown) or 409 (not
/// completed: its demand is not whole).
fn completed(s: &AppState, id: &str) -> Result<WorkflowView, ApiError> {
    let view = s.orchestrator().view(id)?;
    if view.state != WorkflowState::Completed {
        return Err(ApiError::Conflict(format!(
            "workflow {id} is {} after {} of {} weeks: a what-if needs a completed season",
            view.state.as_str(),
            view.weeks.len(),
            view.horizon()
        )));
    }
    Ok(view)
}

/// The log and data a simulation of the completed season `view` plays on: a 422
/// when its data set is gone or its weeks recorded no demand.
fn simulation_inputs(
    s: &AppState,
    view: &WorkflowView,
) -> Result<(Vec<StoredEvent>, Arc<SeasonData>), ApiError> {
    let id = &view.workflow_id;
    let events = s.orchestrator().events(id, 0, None)?;
    let data = s
        .catalog()
        .load(&view.data)
        .map_err(|e| unprocessable(format!("workflow {id} cannot be simulated: {e}")))?;
    if observed_demand(&events)
        .iter()
        .flatten()
        .all(|units| *units == 0)
    {
        return Err(unprocessable(format!(
            "workflow {id} recorded no demand in its {} weeks: there is nothing to draw seasons around",
            view.weeks.len()
        )));
    }
    Ok((events, data))
}

fn simulation_error(e: SimulationError) -> ApiError {
    match e {
        SimulationError::Engine(e @ EngineError::InvalidSeason(_)) => unprocessable(e.to_string()),
        SimulationError::Engine(e) => e.into(),
        other => ApiError::internal(other),
    }
}

/// Next season's safety stock, holdback, checkpoint week and markdown cap for a
/// completed season: each value tried on draws of demand centred on what the
/// season saw, with its mean gain over this season's setting and a 90%
/// interval; a change is recommended only when the whole interval gains. The
/// same answer as `atelier tune ID --draws N --seed S --json`.
#[utoipa::path(post, path = "/api/workflows/{id}/tune", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    request_body = TuneRequest,
    responses(
        (status = 200, description = "Each knob: its value now, the values tried with their gain, and the recommendation", body = TuneReport),
        (status = 400, description = "Invalid body (field named)", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The season is not completed", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The season cannot be simulated: its data set is gone, or it recorded no demand", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn tune(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<TuneRequest>,
) -> Result<Json<TuneReport>, ApiError> {
    let options = body.options();
    let _slot = TUNE_SLOTS.acquire().await.map_err(ApiError::internal)?;
    let report = state
        .read(move |s| {
            let view = completed(s, &id)?;
            let key = SimulationKey::new(&id, view.last_seq, options);
            s.simulations().tune(key, || {
                let (events, data) = simulation_inputs(s, &view)?;
                tune_season(&view, &events, data, options).map_err(simulation_error)
            })
        })
        .await?;
    Ok(Json(TuneReport::clone(&report)))
}

/// The planner's what-if on a completed season: their values for any of the
/// policy, safety stock or a first buy fixed in units, holdback, checkpoint
/// week and markdown cap (the others as the season had them), played on the
/// seasons `tune` draws around this one, beside the season's own settings on the
/// same seasons. Answers each one's gross margin at p10, p50 and p90 (each with
/// a 90% interval) and the paired gain. The draws and the season's own
/// settings are played once per season, draws and seed; every later question
/// plays only the planner's settings. The same answer as `atelier what-if`.
#[utoipa::path(post, path = "/api/workflows/{id}/what-if", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    request_body = WhatIfRequest,
    responses(
        (status = 200, description = "The spread of gross margin of the planner's settings and of the season's, on the same draws", body = atelier_engine::what_if::WhatIfReport),
        (status = 400, description = "A value outside its range (the field and value named): a checkpoint past the season's weeks, a first buy over ten times the forecast, safety stock as well as a first buy, ...", body = ErrorBody),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The season is not completed", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The season cannot be simulated: its data set is gone, or it recorded no demand", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn what_if(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<WhatIfRequest>,
) -> Result<Json<WhatIfReport>, ApiError> {
    let options = body.options();
    let asked = body.what_if();
    let _slot = WHAT_IF_SLOTS.acquire().await.map_err(ApiError::internal)?;
    let report = state
        .read(move |s| {
            let view = completed(s, &id)?;
            // The values are checked before anything is played.
            what_if::check(&view, &asked).map_err(what_if_error)?;
            let key = SimulationKey::new(&id, view.last_seq, options);
            let basis = s.simulations().basis(key, || {
                let (events, data) = simulation_inputs(s, &view)?;
                WhatIfBasis::prepare(&view, &events, data, options).map_err(simulation_error)
            })?;
            basis.ask(&asked).map_err(what_if_error)
        })
        .await?;
    Ok(Json(report))
}

fn what_if_error(e: WhatIfFailure) -> ApiError {
    match e {
        WhatIfFailure::Settings(e) => ApiError::field(e.field(), e.to_string()),
        WhatIfFailure::Simulation(e) => simulation_error(e),
    }
}

//! What-if in the browser (issue 18): `POST /api/workflows/{id}/tune` answers
//! what `atelier tune ID --json` prints for the same draws and seed, by calling
//! the same engine function ([`atelier_engine::tune::tune`]) on the same view,
//! log and data. It writes nothing.

use crate::auth::Viewer;
use crate::contract::request::TuneRequest;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{JsonBody, PathParams};
use crate::state::AppState;
use atelier_engine::simulate::SimulationError;
use atelier_engine::tune::{TuneReport, observed_demand, tune as tune_season};
use atelier_engine::{DataCatalog, EngineError, WorkflowState};
use axum::Json;
use axum::extract::State;
use tokio::sync::Semaphore;

/// What-ifs computed at once per server. One keeps a what-if from taking every
/// core of a small server from the seasons being played; the next request waits
/// for the slot rather than being refused (a what-if takes about a second).
pub const MAX_CONCURRENT_TUNES: usize = 1;

static TUNE_SLOTS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_TUNES);

fn unprocessable(message: String) -> ApiError {
    ApiError::Unprocessable {
        message,
        missing_parameters: Vec::new(),
        partial: None,
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
            let o = s.orchestrator();
            let view = o.view(&id)?;
            if view.state != WorkflowState::Completed {
                return Err(ApiError::Conflict(format!(
                    "workflow {id} is {} after {} of {} weeks: a what-if needs a completed season",
                    view.state.as_str(),
                    view.weeks.len(),
                    view.horizon()
                )));
            }
            let events = o.events(&id, 0, None)?;
            let data = s.catalog().load(&view.data).map_err(|e| {
                unprocessable(format!("workflow {id} cannot be simulated: {e}"))
            })?;
            if observed_demand(&events).iter().flatten().all(|units| *units == 0) {
                return Err(unprocessable(format!(
                    "workflow {id} recorded no demand in its {} weeks: there is nothing to draw seasons around",
                    view.weeks.len()
                )));
            }
            tune_season(&view, &events, data, options).map_err(|e| match e {
                SimulationError::Engine(e @ EngineError::InvalidSeason(_)) => {
                    unprocessable(e.to_string())
                }
                SimulationError::Engine(e) => e.into(),
                other => ApiError::internal(other),
            })
        })
        .await?;
    Ok(Json(report))
}

//! The read views of a season: forecast, allocation, markdowns, variance, report.
//!
//! Each answers 404 for an unknown workflow and 409 when the workflow exists but
//! has not reached the point that produces the view (no forecast before phase 1
//! ran, no report before the season completed).

use super::workflows::load_view;
use crate::auth::Viewer;
use crate::contract::views::{
    AllocationView, ForecastView, MarkdownsView, ReportView, StoreView, VarianceView,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::PathParams;
use crate::state::AppState;
use atelier_engine::store_season::{StoreSeasonError, store_season};
use atelier_engine::{DataCatalog, WorkflowState, WorkflowView};
use axum::Json;
use axum::extract::State;

fn not_yet(view: &WorkflowView, what: &str) -> ApiError {
    ApiError::Conflict(format!(
        "workflow {} has no {what} yet (state {})",
        view.workflow_id,
        view.state.as_str()
    ))
}

/// The demand forecast and the manufacturing order.
#[utoipa::path(get, path = "/api/workflows/{id}/forecast", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The forecast as first made and as revised, and the order", body = ForecastView),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not forecast yet", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn forecast(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
) -> Result<Json<ForecastView>, ApiError> {
    let (view, last_year_weekly) = state
        .read(move |s| {
            let view = s.orchestrator().view(&id)?;
            let last = last_year(s, &view);
            Ok((view, last))
        })
        .await?;
    let f = view
        .forecast
        .as_ref()
        .ok_or_else(|| not_yet(&view, "forecast"))?;
    Ok(Json(ForecastView {
        last_year_weekly,
        workflow_id: view.workflow_id.clone(),
        total_season_demand: f.total_season_demand,
        weekly_initial: f.weekly.clone(),
        weekly_current: view.forecast_weekly.clone(),
        interval: f.interval,
        manufacturing: view.order,
    }))
}

/// The category's units in the season's weeks a year earlier, from the season's
/// own data set. A data set that can no longer be loaded (pruned) leaves every
/// week unknown rather than failing the forecast it sits beside.
fn last_year(s: &AppState, view: &WorkflowView) -> Vec<Option<u64>> {
    let weeks = view.horizon();
    let p = &view.parameters;
    match s.catalog().load(&view.data) {
        Ok(data) => data.history.category(&view.category).map_or_else(
            || vec![None; weeks as usize],
            |c| c.same_weeks_last_year(p.season_start_date, weeks),
        ),
        Err(_) => vec![None; weeks as usize],
    }
}

/// The allocation: clusters, per-store shares and the stock position now.
#[utoipa::path(get, path = "/api/workflows/{id}/allocation", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The allocation, stock per store, units at the DC", body = AllocationView),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "Not allocated yet", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn allocation(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
) -> Result<Json<AllocationView>, ApiError> {
    let view = load_view(&state, id).await?;
    let allocation = view
        .allocation
        .clone()
        .ok_or_else(|| not_yet(&view, "allocation"))?;
    Ok(Json(AllocationView {
        workflow_id: view.workflow_id,
        allocation,
        stock: view.stock,
        dc_stock: view.dc_stock,
    }))
}

/// One store's page: its plan (cluster, share, allocation, launch shipment),
/// each week's sales beside its share of the forecast the week was played
/// against, its stock at the end of each week, replenishment, transfers in and
/// out, and the markdown it sold under; with its attributes from the season's
/// data set. Folded from the log as the season's own view is.
#[utoipa::path(get, path = "/api/workflows/{id}/stores/{store_id}", tag = "views",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("store_id" = String, Path, description = "Store id, as the allocation lists it (S001)"),
    ),
    responses(
        (status = 200, description = "The store's season so far", body = StoreView),
        (status = 404, description = "Unknown workflow, or no store of that id in the season (the id named)", body = ErrorBody),
        (status = 409, description = "Not allocated yet", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn store(
    State(state): State<AppState>,
    _: Viewer,
    PathParams((id, store_id)): PathParams<(String, String)>,
) -> Result<Json<StoreView>, ApiError> {
    state
        .read(move |s| {
            let view = s.orchestrator().view(&id)?;
            let events = s.orchestrator().events(&id, 0, None)?;
            let season = store_season(&events, &store_id).map_err(|e| match e {
                e @ StoreSeasonError::UnknownStore { .. } => ApiError::NotFound(e.to_string()),
                e @ StoreSeasonError::NotAllocated { .. } => ApiError::Conflict(e.to_string()),
                StoreSeasonError::Log(e) => ApiError::internal(e),
            })?;
            let attributes = s.catalog().load(&view.data).ok().and_then(|data| {
                data.stores
                    .stores()
                    .iter()
                    .find(|a| a.store_id == store_id)
                    .cloned()
            });
            Ok(Json(StoreView {
                season,
                attributes,
                currency: view.tunables.currency.clone(),
            }))
        })
        .await
}

/// The markdown checkpoint and what was proposed or applied (an empty list before
/// the checkpoint, or when markdowns are off).
#[utoipa::path(get, path = "/api/workflows/{id}/markdowns", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The checkpoint, its threshold, the markdown and why the check was skipped", body = MarkdownsView),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn markdowns(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
) -> Result<Json<MarkdownsView>, ApiError> {
    let view = load_view(&state, id).await?;
    let skipped = view
        .phases_skipped
        .iter()
        .find(|(p, _)| *p == WorkflowState::Phase4MarkdownCheck)
        .map(|(_, r)| r.clone());
    Ok(Json(MarkdownsView {
        checkpoint_week: view.parameters.markdown_checkpoint_week,
        threshold: view.parameters.markdown_threshold,
        markdowns: view.markdown.into_iter().collect(),
        skipped,
        workflow_id: view.workflow_id,
    }))
}

/// The weekly variance table (empty before week 1).
#[utoipa::path(get, path = "/api/workflows/{id}/variance", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The threshold and the weeks played", body = VarianceView),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn variance(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
) -> Result<Json<VarianceView>, ApiError> {
    let view = load_view(&state, id).await?;
    Ok(Json(VarianceView {
        workflow_id: view.workflow_id,
        threshold_pct: view.tunables.variance_threshold_pct,
        threshold_percent: view.tunables.variance_threshold_pct * 100.0,
        weeks: view.weeks,
    }))
}

/// The season report.
#[utoipa::path(get, path = "/api/workflows/{id}/report", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The season report and its weekly rows", body = ReportView),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
        (status = 409, description = "The season has not completed", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
) -> Result<Json<ReportView>, ApiError> {
    let view = load_view(&state, id).await?;
    let report = view
        .report
        .clone()
        .ok_or_else(|| not_yet(&view, "report"))?;
    Ok(Json(ReportView {
        workflow_id: view.workflow_id,
        report,
        weeks: view.weeks,
        markdown: view.markdown,
        approvals: view.answered_approvals,
    }))
}

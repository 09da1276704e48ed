//! The planner's list of seasons in one answer (issue 18): each season's name,
//! dates, category, policy, state, progress, the approval it waits for (with its
//! deadline) and its margin once reported. The dashboard's seasons list and its
//! approvals inbox read it instead of one request per season.

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::state::AppState;
use atelier_engine::event::ApprovalKind;
use atelier_engine::{WorkflowState, WorkflowView};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// At most this many seasons, the most recently changed first.
pub const MAX_SEASONS: usize = 500;

/// An approval a season waits for.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingApproval {
    /// The id to answer with.
    pub approval_id: String,
    /// What it is about.
    pub kind: ApprovalKind,
    /// Its deadline; null for none.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was asked (the season's last change).
    pub asked_at: DateTime<Utc>,
}

/// One season as the list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeasonRow {
    /// The workflow.
    pub workflow_id: String,
    /// A name in words: the category and its dates.
    pub name: String,
    /// The category.
    pub category: String,
    /// Its state.
    pub state: WorkflowState,
    /// First day of week 1.
    pub season_start_date: NaiveDate,
    /// Last day of the season.
    pub season_end_date: NaiveDate,
    /// Season length in weeks.
    pub horizon_weeks: u32,
    /// The decision policy (`seed` or `margin`).
    pub policy: String,
    /// Weeks recorded so far.
    pub weeks_played: u32,
    /// The approval it waits for, if any.
    pub pending_approval: Option<WaitingApproval>,
    /// Gross margin once the report has money figures.
    pub gross_margin: Option<f64>,
    /// ISO 4217 code of the margin.
    pub currency: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A season's name: "Women's Dresses · 2025-02-17 to 2025-05-11".
pub fn season_name(view: &WorkflowView) -> String {
    let p = &view.parameters;
    format!(
        "{} · {} to {}",
        view.category, p.season_start_date, p.season_end_date
    )
}

fn row(view: &WorkflowView, created_at: DateTime<Utc>, updated_at: DateTime<Utc>) -> SeasonRow {
    let report = view.report.as_ref();
    SeasonRow {
        workflow_id: view.workflow_id.clone(),
        name: season_name(view),
        category: view.category.clone(),
        state: view.state,
        season_start_date: view.parameters.season_start_date,
        season_end_date: view.parameters.season_end_date,
        horizon_weeks: view.parameters.forecast_horizon_weeks,
        policy: view.tunables.policy.to_string(),
        weeks_played: view.weeks.len() as u32,
        pending_approval: view.pending_approval.as_ref().map(|p| WaitingApproval {
            approval_id: p.approval_id.clone(),
            kind: p.kind,
            expires_at: p.expires_at,
            asked_at: updated_at,
        }),
        gross_margin: report
            .filter(|r| !r.currency.is_empty())
            .map(|r| r.gross_margin),
        currency: view.tunables.currency.clone(),
        created_at,
        updated_at,
    }
}

/// Every season with its name, dates, category, policy, state and the approval it
/// waits for, the most recently changed first.
#[utoipa::path(get, path = "/api/seasons", tag = "workflows",
    responses(
        (status = 200, description = "Seasons, the most recently changed first (at most 500)", body = Vec<SeasonRow>),
    ),
    security(("bearer" = [])))]
pub async fn seasons(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<Vec<SeasonRow>>, ApiError> {
    let rows = state
        .read(|s| {
            let mut list = s.store().list()?;
            list.sort_by_key(|w| std::cmp::Reverse(w.updated_at));
            list.truncate(MAX_SEASONS);
            let mut rows = Vec::with_capacity(list.len());
            for w in list {
                let view = s.orchestrator().view(&w.workflow_id)?;
                rows.push(row(&view, w.created_at, w.updated_at));
            }
            Ok(rows)
        })
        .await?;
    Ok(Json(rows))
}

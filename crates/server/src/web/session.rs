//! `GET /api/session`: who the caller is and what they may do, so a page shows
//! only the buttons its token may press (the API refuses the rest anyway).

use crate::auth::{Approve, Plan, Read, Viewer};
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// The caller as the server sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionDoc {
    /// The token's name (`anonymous` on a server without tokens).
    pub name: String,
    /// `viewer`, `planner` or `approver`; null on a server without tokens.
    pub role: Option<String>,
    /// Whether the server asks for tokens at all.
    pub tokens_required: bool,
    /// What the caller may do: `read`, `plan`, `approve`.
    pub permissions: Vec<String>,
}

/// Who the token belongs to and what it may do.
#[utoipa::path(get, path = "/api/session", tag = "service",
    responses(
        (status = 200, description = "The caller: name, role, permissions", body = SessionDoc),
    ),
    security(("bearer" = [])))]
pub async fn session(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<SessionDoc>, ApiError> {
    let caller = viewer.caller;
    let permissions = [
        (caller.require::<Read>().is_ok(), "read"),
        (caller.require::<Plan>().is_ok(), "plan"),
        (caller.require::<Approve>().is_ok(), "approve"),
    ]
    .into_iter()
    .filter(|(allowed, _)| *allowed)
    .map(|(_, name)| name.to_string())
    .collect();
    Ok(Json(SessionDoc {
        name: caller.name.clone(),
        role: caller.role.map(|r| r.to_string()),
        tokens_required: !state.config().is_open(),
        permissions,
    }))
}

//! Downloads of a season (issue 18): the xlsx workbook and each table as CSV,
//! built by [`crate::export`] from the workflow's view and its whole log.

use crate::auth::Viewer;
use crate::error::{ApiError, ErrorBody};
use crate::export::{TABLES, Table, csv, season_tables, workbook};
use crate::extract::PathParams;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The media type of an xlsx workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The season's tables and currency, read on the blocking pool.
async fn tables(state: &AppState, id: String) -> Result<(String, Vec<Table>, String), ApiError> {
    state
        .read(move |s| {
            let view = s.orchestrator().view(&id)?;
            let events = s.orchestrator().events(&id, 0, None)?;
            let currency = view.tunables.currency.clone();
            Ok((id, season_tables(&view, &events), currency))
        })
        .await
}

fn attachment(content_type: &'static str, name: &str, body: Vec<u8>) -> Response {
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    // Ids are [A-Za-z0-9_-]; anything else is left out of the file name.
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// The season as an xlsx workbook: sheets summary, weeks, stores, approvals (who
/// answered) and timeline, with number formats.
#[utoipa::path(get, path = "/api/workflows/{id}/export.xlsx", tag = "views",
    params(("id" = String, Path, description = "Workflow id")),
    responses(
        (status = 200, description = "The workbook", body = String, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "Unknown workflow", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn xlsx(
    State(state): State<AppState>,
    _: Viewer,
    PathParams(id): PathParams<String>,
) -> Result<Response, ApiError> {
    let (id, tables, currency) = tables(&state, id).await?;
    let bytes = workbook(&tables, &currency).map_err(ApiError::internal)?;
    Ok(attachment(XLSX, &format!("season-{id}.xlsx"), bytes))
}

/// One table of the season as CSV: `summary`, `weeks`, `stores`, `approvals` or
/// `timeline` (text that could read as a formula is escaped with an apostrophe).
#[utoipa::path(get, path = "/api/workflows/{id}/export/{table}", tag = "views",
    params(
        ("id" = String, Path, description = "Workflow id"),
        ("table" = String, Path, description = "summary, weeks, stores, approvals or timeline"),
    ),
    responses(
        (status = 200, description = "The table as CSV", body = String, content_type = "text/csv"),
        (status = 404, description = "Unknown workflow or table", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn table_csv(
    State(state): State<AppState>,
    _: Viewer,
    PathParams((id, table)): PathParams<(String, String)>,
) -> Result<Response, ApiError> {
    if !TABLES.contains(&table.as_str()) {
        return Err(ApiError::NotFound(format!(
            "no table '{table}'; tables: {}",
            TABLES.join(", ")
        )));
    }
    let (id, tables, _) = tables(&state, id).await?;
    let Some(t) = tables.iter().find(|t| t.name == table) else {
        return Err(ApiError::NotFound(format!("no table '{table}'")));
    };
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("{table}-{id}.csv"),
        csv(t).into_bytes(),
    ))
}

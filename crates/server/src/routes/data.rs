//! Data resources: the stores and categories of the current data set, the store
//! clusters, and CSV uploads that replace the data set for new workflows.

use crate::auth::{Caller, Permission};
use crate::body::{CsvFileForm, CsvUpload};
use crate::catalog::DatasetSummary;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use atelier_core::inventory::cluster_stores;
use atelier_core::plan::CLUSTER_SEED;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// The stores of the current data set.
#[utoipa::path(get, path = "/api/stores", tag = "data",
    responses(
        (status = 200, description = "dataset and stores with their attributes", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn stores(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    state
        .read(|s| {
            let data = s.catalog().current_data().map_err(ApiError::internal)?;
            Ok(Json(json!({
                "dataset": s.catalog().current(),
                "stores": data.stores.stores(),
            })))
        })
        .await
}

/// The stores clustered as Inventory clusters them (seeded k-means++).
#[utoipa::path(get, path = "/api/stores/clusters", tag = "data",
    responses(
        (status = 200, description = "clusters: name and store ids, inertia", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn clusters(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    state
        .read(|s| {
            let data = s.catalog().current_data().map_err(ApiError::internal)?;
            let clusters = cluster_stores(&data.stores, CLUSTER_SEED);
            let list: Vec<Value> = clusters
                .names
                .iter()
                .map(|name| {
                    let ids: Vec<&str> = clusters
                        .members(*name)
                        .into_iter()
                        .filter_map(|i| data.stores.stores().get(i))
                        .map(|st| st.store_id.as_str())
                        .collect();
                    json!({"cluster": name, "store_count": ids.len(), "stores": ids})
                })
                .collect();
            Ok(Json(json!({
                "dataset": s.catalog().current(),
                "seed": CLUSTER_SEED,
                "inertia": clusters.inertia,
                "clusters": list,
            })))
        })
        .await
}

/// The categories of the current sales history.
#[utoipa::path(get, path = "/api/categories", tag = "data",
    responses(
        (status = 200, description = "categories: name, units, revenue, last_date", body = Object),
        (status = 401, description = "No or unknown token", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn categories(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Read)?;
    state
        .read(|s| {
            let data = s.catalog().current_data().map_err(ApiError::internal)?;
            let list: Vec<Value> = data
                .history
                .categories
                .iter()
                .map(|(name, c)| {
                    json!({"name": name, "units": c.units, "revenue": c.revenue, "last_date": c.last_date()})
                })
                .collect();
            Ok(Json(json!({
                "dataset": s.catalog().current(),
                "categories": list,
            })))
        })
        .await
}

/// Uploads a sales history CSV (`date,store_id,category,quantity_sold,revenue`);
/// it becomes the current data set for new workflows.
#[utoipa::path(post, path = "/api/data/historical-sales", tag = "data",
    request_body(description = "date,store_id,category,quantity_sold,revenue: the body as text/csv, or the file of a multipart form (the part named `file`, else the first part with a file name)",
        content((String = "text/csv"), (inline(CsvFileForm) = "multipart/form-data"))),
    responses(
        (status = 201, description = "The new data set", body = DatasetSummary),
        (status = 400, description = "Invalid CSV (line and field named), broken multipart body, or no file part (field `file`)", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor multipart/form-data", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn upload_sales(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<CsvUpload, ApiError>,
) -> Result<(axum::http::StatusCode, Json<DatasetSummary>), ApiError> {
    caller.require(Permission::Plan)?;
    let CsvUpload(body) = body?;
    let summary = state.read(move |s| s.catalog().upload_sales(&body)).await?;
    Ok((axum::http::StatusCode::CREATED, Json(summary)))
}

/// Uploads a store attributes CSV; the current history must fit it.
#[utoipa::path(post, path = "/api/data/stores", tag = "data",
    request_body(description = "The store attributes file: the body as text/csv, or the file of a multipart form (the part named `file`, else the first part with a file name)",
        content((String = "text/csv"), (inline(CsvFileForm) = "multipart/form-data"))),
    responses(
        (status = 201, description = "The new data set", body = DatasetSummary),
        (status = 400, description = "Invalid CSV (line and field named), broken multipart body, or no file part (field `file`)", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Neither text/csv nor multipart/form-data", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn upload_stores(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<CsvUpload, ApiError>,
) -> Result<(axum::http::StatusCode, Json<DatasetSummary>), ApiError> {
    caller.require(Permission::Plan)?;
    let CsvUpload(body) = body?;
    let summary = state
        .read(move |s| s.catalog().upload_stores(&body))
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(summary)))
}

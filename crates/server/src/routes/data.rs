//! Data resources: the stores and categories of the current data set, the store
//! clusters, and CSV uploads that replace the data set for new workflows.

use crate::auth::{Planner, Viewer};
use crate::catalog::DatasetSummary;
use crate::contract::views::{
    CategoriesView, CategorySummary, ClustersView, StoreCluster, StoresView,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{CsvFileForm, CsvUpload};
use crate::state::AppState;
use atelier_core::inventory::cluster_stores;
use atelier_core::plan::CLUSTER_SEED;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// The stores of the current data set.
#[utoipa::path(get, path = "/api/stores", tag = "data",
    responses(
        (status = 200, description = "The data set and its stores with their attributes", body = StoresView),
    ),
    security(("bearer" = [])))]
pub async fn stores(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<StoresView>, ApiError> {
    state
        .read(|s| {
            let (dataset, data) = s.catalog().current_data()?;
            Ok(Json(StoresView {
                dataset,
                stores: data.stores.stores().to_vec(),
            }))
        })
        .await
}

/// The stores clustered as Inventory clusters them (seeded k-means++).
#[utoipa::path(get, path = "/api/stores/clusters", tag = "data",
    responses(
        (status = 200, description = "The clusters with their stores, and the inertia", body = ClustersView),
    ),
    security(("bearer" = [])))]
pub async fn clusters(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<ClustersView>, ApiError> {
    state
        .read(|s| {
            let (dataset, data) = s.catalog().current_data()?;
            let clusters = cluster_stores(&data.stores, CLUSTER_SEED);
            let list = clusters
                .names
                .iter()
                .map(|name| {
                    let ids: Vec<String> = clusters
                        .members(*name)
                        .into_iter()
                        .filter_map(|i| data.stores.stores().get(i))
                        .map(|st| st.store_id.clone())
                        .collect();
                    StoreCluster {
                        cluster: *name,
                        store_count: ids.len(),
                        stores: ids,
                    }
                })
                .collect();
            Ok(Json(ClustersView {
                dataset,
                seed: CLUSTER_SEED,
                inertia: clusters.inertia,
                clusters: list,
            }))
        })
        .await
}

/// The categories of the current sales history.
#[utoipa::path(get, path = "/api/categories", tag = "data",
    responses(
        (status = 200, description = "The categories with their units, revenue and last day", body = CategoriesView),
    ),
    security(("bearer" = [])))]
pub async fn categories(
    State(state): State<AppState>,
    _: Viewer,
) -> Result<Json<CategoriesView>, ApiError> {
    state
        .read(|s| {
            let (dataset, data) = s.catalog().current_data()?;
            let list = data
                .history
                .categories
                .iter()
                .map(|(name, c)| CategorySummary {
                    name: name.clone(),
                    units: c.units,
                    revenue: c.revenue,
                    last_date: c.last_date(),
                })
                .collect();
            Ok(Json(CategoriesView {
                dataset,
                categories: list,
            }))
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
    _: Planner,
    CsvUpload(body): CsvUpload,
) -> Result<(StatusCode, Json<DatasetSummary>), ApiError> {
    let summary = state.read(move |s| s.catalog().upload_sales(&body)).await?;
    Ok((StatusCode::CREATED, Json(summary)))
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
    _: Planner,
    CsvUpload(body): CsvUpload,
) -> Result<(StatusCode, Json<DatasetSummary>), ApiError> {
    let summary = state
        .read(move |s| s.catalog().upload_stores(&body))
        .await?;
    Ok((StatusCode::CREATED, Json(summary)))
}

//! The route list: each handler is registered once, with `routes!`, which takes
//! its method and path from the handler's `#[utoipa::path]` annotation and adds
//! the operation to the OpenAPI document at the same time. A route cannot be
//! served undocumented, nor documented unserved.

pub mod data;
pub mod export;
pub mod meta;
pub mod parameters;
pub mod seasons;
pub mod tune;
pub mod views;
pub mod workflows;

use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;
use axum::Router;
use axum::http::Method;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The routes and the OpenAPI document describing them, built together.
pub fn api() -> (Router<AppState>, OpenApi) {
    let (router, document) = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(meta::healthz))
        .routes(routes!(meta::metrics))
        .routes(routes!(meta::openapi_json))
        .routes(routes!(workflows::list, workflows::create))
        .routes(routes!(seasons::seasons))
        .routes(routes!(workflows::show))
        .routes(routes!(workflows::events))
        .routes(routes!(meta::stream))
        .routes(routes!(workflows::approve))
        .routes(routes!(workflows::actuals))
        .routes(routes!(workflows::reforecast))
        .routes(routes!(workflows::resume))
        .routes(routes!(workflows::play))
        .routes(routes!(views::forecast))
        .routes(routes!(views::allocation))
        .routes(routes!(views::store))
        .routes(routes!(views::markdowns))
        .routes(routes!(views::variance))
        .routes(routes!(views::report))
        .routes(routes!(tune::tune))
        .routes(routes!(tune::what_if))
        .routes(routes!(export::xlsx))
        .routes(routes!(export::table_csv))
        .routes(routes!(data::stores))
        .routes(routes!(data::clusters))
        .routes(routes!(data::categories))
        .routes(routes!(data::upload_sales))
        .routes(routes!(data::upload_stores))
        .routes(routes!(parameters::extract))
        .routes(routes!(crate::web::session::session))
        .split_for_parts();
    let router = router
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|method: Method| async move {
            ApiError::MethodNotAllowed(method.to_string())
        });
    (router, openapi::finish(document))
}

/// The routes, unlayered and without state.
pub fn router() -> Router<AppState> {
    api().0
}

/// Every (method, path) served, in the OpenAPI path syntax.
pub fn served_routes() -> Vec<(Method, String)> {
    let (_, document) = api();
    let mut routes = Vec::new();
    for (path, item) in document.paths.paths {
        for (method, op) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::DELETE, &item.delete),
            (Method::PATCH, &item.patch),
        ] {
            if op.is_some() {
                routes.push((method, path.clone()));
            }
        }
    }
    routes
}

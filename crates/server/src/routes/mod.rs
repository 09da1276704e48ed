//! The route table: one list of (method, path, handler) from which the router is
//! built, so the routes served can be listed and checked against the OpenAPI
//! document.

pub mod data;
pub mod meta;
pub mod parameters;
pub mod workflows;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, MethodRouter};

/// A router that remembers what it serves.
struct Table {
    router: Router<AppState>,
    routes: Vec<(Method, &'static str)>,
}

impl Table {
    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Table
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = if method == Method::POST {
            MethodFilter::POST
        } else {
            MethodFilter::GET
        };
        self.routes.push((method, path));
        self.router = self
            .router
            .route(path, MethodRouter::new().on(filter, handler));
        self
    }
}

fn table() -> Table {
    use Method as M;
    Table {
        router: Router::new(),
        routes: Vec::new(),
    }
    .add(M::GET, "/healthz", meta::healthz)
    .add(M::GET, "/metrics", meta::metrics)
    .add(M::GET, "/api/openapi.json", meta::openapi_json)
    .add(M::GET, "/api/workflows", workflows::list)
    .add(M::POST, "/api/workflows", workflows::create)
    .add(M::GET, "/api/workflows/{id}", workflows::show)
    .add(M::GET, "/api/workflows/{id}/events", workflows::events)
    .add(M::GET, "/api/workflows/{id}/stream", meta::stream)
    .add(
        M::POST,
        "/api/workflows/{id}/approvals/{approval_id}",
        workflows::approve,
    )
    .add(M::POST, "/api/workflows/{id}/actuals", workflows::actuals)
    .add(
        M::POST,
        "/api/workflows/{id}/reforecast",
        workflows::reforecast,
    )
    .add(M::POST, "/api/workflows/{id}/resume", workflows::resume)
    .add(M::POST, "/api/workflows/{id}/play", workflows::play)
    .add(M::GET, "/api/workflows/{id}/forecast", workflows::forecast)
    .add(
        M::GET,
        "/api/workflows/{id}/allocation",
        workflows::allocation,
    )
    .add(
        M::GET,
        "/api/workflows/{id}/markdowns",
        workflows::markdowns,
    )
    .add(M::GET, "/api/workflows/{id}/variance", workflows::variance)
    .add(M::GET, "/api/workflows/{id}/report", workflows::report)
    .add(M::GET, "/api/stores", data::stores)
    .add(M::GET, "/api/stores/clusters", data::clusters)
    .add(M::GET, "/api/categories", data::categories)
    .add(M::POST, "/api/data/historical-sales", data::upload_sales)
    .add(M::POST, "/api/data/stores", data::upload_stores)
    .add(M::POST, "/api/parameters/extract", parameters::extract)
    .add(M::GET, "/api/session", crate::web::session::session)
}

/// Every (method, path) the router serves, in the OpenAPI path syntax.
pub fn served_routes() -> Vec<(Method, &'static str)> {
    table().routes
}

/// The routes, unlayered and without state.
pub fn router() -> Router<AppState> {
    table()
        .router
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::NotFound("no such route for this method".into())
        })
}

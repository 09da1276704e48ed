//! What every request passes before it is routed, and what every error response
//! passes on its way out:
//!
//! - [`guard`]: a request line or headers larger than the server reads (414,
//!   431), or a declared body over the limit (413), is refused before anything
//!   is read; the per-address rate limit and authentication back-off apply here;
//! - [`json_errors`]: an error response that is not JSON (one of the framework's
//!   own) is given the body every other error has.

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// The peer's address, when the server was started by [`crate::serve`] (a router
/// served another way has none, and then per-address limits do not apply).
pub fn peer(req: &Request) -> Option<SocketAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// Refuses what is too large to read, and callers over their rate, before
/// routing.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match check(&state, &req) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check(state: &AppState, req: &Request) -> Result<(), ApiError> {
    let limits = &state.config().limits;
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > limits.max_uri_bytes {
        return Err(ApiError::UriTooLong(limits.max_uri_bytes));
    }
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        return Err(ApiError::HeadersTooLarge(limits.max_header_bytes));
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.config().max_body_bytes as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    if let Some(addr) = peer(req) {
        let presented = crate::auth::presented_token(req.headers(), req.uri())
            .map(|t| crate::config::sha256(&t));
        state.throttle().admit_address(addr.ip(), presented)?;
    }
    Ok(())
}

/// Gives a framework's error response (plain text or empty) the JSON body of
/// every other error, keeping its status and headers.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let error = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_lowercase()
    } else {
        text
    };
    let body = ErrorBody::message(error);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(bytes))
}

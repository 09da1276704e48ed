//! The planner's dashboard: the web page `atelier serve` answers at `/`.
//!
//! Design: one HTML shell rendered once per process (the shipped parameter files and
//! scenarios are written into it as JSON, so the page needs no extra request for
//! them) and a few vanilla ES modules and a stylesheet, all embedded in the binary
//! with `include_str!`. The page reads everything else through the public API and
//! the WebSocket stream, exactly as any other client: the dashboard has no
//! privileged path into the engine. No build step, no framework, no request to any
//! other host (the Content-Security-Policy says so to the browser too).
//!
//! [`session`] adds one API route, `GET /api/session`, so the page knows which
//! buttons the caller's role may press.

mod assets;
pub mod session;

use crate::state::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;

/// What the page may load and connect to: this origin only (WebSocket included),
/// no inline script, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// The page routes: the shell at `/` and the embedded assets under `/assets/`.
/// They are not part of the API (nor of its OpenAPI document) and need no token:
/// the page holds no data, it asks the API for it with the token the planner
/// signs in with.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(shell))
        .route("/assets/{name}", get(asset))
        // gzip or brotli, as the browser accepts (issue 18: first loads were
        // 223–256 KB of uncompressed text).
        .layer(CompressionLayer::new())
}

async fn shell(headers: HeaderMap) -> Response {
    let page = assets::shell();
    respond(
        &headers,
        "text/html; charset=utf-8",
        page.body.as_bytes(),
        &page.etag,
    )
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match assets::find(&name) {
        Some(a) => respond(&headers, a.content_type, a.body.as_bytes(), &a.etag()),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// The body with its validator: a browser revalidates (`no-cache`) and gets a 304
/// while the binary is unchanged, so a new release is never served stale.
fn respond(
    headers: &HeaderMap,
    content_type: &'static str,
    body: &'static [u8],
    etag: &str,
) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| given.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

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
        // Outside the compression, so it sees the encoding chosen.
        .layer(axum::middleware::map_response(tag_encoding))
}

/// The encodings the compression layer may choose, as `Content-Encoding` names them.
const ENCODINGS: [&str; 4] = ["gzip", "br", "deflate", "zstd"];

/// A compressed body is another representation of the resource, so it gets
/// another strong validator (`"<tag>-gzip"`): a cache holding the gzip bytes must
/// not have them confirmed by a request that would be answered uncompressed, nor
/// the other way round (RFC 9110 §8.8.3).
async fn tag_encoding(mut response: Response) -> Response {
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .filter(|e| ENCODINGS.contains(e))
        .map(str::to_owned);
    let tagged = encoding.and_then(|e| {
        let tag = response.headers().get(header::ETAG)?.to_str().ok()?;
        HeaderValue::from_str(&encoded_etag(tag, &e)).ok()
    });
    if let Some(v) = tagged {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// `"abc"` for `encoding` gzip: `"abc-gzip"`.
fn encoded_etag(etag: &str, encoding: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) => format!("{open}-{encoding}\""),
        None => format!("{etag}-{encoding}"),
    }
}

/// The `If-None-Match` token that names this resource, in any of its encodings.
/// A 304 answers with that token: it confirms the representation the client has.
fn matching_tag<'a>(if_none_match: &'a str, etag: &str) -> Option<&'a str> {
    if_none_match.split(',').map(str::trim).find(|given| {
        *given == etag
            || ENCODINGS
                .iter()
                .any(|e| *given == encoded_etag(etag, e).as_str())
    })
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
    let matched = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .and_then(|given| matching_tag(given, etag));
    let mut response = if matched.is_some() {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    // A 200 carries the identity tag (suffixed by `tag_encoding` when it is
    // compressed); a 304 has no body to compress and echoes the tag it matched.
    if let Ok(v) = HeaderValue::from_str(matched.unwrap_or(etag)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_has_its_own_tag_and_a_304_echoes_the_one_matched() {
        assert_eq!(encoded_etag("\"abc\"", "br"), "\"abc-br\"");
        assert_eq!(matching_tag("\"abc\"", "\"abc\""), Some("\"abc\""));
        assert_eq!(
            matching_tag("\"x\", \"abc-gzip\"", "\"abc\""),
            Some("\"abc-gzip\"")
        );
        assert_eq!(matching_tag("\"abc-lzma\"", "\"abc\""), None);
        assert_eq!(matching_tag("\"abcd\"", "\"abc\""), None);
    }
}

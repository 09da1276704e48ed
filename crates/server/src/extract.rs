//! The server's edge: extractors that turn a request into typed values, so that
//! handlers never parse by hand and every rejection is an [`ApiError`] naming the
//! field by its path (`parameters.dc_holdback_percentage`) or the line.
//!
//! - [`JsonBody`]: a JSON body deserialized into a request type that refuses
//!   unknown fields; the field path comes from `serde_path_to_error`, a missing
//!   required field is named from the type's own OpenAPI schema (the same
//!   declaration the document shows), never from serde's message text;
//! - [`QueryParams`] and [`PathParams`]: the query string and the path segments,
//!   the same way;
//! - [`CsvUpload`]: a CSV as `text/csv` or as the file of a multipart form.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::error::Category;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::PartialSchema;
use utoipa::openapi::{RefOr, Schema};

/// Largest JSON body accepted (bytes), whatever `max_body_bytes` says: the
/// longest JSON request (a planner's 20,000-character description) fits many
/// times over, and a larger body is refused from its `Content-Length` before it
/// is read.
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// How much body a request may send, and how long it may take: put in the
/// request's extensions by the application (defaults when absent).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body, bytes.
    pub max_bytes: usize,
    /// Longest a handler waits for the whole body.
    pub read_timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
            read_timeout: Duration::from_secs(30),
        }
    }
}

impl BodyLimits {
    /// The limits of `req`.
    fn of(req: &Request) -> BodyLimits {
        req.extensions()
            .get::<BodyLimits>()
            .copied()
            .unwrap_or_default()
    }

    /// Reads with `read` within the time allowed, else a 408.
    async fn within<T>(
        self,
        read: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        tokio::time::timeout(self.read_timeout, read)
            .await
            .map_err(|_| ApiError::BodyTimeout(self.read_timeout.as_secs()))?
    }
}

/// A JSON body deserialized into `T`.
///
/// The request must say `Content-Type: application/json` (parameters such as
/// `charset` allowed, any case); anything else, or none, is a 415 before the body
/// is read. A web page can send `text/plain` (or a form) to another site without
/// a CORS preflight, but not `application/json`: requiring it keeps other sites'
/// pages from posting JSON to a server on this machine. An empty body reads as
/// `{}` (so that it is refused naming the first required field).
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned + PartialSchema,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = content_type(&req);
        if essence(media.as_deref()).as_deref() != Some("application/json") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "unsupported Content-Type {}: send the body as application/json",
                shown(media)
            )));
        }
        let limits = BodyLimits::of(&req);
        let max = MAX_JSON_BODY_BYTES.min(limits.max_bytes);
        refuse_declared_length(&req, max)?;
        let bytes = limits
            .within(async { Ok(Bytes::from_request(req, state).await?) })
            .await?;
        if bytes.len() > max {
            return Err(ApiError::PayloadTooLarge);
        }
        parse_json(&bytes).map(JsonBody)
    }
}

/// Refuses a request whose declared `Content-Length` is over `limit` before a
/// byte of its body is read.
pub fn refuse_declared_length(req: &Request, limit: usize) -> Result<(), ApiError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(ApiError::PayloadTooLarge),
        _ => Ok(()),
    }
}

/// Parses a JSON body into `T`; errors name the field by its path.
pub fn parse_json<T: DeserializeOwned + PartialSchema>(bytes: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error::<T>(e, text))?;
    de.end().map_err(|e| syntax_error(&e))?;
    Ok(value)
}

/// A body that is not JSON at all.
fn syntax_error(e: &serde_json::Error) -> ApiError {
    ApiError::BadRequest {
        message: format!("the body is not valid JSON: {e}"),
        field: None,
        line: Some(e.line() as u64),
        fields: Vec::new(),
    }
}

/// Maps a deserialization error to a 400 naming its field.
fn json_error<T: PartialSchema>(
    e: serde_path_to_error::Error<serde_json::Error>,
    text: &[u8],
) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    // serde_json reports some type mismatches (`true` where an enum's string is
    // expected) as syntax errors: a body that is valid JSON has a data problem.
    let valid_json = serde_json::from_slice::<IgnoredAny>(text).is_ok();
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io if !valid_json => syntax_error(&inner),
        _ => {
            let Ok(keys) = serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(text) else {
                return ApiError::bad("the body must be a JSON object");
            };
            if path == "." {
                // A missing field is reported by serde at the object that lacks it:
                // the object's schema says which fields it needs.
                if let Some(missing) = required_fields::<T>()
                    .into_iter()
                    .find(|f| !keys.contains_key(f))
                {
                    return ApiError::field(missing.clone(), format!("'{missing}' is required"));
                }
            }
            ApiError::field(path.clone(), format!("'{path}': {inner}"))
        }
    }
}

/// The required properties of `T`'s (object) schema.
fn required_fields<T: PartialSchema>() -> Vec<String> {
    match T::schema() {
        RefOr::T(Schema::Object(object)) => object.required,
        _ => Vec::new(),
    }
}

/// The query string deserialized into `T`; an invalid value is a 400 naming its
/// parameter. Parameters `T` does not name are ignored (a cache-busting `_=` from
/// a browser must not fail a read).
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." { None } else { Some(path) };
                ApiError::BadRequest {
                    message: format!(
                        "invalid query{}: {}",
                        field
                            .as_deref()
                            .map(|f| format!(" parameter '{f}'"))
                            .unwrap_or_default(),
                        e.inner()
                    ),
                    field,
                    line: None,
                    fields: Vec::new(),
                }
            })
    }
}

/// The path's segments deserialized into `T`; a segment that cannot be read (not
/// UTF-8 once percent-decoded, say) is a 400 rather than axum's plain text.
pub struct PathParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|r: PathRejection| {
                ApiError::field("path", format!("invalid path: {}", r.body_text()))
            })
    }
}

/// The request's `Content-Type`, as text.
fn content_type(req: &Request) -> Option<String> {
    req.headers()
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// A media type without its parameters, lower-cased (`Text/CSV; charset=utf-8`
/// gives `text/csv`).
fn essence(media: Option<&str>) -> Option<String> {
    media.map(|m| {
        m.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// A content type as a 415 names it.
fn shown(media: Option<String>) -> String {
    media.map_or_else(|| "(none)".to_string(), |m| format!("'{m}'"))
}

/// The content types a CSV upload is accepted as, as a 415 names them.
pub const CSV_CONTENT_TYPES: &str = "text/csv or multipart/form-data";

/// A CSV upload as a multipart form: the file in a part named `file` (failing
/// that, the first part with a file name); other parts are ignored.
// Only the OpenAPI schema: [`CsvUpload`] reads the form.
#[derive(utoipa::ToSchema)]
pub struct CsvFileForm {
    /// The CSV file.
    #[schema(content_media_type = "text/csv")]
    pub file: String,
}

/// A CSV upload: the body of a `text/csv` request, or the file of a
/// `multipart/form-data` one (the part named `file`, else the first part with a
/// file name). Both give the same bytes to the same reader, so a file is checked,
/// refused or recorded the same way however it was sent. The body limit applies to
/// the whole request either way (413); any other content type is a 415.
pub struct CsvUpload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for CsvUpload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = content_type(&req);
        let limits = BodyLimits::of(&req);
        match essence(media.as_deref()).as_deref() {
            Some("text/csv") => {
                refuse_declared_length(&req, limits.max_bytes)?;
                limits
                    .within(async { Ok(CsvUpload(Bytes::from_request(req, state).await?)) })
                    .await
            }
            Some("multipart/form-data") => {
                refuse_declared_length(&req, limits.max_bytes)?;
                let multipart = Multipart::from_request(req, state).await?;
                limits.within(file_part(multipart)).await.map(CsvUpload)
            }
            _ => Err(ApiError::UnsupportedMediaType(format!(
                "unsupported Content-Type {}: send the CSV as {CSV_CONTENT_TYPES} (a part named 'file')",
                shown(media)
            ))),
        }
    }
}

/// Reads the whole multipart body and keeps the file: the part named `file`, else
/// the first part with a file name. Every part is read to the closing boundary, so
/// a body truncated anywhere is refused before anything is done with the file.
async fn file_part(mut multipart: Multipart) -> Result<Bytes, ApiError> {
    let mut named: Option<Bytes> = None;
    let mut first_file: Option<Bytes> = None;
    while let Some(field) = multipart.next_field().await? {
        let is_named = field.name() == Some("file");
        let has_file_name = field.file_name().is_some();
        let bytes = field.bytes().await?;
        if is_named && named.is_none() {
            named = Some(bytes);
        } else if has_file_name && first_file.is_none() {
            first_file = Some(bytes);
        }
    }
    named.or(first_file).ok_or_else(|| {
        ApiError::field(
            "file",
            "the multipart body has no file part: send the CSV as a part named 'file'",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        level: u32,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Demand,
    }

    fn field_of(text: &str) -> Option<String> {
        match parse_json::<Outer>(text.as_bytes()) {
            Err(ApiError::BadRequest { field, .. }) => field,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field_by_its_path() {
        assert_eq!(
            field_of(r#"{"inner": {"level": 1}}"#).as_deref(),
            Some("name")
        );
        assert_eq!(field_of("").as_deref(), Some("name"));
        assert_eq!(field_of(r#"{"name": 3}"#).as_deref(), Some("name"));
        assert_eq!(
            field_of(r#"{"name": "a", "inner": {"level": 1e29}}"#).as_deref(),
            Some("inner.level")
        );
        assert_eq!(
            field_of(r#"{"name": "a", "inner": {"level": 1, "colour": 2}}"#).as_deref(),
            Some("inner.colour")
        );
        assert_eq!(
            field_of(r#"{"name": "a", "extra": 1}"#).as_deref(),
            Some("extra")
        );
        assert_eq!(field_of(r#"{"name": "a"} x"#), None);
        assert_eq!(field_of("[1]"), None);
        // serde_json calls this one a syntax error; the body is valid JSON.
        assert_eq!(
            field_of(r#"{"name": "a", "kind": true}"#).as_deref(),
            Some("kind")
        );
        assert_eq!(field_of(r#"{"name": "#), None);
    }
}

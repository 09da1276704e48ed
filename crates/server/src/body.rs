//! Request bodies and queries read by hand, so that every rejection is an
//! [`ApiError`] naming the field or line (axum's default rejections are plain text).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A JSON object body whose fields are taken one by one, each error naming its field.
///
/// The request must say `Content-Type: application/json` (parameters such as
/// `charset` allowed, any case); anything else, or none, is a 415 before the body
/// is read. A web page can send `text/plain` (or a form) to another site without
/// a CORS preflight, but not `application/json`: requiring it keeps other sites'
/// pages from posting JSON to a server on this machine.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = content_type(&req);
        if essence(media.as_deref()).as_deref() != Some("application/json") {
            return Err(ApiError::UnsupportedMediaType(format!(
                "unsupported Content-Type {}: send the body as application/json",
                shown(media)
            )));
        }
        let bytes = Bytes::from_request(req, state).await?;
        JsonBody::parse(&bytes)
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

impl JsonBody {
    /// Parses bytes as a JSON object; an empty body is an empty object.
    pub fn parse(bytes: &[u8]) -> Result<JsonBody, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Map::new()));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(JsonBody(map)),
            Ok(_) => Err(ApiError::bad("the body must be a JSON object")),
            Err(e) => Err(ApiError::BadRequest {
                message: format!("the body is not valid JSON: {e}"),
                field: None,
                line: Some(e.line() as u64),
                fields: Vec::new(),
            }),
        }
    }

    /// Refuses fields the endpoint does not know (a typo should not pass silently).
    pub fn deny_unknown(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(ApiError::field(
                k.clone(),
                format!(
                    "unknown field '{k}'; expected one of {}",
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }

    /// A required field.
    pub fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, ApiError> {
        self.take_opt(name)?
            .ok_or_else(|| ApiError::field(name, format!("'{name}' is required")))
    }

    /// An optional field (absent or null gives `None`).
    pub fn take_opt<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, ApiError> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| ApiError::field(name, format!("'{name}': {e}"))),
        }
    }

    /// A field kept as raw JSON.
    pub fn take_raw(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name).filter(|v| !v.is_null())
    }
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
        match essence(media.as_deref()).as_deref() {
            Some("text/csv") => Ok(CsvUpload(Bytes::from_request(req, state).await?)),
            Some("multipart/form-data") => {
                let multipart = Multipart::from_request(req, state).await?;
                file_part(multipart).await.map(CsvUpload)
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

/// An optional unsigned number from the query string.
pub fn query_u64(query: &HashMap<String, String>, name: &str) -> Result<Option<u64>, ApiError> {
    match query.get(name) {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            ApiError::field(
                name,
                format!("'{name}' must be a non-negative integer, got '{v}'"),
            )
        }),
    }
}

//! Request bodies and queries read by hand, so that every rejection is an
//! [`ApiError`] naming the field or line (axum's default rejections are plain text).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A JSON object body whose fields are taken one by one, each error naming its field.
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await?;
        JsonBody::parse(&bytes)
    }
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

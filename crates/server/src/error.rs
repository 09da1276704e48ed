//! One error type for every handler, mapped to an HTTP response in one place. A
//! 4xx names what the caller can fix (field, line); a 500 names nothing but an id
//! that is also in the server's log, so internals never leak.

use atelier_core::data::DataError;
use atelier_core::params::ParamError;
use atelier_engine::store::StoreError;
use atelier_engine::{EngineError, ErrorClass};
use atelier_llm::ExtractError;
use axum::Json;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use utoipa::ToSchema;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body, a CSV or a query is invalid; nothing was changed.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// The field path (`parameters.dc_holdback_percentage`, `quantity_sold`).
        field: Option<String>,
        /// The 1-based line of a CSV or JSON body.
        line: Option<u64>,
        /// Every field error when several were found at once.
        fields: Vec<FieldProblem>,
    },
    /// The request is well-formed but lacks information the server cannot guess:
    /// a planner's description that leaves parameters unsaid.
    #[error("{message}")]
    Unprocessable {
        /// What is missing, in words.
        message: String,
        /// The parameters the text does not state, in domain order.
        missing_parameters: Vec<String>,
        /// What the text did state, so a form can be pre-filled with it.
        partial: Option<serde_json::Value>,
    },
    /// No or unknown token.
    #[error("missing or unknown token")]
    Unauthorized,
    /// The token's role does not allow the call.
    #[error("role {role} may not {action}")]
    Forbidden {
        /// The caller's role.
        role: String,
        /// What was attempted.
        action: &'static str,
    },
    /// An open server (no tokens) refuses a request that a web page may have sent:
    /// a cross-site `Origin`, or a `Host` that is not a loopback name (DNS
    /// rebinding). The message says which.
    #[error("{0}")]
    ForbiddenSite(String),
    /// An unknown workflow, approval, data set or route.
    #[error("{0}")]
    NotFound(String),
    /// The workflow is not in a state that allows the call.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than the configured limit.
    #[error("request body larger than the limit")]
    PayloadTooLarge,
    /// What the request would record is over a limit of the store: one event over
    /// its size limit (`field` names the event's kind); nothing was written.
    #[error("{message}")]
    RecordTooLarge {
        /// What is too large, in words.
        message: String,
        /// The event's kind.
        field: String,
    },
    /// The body's `Content-Type` is not one the endpoint reads; the message names
    /// the accepted types.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The path names a route that does not answer this method.
    #[error("method {0} is not allowed on this route")]
    MethodNotAllowed(String),
    /// The request line's target is longer than the server reads.
    #[error("the request target is longer than {0} bytes")]
    UriTooLong(usize),
    /// The request's headers are larger than the server reads.
    #[error("the request headers are larger than {0} bytes")]
    HeadersTooLarge(usize),
    /// The body did not arrive in time.
    #[error("the request body did not arrive within {0} s")]
    BodyTimeout(u64),
    /// Too many requests from this address or token, or too many failed
    /// authentications from this address: try again after `retry_after_secs`.
    #[error("{message}")]
    TooManyRequests {
        /// What was limited.
        message: String,
        /// Seconds to wait (sent as `Retry-After`).
        retry_after_secs: u64,
    },
    /// The database cannot be reached now (it restarts, or the network to it is
    /// down): the request changed nothing and can be sent again shortly. The
    /// cause is logged, never sent.
    #[error("the database is unavailable; nothing was changed: try again shortly")]
    Unavailable {
        /// Logged, never sent.
        cause: String,
    },
    /// The database was lost while the request's change was being committed, and
    /// could not be read back to tell whether it was: the request may have been
    /// recorded. Sent again with the same `Idempotency-Key`, it is resolved from
    /// the log (answered as the first, or run); the cause is logged, never sent.
    #[error(
        "the database was lost while this change was being committed and whether it was recorded is not known yet: send the request again with the same Idempotency-Key (without one, read the workflow first)"
    )]
    OutcomeUnknown {
        /// Logged, never sent.
        cause: String,
    },
    /// The database was lost after part of the request was recorded (a
    /// workflow created, an approval's answer, a week's actuals, a re-forecast,
    /// the steps they unblock not run): something did change, so the answer
    /// must not say nothing was. Sent again with the same `Idempotency-Key`, the
    /// request finds what was recorded and finishes it.
    #[error(
        "the database was lost after this request was recorded, before it was finished: send it again with the same Idempotency-Key to finish it (without one, read the workflow first)"
    )]
    Unfinished {
        /// Logged, never sent.
        cause: String,
    },
    /// The database cannot be reached while a request with an
    /// `Idempotency-Key` is repeated (or may be: its key could not be read):
    /// this attempt changed nothing, but an earlier attempt under the key may
    /// have been recorded, so "nothing was changed" cannot be said of the
    /// request. Sent again with the same key, it is resolved from the log.
    #[error(
        "the database is unavailable, so whether an earlier attempt with this Idempotency-Key was recorded cannot be told: this attempt changed nothing; send it again with the same Idempotency-Key shortly"
    )]
    Unresolved {
        /// Logged, never sent.
        cause: String,
    },
    /// Something failed on our side; the cause is logged under the id.
    #[error("internal error {id}: {cause}")]
    Internal {
        /// Correlates the answer with the log line.
        id: String,
        /// Logged, never sent.
        cause: String,
    },
}

/// One field's problem, for bodies with several.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field path.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in words.
    pub error: String,
    /// The offending field, when one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The offending line of a CSV (header is line 1) or JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// All field problems, when there were several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
    /// The parameters a description leaves unsaid (422 of the extraction).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_parameters: Vec<String>,
    /// With a 422 of the extraction: what the description did state (the seven
    /// parameters, null where unsaid), to pre-fill a form.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub partial: Option<serde_json::Value>,
    /// The log correlation id of a 500.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl ErrorBody {
    /// A body with only a message.
    pub fn message(error: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: error.into(),
            field: None,
            line: None,
            fields: Vec::new(),
            missing_parameters: Vec::new(),
            partial: None,
            id: None,
        }
    }
}

static INTERNAL_IDS: AtomicU64 = AtomicU64::new(1);

impl ApiError {
    /// A 400 naming a field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            field: Some(field.into()),
            line: None,
            fields: Vec::new(),
        }
    }

    /// A 400 with no particular field.
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            message: message.into(),
            field: None,
            line: None,
            fields: Vec::new(),
        }
    }

    /// A 500 whose cause is logged (to stderr) and kept out of the answer.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let n = INTERNAL_IDS.fetch_add(1, Ordering::Relaxed);
        let id = format!("err-{}-{n}", std::process::id());
        let cause = cause.to_string();
        tracing::error!(error_id = %id, "internal error: {cause}");
        ApiError::Internal { id, cause }
    }

    /// This error, for a repeat of a keyed request that an earlier attempt may
    /// have recorded: "nothing was changed" ([`ApiError::Unavailable`]) is true
    /// of this attempt only, so it becomes [`ApiError::Unresolved`]; any other
    /// error stays as it is.
    pub fn for_a_repeat(self) -> ApiError {
        match self {
            ApiError::Unavailable { cause } => ApiError::Unresolved { cause },
            other => other,
        }
    }

    /// A 503 for a database that cannot be reached; the cause is logged.
    pub fn unavailable(cause: impl std::fmt::Display) -> ApiError {
        let cause = cause.to_string();
        tracing::warn!("database unavailable: {cause}");
        ApiError::Unavailable { cause }
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } | ApiError::ForbiddenSite(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge | ApiError::RecordTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. }
            | ApiError::OutcomeUnknown { .. }
            | ApiError::Unfinished { .. }
            | ApiError::Unresolved { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        let mut body = ErrorBody {
            error: self.to_string(),
            field: None,
            line: None,
            fields: Vec::new(),
            missing_parameters: Vec::new(),
            partial: None,
            id: None,
        };
        match self {
            ApiError::BadRequest {
                field,
                line,
                fields,
                ..
            } => {
                body.field.clone_from(field);
                body.line = *line;
                body.fields.clone_from(fields);
            }
            ApiError::Unprocessable {
                missing_parameters,
                partial,
                ..
            } => {
                body.missing_parameters.clone_from(missing_parameters);
                body.partial.clone_from(partial);
            }
            ApiError::RecordTooLarge { field, .. } => body.field = Some(field.clone()),
            ApiError::Internal { id, .. } => {
                body.error = "internal error".into();
                body.id = Some(id.clone());
            }
            _ => {}
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, Json(self.body())).into_response();
        match self {
            ApiError::OutcomeUnknown { .. }
            | ApiError::Unfinished { .. }
            | ApiError::Unresolved { .. } => {
                response
                    .extensions_mut()
                    .insert(crate::idempotency::OutcomeUnknown);
            }
            ApiError::Unavailable { .. } => {
                response
                    .extensions_mut()
                    .insert(crate::idempotency::NothingChanged);
            }
            _ => {}
        }
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unavailable { .. }
            | ApiError::OutcomeUnknown { .. }
            | ApiError::Unfinished { .. }
            | ApiError::Unresolved { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            }
            // The connection's rest cannot be trusted to be a new request.
            ApiError::BodyTimeout(_) | ApiError::PayloadTooLarge => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

/// Each engine error answered by its class ([`EngineError::class`], decided in the
/// engine); the message is the engine's, and an internal fault's goes to the log.
impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e.class() {
            ErrorClass::NotFound => match e {
                EngineError::Store(StoreError::UnknownWorkflow(id)) => {
                    ApiError::NotFound(format!("unknown workflow '{id}'"))
                }
                other => ApiError::NotFound(other.to_string()),
            },
            ErrorClass::Conflict => ApiError::Conflict(e.to_string()),
            ErrorClass::Invalid { field } => match e {
                // The modification's own words, without the engine's prefix.
                EngineError::InvalidModification(m) => ApiError::field(field, m),
                other => ApiError::field(field, other.to_string()),
            },
            ErrorClass::TooLarge => match &e {
                EngineError::Store(StoreError::EventTooLarge { kind, .. }) => {
                    ApiError::RecordTooLarge {
                        field: kind.to_string(),
                        message: e.to_string(),
                    }
                }
                _ => ApiError::internal(e),
            },
            ErrorClass::Unavailable => match e {
                EngineError::Store(StoreError::Database(cause)) => ApiError::unavailable(cause),
                other => ApiError::unavailable(other),
            },
            ErrorClass::OutcomeUnknown => {
                tracing::warn!("commit outcome unknown: {e}");
                ApiError::OutcomeUnknown {
                    cause: e.to_string(),
                }
            }
            ErrorClass::Unfinished => {
                tracing::warn!("recorded, then unfinished: {e}");
                ApiError::Unfinished {
                    cause: e.to_string(),
                }
            }
            ErrorClass::Internal => match e {
                EngineError::Store(s) => ApiError::internal(s),
                other => ApiError::internal(other),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::from(EngineError::Store(e))
    }
}

impl From<DataError> for ApiError {
    fn from(e: DataError) -> ApiError {
        let message = e.to_string();
        let (field, line) = match &e {
            DataError::Field { line, field, .. } => (Some(field.clone()), Some(*line)),
            DataError::Header { .. } => (None, Some(1)),
            DataError::Row { line, .. } => (None, Some(*line)),
            DataError::Empty { .. } | DataError::Unreadable { .. } => (None, None),
        };
        ApiError::BadRequest {
            message,
            field,
            line,
            fields: Vec::new(),
        }
    }
}

/// Parameter errors name fields relative to the parameter object; `prefix` places
/// them in the request body (`parameters.`).
pub fn param_error(e: &ParamError, prefix: &str) -> ApiError {
    let fields: Vec<FieldProblem> = e
        .fields()
        .iter()
        .map(|f| FieldProblem {
            field: if f.field.starts_with("tunables.") {
                f.field.clone()
            } else {
                format!("{prefix}{}", f.field)
            },
            reason: f.reason.clone(),
        })
        .collect();
    let field = fields
        .first()
        .map(|f| f.field.clone())
        .or_else(|| Some(prefix.trim_end_matches('.').to_string()));
    ApiError::BadRequest {
        message: e.to_string(),
        field,
        line: None,
        fields,
    }
}

impl From<ExtractError> for ApiError {
    /// A text that leaves parameters unsaid is a 422 naming them; one that states
    /// refused or contradictory values is a 400 naming each field.
    fn from(e: ExtractError) -> ApiError {
        let message = e.to_string();
        match e {
            ExtractError::Missing {
                missing_parameters,
                partial,
            } => ApiError::Unprocessable {
                message,
                missing_parameters,
                partial: serde_json::to_value(*partial).ok(),
            },
            ExtractError::Invalid(list) | ExtractError::Ambiguous(list) => {
                let fields: Vec<FieldProblem> = list
                    .into_iter()
                    .map(|f| FieldProblem {
                        field: f.field,
                        reason: f.reason,
                    })
                    .collect();
                ApiError::BadRequest {
                    message,
                    field: fields.first().map(|f| f.field.clone()),
                    line: None,
                    fields,
                }
            }
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> ApiError {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::bad(format!("cannot read the body: {}", r.body_text()))
        }
    }
}

impl From<MultipartRejection> for ApiError {
    /// Only a missing or invalid boundary is refused before the body is read.
    fn from(r: MultipartRejection) -> ApiError {
        ApiError::bad(format!("cannot read the multipart body: {}", r.body_text()))
    }
}

impl From<MultipartError> for ApiError {
    /// Over the limit is a 413; anything else (a truncated body, a broken part, a
    /// connection that dropped) is the caller's and a 400, never a 500.
    fn from(e: MultipartError) -> ApiError {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::bad(format!("cannot read the multipart body: {}", e.body_text()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_500_names_an_id_and_nothing_else() {
        let e = ApiError::internal("database error: /secret/path/atelier.db is locked");
        let body = serde_json::to_value(e.body()).unwrap_or_default();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], "internal error");
        assert!(body["id"].as_str().is_some_and(|id| id.starts_with("err-")));
        assert!(!body.to_string().contains("secret"));
    }

    #[test]
    fn an_event_over_the_store_limit_is_a_413_naming_it_and_a_long_text_a_400() {
        let e = ApiError::from(EngineError::Store(StoreError::EventTooLarge {
            workflow_id: "w".into(),
            kind: "reforecast_applied",
            bytes: 5_000_000,
            max: 4_194_304,
        }));
        let body = serde_json::to_value(e.body()).unwrap_or_default();
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["field"], "reforecast_applied");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|m| m.contains("5000000") && m.contains("nothing was written")),
            "{body}"
        );
        let e = ApiError::from(EngineError::TextTooLong {
            field: "reason",
            chars: 2_001,
            max: 2_000,
        });
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            serde_json::to_value(e.body()).unwrap_or_default()["field"],
            "reason"
        );
    }
}

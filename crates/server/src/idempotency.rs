//! `Idempotency-Key` on every write (POST): the first request with a key runs and
//! its answer is kept in the store (with the workflows, both stores, for
//! `KEY_RETENTION`, a day); a repeat with the same key and the same request gets
//! that answer again, status and body, without running; the same key with another
//! request is a 422. So a proxy, a client or a person may send a write again after
//! a lost answer, a dead instance or a database outage, and nothing happens twice.
//!
//! A request whose process died before it answered leaves its key claimed without
//! an answer, and so does one answered 503 after recording something (its commit's
//! outcome unknown, or recorded and not finished). A repeat waits a short lease
//! for the answer (the first may still be running), then runs the request again
//! as a *retry*: each write resolves a retry from what the log already holds (a
//! creation's workflow id comes from the key, so it finds the workflow made; an
//! approval already answered the same way by the same caller, a week recorded
//! with the same content, a planner's re-forecast already in force after the
//! same week: each is finished and answered, not applied again).
//!
//! "Nothing was changed" is said of a request only when it is true: a 503
//! [`ApiError::Unavailable`] answers a keyed request only when its key was
//! claimed afresh (no earlier attempt). A repeat that cannot reach the database,
//! or whose key cannot be read, is answered [`ApiError::Unresolved`] instead,
//! and its key is kept claimed, so that the next repeat is still resolved.

use crate::auth;
use crate::error::ApiError;
use crate::state::AppState;
use atelier_engine::store::{KeyAnswer, KeyClaim};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The request header carrying the key.
pub const HEADER: &str = "idempotency-key";
/// The answer header telling a repeat from a first answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// The longest key accepted (a UUID is 36 characters).
pub const MAX_KEY_CHARS: usize = 255;
/// How long a repeat waits for the first request's answer before it resolves the
/// key itself: a first request still running normally answers within it (a
/// double click), while one whose instance died never will.
pub const ANSWER_LEASE: Duration = Duration::from_secs(5);
/// How often a waiting repeat looks for the answer.
const POLL: Duration = Duration::from_millis(50);

/// Marks an answer whose change may or may not have been committed: its key is
/// kept claimed without an answer, so the repeat runs as a retry and resolves it.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeUnknown;

/// Marks an answer saying that nothing was changed because the database could
/// not be reached: true of this attempt, and of the request only when no earlier
/// attempt ran (see [`ApiError::for_a_repeat`]).
#[derive(Debug, Clone, Copy)]
pub struct NothingChanged;

/// Marks a request that carries a key, for the handlers that resolve a retry.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The key's id in the store: a hash of the caller and the key, so that two
    /// callers' keys never meet.
    pub key_id: String,
    /// Whether an earlier request with this key may have run (its process died
    /// before it answered, or its answer said nothing was changed).
    pub retry: bool,
}

impl IdempotencyKey {
    /// The workflow id a creation with this key gets: the same for every repeat,
    /// so a repeat finds the workflow the first one made instead of making another.
    pub fn workflow_id(&self) -> String {
        format!("wf_k{}", &self.key_id[..15])
    }
}

/// The middleware: see the module documentation.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if valid_key(k) => k.to_string(),
        _ => {
            return ApiError::BadRequest {
                message: format!(
                    "the Idempotency-Key header must be 1 to {MAX_KEY_CHARS} visible ASCII characters (a UUID, say)"
                ),
                field: Some("Idempotency-Key".into()),
                line: None,
                fields: Vec::new(),
            }
            .into_response();
        }
    };
    // A caller the handler will refuse (no or unknown token) gets no record.
    let Some(caller) = auth::token_name(&state, req.headers()) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, state.config().max_body_bytes).await {
        Ok(b) => b,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let key_id = key_id(&caller, &key);
    let fingerprint = fingerprint(
        parts.method.as_str(),
        parts.uri.path_and_query().map_or("", |p| p.as_str()),
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .map_or(&b""[..], |v| v.as_bytes()),
        &body,
    );
    let retry = match claim(&state, &key_id, &fingerprint).await {
        Ok(retry) => retry,
        Err(answer) => return answer,
    };
    let mut req = Request::from_parts(parts, Body::from(body));
    req.extensions_mut().insert(IdempotencyKey {
        key_id: key_id.clone(),
        retry,
    });
    let response = next.run(req).await;
    if retry && response.extensions().get::<NothingChanged>().is_some() {
        // True of this attempt, not of the request: an earlier one may have run.
        let cause = "the database was unavailable to a repeat".to_string();
        return ApiError::Unresolved { cause }.into_response();
    }
    keep(&state, key_id, retry, response).await
}

/// Claims the key for this request: `Ok(false)` a first attempt, `Ok(true)` a
/// repeat whose first attempt never answered (run again, resolved by key), or
/// the answer to give now (the first answer replayed, the key reused for another
/// request, the key unreadable). A repeat arriving while the first attempt runs
/// waits for its answer up to the lease.
async fn claim(state: &AppState, key_id: &str, fingerprint: &str) -> Result<bool, Response> {
    let mut retry = false;
    let started = std::time::Instant::now();
    loop {
        let claimed = {
            let (store, id, fp) = (state.store(), key_id.to_string(), fingerprint.to_string());
            let now = state.orchestrator().clock().now();
            state
                .read(move |_| Ok(store.claim_key(&id, &fp, now)?))
                .await
        };
        match claimed {
            // The key cannot be read: an earlier attempt under it may have run.
            Err(e) => return Err(e.for_a_repeat().into_response()),
            Ok(KeyClaim::Fresh) => break,
            Ok(KeyClaim::Known(record)) if record.fingerprint != *fingerprint => {
                return Err(ApiError::Unprocessable {
                    message: "this Idempotency-Key was sent with another request (method, path or body); use a new key for a new request".into(),
                    missing_parameters: Vec::new(),
                    partial: None,
                }
                .into_response());
            }
            Ok(KeyClaim::Known(record)) => match record.answer {
                Some(answer) => return Err(replay(answer)),
                None if started.elapsed() < ANSWER_LEASE => tokio::time::sleep(POLL).await,
                None => {
                    // The first request's process died before it answered (or
                    // is slower than the lease): run it again, resolved by key.
                    retry = true;
                    break;
                }
            },
        }
    }
    Ok(retry)
}

/// Stores the answer (or frees the key when the answer says nothing was done and
/// may differ next time), and gives the answer back. A repeat's failure keeps
/// the key claimed without an answer: what an earlier attempt recorded is still
/// to be resolved by the next repeat.
async fn keep(state: &AppState, key_id: String, retry: bool, response: Response) -> Response {
    let status = response.status();
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if parts.extensions.get::<OutcomeUnknown>().is_some() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let store = state.store();
    let transient = status.is_server_error()
        || matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
        );
    let kept = if transient && retry {
        Ok(())
    } else if transient {
        state.read(move |_| Ok(store.release_key(&key_id)?)).await
    } else {
        let answer = KeyAnswer {
            status: status.as_u16(),
            content_type: parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/json")
                .to_string(),
            body: bytes.to_vec(),
        };
        state
            .read(move |_| Ok(store.answer_key(&key_id, &answer)?))
            .await
    };
    if let Err(e) = kept {
        // The answer stands; a repeat resolves the key from the log.
        tracing::warn!("cannot keep the idempotency key's answer: {e}");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(answer: KeyAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Bytes::from(answer.body)).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&answer.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY_CHARS).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// A key's id in the store: the caller's token name and the key, hashed, so two
/// callers' keys never meet and no key is stored as sent.
pub fn key_id(caller: &str, key: &str) -> String {
    hex(&Sha256::digest(format!("{caller}\n{key}").as_bytes()))
}

/// What makes two requests the same: method, path and query, content type, body.
pub fn fingerprint(method: &str, path_and_query: &str, content_type: &[u8], body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path_and_query.as_bytes(), content_type] {
        h.update(part);
        h.update(b"\n");
    }
    h.update(body);
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        assert!(valid_key("0b6a1c1e-8f0e-4c55-9d1e-2f7a0f1b2c3d"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"k".repeat(MAX_KEY_CHARS + 1)));
        assert!(valid_key(&"k".repeat(MAX_KEY_CHARS)));
    }
}

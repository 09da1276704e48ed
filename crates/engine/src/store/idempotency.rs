//! Idempotency keys: what a client's `Idempotency-Key` claimed, and the answer
//! given to it, kept in the store beside the workflows (both stores, the same
//! table) so that a retry through any server, after any crash, finds them.

use chrono::{DateTime, Utc};

/// How long a key and its answer are kept: a day covers a proxy's retry, a
/// client's retry after a network outage and a person pressing again the next
/// morning; after it the key may be used afresh.
pub const KEY_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// The answer a request with a key got, replayed to every repeat of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The body's `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
}

/// What the store holds for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The hash of the request (method, path, query, body) first sent with it.
    pub fingerprint: String,
    /// The answer, once one was given; `None` while the first request runs, or
    /// when the process running it died before answering.
    pub answer: Option<KeyAnswer>,
    /// When the key was first claimed.
    pub claimed_at: DateTime<Utc>,
}

/// The outcome of claiming a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyClaim {
    /// The key was new (or expired): the caller runs the request.
    Fresh,
    /// The key is known: its record.
    Known(KeyRecord),
}

/// The time as the SQLite store writes it: fixed width, so text order is time order.
pub(super) fn sqlite_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

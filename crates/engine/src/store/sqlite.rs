//! The embedded SQLite event store. Portable SQL only (no SQLite-specific upsert
//! or JSON functions), the same tables as the PostgreSQL store.
//!
//! Writes go through [`GroupCommit`](super::group_commit): appends of different
//! workflows that arrive together share one transaction and one fsync, each in its
//! own savepoint, so one append's conflict or failure undoes only that append.
//! Reads use their own connections (WAL lets them run beside a commit), except for
//! an in-memory database, which has one connection for everything.

use super::agenda;
use super::encode::{self, AppendRequest};
use super::group_commit::{GroupCommit, GroupCommitStats};
use super::idempotency;
use super::migrate::{self, Migration, Schema};
use super::sqlite_batch::{self, db};
use super::{
    Agenda, AppendMeta, EventStore, KEY_RETENTION, KeyAnswer, KeyClaim, KeyRecord, OwedExplanation,
    StoreError, WorkflowSummary,
};
use crate::event::{Event, StoredEvent};
use crate::state::WorkflowState;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How a SQLite store commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteOptions {
    /// The most appends one transaction may hold. 1 turns group commit off: every
    /// append is its own transaction and fsync, as a store with one writer.
    pub max_batch: usize,
}

impl Default for SqliteOptions {
    /// Group commit on, with batches of up to 64 appends: past a few dozen the
    /// fsync is no longer what a batch waits on.
    fn default() -> Self {
        SqliteOptions { max_batch: 64 }
    }
}

/// Idle read connections kept for reuse; more may be open while busy.
const MAX_IDLE_READERS: usize = 8;

/// The SQLite store: one write connection shared through group commit, WAL
/// journal, full sync so that an acknowledged append survives a crash.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    group: GroupCommit<AppendRequest, Result<(), StoreError>>,
    /// The file, for opening read connections; `None` for an in-memory database,
    /// whose reads use the write connection.
    path: Option<PathBuf>,
    idle_readers: Mutex<Vec<Connection>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection cannot leave a half-written transaction
    // (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How long opening waits on other connections before giving up.
const BUSY_WAIT: Duration = Duration::from_secs(10);

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_WAIT).map_err(db)?;
    switch_to_wal(conn)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(db)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(db)
}

impl SqliteStore {
    /// Opens (creating and migrating) the database file, with group commit.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens (creating and migrating) the database file with the given options.
    pub fn open_with(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(db)?;
        if conn.is_readonly(rusqlite::MAIN_DB).map_err(db)? {
            drop(conn);
            return Self::open_read_only(path);
        }
        Self::setup(conn, Some(path.to_path_buf()), options)
    }

    /// A file this process may not write (its permissions, a read-only mount, a
    /// backup kept read-only) is still read: `status` and `events` work, and
    /// an append is refused by SQLite as a write to a read-only database. It is
    /// opened immutable, since its WAL index could not be created beside it; its
    /// schema must be current, as it cannot be migrated.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        let uri = format!("file:{}?immutable=1", path.display());
        let mut conn = Connection::open_with_flags(
            uri,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(db)?;
        let found = SqliteSchema(&mut conn).version()?;
        let known = migrate::latest();
        if found != known {
            return Err(StoreError::Database(format!(
                "{} is read-only and at schema version {found}; this Atelier needs version {known}: open it once where it can be written, to migrate it",
                path.display()
            )));
        }
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            group: GroupCommit::new(1),
            path: None,
            idle_readers: Mutex::new(Vec::new()),
        })
    }

    /// An in-memory database, for tests and benchmarks.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        Self::setup(
            Connection::open_in_memory().map_err(db)?,
            None,
            SqliteOptions::default(),
        )
    }

    fn setup(
        mut conn: Connection,
        path: Option<PathBuf>,
        options: SqliteOptions,
    ) -> Result<SqliteStore, StoreError> {
        configure(&conn)?;
        migrate::migrate(&mut SqliteSchema(&mut conn))?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            group: GroupCommit::new(options.max_batch),
            path,
            idle_readers: Mutex::new(Vec::new()),
        })
    }

    /// How many transactions the writes took and how many appends they held.
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.group.stats()
    }

    /// Runs `read` on a read connection: a pooled one for a file, the one
    /// connection for an in-memory database.
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Some(path) = &self.path else {
            return read(&lock(&self.writer));
        };
        let pooled = lock(&self.idle_readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open(path).map_err(db)?;
                conn.busy_timeout(BUSY_WAIT).map_err(db)?;
                conn.pragma_update(None, "query_only", "ON").map_err(db)?;
                conn
            }
        };
        let out = read(&conn);
        let mut idle = lock(&self.idle_readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

/// Switches the journal to WAL. On a new file, several connections opening at once
/// each hold a read lock and want the write lock; SQLite answers that deadlock with
/// an immediate "database is locked" rather than calling the busy handler, so the
/// switch is retried (with a short, growing pause) until [`BUSY_WAIT`] has passed.
fn switch_to_wal(conn: &Connection) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(e) if is_busy(&e) && started.elapsed() < BUSY_WAIT => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(db(e)),
        }
    }
}

/// Whether SQLite refused because another connection holds a lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A configured, migrated in-memory connection, for the batch's unit tests.
#[cfg(test)]
pub(super) fn migrated_in_memory() -> Connection {
    let mut conn = Connection::open_in_memory().expect("in-memory database");
    configure(&conn).expect("configure");
    migrate::migrate(&mut SqliteSchema(&mut conn)).expect("migrate");
    conn
}

/// The migration runner's view of a SQLite connection: `PRAGMA user_version`
/// holds the version (as it always has), `BEGIN EXCLUSIVE` is the lock.
struct SqliteSchema<'a>(&'a mut Connection);

impl Schema for SqliteSchema<'_> {
    fn version(&mut self) -> Result<u32, StoreError> {
        let v: i64 = self
            .0
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        Ok(u32::try_from(v).unwrap_or(0))
    }

    fn begin_locked(&mut self) -> Result<u32, StoreError> {
        self.0.execute_batch("BEGIN EXCLUSIVE").map_err(db)?;
        // Read again under the lock: another process may have migrated meanwhile.
        self.version()
    }

    fn apply(&mut self, migration: &Migration) -> Result<(), StoreError> {
        self.0.execute_batch(migration.sqlite).map_err(db)?;
        self.0
            .pragma_update(None, "user_version", i64::from(migration.version))
            .map_err(db)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.0.execute_batch("COMMIT").map_err(db)
    }

    fn rollback(&mut self) {
        // Nothing to do if SQLite already rolled back on the error.
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// A stored time; the store writes only RFC 3339, so anything else is reported as a
/// corrupt row rather than read as 1970 (which would expire every approval).
fn parse_time(text: &str, workflow_id: &str, seq: u64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            workflow_id: workflow_id.to_string(),
            seq,
            reason: format!("time '{text}': {e}"),
        })
}

fn last_seq_of(conn: &Connection, workflow_id: &str) -> Result<Option<u64>, StoreError> {
    conn.prepare_cached("SELECT last_seq FROM workflows WHERE workflow_id = ?1")
        .map_err(db)?
        .query_row(params![workflow_id], |r| r.get::<_, i64>(0))
        .optional()
        .map(|v| v.map(|v| v as u64))
        .map_err(db)
}

impl EventStore for SqliteStore {
    fn append_step(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        meta: AppendMeta<'_>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        // Encoding happens here, on the caller's thread, not in the shared writer.
        let request = AppendRequest::new(workflow_id, expected_last_seq, events, meta)?;
        let recorded_at = request.recorded_at;
        let outcome = self.group.submit(request, |batch| {
            sqlite_batch::run_batch(&mut lock(&self.writer), batch)
        });
        outcome.unwrap_or_else(|| {
            Err(StoreError::Database(
                "the writer failed before committing this append; nothing was written".into(),
            ))
        })?;
        Ok(encode::stored(
            workflow_id,
            expected_last_seq,
            events,
            recorded_at,
        ))
    }

    fn agenda(&self, now: DateTime<Utc>, grace: chrono::Duration) -> Result<Agenda, StoreError> {
        let stalled_before = now - grace;
        let at = idempotency::sqlite_time(now);
        self.read(|conn| {
            let mut agenda = Agenda::default();
            let mut due = conn
                .prepare_cached(
                    "SELECT workflow_id FROM workflows WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                )
                .map_err(db)?;
            for id in due.query_map(params![at], |r| r.get::<_, String>(0)).map_err(db)? {
                agenda.expired_approvals.push(id.map_err(db)?);
            }
            let next: Option<String> = conn
                .prepare_cached("SELECT min(expires_at) FROM workflows WHERE expires_at > ?1")
                .map_err(db)?
                .query_row(params![at], |r| r.get(0))
                .map_err(db)?;
            if let Some(next) = next {
                agenda.consider(parse_time(&next, "(deadline)", 0)?);
            }
            let running = agenda::running_states();
            let marks = vec!["?"; running.len()].join(", ");
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT workflow_id, updated_at FROM workflows WHERE state IN ({marks})"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(running.iter()), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(db)?;
            for row in rows {
                let (id, updated) = row.map_err(db)?;
                let updated_at = parse_time(&updated, &id, 0)?;
                agenda.running(id, updated_at, stalled_before, grace);
            }
            let mut stmt = conn
                .prepare_cached(
                    "SELECT workflow_id, seq, owed_since, decisions FROM explanations_owed ORDER BY owed_since",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(db)?;
            for row in rows {
                let (workflow_id, seq, since, decisions) = row.map_err(db)?;
                let seq = seq as u64;
                let owed = OwedExplanation {
                    owed_since: parse_time(&since, &workflow_id, seq)?,
                    decisions: agenda::decode_decisions(&decisions, &workflow_id, seq)?,
                    workflow_id,
                    seq,
                };
                agenda.owing(owed, stalled_before, grace);
            }
            Ok(agenda)
        })
    }

    fn load(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|conn| {
            if last_seq_of(conn, workflow_id)?.is_none() {
                return Err(StoreError::UnknownWorkflow(workflow_id.to_string()));
            }
            // No bound LIMIT: SQLite folds a bound LIMIT's value into the plan and
            // re-prepares the statement whenever it is bound again (every call,
            // 77 µs against 32 µs). The rows come in the primary key's order, so
            // stopping after `limit` of them reads no more than LIMIT would.
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, recorded_at, payload FROM events WHERE workflow_id = ?1 AND seq > ?2 ORDER BY seq",
                )
                .map_err(db)?;
            let limit = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
            let rows = stmt
                // Numbers past i64 would wrap to negative and return the whole log.
                .query_map(
                    params![workflow_id, i64::try_from(after).unwrap_or(i64::MAX)],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                        ))
                    },
                )
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows.take(limit) {
                let (seq, at, payload) = row.map_err(db)?;
                let seq = seq as u64;
                out.push(StoredEvent {
                    workflow_id: workflow_id.to_string(),
                    seq,
                    recorded_at: parse_time(&at, workflow_id, seq)?,
                    event: encode::decode(&payload, workflow_id, seq)?,
                });
            }
            Ok(out)
        })
    }

    fn exists(&self, workflow_id: &str) -> Result<bool, StoreError> {
        self.read(|conn| Ok(last_seq_of(conn, workflow_id)?.is_some()))
    }

    fn claim_key(
        &self,
        key_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError> {
        let conn = lock(&self.writer);
        let at = idempotency::sqlite_time(now);
        let expires = idempotency::sqlite_time(now + KEY_RETENTION);
        // Expired keys go first (all of them: the table stays a day's keys).
        conn.execute(
            "DELETE FROM idempotency_keys WHERE expires_at < ?1",
            params![at],
        )
        .map_err(db)?;
        let inserted = conn
            .execute(
                "INSERT INTO idempotency_keys (key_id, fingerprint, claimed_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key_id) DO NOTHING",
                params![key_id, fingerprint, at, expires],
            )
            .map_err(db)?;
        if inserted == 1 {
            return Ok(KeyClaim::Fresh);
        }
        let (fingerprint, claimed_at, status, content_type, body) = conn
            .query_row(
                "SELECT fingerprint, claimed_at, status, content_type, body
                 FROM idempotency_keys WHERE key_id = ?1",
                params![key_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                    ))
                },
            )
            .map_err(db)?;
        let claimed_at = DateTime::parse_from_rfc3339(&claimed_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Database(format!("idempotency key time: {e}")))?;
        let answer = status.map(|status| KeyAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: content_type.unwrap_or_default(),
            body: body.unwrap_or_default(),
        });
        Ok(KeyClaim::Known(KeyRecord {
            fingerprint,
            answer,
            claimed_at,
        }))
    }

    fn answer_key(&self, key_id: &str, answer: &KeyAnswer) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute(
                "UPDATE idempotency_keys SET status = ?2, content_type = ?3, body = ?4
                 WHERE key_id = ?1",
                params![
                    key_id,
                    i64::from(answer.status),
                    answer.content_type,
                    answer.body
                ],
            )
            .map(|_| ())
            .map_err(db)
    }

    fn release_key(&self, key_id: &str) -> Result<(), StoreError> {
        lock(&self.writer)
            .execute(
                "DELETE FROM idempotency_keys WHERE key_id = ?1 AND status IS NULL",
                params![key_id],
            )
            .map(|_| ())
            .map_err(db)
    }

    fn last_seq(&self, workflow_id: &str) -> Result<u64, StoreError> {
        self.read(|conn| {
            last_seq_of(conn, workflow_id)?
                .ok_or_else(|| StoreError::UnknownWorkflow(workflow_id.to_string()))
        })
    }

    fn list(&self) -> Result<Vec<WorkflowSummary>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT workflow_id, category, state, last_seq, created_at, updated_at FROM workflows
                     ORDER BY created_at DESC, workflow_id",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, category, state, last, created, updated) = row.map_err(db)?;
                let created_at = parse_time(&created, &id, 0)?;
                let updated_at = parse_time(&updated, &id, last as u64)?;
                out.push(WorkflowSummary {
                    workflow_id: id,
                    category,
                    state: WorkflowState::parse(&state).unwrap_or(WorkflowState::Error),
                    last_seq: last as u64,
                    created_at,
                    updated_at,
                });
            }
            Ok(out)
        })
    }
}

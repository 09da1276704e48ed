//! The embedded SQLite event store. Portable SQL only (no SQLite-specific
//! upsert or JSON functions) so that a Postgres store can share the schema.

use super::{EventStore, StoreError, WorkflowSummary};
use crate::event::{Event, StoredEvent};
use crate::state::WorkflowState;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::Path;
use std::sync::Mutex;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE workflows (
        workflow_id TEXT PRIMARY KEY,
        category TEXT NOT NULL,
        state TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE events (
        workflow_id TEXT NOT NULL REFERENCES workflows(workflow_id),
        seq INTEGER NOT NULL,
        recorded_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (workflow_id, seq)
    );",
    "CREATE INDEX workflows_by_update ON workflows(updated_at);",
];

/// The SQLite store: one connection behind a mutex (SQLite serialises writers
/// anyway), WAL journal, full sync so an acknowledged append survives a crash.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl SqliteStore {
    /// Opens (creating and migrating) the database file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Database(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let conn = Connection::open(path).map_err(db)?;
        Self::setup(conn)
    }

    /// An in-memory database, for tests and benchmarks.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(db)?)
    }

    fn setup(mut conn: Connection) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        if usize::try_from(version).unwrap_or(0) >= MIGRATIONS.len() {
            // Up to date: no lock taken, so opening never waits on a busy writer.
            return Ok(SqliteStore {
                conn: Mutex::new(conn),
            });
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .map_err(db)?;
        // Read again under the lock: another process may have migrated meanwhile.
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.execute_batch(sql).map_err(db)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction
        // (rusqlite rolls back on drop), so a poisoned lock is safe to reuse.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

impl EventStore for SqliteStore {
    fn append(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        state: WorkflowState,
        category: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let found: Option<i64> = tx
            .query_row(
                "SELECT last_seq FROM workflows WHERE workflow_id = ?1",
                params![workflow_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        match found {
            None if expected_last_seq == 0 => {
                tx.execute(
                    "INSERT INTO workflows (workflow_id, category, state, last_seq, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 0, ?4, ?4)",
                    params![workflow_id, category, state.as_str(), stamp],
                )
                .map_err(db)?;
            }
            None => return Err(StoreError::UnknownWorkflow(workflow_id.to_string())),
            Some(_) if expected_last_seq == 0 => {
                return Err(StoreError::AlreadyExists(workflow_id.to_string()));
            }
            Some(last) if last as u64 != expected_last_seq => {
                return Err(StoreError::Conflict {
                    workflow_id: workflow_id.to_string(),
                    expected: expected_last_seq,
                    found: last as u64,
                });
            }
            Some(_) => {}
        }
        let mut stored = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let seq = expected_last_seq + 1 + i as u64;
            let payload =
                serde_json::to_string(event).map_err(|e| StoreError::Database(e.to_string()))?;
            tx.execute(
                "INSERT INTO events (workflow_id, seq, recorded_at, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workflow_id, seq as i64, stamp, event.kind(), payload],
            )
            .map_err(db)?;
            stored.push(StoredEvent {
                workflow_id: workflow_id.to_string(),
                seq,
                recorded_at: now,
                event: event.clone(),
            });
        }
        let last = expected_last_seq + events.len() as u64;
        tx.execute(
            "UPDATE workflows SET state = ?2, last_seq = ?3, updated_at = ?4 WHERE workflow_id = ?1",
            params![workflow_id, state.as_str(), last as i64, stamp],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        // Timestamps are stored with microseconds; hand back what a reload would give.
        let recorded_at = parse_time(&stamp, workflow_id, last)?;
        for s in &mut stored {
            s.recorded_at = recorded_at;
        }
        Ok(stored)
    }

    fn load(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = self.lock();
        let exists: Option<i64> = conn
            .query_row(
                "SELECT last_seq FROM workflows WHERE workflow_id = ?1",
                params![workflow_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::UnknownWorkflow(workflow_id.to_string()));
        }
        let mut stmt = conn
            .prepare_cached(
                "SELECT seq, recorded_at, payload FROM events WHERE workflow_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(db)?;
        let limit = limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let rows = stmt
            // Numbers past i64 would wrap to negative and return the whole log.
            .query_map(
                params![workflow_id, i64::try_from(after).unwrap_or(i64::MAX), limit],
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
        for row in rows {
            let (seq, at, payload) = row.map_err(db)?;
            let event: Event = serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt {
                workflow_id: workflow_id.to_string(),
                seq: seq as u64,
                reason: e.to_string(),
            })?;
            out.push(StoredEvent {
                workflow_id: workflow_id.to_string(),
                seq: seq as u64,
                recorded_at: parse_time(&at, workflow_id, seq as u64)?,
                event,
            });
        }
        Ok(out)
    }

    fn exists(&self, workflow_id: &str) -> Result<bool, StoreError> {
        let conn = self.lock();
        conn.query_row(
            "SELECT 1 FROM workflows WHERE workflow_id = ?1",
            params![workflow_id],
            |_| Ok(()),
        )
        .optional()
        .map(|r| r.is_some())
        .map_err(db)
    }

    fn list(&self) -> Result<Vec<WorkflowSummary>, StoreError> {
        let conn = self.lock();
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
    }
}

//! The event store on PostgreSQL, for many seasons from several servers at once.
//!
//! The engine is synchronous, so this is the blocking `postgres` client with an
//! `r2d2` pool (the async clients would need the engine to go async first). Each
//! append is one transaction on a pooled connection: the workflow's row is updated
//! only if its last event number is still the one the caller saw (a conditional
//! `UPDATE`, which waits on the row lock of a concurrent append and then finds the
//! number moved on), and the events go in with one `INSERT … SELECT FROM UNNEST`.
//! PostgreSQL commits concurrent transactions with one WAL flush by itself
//! (its own group commit), so there is no batching here.

use super::agenda;
use super::coordination::{StoreLock, StoreWatch};
use super::encode::{self, AppendRequest};
use super::migrate;
use super::postgres_connect;
use super::postgres_live::{self, LockClients, Notifier};
use super::postgres_schema::PostgresSchema;
use super::{
    Agenda, AppendMeta, EventStore, KEY_RETENTION, KeyAnswer, KeyClaim, KeyRecord, OwedExplanation,
    StoreError, WorkflowSummary,
};
use crate::event::{Event, StoredEvent};
use crate::state::WorkflowState;
use chrono::{DateTime, Utc};
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use std::time::Duration;

/// How the PostgreSQL store connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresOptions {
    /// Connections in the pool at most: the writes that can be in flight at once.
    pub max_connections: u32,
    /// How long a command waits for a free connection (or for the database to be
    /// reachable) before it fails.
    pub connect_timeout: Duration,
}

impl Default for PostgresOptions {
    /// 16 connections, enough for the server's blocking pool to keep PostgreSQL's
    /// own group commit busy; a second and a half's wait, so that a request that
    /// finds the database down is answered (503) within two seconds.
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
            connect_timeout: Duration::from_millis(1500),
        }
    }
}

/// After a connection to the database failed, how long further requests fail at
/// once instead of each waiting `connect_timeout` again: an outage answers every
/// request quickly, and one request a second still tries.
const UNREACHABLE_FOR: Duration = Duration::from_secs(1);

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// How much of the connection pool is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections lent out now.
    pub in_use: u32,
    /// Connections open and waiting in the pool.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// The PostgreSQL store: a pool of connections to one database, plus
/// connections of their own for advisory locks and for watching.
pub struct PostgresStore {
    pool: Pool,
    pub(super) locks: LockClients,
    /// Sends each append's notice after its commit.
    notifier: Notifier,
    config: postgres::Config,
    /// Until when the database counts as unreachable (see [`UNREACHABLE_FOR`]).
    unreachable_until: std::sync::Mutex<Option<std::time::Instant>>,
}

pub(super) fn pg(e: postgres::Error) -> StoreError {
    // A server error's own text (the crate's `Display` says only "db error").
    StoreError::Database(match e.as_db_error() {
        Some(server) => server.to_string(),
        None => e.to_string(),
    })
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db?…`),
    /// migrating it as needed, with default options.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        Self::open_with(url, PostgresOptions::default())
    }

    /// Connects with the given options. Fails at once, with the reason, when the
    /// database cannot be reached.
    pub fn open_with(url: &str, options: PostgresOptions) -> Result<PostgresStore, StoreError> {
        let mut config = postgres_connect::config_from_env(url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        // One direct connection first: an unreachable database is reported now and
        // plainly (its cause named, its password not), not after the pool's
        // retries; it also runs the migrations.
        let mut first = config.connect(NoTls).map_err(|e| {
            StoreError::Database(postgres_connect::connect_failure(&e, &config, url))
        })?;
        migrate::migrate(&mut PostgresSchema(&mut first))?;
        let pool = r2d2::Pool::builder()
            .max_size(options.max_connections.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout)
            .build_unchecked(PostgresConnectionManager::new(config.clone(), NoTls));
        Ok(PostgresStore {
            pool,
            locks: LockClients::new(config.clone(), options.max_connections),
            notifier: Notifier::start(config.clone())?,
            config,
            unreachable_until: std::sync::Mutex::new(None),
        })
    }

    pub(super) fn client(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StoreError> {
        let until = || {
            self.unreachable_until
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if until().is_some_and(|t| std::time::Instant::now() < t) {
            return Err(StoreError::Database(
                "PostgreSQL cannot be reached (a connection failed within the last second)".into(),
            ));
        }
        self.pool.get().map_err(|e| {
            // r2d2 names the last connection error when connecting failed; a
            // pool merely busy times out without one.
            let text = e.to_string();
            if text.contains("connection:") || self.pool.state().connections == 0 {
                *until() = Some(std::time::Instant::now() + UNREACHABLE_FOR);
            }
            StoreError::Database(format!("no connection to PostgreSQL: {text}"))
        })
    }

    /// The pool's use now, for the server's metrics.
    pub fn pool_use(&self) -> PoolUse {
        let state = self.pool.state();
        PoolUse {
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Whether the database answers now: one trivial query on a pooled
    /// connection, waiting at most `within` for one (a health check must answer
    /// sooner than a load balancer gives up on it).
    pub fn ping(&self, within: Duration) -> Result<(), StoreError> {
        self.pool
            .get_timeout(within)
            .map_err(|e| StoreError::Database(format!("no connection to PostgreSQL: {e}")))?
            .batch_execute("SELECT 1")
            .map_err(pg)
    }
}

/// A number past what BIGINT holds is clamped: no log gets there.
fn big(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The transaction lock every append of a workflow holds until its commit ends;
/// the next holder of the workflow's step lock waits on it (see
/// `LockClients::lock_after_commit`).
fn commit_key(workflow_id: &str) -> String {
    format!("atelier commit {workflow_id}")
}

/// One append's statements, in `tx`.
fn write(tx: &mut postgres::Transaction<'_>, request: &AppendRequest) -> Result<(), StoreError> {
    let id = request.workflow_id.as_str();
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&commit_key(id)],
    )
    .map_err(pg)?;
    let last = big(request.new_last_seq());
    move_workflow_row(tx, request)?;
    let seqs: Vec<i64> = (request.expected_last_seq + 1..=request.new_last_seq())
        .map(big)
        .collect();
    let kinds: Vec<&str> = request.rows.iter().map(|(kind, _)| *kind).collect();
    let payloads: Vec<&str> = request.rows.iter().map(|(_, p)| p.as_str()).collect();
    tx.execute(
        "INSERT INTO events (workflow_id, seq, recorded_at, kind, payload)
         SELECT $1, t.seq, $2, t.kind, t.payload::json
         FROM unnest($3::bigint[], $4::text[], $5::text[]) AS t(seq, kind, payload)",
        &[&id, &request.recorded_at, &seqs, &kinds, &payloads],
    )
    .map_err(pg)?;
    if let Some(seq) = request.settles {
        let settled = tx
            .execute(
                "DELETE FROM explanations_owed WHERE workflow_id = $1 AND seq = $2",
                &[&id, &big(seq)],
            )
            .map_err(pg)?;
        if settled == 0 {
            return Err(StoreError::AlreadyExplained {
                workflow_id: id.to_string(),
                seq,
            });
        }
    }
    if let Some(decisions) = &request.owes {
        tx.execute(
            "INSERT INTO explanations_owed (workflow_id, seq, owed_since, decisions)
             VALUES ($1, $2, $3, $4)",
            &[&id, &last, &request.recorded_at, decisions],
        )
        .map_err(pg)?;
    }
    // The notice goes after the commit, from the notifier (`postgres_live`):
    // sent from here, it would hold the database's notification lock through
    // this commit's flush, and appends would commit one at a time.
    Ok(())
}

/// The workflow's row: inserted for a new log (refused if it exists), otherwise
/// moved on only if its last event number is still the one the append expects
/// (the conditional `UPDATE` that waits on a concurrent append's row lock).
fn move_workflow_row(
    tx: &mut postgres::Transaction<'_>,
    request: &AppendRequest,
) -> Result<(), StoreError> {
    let id = request.workflow_id.as_str();
    let state = request.state.as_str();
    let last = big(request.new_last_seq());
    if request.expected_last_seq == 0 {
        let created = tx
            .execute(
                "INSERT INTO workflows (workflow_id, category, state, last_seq, created_at, updated_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (workflow_id) DO NOTHING",
                &[
                    &id,
                    &request.category,
                    &state,
                    &last,
                    &request.recorded_at,
                    &request.approval_deadline,
                ],
            )
            .map_err(pg)?;
        if created == 0 {
            return Err(StoreError::AlreadyExists(id.to_string()));
        }
    } else {
        let moved = tx
            .execute(
                "UPDATE workflows SET state = $2, last_seq = $3, updated_at = $4, expires_at = $6
                 WHERE workflow_id = $1 AND last_seq = $5",
                &[
                    &id,
                    &state,
                    &last,
                    &request.recorded_at,
                    &big(request.expected_last_seq),
                    &request.approval_deadline,
                ],
            )
            .map_err(pg)?;
        if moved == 0 {
            let found = tx
                .query_opt(
                    "SELECT last_seq FROM workflows WHERE workflow_id = $1",
                    &[&id],
                )
                .map_err(pg)?
                .map(|row| row.get::<_, i64>(0) as u64);
            return Err(request.refusal(found).unwrap_or_else(|| {
                StoreError::Database(format!(
                    "workflow '{id}' refused the append without a reason"
                ))
            }));
        }
    }
    Ok(())
}

impl EventStore for PostgresStore {
    fn append_step(
        &self,
        workflow_id: &str,
        expected_last_seq: u64,
        events: &[Event],
        meta: AppendMeta<'_>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let request = AppendRequest::new(workflow_id, expected_last_seq, events, meta)?;
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(pg)?;
        write(&mut tx, &request)?;
        // `synchronous_commit` on (the default): the commit returns once durable.
        // A failure here may come after the server committed (the connection
        // dropped before its answer): the outcome is unknown, not "nothing written".
        tx.commit().map_err(|e| StoreError::CommitUnknown {
            workflow_id: workflow_id.to_string(),
            reason: pg(e).to_string(),
        })?;
        self.notifier.appended(workflow_id, request.new_last_seq());
        Ok(encode::stored(
            workflow_id,
            expected_last_seq,
            events,
            request.recorded_at,
        ))
    }

    fn agenda(&self, now: DateTime<Utc>, grace: chrono::Duration) -> Result<Agenda, StoreError> {
        let stalled_before = now - grace;
        let mut client = self.client()?;
        let mut agenda = Agenda::default();
        for row in client
            .query(
                "SELECT workflow_id FROM workflows WHERE expires_at IS NOT NULL AND expires_at <= $1",
                &[&now],
            )
            .map_err(pg)?
        {
            agenda.expired_approvals.push(row.get(0));
        }
        let next: Option<DateTime<Utc>> = client
            .query_one(
                "SELECT min(expires_at) FROM workflows WHERE expires_at > $1",
                &[&now],
            )
            .map_err(pg)?
            .get(0);
        if let Some(next) = next {
            agenda.consider(next);
        }
        let running = agenda::running_states();
        for row in client
            .query(
                "SELECT workflow_id, updated_at FROM workflows WHERE state = ANY($1)",
                &[&running],
            )
            .map_err(pg)?
        {
            agenda.running(row.get(0), row.get(1), stalled_before, grace);
        }
        for row in client
            .query(
                "SELECT workflow_id, seq, owed_since, decisions FROM explanations_owed ORDER BY owed_since",
                &[],
            )
            .map_err(pg)?
        {
            let workflow_id: String = row.get(0);
            let seq = row.get::<_, i64>(1) as u64;
            let owed = OwedExplanation {
                owed_since: row.get(2),
                decisions: agenda::decode_decisions(row.get(3), &workflow_id, seq)?,
                workflow_id,
                seq,
            };
            agenda.owing(owed, stalled_before, grace);
        }
        Ok(agenda)
    }

    fn load(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut client = self.client()?;
        // One snapshot for the check and the read.
        let mut tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()
            .map_err(pg)?;
        if tx
            .query_opt(
                "SELECT 1 FROM workflows WHERE workflow_id = $1",
                &[&workflow_id],
            )
            .map_err(pg)?
            .is_none()
        {
            return Err(StoreError::UnknownWorkflow(workflow_id.to_string()));
        }
        let rows = tx
            .query(
                "SELECT seq, recorded_at, payload::text FROM events
                 WHERE workflow_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&workflow_id, &big(after), &limit.map(big)],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|row| {
                let seq = row.get::<_, i64>(0) as u64;
                Ok(StoredEvent {
                    workflow_id: workflow_id.to_string(),
                    seq,
                    recorded_at: row.get(1),
                    event: encode::decode(row.get(2), workflow_id, seq)?,
                })
            })
            .collect()
    }

    fn claim_key(
        &self,
        key_id: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<KeyClaim, StoreError> {
        let mut client = self.client()?;
        let expires = now + KEY_RETENTION;
        client
            .execute(
                "DELETE FROM idempotency_keys WHERE expires_at < $1",
                &[&now],
            )
            .map_err(pg)?;
        let inserted = client
            .execute(
                "INSERT INTO idempotency_keys (key_id, fingerprint, claimed_at, expires_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING",
                &[&key_id, &fingerprint, &now, &expires],
            )
            .map_err(pg)?;
        if inserted == 1 {
            return Ok(KeyClaim::Fresh);
        }
        let row = client
            .query_one(
                "SELECT fingerprint, claimed_at, status, content_type, body
                 FROM idempotency_keys WHERE key_id = $1",
                &[&key_id],
            )
            .map_err(pg)?;
        let answer = row.get::<_, Option<i32>>(2).map(|status| KeyAnswer {
            status: u16::try_from(status).unwrap_or(500),
            content_type: row.get::<_, Option<String>>(3).unwrap_or_default(),
            body: row.get::<_, Option<Vec<u8>>>(4).unwrap_or_default(),
        });
        Ok(KeyClaim::Known(KeyRecord {
            fingerprint: row.get(0),
            answer,
            claimed_at: row.get(1),
        }))
    }

    fn answer_key(&self, key_id: &str, answer: &KeyAnswer) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "UPDATE idempotency_keys SET status = $2, content_type = $3, body = $4
                 WHERE key_id = $1",
                &[
                    &key_id,
                    &i32::from(answer.status),
                    &answer.content_type,
                    &answer.body,
                ],
            )
            .map(|_| ())
            .map_err(pg)
    }

    fn release_key(&self, key_id: &str) -> Result<(), StoreError> {
        self.client()?
            .execute(
                "DELETE FROM idempotency_keys WHERE key_id = $1 AND status IS NULL",
                &[&key_id],
            )
            .map(|_| ())
            .map_err(pg)
    }

    fn exists(&self, workflow_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT 1 FROM workflows WHERE workflow_id = $1",
                &[&workflow_id],
            )
            .map_err(pg)?
            .is_some())
    }

    fn last_seq(&self, workflow_id: &str) -> Result<u64, StoreError> {
        self.client()?
            .query_opt(
                "SELECT last_seq FROM workflows WHERE workflow_id = $1",
                &[&workflow_id],
            )
            .map_err(pg)?
            .map(|row| row.get::<_, i64>(0) as u64)
            .ok_or_else(|| StoreError::UnknownWorkflow(workflow_id.to_string()))
    }

    fn lock_workflow(&self, workflow_id: &str) -> Result<StoreLock, StoreError> {
        self.locks.lock_after_commit(
            format!("atelier workflow {workflow_id}"),
            &commit_key(workflow_id),
        )
    }

    fn try_lock(&self, name: &str) -> Result<Option<StoreLock>, StoreError> {
        self.locks.try_lock(format!("atelier {name}"))
    }

    fn watch(&self) -> Result<Option<StoreWatch>, StoreError> {
        postgres_live::watch(self.config.clone()).map(Some)
    }

    fn list(&self) -> Result<Vec<WorkflowSummary>, StoreError> {
        // `COLLATE "C"`: ties in time are ordered by bytes, as SQLite does.
        let rows = self
            .client()?
            .query(
                "SELECT workflow_id, category, state, last_seq, created_at, updated_at
                 FROM workflows ORDER BY created_at DESC, workflow_id COLLATE \"C\"",
                &[],
            )
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|row| WorkflowSummary {
                workflow_id: row.get(0),
                category: row.get(1),
                state: WorkflowState::parse(row.get::<_, &str>(2)).unwrap_or(WorkflowState::Error),
                last_seq: row.get::<_, i64>(3) as u64,
                created_at: row.get(4),
                updated_at: row.get(5),
            })
            .collect())
    }
}

//! PostgreSQL's side of running several servers on one database: advisory locks
//! held on connections of their own, a thread that sends a notice after every
//! append's commit, and a thread that `LISTEN`s for them.
//!
//! The notice is not sent in the append's own transaction: a transaction that
//! has notified takes a lock on the whole database's notification queue at its
//! commit and holds it until the commit is flushed, so every append would wait
//! for every other one's disk write. Sent after the commit (so a listener that
//! reads on a notice finds the events), from a connection of its own with
//! `synchronous_commit` off and several notices per statement, the queue's lock
//! is held for microseconds. A notice is a hint: one lost with a crash between
//! a commit and its notice is made up by the listeners' periodic catch-up.

use super::StoreError;
use super::coordination::{StoreLock, StoreNotice, StoreWatch};
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// The channel appends notify on.
pub(super) const CHANNEL: &str = "atelier_events";

/// The payload of an append's notice: the number first, so that any workflow id
/// (spaces included) survives.
pub(super) fn notice_payload(workflow_id: &str, last_seq: u64) -> String {
    format!("{last_seq} {workflow_id}")
}

fn parse_notice(payload: &str) -> Option<StoreNotice> {
    let (seq, id) = payload.split_once(' ')?;
    Some(StoreNotice::Appended {
        workflow_id: id.to_string(),
        last_seq: seq.parse().ok()?,
    })
}

/// The most notices sent in one statement.
const NOTICES_PER_BATCH: usize = 256;

/// Sends appends' notices after their commits, from a thread and a connection
/// of its own (see the module documentation), so that no append waits on
/// another's notice.
pub(super) struct Notifier {
    queue: Sender<(String, u64)>,
}

impl Notifier {
    /// Starts the notifying thread; it connects when the first notice comes and
    /// ends when the notifier is dropped.
    pub(super) fn start(config: postgres::Config) -> Result<Notifier, StoreError> {
        let (queue, pending) = channel();
        std::thread::Builder::new()
            .name("atelier-pg-notify".into())
            .spawn(move || send_notices(&config, &pending))
            .map_err(|e| StoreError::Database(format!("cannot start the notice thread: {e}")))?;
        Ok(Notifier { queue })
    }

    /// Queues the notice of an append that committed: `workflow_id` now ends
    /// at event `last_seq`.
    pub(super) fn appended(&self, workflow_id: &str, last_seq: u64) {
        // The thread ends only with the notifier, so the queue is open.
        let _ = self.queue.send((workflow_id.to_string(), last_seq));
    }
}

/// The notifying thread: takes every notice queued, keeps each workflow's
/// latest, and sends them in one statement; on a lost connection, connects
/// again once for the batch, else drops it (the listeners catch up).
fn send_notices(config: &postgres::Config, pending: &std::sync::mpsc::Receiver<(String, u64)>) {
    let mut client: Option<Client> = None;
    while let Ok(first) = pending.recv() {
        let mut latest = std::collections::HashMap::from([first]);
        while latest.len() < NOTICES_PER_BATCH {
            let Ok((id, seq)) = pending.try_recv() else {
                break;
            };
            let kept = latest.entry(id).or_insert(seq);
            *kept = (*kept).max(seq);
        }
        let payloads: Vec<String> = latest
            .iter()
            .map(|(id, seq)| notice_payload(id, *seq))
            .collect();
        for _ in 0..2 {
            if client.is_none() {
                client = notifier_client(config).ok();
            }
            let Some(c) = client.as_mut() else {
                break;
            };
            let sent = c.execute(
                "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                &[&CHANNEL, &payloads],
            );
            if sent.is_ok() {
                break;
            }
            client = None;
        }
    }
}

/// The notifier's connection: its commits (one per statement) do not wait for
/// the disk, as nothing durable is written through it.
fn notifier_client(config: &postgres::Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute("SET synchronous_commit = off")?;
    Ok(client)
}

/// Idle lock connections kept for reuse.
const MAX_IDLE_LOCK_CLIENTS: usize = 8;

/// How long taking a workflow's lock may wait before it fails.
const LOCK_WAIT: &str = "30s";

/// How long a caller waits for one of the process's lock connections.
const SLOT_WAIT: Duration = Duration::from_secs(30);

/// Connections for advisory locks. Session locks live as long as their connection,
/// so a lock has a connection of its own, apart from the pool the appends use (a
/// step holding its lock must still be able to append), and a process that dies
/// releases its locks with its connections. At most `max` are open at once, so
/// that hundreds of concurrent steps do not open hundreds of connections (the
/// server's `max_connections` is shared by every instance); past it, a caller
/// waits for one to be released.
pub(super) struct LockClients {
    config: postgres::Config,
    shared: Arc<Slots>,
}

/// The lock connections' bookkeeping, shared with the held locks.
struct Slots {
    idle: Mutex<Vec<Client>>,
    /// Lock connections lent out now.
    busy: Mutex<u32>,
    freed: Condvar,
    max: u32,
}

impl Slots {
    fn take(&self) -> Result<(), StoreError> {
        let busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut busy, waited) = self
            .freed
            .wait_timeout_while(busy, SLOT_WAIT, |b| *b >= self.max)
            .unwrap_or_else(PoisonError::into_inner);
        if waited.timed_out() && *busy >= self.max {
            return Err(StoreError::Database(format!(
                "all {} lock connections stayed busy for {} s",
                self.max,
                SLOT_WAIT.as_secs()
            )));
        }
        *busy += 1;
        Ok(())
    }

    /// Gives a slot back, keeping `client` for reuse if given.
    fn give_back(&self, client: Option<Client>) {
        if let Some(client) = client.filter(|c| !c.is_closed()) {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE_LOCK_CLIENTS {
                idle.push(client);
            }
        }
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        *busy = busy.saturating_sub(1);
        drop(busy);
        self.freed.notify_one();
    }
}

/// A held advisory lock: unlocks on drop, and hands its connection back (or
/// closes it, which releases the lock too, when unlocking failed).
struct Advisory {
    client: Option<Client>,
    key: String,
    slots: Arc<Slots>,
}

impl Drop for Advisory {
    fn drop(&mut self) {
        let Some(mut client) = self.client.take() else {
            return;
        };
        // On a thread of its own, joined at once: the lock may be dropped on an async
        // runtime's worker (a sweep cancelled at shutdown), where the client's own
        // `block_on` would panic; a fresh thread has no runtime, and the release stays
        // synchronous for the caller.
        let key = &self.key;
        let back = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let unlocked = client
                        .query_one("SELECT pg_advisory_unlock(hashtextextended($1, 0))", &[key]);
                    unlocked.is_ok().then_some(client)
                })
                .join()
                .ok()
                .flatten()
        });
        self.slots.give_back(back);
    }
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError::Database(match e.as_db_error() {
        Some(server) => server.to_string(),
        None => e.to_string(),
    })
}

impl LockClients {
    /// At most `max` lock connections open at once (at least 4: a sweep holds
    /// one while the steps it runs take others).
    pub(super) fn new(config: postgres::Config, max: u32) -> LockClients {
        LockClients {
            config,
            shared: Arc::new(Slots {
                idle: Mutex::new(Vec::new()),
                busy: Mutex::new(0),
                freed: Condvar::new(),
                max: max.max(4),
            }),
        }
    }

    /// An idle connection if one is kept (`true`: it may have died since, as when
    /// the database restarted), else a new one. The caller holds a slot.
    fn client(&self) -> Result<(Client, bool), StoreError> {
        let pooled = self
            .shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(client) = pooled.filter(|c| !c.is_closed()) {
            return Ok((client, true));
        }
        Ok((self.connect()?, false))
    }

    fn connect(&self) -> Result<Client, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(pg)?;
        client
            .batch_execute(&format!("SET lock_timeout = '{LOCK_WAIT}'"))
            .map_err(pg)?;
        Ok(client)
    }

    /// Takes a slot and runs `query` (one row) on a lock connection: a kept
    /// connection that turns out dead (the database restarted since it was last
    /// used) is replaced by a new one, once. On failure the slot is given back.
    fn on_lock_client(
        &self,
        query: &str,
        key: &str,
    ) -> Result<(Client, postgres::Row), StoreError> {
        self.shared.take()?;
        let run = || -> Result<(Client, postgres::Row), StoreError> {
            let (mut client, reused) = self.client()?;
            match client.query_one(query, &[&key]) {
                Ok(row) => Ok((client, row)),
                Err(e) if reused && e.as_db_error().is_none() => {
                    let mut fresh = self.connect()?;
                    let row = fresh.query_one(query, &[&key]).map_err(pg)?;
                    Ok((fresh, row))
                }
                Err(e) => Err(pg(e)),
            }
        };
        run().inspect_err(|_| self.shared.give_back(None))
    }

    fn held(&self, client: Client, key: String) -> StoreLock {
        StoreLock::held_by(Advisory {
            client: Some(client),
            key,
            slots: self.shared.clone(),
        })
    }

    /// Waits (at most [`LOCK_WAIT`]) for the lock named `key`.
    pub(super) fn lock(&self, key: String) -> Result<StoreLock, StoreError> {
        let (client, _) = self
            .on_lock_client("SELECT pg_advisory_lock(hashtextextended($1, 0))", &key)
            .map_err(|e| StoreError::Database(format!("waiting for the lock '{key}': {e}")))?;
        Ok(self.held(client, key))
    }

    /// Waits for the lock named `key`, then for any transaction still holding the
    /// transaction lock `commit_key` to end: a holder that died mid-commit loses
    /// its session lock with its connection, possibly before its last commit has
    /// finished, so the next holder waits for that commit's outcome (durable or
    /// rolled back) before it reads the log.
    pub(super) fn lock_after_commit(
        &self,
        key: String,
        commit_key: &str,
    ) -> Result<StoreLock, StoreError> {
        let (mut client, _) = self
            .on_lock_client("SELECT pg_advisory_lock(hashtextextended($1, 0))", &key)
            .map_err(|e| StoreError::Database(format!("waiting for the lock '{key}': {e}")))?;
        // On the lock's own connection, so no second slot is needed; the
        // transaction lock is taken and released within the one statement.
        if let Err(e) = client.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&commit_key],
        ) {
            // Closing the connection releases the session lock just taken.
            drop(client);
            self.shared.give_back(None);
            return Err(StoreError::Database(format!(
                "waiting for the last commit of '{key}': {}",
                pg(e)
            )));
        }
        Ok(self.held(client, key))
    }

    /// The lock named `key` if nobody holds it, without waiting.
    pub(super) fn try_lock(&self, key: String) -> Result<Option<StoreLock>, StoreError> {
        let (client, row) =
            self.on_lock_client("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &key)?;
        if !row.get::<_, bool>(0) {
            self.shared.give_back(Some(client));
            return Ok(None);
        }
        Ok(Some(self.held(client, key)))
    }
}

fn listen(config: &postgres::Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// Starts watching: connects and listens now (so an unreachable database is an
/// error here), then forwards notices from a thread of its own until the watch
/// is dropped, reconnecting (and saying [`StoreNotice::Resync`]) when the
/// connection is lost.
pub(super) fn watch(config: postgres::Config) -> Result<StoreWatch, StoreError> {
    let client = listen(&config).map_err(pg)?;
    let (notices, receiver) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::Builder::new()
        .name("atelier-pg-watch".into())
        .spawn(move || forward(config, client, &notices, &stopped))
        .map_err(|e| StoreError::Database(format!("cannot start the watch thread: {e}")))?;
    Ok(StoreWatch::new(receiver, stop))
}

/// How often the thread looks at whether its watch was dropped.
const POLL: Duration = Duration::from_millis(200);

fn forward(
    config: postgres::Config,
    mut client: Client,
    notices: &Sender<StoreNotice>,
    stop: &AtomicBool,
) {
    let mut backoff = POLL;
    while !stop.load(Ordering::Relaxed) {
        let next = client.notifications().timeout_iter(POLL).next();
        match next {
            Ok(Some(note)) => {
                if let Some(notice) = parse_notice(note.payload())
                    && notices.send(notice).is_err()
                {
                    return;
                }
                continue;
            }
            Ok(None) if !client.is_closed() => continue,
            Ok(None) | Err(_) => {}
        }
        // The connection is gone: reconnect, then tell the watcher to catch up.
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(backoff);
            match listen(&config) {
                Ok(fresh) => {
                    client = fresh;
                    backoff = POLL;
                    if notices.send(StoreNotice::Resync).is_err() {
                        return;
                    }
                    break;
                }
                Err(_) => backoff = (backoff * 2).min(Duration::from_secs(5)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_carries_any_workflow_id_and_its_number() {
        let payload = notice_payload("spring dresses 2025", 42);
        assert_eq!(
            parse_notice(&payload),
            Some(StoreNotice::Appended {
                workflow_id: "spring dresses 2025".into(),
                last_seq: 42
            })
        );
        assert_eq!(parse_notice("garbage"), None);
        assert_eq!(parse_notice("x y"), None);
    }
}

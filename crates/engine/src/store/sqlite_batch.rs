//! A batch of appends in one SQLite transaction: each in its own savepoint, so a
//! conflict or a failed insert undoes that append alone, and one commit (one
//! fsync) makes them all durable. An append is reported written only once that
//! commit has returned.

use super::StoreError;
use super::encode::AppendRequest;
use super::idempotency::sqlite_time;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Runs `batch` in one transaction; one outcome per append, in order.
pub(super) fn run_batch(
    conn: &mut Connection,
    batch: &[AppendRequest],
) -> Vec<Result<(), StoreError>> {
    let failed_all = |why: &str| {
        batch
            .iter()
            .map(|_| Err(StoreError::Database(why.to_string())))
            .collect()
    };
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return failed_all(&format!("cannot begin a transaction: {e}")),
    };
    let mut outcomes: Vec<Result<(), StoreError>> = Vec::with_capacity(batch.len());
    if let [only] = batch {
        // Alone in its transaction, an append needs no savepoint: a failure rolls
        // the whole transaction back.
        outcomes.push(write(&tx, only));
    } else {
        for request in batch {
            let outcome = match tx.savepoint() {
                Ok(savepoint) => {
                    let written = write(&savepoint, request);
                    if written.is_ok() {
                        savepoint.commit().map_err(db)
                    } else {
                        // Dropping the savepoint rolls this append back.
                        written
                    }
                }
                Err(e) => Err(db(e)),
            };
            let lost = outcome.is_err() && tx.is_autocommit();
            outcomes.push(outcome);
            if lost {
                // SQLite rolled the whole transaction back (a full disk, an I/O
                // error): the appends before this one are gone too, and the ones
                // after it must not run outside a transaction.
                return abandon(outcomes, batch.len());
            }
        }
    }
    if outcomes.iter().all(Result::is_err) {
        // Nothing to make durable: skip the fsync.
        drop(tx);
        return outcomes;
    }
    if let Err(e) = tx.commit() {
        let why = format!("the commit failed, nothing was written: {e}");
        for o in outcomes.iter_mut().filter(|o| o.is_ok()) {
            *o = Err(StoreError::Database(why.clone()));
        }
    }
    outcomes
}

/// The outcomes of a batch whose transaction SQLite rolled back: the last
/// append's own error, and for every other one an error saying nothing of it
/// was written.
fn abandon(mut outcomes: Vec<Result<(), StoreError>>, len: usize) -> Vec<Result<(), StoreError>> {
    let why = match outcomes.last() {
        Some(Err(e)) => e.to_string(),
        _ => String::from("the transaction was rolled back"),
    };
    let lost = || {
        Err(StoreError::Database(format!(
            "not written: the batch's transaction was rolled back by another append's failure ({why})"
        )))
    };
    let last = outcomes.len() - 1;
    for o in outcomes[..last].iter_mut().filter(|o| o.is_ok()) {
        *o = lost();
    }
    outcomes.resize_with(len, lost);
    outcomes
}

/// One append's statements: the sequence check, the events, the workflow's row
/// (with its approval deadline), and the explanations owed or settled.
fn write(conn: &Connection, request: &AppendRequest) -> Result<(), StoreError> {
    let id = &request.workflow_id;
    let found: Option<i64> = conn
        .prepare_cached("SELECT last_seq FROM workflows WHERE workflow_id = ?1")
        .map_err(db)?
        .query_row(params![id], |r| r.get(0))
        .optional()
        .map_err(db)?;
    if let Some(refused) = request.refusal(found.map(|v| v as u64)) {
        return Err(refused);
    }
    let stamp = request
        .recorded_at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    if found.is_none() {
        conn.prepare_cached(
            "INSERT INTO workflows (workflow_id, category, state, last_seq, created_at, updated_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?4)",
        )
        .map_err(db)?
        .execute(params![id, request.category, request.state.as_str(), stamp])
        .map_err(db)?;
    }
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO events (workflow_id, seq, recorded_at, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db)?;
    for ((kind, payload), seq) in request.rows.iter().zip(request.expected_last_seq + 1..) {
        insert
            .execute(params![id, seq as i64, stamp, kind, payload])
            .map_err(db)?;
    }
    let deadline = request.approval_deadline.map(sqlite_time);
    conn.prepare_cached(
        "UPDATE workflows SET state = ?2, last_seq = ?3, updated_at = ?4, expires_at = ?5
         WHERE workflow_id = ?1",
    )
    .map_err(db)?
    .execute(params![
        id,
        request.state.as_str(),
        request.new_last_seq() as i64,
        stamp,
        deadline
    ])
    .map_err(db)?;
    if let Some(seq) = request.settles {
        let settled = conn
            .prepare_cached("DELETE FROM explanations_owed WHERE workflow_id = ?1 AND seq = ?2")
            .map_err(db)?
            .execute(params![id, seq as i64])
            .map_err(db)?;
        if settled == 0 {
            return Err(StoreError::AlreadyExplained {
                workflow_id: id.clone(),
                seq,
            });
        }
    }
    if let Some(decisions) = &request.owes {
        conn.prepare_cached(
            "INSERT INTO explanations_owed (workflow_id, seq, owed_since, decisions)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db)?
        .execute(params![id, request.new_last_seq() as i64, stamp, decisions])
        .map_err(db)?;
    }
    Ok(())
}

/// A SQLite error as the store reports it (shared with `sqlite.rs`, which runs
/// its batches here).
pub(super) fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::state::WorkflowState;

    fn request(id: &str, after: u64, n: u32) -> AppendRequest {
        let events: Vec<Event> = (0..n)
            .map(|week| Event::PhaseStarted {
                phase: WorkflowState::Phase3Monitoring,
                week,
            })
            .collect();
        let now = chrono::Utc::now();
        AppendRequest::new(
            id,
            after,
            &events,
            crate::store::AppendMeta::plain(WorkflowState::Phase3Monitoring, "c", now),
        )
        .unwrap()
    }

    fn last_seq(conn: &Connection, id: &str) -> Option<i64> {
        conn.query_row(
            "SELECT last_seq FROM workflows WHERE workflow_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
    }

    fn events(conn: &Connection, id: &str) -> i64 {
        conn.query_row(
            "SELECT count(*) FROM events WHERE workflow_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn one_transaction_keeps_the_good_appends_and_undoes_each_bad_one_alone() {
        let mut conn = super::super::sqlite::migrated_in_memory();
        assert!(run_batch(&mut conn, &[request("a", 0, 2)])[0].is_ok());
        conn.execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.workflow_id = 'poison'
             BEGIN SELECT RAISE(ABORT, 'injected'); END;",
        )
        .unwrap();
        let batch = [
            request("a", 2, 1),      // fits
            request("a", 2, 1),      // stale now: the one before moved it to 3
            request("b", 0, 2),      // a new workflow
            request("poison", 0, 2), // fails inside the database, half written
            request("b", 2, 1),      // after the new one, in the same batch
            request("nobody", 4, 1), // unknown
            request("a", 0, 1),      // exists already
        ];
        let outcomes = run_batch(&mut conn, &batch);
        assert!(outcomes[0].is_ok());
        assert!(matches!(
            outcomes[1],
            Err(StoreError::Conflict {
                expected: 2,
                found: 3,
                ..
            })
        ));
        assert!(outcomes[2].is_ok());
        assert!(matches!(&outcomes[3], Err(StoreError::Database(m)) if m.contains("injected")));
        assert!(outcomes[4].is_ok());
        assert!(matches!(outcomes[5], Err(StoreError::UnknownWorkflow(_))));
        assert!(matches!(outcomes[6], Err(StoreError::AlreadyExists(_))));
        assert_eq!((last_seq(&conn, "a"), events(&conn, "a")), (Some(3), 3));
        assert_eq!((last_seq(&conn, "b"), events(&conn, "b")), (Some(3), 3));
        // The failed creation left no workflow row behind (it was inserted before
        // the events failed).
        assert_eq!(last_seq(&conn, "poison"), None);
        assert!(conn.is_autocommit(), "the transaction is closed");
    }

    #[test]
    fn a_batch_of_refusals_only_commits_nothing() {
        let mut conn = super::super::sqlite::migrated_in_memory();
        let outcomes = run_batch(&mut conn, &[request("x", 3, 1), request("y", 1, 1)]);
        assert!(outcomes.iter().all(Result::is_err));
        assert!(conn.is_autocommit());
        assert!(run_batch(&mut conn, &[request("x", 0, 1)])[0].is_ok());
    }
}

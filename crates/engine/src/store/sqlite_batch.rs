//! A batch of appends in one SQLite transaction: each in its own savepoint, so a
//! conflict or a failed insert undoes that append alone, and one commit (one
//! fsync) makes them all durable. An append is reported written only once that
//! commit has returned.

use super::StoreError;
use super::encode::AppendRequest;
use super::sqlite::db;
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

/// One append's statements: the sequence check, the events, the workflow's row.
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
    conn.prepare_cached(
        "UPDATE workflows SET state = ?2, last_seq = ?3, updated_at = ?4 WHERE workflow_id = ?1",
    )
    .map_err(db)?
    .execute(params![
        id,
        request.state.as_str(),
        request.new_last_seq() as i64,
        stamp
    ])
    .map_err(db)?;
    Ok(())
}

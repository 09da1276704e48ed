//! SQLite's group commit under real concurrency: appends of many workflows racing
//! into shared transactions, each caller with its own outcome.

use super::backend::Sqlite;
use atelier_engine::WorkflowState;
use atelier_engine::event::Event;
use atelier_engine::store::{EventStore, SqliteOptions, SqliteStore, StoreError};
use std::sync::Barrier;

fn event(week: u32) -> Event {
    Event::PhaseStarted {
        phase: WorkflowState::Phase3Monitoring,
        week,
    }
}

fn append(store: &SqliteStore, id: &str, after: u64) -> Result<u64, StoreError> {
    store
        .append(
            id,
            after,
            &[event(1), event(2)],
            WorkflowState::Phase3Monitoring,
            "c",
            chrono::Utc::now(),
        )
        .map(|stored| stored.last().map_or(after, |e| e.seq))
}

/// Runs `f(i)` on `n` threads released together; outcomes in thread order.
fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (start, f) = (&start, &f);
                s.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn conflicts_in_a_batch_fail_only_their_own_caller() {
    const THREADS: usize = 16;
    const ROUNDS: u64 = 15;
    let db = Sqlite::new();
    let store = SqliteStore::open(&db.path()).unwrap();
    for t in 0..THREADS {
        append(&store, &format!("w{t}"), 0).unwrap();
    }
    let before = store.group_commit_stats();
    for round in 0..ROUNDS {
        let last = 2 + round * 2;
        let outcomes = race(THREADS, |t| {
            // Odd threads are stale: they saw an older event.
            let after = if t % 2 == 0 { last } else { last - 1 };
            append(&store, &format!("w{t}"), after)
        });
        for (t, outcome) in outcomes.iter().enumerate() {
            if t % 2 == 0 {
                assert_eq!(
                    outcome.as_ref().ok(),
                    Some(&(last + 2)),
                    "w{t}: {outcome:?}"
                );
            } else {
                assert!(
                    matches!(outcome, Err(StoreError::Conflict { expected, found, .. }) if *expected == last - 1 && *found == 2),
                    "w{t}: {outcome:?}"
                );
            }
        }
    }
    for t in 0..THREADS {
        let log = store.load(&format!("w{t}"), 0, None).unwrap();
        let want = if t % 2 == 0 { 2 + ROUNDS * 2 } else { 2 };
        assert_eq!(log.len() as u64, want, "w{t}");
        assert!(log.iter().zip(1..).all(|(e, n)| e.seq == n));
    }
    let stats = store.group_commit_stats();
    let (transactions, appends) = (
        stats.batches - before.batches,
        stats.requests - before.requests,
    );
    assert_eq!(appends, THREADS as u64 * ROUNDS);
    assert!(
        transactions < appends,
        "{appends} racing appends took {transactions} transactions: nothing was grouped"
    );
}

#[test]
fn an_error_in_one_append_does_not_poison_the_writer() {
    const THREADS: usize = 8;
    let db = Sqlite::new();
    let store = SqliteStore::open(&db.path()).unwrap();
    for t in 0..THREADS {
        append(&store, &format!("w{t}"), 0).unwrap();
    }
    append(&store, "poison", 0).unwrap();
    // Any later insert of an event of 'poison' fails inside the database.
    rusqlite::Connection::open(db.path())
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.workflow_id = 'poison'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    for round in 0..10u64 {
        let last = 2 + round * 2;
        let outcomes = race(THREADS + 1, |t| match t {
            0 => append(&store, "poison", 2),
            t => append(&store, &format!("w{}", t - 1), last),
        });
        assert!(
            matches!(&outcomes[0], Err(StoreError::Database(m)) if m.contains("injected failure")),
            "{:?}",
            outcomes[0]
        );
        for (t, outcome) in outcomes.iter().enumerate().skip(1) {
            assert_eq!(
                outcome.as_ref().ok(),
                Some(&(last + 2)),
                "w{}: {outcome:?}",
                t - 1
            );
        }
    }
    // Nothing of the failed appends is in the log, and a lone append still works.
    assert_eq!(store.last_seq("poison").unwrap(), 2);
    assert_eq!(store.load("poison", 0, None).unwrap().len(), 2);
    assert_eq!(append(&store, "w0", 22).ok(), Some(24));
}

#[test]
fn without_group_commit_every_append_is_its_own_transaction() {
    const THREADS: usize = 8;
    let db = Sqlite::new();
    let store = SqliteStore::open_with(&db.path(), SqliteOptions { max_batch: 1 }).unwrap();
    for t in 0..THREADS {
        append(&store, &format!("w{t}"), 0).unwrap();
    }
    let outcomes = race(THREADS, |t| append(&store, &format!("w{t}"), 2));
    assert!(
        outcomes.iter().all(|o| o.as_ref().ok() == Some(&4)),
        "{outcomes:?}"
    );
    let stats = store.group_commit_stats();
    assert_eq!(stats.batches, stats.requests);
    assert_eq!(stats.requests, 2 * THREADS as u64);
}

#[test]
fn acknowledged_appends_are_in_the_file_for_the_next_process() {
    const THREADS: usize = 12;
    let db = Sqlite::new();
    {
        let store = SqliteStore::open(&db.path()).unwrap();
        let outcomes = race(THREADS, |t| append(&store, &format!("w{t}"), 0));
        assert!(
            outcomes.iter().all(|o| o.as_ref().ok() == Some(&2)),
            "{outcomes:?}"
        );
    }
    let again = SqliteStore::open(&db.path()).unwrap();
    assert_eq!(again.list().unwrap().len(), THREADS);
    for t in 0..THREADS {
        assert_eq!(again.last_seq(&format!("w{t}")).unwrap(), 2);
    }
}

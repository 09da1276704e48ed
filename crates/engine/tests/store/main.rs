//! The event stores' tests: one conformance suite run against SQLite and against
//! PostgreSQL (which these tests find or start, and never skip), SQLite's group
//! commit under concurrency, and what several servers on one PostgreSQL need
//! (locks across processes, notices of each other's appends).

#[path = "../support/mod.rs"]
mod support;

mod backend;
mod conformance;
mod coordination;
mod group_commit;

/// One test per property and store.
macro_rules! conformance {
    ($($property:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $property() {
                    crate::conformance::$property(&crate::backend::Sqlite::new());
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $property() {
                    crate::conformance::$property(&crate::backend::Postgres::new());
                }
            )*
        }
    };
}

conformance!(
    appends_after_the_expected_last_event,
    a_conflict_writes_nothing,
    a_played_log_loads_and_folds_to_the_same_view,
    workflows_are_listed_by_state_newest_first,
    a_week_recorded_twice_is_written_once,
    racing_appends_after_the_same_event_have_one_winner,
    racing_creations_have_one_winner,
    racing_approvals_apply_once,
    concurrent_appends_land_numbered_without_gaps,
    reopening_keeps_the_log_and_migrates_once,
    idempotency_keys_keep_their_answer_for_a_day,
    the_agenda_names_what_is_due_and_the_next_deadline,
    words_owed_by_a_dead_process_are_written_once,
);

/// `open_store` reads a `postgres://` URL as PostgreSQL and anything else as a
/// SQLite file, and both open stores that work.
#[test]
fn open_store_chooses_the_store_by_location() {
    use atelier_engine::WorkflowState;
    use atelier_engine::event::Event;
    use atelier_engine::store::open_store;
    let pg = backend::Postgres::new();
    let sqlite = backend::Sqlite::new();
    for location in [pg.url().to_string(), sqlite.path().display().to_string()] {
        let store = open_store(&location).unwrap();
        let e = Event::PhaseStarted {
            phase: WorkflowState::Phase1Forecasting,
            week: 0,
        };
        store
            .append(
                "w",
                0,
                &[e],
                WorkflowState::Phase1Forecasting,
                "c",
                chrono::Utc::now(),
            )
            .unwrap();
        assert_eq!(store.last_seq("w").unwrap(), 1, "{location}");
    }
    assert!(sqlite.path().exists());
}

/// A connection that fails says why in an operator's words (no such database,
/// no such role, nothing listening) and never prints the password it was given.
#[test]
fn a_failed_connection_names_its_cause_and_never_the_password() {
    use atelier_engine::store::PostgresStore;
    let server = backend::server_url();
    let rest = server
        .strip_prefix("postgres://")
        .expect("a postgres:// URL");
    let (_, at) = rest.split_once('@').expect("user@host");
    let (host_port, _) = at.split_once('/').expect("host/db");
    let failure = |url: String| match PostgresStore::open(&url) {
        Ok(_) => panic!("{url} opened"),
        Err(e) => e.to_string(),
    };
    let e = failure(format!(
        "postgres://postgres:s3cret-pw@{host_port}/no_such_db"
    ));
    assert!(e.contains("database \"no_such_db\" does not exist"), "{e}");
    assert!(!e.contains("s3cret-pw"), "{e}");
    let e = failure(format!(
        "postgres://nobody_here:s3cret-pw@{host_port}/postgres"
    ));
    assert!(
        e.contains("authentication failed for user \"nobody_here\""),
        "{e}"
    );
    assert!(!e.contains("s3cret-pw"), "{e}");
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let e = failure(format!(
        "postgres://postgres:s3cret-pw@127.0.0.1:{port}/postgres"
    ));
    assert!(
        e.contains(&format!("connection refused at 127.0.0.1:{port}")),
        "{e}"
    );
    assert!(!e.contains("s3cret-pw"), "{e}");
}

/// Locations that cannot be meant are refused before anything is created: a URL
/// of another database, a SQLite file in a folder that does not exist.
#[test]
fn unknown_schemes_and_missing_folders_are_refused_creating_nothing() {
    use atelier_engine::store::open_store;
    let dir = tempfile::tempdir().unwrap();
    let mysql = open_store("mysql://root:pw@localhost/atelier")
        .err()
        .map(|e| e.to_string())
        .expect("mysql:// refused");
    assert!(mysql.contains("mysql://"), "{mysql}");
    assert!(!mysql.contains("pw@"), "{mysql}");
    assert!(!std::path::Path::new("mysql:").exists());
    let missing_path = dir.path().join("no/such/dir/x.db");
    let missing = open_store(&missing_path.display().to_string())
        .err()
        .map(|e| e.to_string())
        .expect("missing folder refused");
    assert!(missing.contains("does not exist"), "{missing}");
    let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(created.is_empty(), "{created:?}");
}

/// A database this process may not write is still read (what `status` needs):
/// `open` falls back to `open_read_only` when the OS refuses writes; here it is
/// called directly, since the tests may run as root, whom permissions do not
/// stop. An append is refused, and the file is left as it was.
#[test]
fn a_read_only_database_is_still_readable() {
    use atelier_engine::WorkflowState;
    use atelier_engine::event::Event;
    use atelier_engine::store::{EventStore, SqliteStore};
    let sqlite = backend::Sqlite::new();
    let e = Event::PhaseStarted {
        phase: WorkflowState::Phase1Forecasting,
        week: 0,
    };
    {
        let store = SqliteStore::open(&sqlite.path()).unwrap();
        store
            .append(
                "w",
                0,
                std::slice::from_ref(&e),
                WorkflowState::Phase1Forecasting,
                "c",
                chrono::Utc::now(),
            )
            .unwrap();
    }
    let before = std::fs::read(sqlite.path()).unwrap();
    let store = SqliteStore::open_read_only(&sqlite.path()).unwrap();
    assert_eq!(store.last_seq("w").unwrap(), 1);
    assert_eq!(store.load("w", 0, None).unwrap().len(), 1);
    assert_eq!(store.list().unwrap().len(), 1);
    let refused = store.append(
        "w",
        1,
        &[e],
        WorkflowState::Phase1Forecasting,
        "c",
        chrono::Utc::now(),
    );
    assert!(refused.is_err());
    drop(store);
    assert_eq!(std::fs::read(sqlite.path()).unwrap(), before);
}

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

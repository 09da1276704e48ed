//! A database written at the previous schema version (the fixture
//! `fixtures/schema_v1_season.sqlite`, made by `examples/schema_v1_fixture.rs`: a
//! season paused after week 5, at version 1) is opened by today's code, migrated to
//! the latest version, and its season played on to the report of a season played
//! straight through.

mod support;

use atelier_core::sample;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::clock::ManualClock;
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::{EventStore, SqliteStore};
use atelier_engine::{Orchestrator, WorkflowState};
use chrono::{TimeZone, Utc};
use std::path::Path;
use std::sync::Arc;
use support::{Harness, catalog, harness, margin_params, play_auto, scenario};

const FIXTURE: &str = "tests/fixtures/schema_v1_season.sqlite";

/// The schema version and whether migration 2's index exists.
fn schema(path: &Path) -> (i64, bool) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let version = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'workflows_by_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (version, index == 1)
}

#[test]
fn a_version_1_database_is_migrated_and_its_season_plays_on_to_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v1.db");
    std::fs::copy(FIXTURE, &db).unwrap();
    assert_eq!(schema(&db), (1, false), "the fixture is not at version 1");

    let store = Arc::new(SqliteStore::open(&db).unwrap());
    // Migrated past version 1 to today's latest (3: data sets in the database),
    // migration 2's index included.
    let (version, index) = schema(&db);
    assert!(
        version >= 3 && index,
        "opening did not migrate: version {version}, index {index}"
    );
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap(),
    ));
    let migrated = Harness {
        orchestrator: Orchestrator::new(
            store.clone(),
            AgentRegistry::default(),
            Arc::new(OfflineReasoner),
            clock.clone(),
            catalog(),
        ),
        clock,
        store,
        _dir: dir,
    };
    let paused = migrated.orchestrator.view("fixture-v1").unwrap();
    assert_eq!(paused.state, WorkflowState::Phase3Monitoring);
    assert_eq!(paused.weeks.len(), 5);
    let listed = migrated.store.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_seq, paused.last_seq);

    let weeks = scenario(sample::DEFAULT_SCENARIO);
    let finished = play_auto(&migrated, "fixture-v1", &weeks);
    assert_eq!(finished.state, WorkflowState::Completed);

    let straight = harness();
    straight
        .orchestrator
        .create(support::legacy_workflow(
            "straight",
            margin_params(sample::DEFAULT_PARAMETER_SET),
        ))
        .unwrap();
    let expected = play_auto(&straight, "straight", &weeks);
    assert_eq!(expected.state, WorkflowState::Completed);
    assert_eq!(finished.weeks, expected.weeks);
    assert_eq!(finished.report, expected.report);
    assert!(finished.report.is_some());
    // The migrated file goes on taking appends: the season's log has no gap.
    support::assert_contiguous(&support::events(&migrated, "fixture-v1"));
}

/// Migration 5 fills the approval deadline the sweep reads (`workflows.expires_at`)
/// from each waiting workflow's last approval request, so that an approval asked
/// before the upgrade still expires on time: a database taken back to version 4
/// (its deadline column and owed explanations dropped) and opened again names the
/// deadline, rounded up, never before it.
#[test]
fn migration_5_fills_the_deadline_of_an_approval_asked_before_it() {
    use atelier_engine::clock::Clock;
    use support::new_workflow;
    let h = harness();
    let mut request = new_workflow("waiting", support::params("zara"));
    request.approval_timeout_secs = Some(3600);
    h.orchestrator.create(request).unwrap();
    let view = h.orchestrator.advance("waiting").unwrap();
    let deadline = view
        .pending_approval
        .as_ref()
        .and_then(|p| p.expires_at)
        .expect("an approval with a deadline");
    let path = h._dir.path().join("events.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP INDEX workflows_by_deadline; DROP INDEX workflows_by_state;
             ALTER TABLE workflows DROP COLUMN expires_at; DROP TABLE explanations_owed;
             PRAGMA user_version = 4;",
        )
        .unwrap();
    }
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(schema(&path).0, 5);
    let grace = chrono::Duration::seconds(30);
    let now = h.clock.now();
    let agenda = reopened.agenda(now, grace).unwrap();
    assert!(agenda.expired_approvals.is_empty(), "{agenda:?}");
    let next = agenda.next.expect("the deadline, filled in");
    assert!(
        next >= deadline && next - deadline <= chrono::Duration::milliseconds(2),
        "{next} for {deadline}"
    );
    let after = reopened
        .agenda(deadline + chrono::Duration::seconds(1), grace)
        .unwrap();
    assert_eq!(after.expired_approvals, ["waiting"]);
}

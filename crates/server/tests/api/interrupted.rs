//! A database lost in the middle of a write, at a chosen event (the test's SQLite
//! file behind an `OutageStore`): the answer says what is true ("nothing was
//! changed" only when nothing of the request was recorded), and the request sent
//! again with the same `Idempotency-Key` once the database is back gets one
//! outcome, the one an uninterrupted request gets, recorded once.

use crate::helpers::*;
use atelier_engine::store::Cue;
use serde_json::{Value, json};

const ACCEPT: &str = r#"{"action":"accept"}"#;

/// Events of `kind` in the workflow's log.
fn logged(app: &TestApp, id: &str, kind: &str) -> Vec<Value> {
    let page = app.get(&format!("/api/workflows/{id}/events?limit=1000"));
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|e| e["event"]["type"] == kind)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// A 503 whose words are `wanted`, never "nothing was changed".
fn assert_503_saying(answer: &Answer, wanted: &str) {
    assert_eq!(answer.status, 503, "{:?}", answer.body);
    let said = answer.body["error"].as_str().unwrap_or_default();
    assert!(said.contains(wanted), "expected '{wanted}' in: {said}");
    assert!(
        !said.contains("nothing was changed"),
        "something was recorded, yet the answer says: {said}"
    );
}

/// The 503 of a request recorded before the database was lost.
fn assert_recorded_unfinished(answer: &Answer) {
    assert_503_saying(
        answer,
        "after this request was recorded, before it was finished: send it again with the same Idempotency-Key",
    );
}

/// A season waiting for its first week's actuals.
fn running_season(app: &TestApp) -> String {
    let id = app.create_zara(None);
    let answered = app.accept_pending(&id);
    assert_eq!(answered["state"], "phase_3_monitoring", "{answered}");
    id
}

#[test]
fn an_approval_recorded_before_the_database_is_lost_is_finished_once_by_its_retry() {
    let (app, outage) = spawn_app_with_outage();
    let reference = app.create_zara(None);
    let expected = app.accept_pending(&reference);
    let id = app.create_zara(None);
    let path = format!("/api/workflows/{id}/approvals/manufacturing-1");

    // The answer commits; the allocation it unblocks finds no database.
    outage.arm(Cue::After("approval_resolved"));
    let (first, _) = app.post_keyed("approve-once", &path, "application/json", ACCEPT);
    assert_recorded_unfinished(&first);
    outage.restore();

    let (again, replayed) = app.post_keyed("approve-once", &path, "application/json", ACCEPT);
    assert!(!replayed, "no answer was kept for the first attempt");
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["state"], expected["state"], "{:?}", again.body);
    assert_eq!(logged(&app, &id, "approval_resolved").len(), 1);
    assert_eq!(
        logged(&app, &id, "allocation_made").len(),
        logged(&app, &reference, "allocation_made").len()
    );
    // That answer is kept: a further repeat is replayed.
    let (third, replayed) = app.post_keyed("approve-once", &path, "application/json", ACCEPT);
    assert!(replayed);
    assert_eq!(third.body, again.body);
}

#[test]
fn an_approval_lost_before_its_commit_says_nothing_changed_and_its_retry_runs_it_once() {
    let (app, outage) = spawn_app_with_outage();
    let id = app.create_zara(None);
    let path = format!("/api/workflows/{id}/approvals/manufacturing-1");
    outage.arm(Cue::Before("approval_resolved"));
    let (first, _) = app.post_keyed("approve-lost", &path, "application/json", ACCEPT);
    assert_eq!(first.status, 503, "{:?}", first.body);
    assert!(
        first.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("nothing was changed")),
        "{:?}",
        first.body
    );
    outage.restore();
    assert!(logged(&app, &id, "approval_resolved").is_empty());
    let (again, _) = app.post_keyed("approve-lost", &path, "application/json", ACCEPT);
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["state"], "phase_3_monitoring");
    assert_eq!(logged(&app, &id, "approval_resolved").len(), 1);
}

#[test]
fn a_repeat_while_the_database_is_still_away_does_not_say_nothing_changed() {
    let (app, outage) = spawn_app_with_outage();
    let id = app.create_zara(None);
    let path = format!("/api/workflows/{id}/approvals/manufacturing-1");
    outage.arm(Cue::After("approval_resolved"));
    let (first, _) = app.post_keyed("approve-early", &path, "application/json", ACCEPT);
    assert_recorded_unfinished(&first);
    // Sent again at once: the key cannot even be read.
    let (early, _) = app.post_keyed("approve-early", &path, "application/json", ACCEPT);
    assert_503_saying(
        &early,
        "whether an earlier attempt with this Idempotency-Key was recorded cannot be told",
    );
    outage.restore();
    let (again, _) = app.post_keyed("approve-early", &path, "application/json", ACCEPT);
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(logged(&app, &id, "approval_resolved").len(), 1);
}

#[test]
fn a_week_recorded_before_the_database_is_lost_is_answered_once_by_its_retry() {
    let (app, outage) = spawn_app_with_outage();
    let reference = running_season(&app);
    let expected = app.post_csv(
        &format!("/api/workflows/{reference}/actuals"),
        normal_week(1),
    );
    assert_eq!(expected.status, 200, "{:?}", expected.body);
    let id = running_season(&app);
    let path = format!("/api/workflows/{id}/actuals");

    // The week commits; its words find no database.
    outage.arm(Cue::After("week_recorded"));
    let (first, _) = app.post_keyed("week-once", &path, "text/csv", normal_week(1));
    assert_recorded_unfinished(&first);
    outage.restore();

    let (again, _) = app.post_keyed("week-once", &path, "text/csv", normal_week(1));
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body, expected.body, "the uninterrupted week's answer");
    assert_eq!(logged(&app, &id, "week_recorded").len(), 1);
    assert_eq!(app.workflow(&id)["weeks"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_week_whose_commit_answer_is_lost_is_of_unknown_outcome_and_recorded_once() {
    let (app, outage) = spawn_app_with_outage();
    let id = running_season(&app);
    let path = format!("/api/workflows/{id}/actuals");
    outage.arm(Cue::DuringCommit("week_recorded"));
    let (first, _) = app.post_keyed("week-unknown", &path, "text/csv", normal_week(1));
    assert_503_saying(&first, "whether it was recorded is not known yet");
    outage.restore();
    let (again, _) = app.post_keyed("week-unknown", &path, "text/csv", normal_week(1));
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["week"], 1);
    assert_eq!(logged(&app, &id, "week_recorded").len(), 1);
}

#[test]
fn a_reforecast_recorded_before_its_words_is_not_made_twice_by_its_retry() {
    // Words after the commit (a model's): the offline templates' share the
    // re-forecast's transaction, so nothing would come between.
    let (app, outage) = spawn_app_with_outage_and_model();
    let id = running_season(&app);
    app.play_week(&id, 1);
    let manual = |app: &TestApp| {
        logged(app, &id, "reforecast_applied")
            .into_iter()
            .filter(|e| e["event"]["reason"] == "manual")
            .count()
    };
    let path = format!("/api/workflows/{id}/reforecast");
    let body = json!({"reason": "a competitor opened next door"}).to_string();
    outage.arm(Cue::After("reforecast_applied"));
    let (first, _) = app.post_keyed("reforecast-once", &path, "application/json", &body);
    assert_recorded_unfinished(&first);
    outage.restore();
    assert_eq!(manual(&app), 1);

    let (again, _) = app.post_keyed("reforecast-once", &path, "application/json", &body);
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["state"], "phase_3_monitoring");
    assert_eq!(manual(&app), 1, "the retry made a second re-forecast");
    // Another request (another key) may re-forecast again: it is a new one.
    let (other, _) = app.post_keyed("reforecast-twice", &path, "application/json", &body);
    assert_eq!(other.status, 200, "{:?}", other.body);
    assert_eq!(manual(&app), 2);
}

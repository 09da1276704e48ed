//! `Idempotency-Key` on writes: a repeat gets the first answer, a different
//! request under the same key a 422, and a repeat whose first run was recorded but
//! never answered (its instance died) finds what was recorded: one workflow, one
//! approval.

use crate::helpers::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// Drops the answers kept for every key, as if each first request's instance had
/// died after its commit and before its answer was stored.
fn lose_answers(app: &TestApp) {
    let db = rusqlite::Connection::open(&app.db).expect("open the database");
    db.execute(
        "UPDATE idempotency_keys SET status = NULL, content_type = NULL, body = NULL",
        [],
    )
    .expect("forget the answers");
}

fn workflow_count(app: &TestApp) -> usize {
    app.get("/api/workflows")
        .body
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn a_creation_repeated_with_its_key_makes_one_workflow_and_the_same_answer() {
    let app = spawn_app();
    let body = create_body(None).to_string();
    let (first, replayed) = app.post_keyed("k-1", "/api/workflows", "application/json", &body);
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert!(!replayed);
    let (again, replayed) = app.post_keyed("k-1", "/api/workflows", "application/json", &body);
    assert!(replayed, "the repeat was run again");
    assert_eq!((again.status, &again.body), (201, &first.body));
    assert_eq!(workflow_count(&app), 1);

    // The key belongs to that request: another body under it is a 422.
    let mut other = create_body(None);
    other["approval_timeout_secs"] = json!(60);
    let (clash, _) = app.post_keyed(
        "k-1",
        "/api/workflows",
        "application/json",
        &other.to_string(),
    );
    assert_eq!(clash.status, 422, "{:?}", clash.body);
    assert!(
        clash.body["error"]
            .as_str()
            .is_some_and(|e| e.contains("Idempotency-Key")),
        "{:?}",
        clash.body
    );
    // A bad key is a JSON 400 naming the header.
    let (bad, _) = app.post_keyed(" ", "/api/workflows", "application/json", &body);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["field"], "Idempotency-Key");

    // Kept in the store: a restarted server answers the repeat the same.
    let mut app = app;
    app.restart();
    let (after, replayed) = app.post_keyed("k-1", "/api/workflows", "application/json", &body);
    assert!(replayed);
    assert_eq!((after.status, &after.body), (201, &first.body));
    assert_eq!(workflow_count(&app), 1);
}

/// The proxy's retry after the instance died between the commit and the answer:
/// the repeat waits its lease for an answer that never comes, then finds the
/// workflow the key names, carries it on and answers it; no second workflow.
#[test]
fn a_creation_recorded_but_never_answered_is_found_by_its_key() {
    let app = spawn_app();
    let body = create_body(None).to_string();
    let (first, _) = app.post_keyed("k-dead", "/api/workflows", "application/json", &body);
    assert_eq!(first.status, 201, "{:?}", first.body);
    lose_answers(&app);
    let started = Instant::now();
    let (again, replayed) = app.post_keyed("k-dead", "/api/workflows", "application/json", &body);
    let waited = started.elapsed();
    assert!(!replayed);
    assert_eq!(again.status, 201, "{:?}", again.body);
    assert_eq!(again.body["workflow_id"], first.body["workflow_id"]);
    assert_eq!(workflow_count(&app), 1);
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
}

/// An approval, its answer lost: the repeat is answered with the workflow (not a
/// 409 "not waiting"), and the log holds the approval once.
#[test]
fn an_approval_recorded_but_never_answered_is_answered_again_once() {
    let app = spawn_app();
    let id = app.create_zara(None);
    let path = format!("/api/workflows/{id}/approvals/manufacturing-1");
    let body = json!({"action": "accept"}).to_string();
    let (first, _) = app.post_keyed("a-1", &path, "application/json", &body);
    assert_eq!(first.status, 200, "{:?}", first.body);
    lose_answers(&app);
    let (again, _) = app.post_keyed("a-1", &path, "application/json", &body);
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["state"], first.body["state"]);
    let events = app.get(&format!("/api/workflows/{id}/events")).body;
    let resolved = events["events"].as_array().map_or(0, |e| {
        e.iter()
            .filter(|e| e["event"]["type"] == "approval_resolved")
            .count()
    });
    assert_eq!(resolved, 1);
    // Without a key a repeat is still the documented 409.
    let plain = app.post_json(&path, &json!({"action": "accept"}));
    assert_eq!(plain.status, 409, "{:?}", plain.body);
}

/// A week's actuals under a key: the repeat is the first answer, byte for byte.
#[test]
fn a_week_repeated_with_its_key_gets_the_first_answer() {
    let app = spawn_app();
    let id = app.create_zara(None);
    app.accept_pending(&id);
    let path = format!("/api/workflows/{id}/actuals");
    let (first, _) = app.post_keyed("w-1", &path, "text/csv", normal_week(1));
    assert_eq!(first.status, 200, "{:?}", first.body);
    let (again, replayed) = app.post_keyed("w-1", &path, "text/csv", normal_week(1));
    assert!(replayed);
    assert_eq!(again.body, first.body);
    // Another week under the same key is refused, not recorded.
    let (clash, _) = app.post_keyed("w-1", &path, "text/csv", normal_week(2));
    assert_eq!(clash.status, 422);
    assert_eq!(app.workflow(&id)["weeks"].as_array().map(Vec::len), Some(1));
}

//! Every error class: JSON bodies naming field or line, and nothing changed.

use crate::helpers::*;
use serde_json::{Value, json};

fn is_json_error(body: &Value) -> bool {
    body["error"].is_string()
}

#[test]
fn bad_json_bodies_name_the_field() {
    let app = spawn_app();
    let syntax = app.post_as(
        None,
        "/api/workflows",
        "application/json",
        "{\"category\": ".into(),
    );
    assert_eq!(syntax.status, 400);
    assert!(is_json_error(&syntax.body), "{:?}", syntax.body);
    assert_eq!(syntax.body["line"], 1);

    let mut missing = create_body(None);
    missing.as_object_mut().map(|m| m.remove("category"));
    let a = app.post_json("/api/workflows", &missing);
    assert_eq!(
        (a.status, a.body["field"].clone()),
        (400, json!("category"))
    );

    let mut bad = create_body(None);
    bad["parameters"]["dc_holdback_percentage"] = json!(1.5);
    let a = app.post_json("/api/workflows", &bad);
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body["field"], "parameters.dc_holdback_percentage",
        "{:?}",
        a.body
    );

    let mut unknown = create_body(None);
    unknown["parameters"]["colour"] = json!("red");
    let a = app.post_json("/api/workflows", &unknown);
    assert_eq!(
        (a.status, a.body["field"].clone()),
        (400, json!("parameters.colour"))
    );

    // A season starting before the history ends cannot be forecast: a 400 naming
    // the parameters, never a 500, and no workflow is created.
    let mut early = create_body(None);
    early["parameters"]["season_start_date"] = json!("2024-02-17");
    let before = app
        .get("/api/workflows")
        .body
        .as_array()
        .map_or(0, Vec::len);
    let a = app.post_json("/api/workflows", &early);
    assert_eq!(a.status, 400, "{:?}", a.body);
    assert_eq!(a.body["field"], "parameters");
    assert!(
        a.body["error"]
            .as_str()
            .unwrap_or("")
            .contains("cannot be planned")
    );
    assert_eq!(
        app.get("/api/workflows")
            .body
            .as_array()
            .map_or(0, Vec::len),
        before
    );

    let mut zero = create_body(None);
    zero["approval_timeout_secs"] = json!(0);
    let a = app.post_json("/api/workflows", &zero);
    assert_eq!(
        (a.status, a.body["field"].clone()),
        (400, json!("approval_timeout_secs"))
    );

    let mut category = create_body(None);
    category["category"] = json!("Spacesuits");
    let a = app.post_json("/api/workflows", &category);
    assert_eq!(
        (a.status, a.body["field"].clone()),
        (400, json!("category"))
    );

    let mut wrong_type = create_body(None);
    wrong_type["approval_timeout_secs"] = json!("soon");
    let a = app.post_json("/api/workflows", &wrong_type);
    assert_eq!(
        (a.status, a.body["field"].clone()),
        (400, json!("approval_timeout_secs"))
    );

    // More than a year would overflow the engine's date arithmetic.
    for secs in [json!(31_536_001_u64), json!(u64::MAX)] {
        let mut huge = create_body(None);
        huge["approval_timeout_secs"] = secs.clone();
        let a = app.post_json("/api/workflows", &huge);
        assert_eq!(
            (a.status, a.body["field"].clone()),
            (400, json!("approval_timeout_secs")),
            "{secs}: {:?}",
            a.body
        );
    }

    for meaning in [json!("revenue"), json!(true), json!("Sales")] {
        let mut bad = create_body(None);
        bad["actuals_meaning"] = meaning.clone();
        let a = app.post_json("/api/workflows", &bad);
        assert_eq!(
            (a.status, a.body["field"].clone()),
            (400, json!("actuals_meaning")),
            "{meaning}: {:?}",
            a.body
        );
    }

    let id = app.create_zara(None);
    let a = app.post_json(
        &format!("/api/workflows/{id}/approvals/manufacturing-1"),
        &json!({"action": "modify", "modifications": {"markdown_pct": 0.1}}),
    );
    assert_eq!(
        (a.status, a.body["field"].clone()),
        (400, json!("modifications"))
    );
    let a = app.post_json(
        &format!("/api/workflows/{id}/approvals/manufacturing-1"),
        &json!({"action": "maybe"}),
    );
    assert_eq!((a.status, a.body["field"].clone()), (400, json!("action")));
    assert_eq!(
        app.get("/api/workflows").body.as_array().map(Vec::len),
        Some(1),
        "no workflow was created by a bad request"
    );
}

#[test]
fn bad_csv_names_line_and_field_and_changes_nothing() {
    let app = spawn_app();
    let id = app.create_zara(None);
    app.accept_pending(&id);
    let before = app.workflow(&id)["last_event"].clone();
    let mut lines: Vec<String> = normal_week(1).lines().map(str::to_string).collect();
    lines[2] = lines[2]
        .rsplit_once(',')
        .map(|(head, _)| format!("{head},lots"))
        .unwrap_or_default();
    let a = app.post_csv(&format!("/api/workflows/{id}/actuals"), &lines.join("\n"));
    assert_eq!(a.status, 400, "{:?}", a.body);
    assert_eq!(a.body["line"], 3);
    assert_eq!(a.body["field"], "quantity_sold");
    assert_eq!(app.workflow(&id)["last_event"], before);

    let a = app.post_csv(
        &format!("/api/workflows/{id}/actuals"),
        "date,store_id,quantity_sold\n2025-02-17,S999,4\n",
    );
    assert_eq!(
        (a.status, a.body["field"].clone(), a.body["line"].clone()),
        (400, json!("store_id"), json!(2))
    );

    let a = app.post_csv(
        &format!("/api/workflows/{id}/actuals"),
        "date,store_id,quantity_sold\n2030-01-01,S001,4\n",
    );
    assert_eq!((a.status, a.body["field"].clone()), (400, json!("date")));

    let a = app.post_csv(
        "/api/data/historical-sales",
        "date,store_id,category,quantity_sold,revenue\n2024-01-01,S001,Scarves,-3,1.0\n",
    );
    assert_eq!(
        (a.status, a.body["line"].clone(), a.body["field"].clone()),
        (400, json!(2), json!("quantity_sold"))
    );
    let a = app.post_csv("/api/data/stores", "store_id\nS001\n");
    assert_eq!((a.status, a.body["line"].clone()), (400, json!(1)));
    assert_eq!(
        app.get("/api/categories").body["dataset"]["kind"],
        "sample",
        "a rejected upload changes nothing"
    );
}

#[test]
fn unknown_ids_and_routes_are_404() {
    let app = spawn_app();
    for path in [
        "/api/workflows/wf_nope",
        "/api/workflows/wf_nope/report",
        "/api/workflows/wf_nope/events",
        "/api/nothing",
    ] {
        let a = app.get(path);
        assert_eq!(a.status, 404, "{path}");
        assert!(is_json_error(&a.body), "{path}: {:?}", a.body);
    }
    let a = app.post_json(
        "/api/workflows/wf_nope/approvals/manufacturing-1",
        &json!({"action": "accept"}),
    );
    assert_eq!(a.status, 404);
    let a = app.post_csv("/api/workflows/wf_nope/actuals", normal_week(1));
    assert_eq!(a.status, 404);
    for path in [
        "/api/workflows/wf_nope/resume",
        "/api/workflows/wf_nope/play",
    ] {
        let a = app.post_json(path, &json!({}));
        assert_eq!(a.status, 404, "{path}");
        assert!(is_json_error(&a.body), "{path}: {:?}", a.body);
    }
    let a = app.post_json(
        "/api/workflows/wf_nope/reforecast",
        &json!({"reason": "testing"}),
    );
    assert_eq!(a.status, 404);
    assert_eq!(a.body["error"], "unknown workflow 'wf_nope'");
}

#[test]
fn wrong_state_is_409() {
    let app = spawn_app();
    let id = app.create_zara(None);
    // Week 1 before the order is approved.
    let a = app.post_csv(&format!("/api/workflows/{id}/actuals"), normal_week(1));
    assert_eq!(a.status, 409, "{:?}", a.body);
    let wrong = app.post_json(
        &format!("/api/workflows/{id}/approvals/markdown-9"),
        &json!({"action": "accept"}),
    );
    assert_eq!(wrong.status, 409);
    app.accept_pending(&id);
    let again = app.post_json(
        &format!("/api/workflows/{id}/approvals/manufacturing-1"),
        &json!({"action": "accept"}),
    );
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert!(is_json_error(&again.body));
    // Week 2 before week 1; week 1 then changed.
    let a = app.post_csv(&format!("/api/workflows/{id}/actuals"), normal_week(2));
    assert_eq!(a.status, 409);
    app.play_week(&id, 1);
    let changed = normal_week(1).replacen("S001,", "S001,1", 1);
    let a = app.post_csv(&format!("/api/workflows/{id}/actuals?week=1"), &changed);
    assert_eq!(a.status, 409, "{:?}", a.body);
    let a = app.post_json(&format!("/api/workflows/{id}/play"), &json!({}));
    assert_eq!(a.status, 409, "no scenario: {:?}", a.body);
}

#[test]
fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(|c| c.max_body_bytes = 16 * 1024);
    let id = app.create_zara(None);
    app.accept_pending(&id);
    let before = app.workflow(&id)["last_event"].clone();
    let big = format!(
        "date,store_id,quantity_sold\n{}",
        "2025-02-17,S001,1\n".repeat(2000)
    );
    let a = app.post_csv(&format!("/api/workflows/{id}/actuals"), &big);
    assert_eq!(a.status, 413, "{:?}", a.body);
    assert!(is_json_error(&a.body));
    let a = app.post_csv("/api/data/historical-sales", &big);
    assert_eq!(a.status, 413);
    let json_body = json!({"category": "x".repeat(20_000)});
    assert_eq!(app.post_json("/api/workflows", &json_body).status, 413);
    assert_eq!(app.workflow(&id)["last_event"], before);
}

#[test]
fn a_non_loopback_address_needs_tokens() {
    let mut config = atelier_server::ServerConfig::new("unused.db");
    let public: std::net::SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    let local: std::net::SocketAddr = "127.0.0.1:8080".parse().expect("addr");
    assert!(config.check_bind(&public).is_err());
    assert!(config.check_bind(&local).is_ok());
    with_tokens(&mut config);
    assert!(config.check_bind(&public).is_ok());
}

/// What the operator's documents quote of the database's 503s is what the
/// server says: each message, word for word, in `docs/deploy.md` and
/// `docs/troubleshooting.md` (a reworded answer fails here until they follow).
#[test]
fn the_documented_database_answers_are_the_servers_words() {
    use atelier_server::ApiError;
    let cause = || "hidden".to_string();
    let answers = [
        ApiError::Unavailable { cause: cause() },
        ApiError::OutcomeUnknown { cause: cause() },
        ApiError::Unfinished { cause: cause() },
        ApiError::Unresolved { cause: cause() },
    ];
    for doc in ["deploy.md", "troubleshooting.md"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs")
            .join(doc);
        let text = std::fs::read_to_string(&path).expect("the document reads");
        for answer in &answers {
            let said = answer.to_string();
            assert!(
                text.contains(&format!("`{said}`")) || text.contains(&format!("\"{said}\"")),
                "docs/{doc} does not quote the server's words: {said}"
            );
            assert!(!said.contains("hidden"), "the cause is sent: {said}");
        }
    }
}

//! Access control: each role allowed and refused, REST and WebSocket alike.

use crate::helpers::*;
use serde_json::json;

fn create(app: &TestApp, token: Option<&str>) -> Answer {
    app.post_as(
        token,
        "/api/workflows",
        "application/json",
        create_body(None).to_string(),
    )
}

#[test]
fn each_role_is_allowed_and_refused() {
    let app = spawn_app_with(with_tokens);
    let rt = runtime();

    // No token, or an unknown one: 401 everywhere but health and the API document.
    assert_eq!(app.get_as(None, "/api/workflows").status, 401);
    assert_eq!(
        app.get_as(Some("not-a-token-at-all"), "/api/workflows")
            .status,
        401
    );
    assert_eq!(create(&app, None).status, 401);
    assert_eq!(app.get_as(None, "/healthz").status, 200);
    assert_eq!(app.get_as(None, "/api/openapi.json").status, 200);
    assert_eq!(app.get_as(None, "/metrics").status, 401);

    // Viewer: reads; may not plan or approve.
    assert_eq!(app.get_as(Some(VIEWER), "/api/workflows").status, 200);
    assert_eq!(app.get_as(Some(VIEWER), "/metrics").status, 200);
    assert_eq!(create(&app, Some(VIEWER)).status, 403);

    // Approver: may not plan.
    assert_eq!(create(&app, Some(APPROVER)).status, 403);

    // Planner: creates; may not approve.
    let created = create(&app, Some(PLANNER));
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["workflow_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let approve = |token| {
        app.post_as(
            token,
            &format!("/api/workflows/{id}/approvals/manufacturing-1"),
            "application/json",
            json!({"action": "accept"}).to_string(),
        )
    };
    let refused = approve(Some(PLANNER));
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    assert_eq!(approve(Some(VIEWER)).status, 403);
    let before = app
        .get_as(Some(VIEWER), &format!("/api/workflows/{id}"))
        .body;
    assert_eq!(
        before["state"], "waiting_mfg_approval",
        "a refused call changed nothing"
    );

    // Approver approves; the approval records the token's name and role.
    assert_eq!(approve(Some(APPROVER)).status, 200);
    let events = app
        .get_as(Some(VIEWER), &format!("/api/workflows/{id}/events"))
        .body;
    let resolved = events["events"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["event"]["type"] == "approval_resolved"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(resolved["event"]["by"], "ann (approver)");

    // Actuals: planner yes, approver and viewer no.
    let upload = |token| {
        app.post_as(
            token,
            &format!("/api/workflows/{id}/actuals"),
            "text/csv",
            normal_week(1).to_string(),
        )
    };
    assert_eq!(upload(Some(VIEWER)).status, 403);
    assert_eq!(upload(Some(APPROVER)).status, 403);
    assert_eq!(upload(Some(PLANNER)).status, 200);
    let sales = "date,store_id,category,quantity_sold,revenue\n2024-01-01,S001,Scarves,3,45.0\n";
    assert_eq!(
        app.post_as(
            Some(VIEWER),
            "/api/data/historical-sales",
            "text/csv",
            sales.into()
        )
        .status,
        403
    );

    // WebSocket: token in the query; none or a bad one is refused.
    let ws = app.ws_url();
    rt.block_on(async {
        assert!(connect(&ws, &id, 0, Some(VIEWER)).await.is_ok());
        let none = connect(&ws, &id, 0, None).await.expect_err("refused");
        assert!(none.contains("401"), "{none}");
        let bad = connect(&ws, &id, 0, Some("wrong-token-xyz"))
            .await
            .expect_err("refused");
        assert!(bad.contains("401"), "{bad}");
    });
}

#[test]
fn tokens_are_never_echoed() {
    let app = spawn_app_with(with_tokens);
    let a = app.get_as(Some("leaky-secret-token"), "/api/workflows");
    assert_eq!(a.status, 401);
    assert!(!a.body.to_string().contains("leaky-secret-token"));
}

/// The season report lists every approval answered, in order, with who answered:
/// the approver token's name and role, and the change when one was asked for.
#[test]
fn the_report_names_who_answered_each_approval() {
    let app = spawn_app_with(with_tokens);
    let id = create(&app, Some(PLANNER)).body["workflow_id"]
        .as_str()
        .expect("created")
        .to_string();
    let answer = |approval: &str, body: serde_json::Value| {
        let a = app.post_as(
            Some(APPROVER),
            &format!("/api/workflows/{id}/approvals/{approval}"),
            "application/json",
            body.to_string(),
        );
        assert_eq!(a.status, 200, "{approval}: {:?}", a.body);
        a.body
    };
    let proposed = app
        .get_as(Some(VIEWER), &format!("/api/workflows/{id}"))
        .body;
    let qty = proposed["manufacturing"]["manufacturing_qty"]
        .as_u64()
        .expect("an order");
    answer(
        "manufacturing-1",
        json!({"action": "modify", "modifications": {"manufacturing_qty": qty + 100}}),
    );
    answer("manufacturing-2", json!({"action": "accept"}));
    for week in 1..=12 {
        let a = app.post_as(
            Some(PLANNER),
            &format!("/api/workflows/{id}/actuals"),
            "text/csv",
            normal_week(week).to_string(),
        );
        assert_eq!(a.status, 200, "week {week}: {:?}", a.body);
        // The markdown, and any transfers or reorder the week asks for.
        let mut state = a.body["state"].as_str().unwrap_or_default().to_string();
        while state.starts_with("waiting_") {
            let w = app
                .get_as(Some(VIEWER), &format!("/api/workflows/{id}"))
                .body;
            let pending = w["pending_approval"]["approval_id"]
                .as_str()
                .expect("pending")
                .to_string();
            let after = answer(&pending, json!({"action": "accept"}));
            state = after["state"]
                .as_str()
                .or_else(|| after["status"].as_str())
                .unwrap_or_default()
                .to_string();
        }
    }
    let report = app.get_as(Some(VIEWER), &format!("/api/workflows/{id}/report"));
    assert_eq!(report.status, 200, "{:?}", report.body);
    let approvals = report.body["approvals"]
        .as_array()
        .expect("approvals listed");
    let ids: Vec<&str> = approvals
        .iter()
        .filter_map(|a| a["approval_id"].as_str())
        .filter(|a| !a.starts_with("transfer-") && !a.starts_with("reorder-"))
        .collect();
    assert_eq!(ids, ["manufacturing-1", "manufacturing-2", "markdown-1"]);
    for a in approvals {
        assert_eq!(a["by"], "ann (approver)", "{a}");
        assert!(a["expired"].is_null(), "{a}");
    }
    assert_eq!(approvals[0]["kind"], "manufacturing");
    assert_eq!(approvals[0]["resolution"]["action"], "modify");
    assert_eq!(
        approvals[0]["resolution"]["modifications"]["manufacturing_qty"],
        json!(qty + 100)
    );
    let markdown = approvals
        .iter()
        .find(|a| a["approval_id"] == "markdown-1")
        .expect("the markdown");
    assert_eq!(markdown["kind"], "markdown");
    assert_eq!(markdown["resolution"]["action"], "accept");
}

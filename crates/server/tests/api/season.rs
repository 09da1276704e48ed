//! Whole seasons over the API: uploads, approvals, views, restart, expiry, play.

use crate::helpers::*;
use atelier_engine::clock::ManualClock;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn a_whole_season_runs_over_the_api() {
    let app = spawn_app();
    let id = app.create_zara(None);
    let w = app.workflow(&id);
    assert_eq!(w["state"], "waiting_mfg_approval");
    assert_eq!(w["pending_approval"]["approval_id"], "manufacturing-1");
    assert!(
        w["websocket_url"]
            .as_str()
            .unwrap_or("")
            .ends_with(&format!("/api/workflows/{id}/stream"))
    );
    assert_eq!(
        app.get(&format!("/api/workflows/{id}/forecast")).status,
        200
    );
    assert_eq!(
        app.get(&format!("/api/workflows/{id}/allocation")).status,
        409
    );
    assert_eq!(app.get(&format!("/api/workflows/{id}/report")).status, 409);

    let after = app.accept_pending(&id);
    assert_eq!(after["state"], "phase_3_monitoring");
    assert_eq!(
        app.get(&format!("/api/workflows/{id}/allocation")).status,
        200
    );

    let mut markdown_asked = false;
    for week in 1..=12 {
        let r = app.play_week(&id, week);
        for key in [
            "forecast",
            "actual",
            "variance_pct",
            "threshold_exceeded",
            "reforecast_triggered",
        ] {
            assert!(r.get(key).is_some(), "week {week} answer lacks {key}: {r}");
        }
        markdown_asked |= r["state"] == "waiting_markdown_approval";
    }
    let w = app.workflow(&id);
    assert_eq!(w["state"], "completed");
    assert_eq!(w["weeks"].as_array().map(Vec::len), Some(12));
    let report = app.get(&format!("/api/workflows/{id}/report"));
    assert_eq!(report.status, 200);
    assert_eq!(report.body["report"], w["report"]);
    assert_eq!(
        app.get(&format!("/api/workflows/{id}/variance")).body["weeks"],
        w["weeks"]
    );
    let markdowns = app.get(&format!("/api/workflows/{id}/markdowns")).body;
    assert_eq!(markdowns["checkpoint_week"], 6);
    // The normal season falls below the threshold at the checkpoint.
    assert!(markdown_asked, "the normal season asked for no markdown");
    assert_eq!(markdowns["markdowns"][0]["applied"], true);
    let list = app.get("/api/workflows");
    assert_eq!(list.body[0]["workflow_id"], json!(id));

    let metrics = app.get("/metrics").body;
    let metrics = metrics.as_str().unwrap_or_default();
    for line in [
        "atelier_http_requests_total{method=\"POST\",route=\"/api/workflows/{id}/actuals\",status=\"200\"} 12",
        "atelier_workflows{state=\"completed\"} 1",
        "atelier_websocket_clients 0",
    ] {
        assert!(metrics.contains(line), "no {line} in\n{metrics}");
    }
    assert!(!metrics.contains("atelier_events_appended_total 0\n"));

    // Uploading a recorded week again with the same content is a no-op.
    let again = app.post_csv(&format!("/api/workflows/{id}/actuals"), normal_week(3));
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["week"], 3);
}

#[test]
fn a_restarted_server_continues_the_season() {
    let mut app = spawn_app();
    let id = app.create_zara(None);
    app.accept_pending(&id);
    for week in 1..=4 {
        app.play_week(&id, week);
    }
    let before = app.workflow(&id);
    app.restart();
    let after = app.workflow(&id);
    assert_eq!(after["last_event"], before["last_event"]);
    assert_eq!(after["weeks"], before["weeks"]);
    for week in 5..=12 {
        app.play_week(&id, week);
    }
    assert_eq!(app.workflow(&id)["state"], "completed");

    // The same season without the restart reports the same.
    let other = app.create_zara(None);
    app.accept_pending(&other);
    for week in 1..=12 {
        app.play_week(&other, week);
    }
    assert_eq!(app.workflow(&other)["report"], app.workflow(&id)["report"]);
}

/// The server's orchestrator reads a manual clock: the approval expires when the
/// test moves time past the timeout, not after real seconds.
#[test]
fn an_expired_approval_is_settled_by_the_server() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn_app_with_clock(clock.clone());
    let mut body = create_body(None);
    body["approval_timeout_secs"] = json!(3600);
    body["on_expiry"] = json!("accept");
    let a = app.post_json("/api/workflows", &body);
    assert_eq!(a.status, 201, "{:?}", a.body);
    let id = a.body["workflow_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // Several expiry checks (every 200 ms) pass with the clock standing still.
    std::thread::sleep(Duration::from_millis(1000));
    let w = app.workflow(&id);
    assert_eq!(w["state"], "waiting_mfg_approval", "expired early");

    clock.advance(Duration::from_secs(3601));
    // Real time only for the server's next check to come round: a generous bound.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let w = app.workflow(&id);
        if w["state"] == "phase_3_monitoring" {
            break;
        }
        assert!(Instant::now() < deadline, "not expired: {}", w["state"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    let events = app
        .get(&format!("/api/workflows/{id}/events?after=0&limit=1000"))
        .body;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["event"]["type"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(kinds.contains(&"approval_expired"), "{kinds:?}");
}

/// Units in a week's CSV (`date,store_id,quantity_sold`).
fn csv_total(csv: &str) -> u64 {
    csv.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(2))
        .map(|q| q.trim().parse::<u64>().expect("a quantity"))
        .sum()
}

/// Uploaded sales are recorded as they are, even after a markdown; uploaded
/// demand is lifted by it. And the default follows where the actuals come from.
#[test]
fn actuals_meaning_decides_whether_a_markdown_lifts_uploads() {
    let app = spawn_app();
    let create = |meaning: Option<&str>, scenario: Option<&str>| {
        let mut body = create_body(scenario);
        if let Some(m) = meaning {
            body["actuals_meaning"] = json!(m);
        }
        let a = app.post_json("/api/workflows", &body);
        assert_eq!(a.status, 201, "{:?}", a.body);
        a.body["workflow_id"].as_str().expect("id").to_string()
    };

    // Defaults: uploads are sales, a scenario's files are demand.
    let upload = create(None, None);
    assert_eq!(app.workflow(&upload)["actuals_meaning"], "sales");
    let scenario = create(None, Some("normal_season"));
    assert_eq!(app.workflow(&scenario)["actuals_meaning"], "demand");
    let explicit = create(Some("sales"), Some("normal_season"));
    assert_eq!(app.workflow(&explicit)["actuals_meaning"], "sales");

    let sales = create(Some("sales"), None);
    let demand = create(Some("demand"), None);
    let mut after_markdown = None;
    for id in [&sales, &demand] {
        app.accept_pending(id);
        // Play up to and through the markdown (play_week accepts it).
        let mut week = 1;
        loop {
            let r = app.play_week(id, week);
            if app.get(&format!("/api/workflows/{id}/markdowns")).body["markdowns"][0]["applied"]
                == true
            {
                break;
            }
            assert_eq!(r["state"], "phase_3_monitoring", "week {week}: {r}");
            week += 1;
            assert!(week <= 11, "no markdown was applied");
        }
        // Both seasons are the same up to here: the markdown comes the same week.
        assert_eq!(
            *after_markdown.get_or_insert(week + 1),
            week + 1,
            "markdown weeks differ"
        );
    }
    let k = after_markdown.expect("a markdown week");
    let uploaded = csv_total(normal_week(k));
    for id in [&sales, &demand] {
        app.play_week(id, k);
    }
    let demand_of = |id: &str| app.workflow(id)["weeks"][k - 1]["demand"].as_u64();
    assert_eq!(
        demand_of(&sales),
        Some(uploaded),
        "sales are recorded as uploaded after the markdown"
    );
    let lifted = demand_of(&demand).expect("a demand");
    assert!(
        lifted > uploaded,
        "demand is lifted after the markdown: {lifted} vs {uploaded}"
    );
    // Before the markdown the two read the same file the same way.
    assert_eq!(
        app.workflow(&sales)["weeks"][0]["demand"],
        app.workflow(&demand)["weeks"][0]["demand"]
    );
}

#[test]
fn a_scenario_can_be_played_and_data_uploaded() {
    let app = spawn_app();
    let id = app.create_zara(Some("normal_season"));
    app.accept_pending(&id);
    let played = app.post_json(
        &format!("/api/workflows/{id}/play?until_week=3"),
        &json!({}),
    );
    assert_eq!(played.status, 200, "{:?}", played.body);
    assert_eq!(played.body["weeks"].as_array().map(Vec::len), Some(3));
    let rf = app.post_json(
        &format!("/api/workflows/{id}/reforecast"),
        &json!({"reason": "a competitor closed"}),
    );
    assert_eq!(rf.status, 200, "{:?}", rf.body);

    // Paging through the log.
    let page = app
        .get(&format!("/api/workflows/{id}/events?after=0&limit=5"))
        .body;
    assert_eq!(page["events"].as_array().map(Vec::len), Some(5));
    assert_eq!(page["last_seq"], 5);
    assert_eq!(page["has_more"], true);

    // Stores, clusters, categories from the sample; then an upload replaces them.
    assert_eq!(
        app.get("/api/stores").body["stores"]
            .as_array()
            .map(Vec::len),
        Some(50)
    );
    let clusters = app.get("/api/stores/clusters").body;
    assert_eq!(clusters["clusters"].as_array().map(Vec::len), Some(3));
    let cats = app.get("/api/categories").body;
    assert!(cats["categories"].as_array().is_some_and(|c| !c.is_empty()));

    // A one-row history is refused naming what it lacks; nothing becomes current.
    let before = app.get("/api/categories").body["dataset"].clone();
    let one_row = "date,store_id,category,quantity_sold,revenue\n\
                   2024-01-01,S001,Scarves,3,45.0\n";
    let up = app.post_csv("/api/data/historical-sales", one_row);
    assert_eq!(up.status, 400, "{:?}", up.body);
    let error = up.body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(
            "lacks categories the current one has: Accessories, Men's Shirts, Women's Dresses"
        ) && error.contains("category 'Scarves' has 0 complete weeks")
            && error.contains("needs 104"),
        "{error}"
    );
    assert_eq!(app.get("/api/categories").body["dataset"], before);

    let up = app.post_csv("/api/data/historical-sales", &history_csv(3));
    assert_eq!(up.status, 201, "{:?}", up.body);
    assert_eq!(up.body["rows"], 105 * 7 * 4);
    assert_eq!(up.body["first_date"], "2022-01-03");
    assert_eq!(
        app.get("/api/categories").body["dataset"]["dataset_id"],
        up.body["dataset_id"]
    );

    // The running workflow keeps its data set: the next week still plays.
    let played = app.post_json(
        &format!("/api/workflows/{id}/play?until_week=4"),
        &json!({}),
    );
    assert_eq!(played.status, 200, "{:?}", played.body);
    assert_eq!(played.body["weeks"].as_array().map(Vec::len), Some(4));

    // A restart keeps the uploaded data set current.
    let mut app = app;
    app.restart();
    assert_eq!(
        app.get("/api/categories").body["dataset"]["dataset_id"],
        up.body["dataset_id"]
    );
}

/// A week's upload is checked whole before anything is recorded: one store of
/// fifty (all seven days) is refused naming the stores it lacks, and so is the
/// whole file cut short mid-row; the log does not move, and the whole file then
/// records the week.
#[test]
fn a_week_missing_stores_or_cut_mid_row_is_refused_and_nothing_is_recorded() {
    let app = spawn_app();
    let id = app.create_zara(None);
    app.accept_pending(&id);
    let before = app.workflow(&id)["last_event"].clone();
    let whole = normal_week(1);
    let path = format!("/api/workflows/{id}/actuals");

    let mut lines = whole.lines();
    let header = lines.next().unwrap_or_default();
    let one_store: String = std::iter::once(header)
        .chain(lines.filter(|l| l.contains(",S001,")))
        .map(|l| format!("{l}\n"))
        .collect();
    let a = app.post_csv(&path, &one_store);
    assert_eq!(a.status, 400, "{:?}", a.body);
    assert_eq!(a.body["field"], "store_id");
    let error = a.body["error"].as_str().unwrap_or_default();
    assert!(error.contains("343 store-days"), "{error}");
    assert!(error.contains("S002 (every day)"), "{error}");

    let cut = &whole.trim_end()[..whole.trim_end().len() - 1];
    let a = app.post_csv(&path, cut);
    assert_eq!(a.status, 400, "{:?}", a.body);
    let error = a.body["error"].as_str().unwrap_or_default();
    assert!(error.contains("cut short"), "{error}");

    assert_eq!(app.workflow(&id)["last_event"], before);
    let a = app.post_csv(&path, whole);
    assert_eq!(a.status, 200, "{:?}", a.body);
}

/// The stream URL a creation answers: from a trusted proxy's forwarded scheme and
/// host (`wss://` behind TLS, the port kept); relative when the forwarded headers
/// come from an address not trusted; `ws://<Host>` for a client that came
/// straight.
#[test]
fn the_stream_url_follows_trusted_proxies_and_is_relative_otherwise() {
    fn created(app: &TestApp, forwarded: &str) -> String {
        let body = create_body(None).to_string();
        let (status, answer) = app.raw(&format!(
            "POST /api/workflows HTTP/1.1\r\nHost: {}\r\n{forwarded}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            app.addr(),
            body.len()
        ));
        assert_eq!(status, 201, "{answer}");
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("json");
        answer["websocket_url"].as_str().expect("url").to_string()
    }
    let forwarded = "X-Forwarded-Proto: https\r\nX-Forwarded-Host: atelier.example.com:8443\r\n";
    let app = spawn_app();
    let direct = created(&app, "");
    assert!(
        direct.starts_with(&format!("ws://{}/api/workflows/", app.addr())),
        "{direct}"
    );
    let untrusted = created(&app, forwarded);
    assert!(untrusted.starts_with("/api/workflows/"), "{untrusted}");
    let proxied = spawn_app_with(|c| {
        c.trusted_proxies = vec![atelier_server::config::ProxyNet::parse("127.0.0.1").expect("ip")];
    });
    let url = created(&proxied, forwarded);
    assert!(
        url.starts_with("wss://atelier.example.com:8443/api/workflows/"),
        "{url}"
    );
}

/// Every `"key": number` (and `"state"`) a JSON text holds, however nested.
fn figures(v: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if x.is_number() || k == "state" {
                    out.push((k.clone(), x.clone()));
                }
                figures(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| figures(x, out)),
        _ => {}
    }
}

/// docs/api.md's "A season over HTTP" is played as written (its creation body,
/// the order modified to 15% safety stock, two weeks uploaded, the rest played,
/// the markdown accepted) and every figure its answers show (`"key":number`,
/// and each `"state"`) is one of the figures the real answers give: the
/// walkthrough's numbers are the default policy's, re-measured. (The stream's
/// messages it quotes in step 2 are not read.)
#[test]
fn the_api_walkthrough_in_the_docs_shows_what_the_server_answers() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md"),
    )
    .expect("docs/api.md");
    let walk = doc
        .split("## A season over HTTP")
        .nth(1)
        .and_then(|s| s.split("```sh").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the walkthrough's block");
    let body = walk
        .split("-d '")
        .nth(1)
        .and_then(|s| s.split("' $H/api/workflows").next())
        .expect("the creation's body")
        .replace("'\"'\"'", "'");
    let create: serde_json::Value =
        serde_json::from_str(&body).expect("the creation's body is JSON");
    let app = spawn_app();
    let mut answers = Vec::new();
    let created = app.post_json("/api/workflows", &create);
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["workflow_id"]
        .as_str()
        .expect("id")
        .to_string();
    let at = |path: &str| format!("/api/workflows/{id}/{path}");
    answers.push(created.body);
    answers.push(app.workflow(&id));
    let modified = app.post_json(
        &at("approvals/manufacturing-1"),
        &json!({"action": "modify", "modifications": {"safety_stock_pct": 0.15}}),
    );
    assert_eq!(modified.status, 200, "{:?}", modified.body);
    answers.push(modified.body);
    answers.push(
        app.post_json(
            &at("approvals/manufacturing-2"),
            &json!({"action": "accept"}),
        )
        .body,
    );
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/scenarios/normal_season");
    for week in [1, 2] {
        let csv = std::fs::read_to_string(root.join(format!("actuals_week_{week:02}.csv")))
            .expect("a week");
        let a = app.post_csv(&at(&format!("actuals?week={week}")), &csv);
        assert_eq!(a.status, 200, "{:?}", a.body);
        answers.push(a.body);
    }
    let played = app.post_json(&at("play"), &json!({}));
    assert_eq!(played.status, 200, "{:?}", played.body);
    answers.push(played.body);
    answers.push(
        app.post_json(&at("approvals/markdown-1"), &json!({"action": "accept"}))
            .body,
    );
    answers.push(app.post_json(&at("play"), &json!({})).body);
    answers.push(app.get(&at("report")).body);
    answers.push(app.get(&at("events?after=0&limit=1000")).body);
    let mut real = Vec::new();
    answers.iter().for_each(|a| figures(a, &mut real));

    let mut checked = 0;
    // The answers shown, not the stream's messages of step 2 (`"type":...`).
    let shown_answers = walk
        .lines()
        .filter(|l| l.trim_start().starts_with('#') && !l.contains("\"type\":\""));
    for line in shown_answers {
        let Some(start) = line.find('{') else {
            continue;
        };
        // The shown answers are trimmed (`...`): read each `"key":value` pair.
        let text = &line[start..];
        for pair in text.split(['{', ',']) {
            let Some((key, value)) = pair.split_once("\":") else {
                continue;
            };
            let key = key.trim().trim_start_matches('"');
            let value = value.trim().trim_end_matches(['}', ']']);
            let shown: serde_json::Value = match serde_json::from_str(value) {
                Ok(v @ serde_json::Value::Number(_)) => v,
                Ok(v @ serde_json::Value::String(_)) if key == "state" => v,
                _ => continue,
            };
            checked += 1;
            assert!(
                real.iter().any(|(k, v)| k == key && v == &shown),
                "docs/api.md shows \"{key}\":{shown}, which no answer of the walkthrough gives: {line}"
            );
        }
    }
    assert!(
        checked >= 20,
        "only {checked} figures read from the walkthrough"
    );
}

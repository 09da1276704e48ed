//! What-if over HTTP is `atelier tune`: `POST /api/workflows/{id}/tune` on a
//! season the CLI played answers, for the same draws and seed, exactly the JSON
//! that `atelier tune ID --json` prints; a season not yet completed is a 409, a
//! draw count out of range a 400 naming `draws`, an unknown id a 404.

use atelier_server::ServerConfig;
use atelier_server::testing::BackgroundServer;
use serde_json::Value;
use std::process::Command;

fn atelier(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(args)
        .output()
        .expect("the atelier binary runs");
    assert!(
        out.status.success(),
        "atelier {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A client that reads error answers as answers.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

fn post(agent: &ureq::Agent, url: &str, body: &str) -> (u16, Value) {
    let mut response = agent
        .post(url)
        .content_type("application/json")
        .send(body.to_string())
        .expect("request sent");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[test]
fn the_api_answers_what_the_cli_prints_for_the_same_draws_and_seed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("t.db");
    let db_text = db.to_string_lossy().into_owned();
    atelier(&["run", "--db", &db_text, "--id", "done", "--approve", "auto"]);
    atelier(&[
        "run",
        "--db",
        &db_text,
        "--id",
        "open",
        "--approve",
        "auto",
        "--until-week",
        "2",
    ]);
    let cli: Value = serde_json::from_slice(
        &atelier(&[
            "tune", "done", "--db", &db_text, "--draws", "4", "--seed", "7", "--json",
        ])
        .stdout,
    )
    .expect("JSON on stdout");
    assert_eq!(cli["draws"], 4);
    assert_eq!(cli["seed"], 7);

    let server = BackgroundServer::start(ServerConfig::new(db)).expect("server starts");
    let agent = agent();
    let url = |id: &str| format!("{}/api/workflows/{id}/tune", server.url());

    let (status, api) = post(&agent, &url("done"), r#"{"draws": 4, "seed": 7}"#);
    assert_eq!(status, 200, "{api}");
    assert_eq!(api, cli, "the HTTP answer differs from the CLI's");
    // Money with its currency, five knobs (the order centre last), each tried on
    // the four draws.
    assert_eq!(api["currency"], "USD");
    assert_eq!(api["knobs"].as_array().map(Vec::len), Some(5));
    assert_eq!(api["knobs"][4]["knob"], "order_centre");
    assert_eq!(api["knobs"][0]["tried"][0]["gain"]["draws"], 4);

    // Another seed, other draws: the seed is really used.
    let (_, other) = post(&agent, &url("done"), r#"{"draws": 4, "seed": 8}"#);
    assert_ne!(other["current_margin_mean"], api["current_margin_mean"]);

    let (status, body) = post(&agent, &url("open"), "{}");
    assert_eq!(status, 409, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("after 2 of 12 weeks") && message.contains("completed season"),
        "{message}"
    );

    let (status, body) = post(&agent, &url("done"), r#"{"draws": 1}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "draws");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("2..=200"),
        "{body}"
    );

    let (status, body) = post(&agent, &url("nosuch"), "{}");
    assert_eq!(status, 404, "{body}");
}

/// `atelier what-if` and `POST .../what-if` answer alike for the same settings,
/// draws and seed; both refuse a value out of range naming it (the CLI by its flag).
#[test]
fn the_planners_what_if_answers_alike_over_http_and_on_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("t.db");
    let db_text = db.to_string_lossy().into_owned();
    atelier(&["run", "--db", &db_text, "--id", "done", "--approve", "auto"]);
    let cli: Value = serde_json::from_slice(
        &atelier(&[
            "what-if",
            "done",
            "--db",
            &db_text,
            "--draws",
            "4",
            "--seed",
            "7",
            "--policy",
            "seed",
            "--holdback",
            "0.3",
            "--checkpoint-week",
            "none",
            "--order-units",
            "200000",
            "--json",
        ])
        .stdout,
    )
    .expect("JSON on stdout");
    assert_eq!(cli["planned"]["settings"]["order_units"], 200_000);
    assert_eq!(cli["planned"]["settings"]["order_fixed"], true);
    assert_eq!(cli["planned"]["settings"]["checkpoint_week"], Value::Null);

    let server = BackgroundServer::start(ServerConfig::new(db)).expect("server starts");
    let agent = agent();
    let url = format!("{}/api/workflows/done/what-if", server.url());
    let (status, api) = post(
        &agent,
        &url,
        r#"{"draws": 4, "seed": 7, "policy": "seed", "holdback": 0.3, "checkpoint_week": null, "order_units": 200000}"#,
    );
    assert_eq!(status, 200, "{api}");
    assert_eq!(api, cli, "the HTTP answer differs from the CLI's");

    // In words: both settings side by side, money with its currency.
    let words = String::from_utf8_lossy(
        &atelier(&[
            "what-if",
            "done",
            "--db",
            &db_text,
            "--draws",
            "4",
            "--seed",
            "7",
            "--holdback",
            "0.3",
        ])
        .stdout,
    )
    .into_owned();
    assert!(
        words.contains("holdback          0%                    30%"),
        "{words}"
    );
    assert!(words.contains("gross margin p50"), "{words}");
    assert!(words.contains(" USD"), "{words}");

    let refused = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(["what-if", "done", "--db", &db_text, "--holdback", "1.5"])
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--holdback: 1.5 is outside 0..=1"),
        "{stderr}"
    );
    let (status, body) = post(&agent, &url, r#"{"holdback": 1.5}"#);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "holdback");
}

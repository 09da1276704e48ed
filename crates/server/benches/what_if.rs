//! How long a planner waits for a what-if (issue 18: "in under a second"): a real
//! server on port 0 with a temporary SQLite file, one completed season
//! (standard retail, the `normal_season` scenario, every approval accepted), then
//! from one blocking client, one request at a time:
//!
//! - `POST .../tune` (every knob's values plus the held-out check): the first
//!   request computes, a repeat is served from the server's kept report;
//! - `POST .../what-if`: the first request of a season prepares the draws and
//!   plays the season's own settings on them; the following ones (different
//!   settings each time, rotating through every knob and the policies) play only
//!   the planner's settings.
//!
//! For each draw count in `WHAT_IF_DRAWS` (default `40,100,200`) it prints the
//! first request's time and the p50 / max of `WHAT_IF_ROUNDS` (default 12) later
//! ones. `cargo bench -p atelier-server --bench what_if` (release). Client and
//! server share the machine.

use atelier_server::ServerConfig;
use atelier_server::testing::BackgroundServer;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent()
}

/// POSTs `body` and returns the status and the JSON answer.
fn post(agent: &ureq::Agent, url: &str, body: &Value) -> (u16, Value) {
    let mut r = agent
        .post(url)
        .content_type("application/json")
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A completed standard-retail season of the normal scenario; its id.
fn completed_season(agent: &ureq::Agent, base: &str) -> String {
    let params = json!({
        "forecast_horizon_weeks": 12, "season_start_date": "2025-02-17",
        "replenishment_strategy": "weekly", "dc_holdback_percentage": 0.45,
        "markdown_checkpoint_week": 6, "markdown_threshold": 0.6,
    });
    let (status, created) = post(
        agent,
        &format!("{base}/api/workflows"),
        &json!({"category": "Women's Dresses", "parameters": params, "scenario": "normal_season"}),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["workflow_id"].as_str().expect("id").to_string();
    for _ in 0..20 {
        let mut r = agent
            .get(format!("{base}/api/workflows/{id}"))
            .call()
            .expect("workflow");
        let w: Value =
            serde_json::from_str(&r.body_mut().read_to_string().expect("body")).expect("JSON");
        if w["state"] == "completed" {
            return id;
        }
        let (status, answer) = match w["pending_approval"]["approval_id"].as_str() {
            Some(a) => post(
                agent,
                &format!("{base}/api/workflows/{id}/approvals/{a}"),
                &json!({"action": "accept"}),
            ),
            None => post(
                agent,
                &format!("{base}/api/workflows/{id}/play"),
                &json!({}),
            ),
        };
        assert!(status < 300, "{answer}");
    }
    panic!("season {id} did not complete");
}

/// The settings a planner tries, one after another.
fn settings(round: usize) -> Value {
    let all = [
        json!({"holdback": 0.3}),
        json!({"checkpoint_week": 8}),
        json!({"markdown_cap": 0.25}),
        json!({"policy": "seed"}),
        json!({"safety_stock": 0.1}),
        json!({"order_units": 250_000}),
        json!({"checkpoint_week": null}),
        json!({"policy": "rule", "safety_stock": 0.05, "holdback": 0.2}),
        json!({"holdback": 0.6, "markdown_cap": 0.3}),
        json!({"policy": "seed", "checkpoint_week": 7, "markdown_cap": 0.2}),
        json!({"order_units": 230_000, "holdback": 0.15}),
        json!({"safety_stock": 0.25, "checkpoint_week": 5}),
    ];
    all[round % all.len()].clone()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn timed(agent: &ureq::Agent, url: &str, body: &Value) -> (Duration, Value) {
    let start = Instant::now();
    let (status, answer) = post(agent, url, body);
    let took = start.elapsed();
    assert_eq!(status, 200, "{url} {body}: {answer}");
    (took, answer)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("what_if: run with `cargo bench -p atelier-server --bench what_if`");
        return;
    }
    let draws: Vec<u64> = std::env::var("WHAT_IF_DRAWS")
        .unwrap_or_else(|_| "40,100,200".into())
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    let rounds: usize = std::env::var("WHAT_IF_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(12);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::new(dir.path().join("what_if.db"));
    config.rate_limits.per_address_per_sec = 0;
    config.rate_limits.per_token_per_sec = 0;
    let server = BackgroundServer::start(config).expect("server");
    let base = server.url();
    let agent = agent();
    let id = completed_season(&agent, &base);
    let tune = format!("{base}/api/workflows/{id}/tune");
    let what_if = format!("{base}/api/workflows/{id}/what-if");
    println!("one completed season ({id}), requests one at a time:");
    for n in draws {
        let (first, report) = timed(&agent, &tune, &json!({"draws": n, "seed": 42}));
        let (again, _) = timed(&agent, &tune, &json!({"draws": n, "seed": 42}));
        let knobs = report["knobs"].as_array().map_or(0, Vec::len);
        println!(
            "  tune, {n} draws ({knobs} knobs): first {:.0} ms, asked again {:.1} ms",
            ms(first),
            ms(again)
        );
        let (first, _) = timed(
            &agent,
            &what_if,
            &json!({"draws": n, "seed": 42, "holdback": 0.3}),
        );
        let mut later: Vec<Duration> = (1..=rounds)
            .map(|r| {
                let mut body = settings(r);
                body["draws"] = json!(n);
                body["seed"] = json!(42);
                timed(&agent, &what_if, &body).0
            })
            .collect();
        later.sort();
        println!(
            "  what-if, {n} draws: first {:.0} ms (prepares the draws and the season's own settings); then {rounds} settings: p50 {:.0} ms, max {:.0} ms",
            ms(first),
            ms(later[later.len() / 2]),
            ms(*later.last().expect("rounds"))
        );
    }
}

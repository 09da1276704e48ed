//! The same season run two ways gives the same answer: `atelier run --approve auto`
//! on the shipped normal season, and the API driven as a planner would (create
//! with `actuals_meaning: demand`, accept, upload the twelve weekly CSVs, accept
//! whatever a week asks for: a markdown, transfers, a reorder). And
//! `atelier serve` itself starts, answers and stops cleanly on SIGTERM.

use atelier_core::sample;
use atelier_server::ServerConfig;
use atelier_server::testing::BackgroundServer;
use serde_json::{Value, json};
use std::process::Command;

struct Api {
    base: String,
    agent: ureq::Agent,
}

impl Api {
    fn call(&self, method: &str, path: &str, content_type: &str, body: String) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let response = if method == "GET" {
            self.agent.get(&url).call()
        } else {
            self.agent.post(&url).content_type(content_type).send(body)
        };
        let mut response = response.expect("request sent");
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn ok(&self, method: &str, path: &str, content_type: &str, body: String) -> Value {
        let (status, body) = self.call(method, path, content_type, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {body}"
        );
        body
    }

    fn accept_pending(&self, id: &str) {
        let w = self.ok("GET", &format!("/api/workflows/{id}"), "", String::new());
        let approval = w["pending_approval"]["approval_id"]
            .as_str()
            .expect("pending");
        self.ok(
            "POST",
            &format!("/api/workflows/{id}/approvals/{approval}"),
            "application/json",
            json!({"action": "accept"}).to_string(),
        );
    }
}

#[test]
fn a_season_over_the_api_reports_what_the_cli_reports() {
    let dir = tempfile::tempdir().expect("temp dir");

    let out = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(["run", "--approve", "auto", "--json", "--db"])
        .arg(dir.path().join("cli.db"))
        .output()
        .expect("atelier runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(cli["state"], "completed");

    let server = BackgroundServer::start(ServerConfig::new(dir.path().join("api.db")))
        .expect("server starts");
    let api = Api {
        base: server.url(),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent(),
    };
    let zara = sample::parameter_set(sample::DEFAULT_PARAMETER_SET)
        .expect("shipped")
        .expect("valid");
    let created = api.ok(
        "POST",
        "/api/workflows",
        "application/json",
        json!({
            "category": sample::DEFAULT_CATEGORY,
            "parameters": zara.parameters,
            "tunables": zara.tunables,
            // The files uploaded below are the scenario's, which are demand
            // (as `atelier run` plays them); uploads default to sales.
            "actuals_meaning": "demand",
        })
        .to_string(),
    );
    let id = created["workflow_id"].as_str().expect("id").to_string();
    api.accept_pending(&id);
    let (_, weeks) = sample::SCENARIOS
        .iter()
        .find(|(n, _)| *n == sample::DEFAULT_SCENARIO)
        .expect("scenario");
    for (i, csv) in weeks.iter().enumerate() {
        let week = api.ok(
            "POST",
            &format!("/api/workflows/{id}/actuals"),
            "text/csv",
            (*csv).to_string(),
        );
        assert_eq!(week["week"], json!(i + 1));
        // Whatever the week asks for (a markdown, transfers, a reorder), accepted
        // as `--approve auto` does, until the season goes on.
        let mut state = week["state"].as_str().unwrap_or_default().to_string();
        while state.starts_with("waiting_") {
            api.accept_pending(&id);
            let w = api.ok("GET", &format!("/api/workflows/{id}"), "", String::new());
            state = w["state"].as_str().unwrap_or_default().to_string();
        }
    }
    let report = api.ok(
        "GET",
        &format!("/api/workflows/{id}/report"),
        "",
        String::new(),
    );
    let w = api.ok("GET", &format!("/api/workflows/{id}"), "", String::new());

    assert_eq!(report["report"], cli["report"], "season reports differ");
    assert_eq!(report["weeks"], cli["weeks"], "weekly rows differ");
    for key in [
        "state",
        "category",
        "parameters",
        "manufacturing",
        "forecast",
        "allocation",
        "phases_skipped",
        "markdown",
        "weeks",
        "report",
    ] {
        assert_eq!(w[key], cli[key], "{key} differs");
    }
}

/// `atelier serve` as an operator runs it: open access refuses a public address;
/// on loopback it answers, and SIGTERM stops it with a clean exit.
#[cfg(unix)]
#[test]
fn atelier_serve_answers_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let bin = env!("CARGO_BIN_EXE_atelier");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("serve.db");

    let public = Command::new(bin)
        .args(["serve", "--addr", "0.0.0.0:0", "--db"])
        .arg(&db)
        .env_remove("ATELIER_TOKENS")
        .output()
        .expect("atelier runs");
    assert!(!public.status.success());
    assert!(String::from_utf8_lossy(&public.stderr).contains("refusing"));

    let mut child = Command::new(bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env_remove("ATELIER_TOKENS")
        .stderr(Stdio::piped())
        .spawn()
        .expect("atelier serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut warned = false;
    let addr = loop {
        let line = lines.next().expect("a line").expect("text");
        // A tracing line at WARN level (or a plain "warning:" line).
        warned |= line.to_lowercase().contains("warn") && line.contains("loopback");
        if let Some(rest) = line.strip_prefix("atelier serving on http://") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    assert!(warned, "no open-access warning");
    let drain = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let health = ureq::get(format!("http://{addr}/healthz"))
        .call()
        .expect("answers");
    assert_eq!(health.status().as_u16(), 200);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("exits");
    assert!(status.success(), "exit after SIGTERM: {status:?}");
    let rest = drain.join().unwrap_or_default();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

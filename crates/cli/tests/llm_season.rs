//! A season with an LLM configured (a local fake OpenAI-compatible server) records
//! the model's explanations as reasoning events, keeps the computed decisions, flags
//! a contradicting explanation with a guardrail event, and never stores the key.

#[path = "../../llm/tests/support/mod.rs"]
mod support;

use serde_json::Value;
use std::process::{Command, Output, Stdio};
use support::{FakeServer, Scripted};

const KEY: &str = "sk-test-never-stored-0123456789";

fn atelier(args: &[&str], llm: Option<&FakeServer>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atelier"));
    cmd.args(args).stdin(Stdio::null());
    for var in [
        "ATELIER_LLM_BASE_URL",
        "ATELIER_LLM_API_KEY",
        "OPENAI_API_KEY",
        "ATELIER_LLM_MODEL",
        "ATELIER_LLM_AZURE_API_VERSION",
    ] {
        cmd.env_remove(var);
    }
    if let Some(server) = llm {
        cmd.env("ATELIER_LLM_BASE_URL", server.url("/v1"))
            .env("ATELIER_LLM_API_KEY", KEY)
            .env("ATELIER_LLM_MODEL", "fake-model")
            .env("ATELIER_LLM_MAX_RETRIES", "0");
    }
    cmd.output().expect("the atelier binary runs")
}

fn run_season(db: &str, id: &str, llm: Option<&FakeServer>) -> (Value, Vec<Value>) {
    let out = atelier(
        &["run", "--approve", "auto", "--json", "--db", db, "--id", id],
        llm,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = atelier(&["events", id, "--db", db], None);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !text.contains(KEY),
        "the API key must never reach the event log"
    );
    let events = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (result, events)
}

fn reasoning(events: &[Value]) -> Vec<&Value> {
    events
        .iter()
        .filter(|e| e["event"]["type"] == "reasoning_recorded")
        .map(|e| &e["event"]["reasoning"])
        .collect()
}

#[test]
fn with_an_llm_the_reasoning_comes_from_it_and_the_decisions_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db").display().to_string();
    let answer =
        "The computed decision stands, and the numbers in the facts support it for the planner.";
    let server = FakeServer::start((0..400).map(|_| Scripted::completion(answer)).collect());
    let (with_llm, events) = run_season(&db, "llm", Some(&server));
    let from_llm = reasoning(&events);
    assert!(from_llm.len() > 10);
    for r in &from_llm {
        assert_eq!(r["source"], "llm", "{r}");
        assert_eq!(r["model"], "fake-model");
        assert_eq!(r["text"], answer);
        assert!(r["prompt"].as_str().unwrap().contains("Decision (final)"));
        assert!(r["latency_ms"].is_number());
        assert_eq!(r["prompt_tokens"], 120);
    }
    let requests = server.received();
    assert_eq!(requests.len(), from_llm.len());
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    let (offline, events) = run_season(&db, "offline", None);
    for r in reasoning(&events) {
        assert_eq!(r["source"], "offline");
        assert!(r.get("model").is_none());
    }
    assert_eq!(
        with_llm["report"], offline["report"],
        "words never change the computed decisions"
    );
    assert_eq!(with_llm["weeks"], offline["weeks"]);
}

#[test]
fn a_contradicting_or_failing_llm_falls_back_to_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db").display().to_string();
    // Zara: the first decision is the interpretation, the second skips phase 3. The
    // model claims replenishment runs; after that it fails with 500s.
    let server = FakeServer::start(vec![
        Scripted::completion("A 12-week season with no replenishment."),
        Scripted::completion(
            "Phase 3 replenishment will run every week, topping stores up from the DC.",
        ),
    ]);
    let (_, events) = run_season(&db, "guard", Some(&server));
    let guard: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"]["type"] == "guardrail_triggered")
        .collect();
    assert_eq!(guard.len(), 1, "one contradiction");
    assert_eq!(guard[0]["event"]["decision_point"], "phase_3_replenishment");
    let r = reasoning(&events);
    assert_eq!(r[0]["source"], "llm");
    assert_eq!(r[1]["source"], "offline");
    assert!(r[1]["text"].as_str().unwrap().contains("Skip phase 3"));
    assert!(
        r[1]["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("contradicted")
    );
    // Every later call failed: the templates took over, and the season completed.
    assert!(
        r[2..]
            .iter()
            .all(|x| x["source"] == "offline" && x["fallback_reason"].is_string())
    );
}

//! `atelier extract` as a planner runs it: every shared example through the built
//! binary in offline mode, and a description that leaves a parameter out.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

const FIELDS: [&str; 7] = [
    "forecast_horizon_weeks",
    "season_start_date",
    "season_end_date",
    "replenishment_strategy",
    "dc_holdback_percentage",
    "markdown_checkpoint_week",
    "markdown_threshold",
];

/// The shared examples (`../shared/params/examples.jsonl` beside the workspace) when
/// present, and the committed copy in atelier-llm's fixtures, so the test runs without
/// the shared folder.
fn examples() -> Vec<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sources = [
        root.join("../shared/params/examples.jsonl"),
        root.join("crates/llm/tests/fixtures/examples.jsonl"),
    ];
    let mut out: Vec<Value> = Vec::new();
    for path in sources {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let ex: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if !out.iter().any(|o| o["text"] == ex["text"]) {
                out.push(ex);
            }
        }
    }
    assert!(!out.is_empty(), "no examples.jsonl found");
    out
}

/// Runs `atelier extract ARGS` offline: no model variables reach the child.
fn atelier_extract(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atelier"));
    cmd.arg("extract").args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("ATELIER_LLM_") || name == "OPENAI_API_KEY" {
            cmd.env_remove(name);
        }
    }
    cmd.output().expect("run atelier")
}

#[test]
fn every_example_extracts_exactly_as_json() {
    for ex in examples() {
        let text = ex["text"].as_str().expect("text");
        let today = ex["reference_date"].as_str().expect("reference_date");
        let out = atelier_extract(&[text, "--today", today, "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}\n{stderr}");
        let got: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
        for field in FIELDS {
            assert_eq!(got[field], ex["expected"][field], "{field} of {text}");
        }
        assert_eq!(got["source"], "offline");
        assert!(matches!(
            got["extraction_confidence"].as_str(),
            Some("high" | "medium" | "low")
        ));
        assert!(
            got["extraction_reasoning"]
                .as_str()
                .is_some_and(|r| r.contains("forecast_horizon_weeks"))
        );
    }
}

#[test]
fn the_readable_summary_lists_the_parameters() {
    let out = atelier_extract(&[
        "Furniture season of 26 weeks beginning May 15th. Replenish bi-weekly, keep 65% at the distribution center, and review markdowns at week 12 if sell-through is under 50%.",
        "--today",
        "2025-01-15",
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for needle in ["bi-weekly", "2025-05-15", "2025-11-12", "65%", "Reasoning:"] {
        assert!(stdout.contains(needle), "{needle} missing from:\n{stdout}");
    }
}

#[test]
fn a_missing_parameter_is_named_on_stderr_and_fails() {
    let out = atelier_extract(&[
        "A 12 week season starting March 1 with weekly replenishment and no markdowns.",
        "--today",
        "2025-01-15",
        "--json",
    ]);
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dc_holdback_percentage"), "{stderr}");
}

//! `atelier simulate` as an analyst runs it: every policy in the same worlds, the
//! fixed rule tuned on other draws than those it is scored on, `margin` measured
//! against that rule, the tuned rule written as a parameter file `run` accepts,
//! and refusals that name the flag.

use serde_json::Value;

mod support;
use support::atelier;

fn zara() -> String {
    format!("{}/../../data/params/zara.json", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_tuned_rule_is_the_baseline_and_the_answer_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("rule_NAME.json");
    let out_arg = out_file.to_string_lossy().into_owned();
    let args = [
        "simulate",
        "--params",
        &zara(),
        "--synthetic",
        "4",
        "--seed",
        "3",
        "--tune-rule",
        "--train",
        "3",
        "--threads",
        "2",
        "--rule-out",
        &out_arg,
        "--json",
    ];
    let run = atelier(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: Value = serde_json::from_slice(&run.stdout).unwrap();
    let policies: Vec<&str> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["policy"].as_str().unwrap())
        .collect();
    assert_eq!(policies, ["seed", "rule", "margin"]);
    let rule = &json["rules"][0];
    assert_eq!(rule["params"], "zara");
    assert!(rule["rules_tried"].as_u64().unwrap() > 10);
    assert!(rule["training_margin"].as_f64().unwrap() >= rule["start_margin"].as_f64().unwrap());
    let paired = &json["paired"][0];
    assert_eq!(paired["baseline"], "rule");
    let rule_mean = json["results"][1]["gross_margin_mean"].as_f64().unwrap();
    let margin_mean = json["results"][2]["gross_margin_mean"].as_f64().unwrap();
    let diff = paired["margin_minus_baseline_mean"].as_f64().unwrap();
    assert!((diff - (margin_mean - rule_mean)).abs() < 1e-6 * rule_mean.abs().max(1.0));
    // The same seeds give the same answer.
    let again = atelier(&args);
    assert_eq!(run.stdout, again.stdout);
    // The written rule is a parameter file `run` takes, under the rule policy.
    let written = dir.path().join("rule_zara.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(file["tunables"]["policy"], "rule");
    assert_eq!(
        file["tunables"]["safety_stock_pct"],
        rule["knobs"]["safety_stock_pct"]
    );
    let db = dir.path().join("r.db");
    let played = atelier(&[
        "run",
        "--params",
        written.to_str().unwrap(),
        "--approve",
        "auto",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(
        played.status.success(),
        "{}",
        String::from_utf8_lossy(&played.stderr)
    );
    let text = String::from_utf8_lossy(&played.stdout);
    assert!(text.contains("money: revenue"), "{text}");
    assert!(text.contains("USD"), "{text}");
}

#[test]
fn refusals_name_the_flag() {
    let same = atelier(&[
        "simulate",
        "--params",
        &zara(),
        "--synthetic",
        "2",
        "--seed",
        "5",
        "--tune-rule",
        "--train",
        "2",
        "--train-seed",
        "5",
    ]);
    assert!(!same.status.success());
    assert!(String::from_utf8_lossy(&same.stderr).contains("--train-seed 5"));
    let regime = atelier(&["simulate", "--synthetic", "2", "--regime", "sideways"]);
    assert!(!regime.status.success());
    let err = String::from_utf8_lossy(&regime.stderr);
    assert!(
        err.contains("unknown regime 'sideways'") && err.contains("late_surge"),
        "{err}"
    );
    let policy = atelier(&["run", "--policy", "greedy"]);
    assert!(!policy.status.success());
    assert!(String::from_utf8_lossy(&policy.stderr).contains("seed, rule or margin"));
}

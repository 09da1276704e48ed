//! `atelier plan` as a user runs it: the defaults (the order `run` would propose),
//! every shipped parameter file under the seed's rules, and bad input (non-zero
//! exit, the error on stderr, nothing on stdout); and docs/parameters.md's figures
//! of each shipped file, checked against the command the document gives
//! (`atelier run --approve auto --params ...`).

use serde_json::Value;
use std::process::Command;

mod support;
use support::atelier;

fn check_plan(v: &Value, holdback: f64) {
    let total = v["forecast"]["total_season_demand"].as_u64().unwrap();
    let weekly: Vec<u64> = v["forecast"]["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(
        weekly.len() as u64,
        v["parameters"]["forecast_horizon_weeks"].as_u64().unwrap()
    );
    assert_eq!(weekly.iter().sum::<u64>(), total);
    assert!(v["forecast"]["members"].as_array().unwrap().len() >= 2);
    let (low, high) = (
        v["forecast"]["interval"]["low"].as_u64().unwrap(),
        v["forecast"]["interval"]["high"].as_u64().unwrap(),
    );
    assert!(low <= total && total <= high);
    let safety = v["manufacturing"]["safety_stock_pct"].as_f64().unwrap();
    let qty = v["manufacturing"]["manufacturing_qty"].as_u64().unwrap();
    assert_eq!(qty, (total as f64 * (1.0 + safety)).round() as u64);
    let a = &v["allocation"];
    let shipped = a["initial_shipped"].as_u64().unwrap();
    let held = a["dc_holdback"].as_u64().unwrap();
    assert_eq!(shipped + held, qty);
    assert_eq!(held, (qty as f64 * holdback).round() as u64);
    let clusters = a["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 3);
    assert_eq!(
        clusters
            .iter()
            .map(|c| c["units"].as_u64().unwrap())
            .sum::<u64>(),
        qty
    );
    assert_eq!(
        clusters
            .iter()
            .map(|c| c["stores"].as_u64().unwrap())
            .sum::<u64>(),
        50
    );
    let stores = a["stores"].as_array().unwrap();
    assert_eq!(
        stores
            .iter()
            .map(|s| s["season_allocation"].as_u64().unwrap())
            .sum::<u64>(),
        qty
    );
    assert_eq!(
        stores
            .iter()
            .map(|s| s["initial"].as_u64().unwrap())
            .sum::<u64>(),
        shipped
    );
    for s in stores {
        assert!(s["store_id"].is_string() && s["cluster_id"].is_string());
    }
}

#[test]
fn plan_on_the_defaults_is_the_zara_set() {
    let json = |args: &[&str]| -> Value {
        let out = atelier(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = json(&["plan", "--json", "--policy", "seed"]);
    assert_eq!(v["parameters"]["forecast_horizon_weeks"], 12);
    assert_eq!(v["parameters"]["season_start_date"], "2025-02-17");
    assert_eq!(v["parameters"]["replenishment_strategy"], "none");
    assert_eq!(v["parameters"]["markdown_checkpoint_week"], 6);
    assert_eq!(v["manufacturing"]["safety_stock_pct"], 0.25);
    check_plan(&v, 0.0);
    // The default policy (margin) plans what `run` proposes: the same forecast,
    // the same order and the same launch.
    let margin = json(&["plan", "--json"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db").display().to_string();
    let run = json(&[
        "run",
        "--json",
        "--db",
        &db,
        "--until-week",
        "0",
        "--approve",
        "auto",
    ]);
    assert_eq!(margin["manufacturing"], run["manufacturing"]);
    assert_eq!(
        margin["forecast"]["total_season_demand"],
        run["forecast"]["total_season_demand"]
    );
    assert_eq!(
        margin["allocation"]["initial_shipped"],
        run["allocation"]["initial_shipped"]
    );
    assert!(
        margin["manufacturing"]["manufacturing_qty"]
            .as_u64()
            .unwrap()
            < v["manufacturing"]["manufacturing_qty"].as_u64().unwrap()
    );
    let text = atelier(&["plan"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("Manufacturing order (margin policy)"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let out = atelier(&["plan", "--policy", "greedy"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown policy 'greedy'"));
}

#[test]
fn plan_on_every_shipped_parameter_file() {
    for (name, holdback) in [
        ("zara", 0.0),
        ("standard_retail", 0.45),
        ("luxury", 0.3),
        ("furniture", 0.5),
        ("conservative", 0.65),
    ] {
        let path = format!("../../data/params/{name}.json");
        for category in ["Women's Dresses", "Men's Shirts", "Accessories"] {
            let out = atelier(&[
                "plan",
                "--json",
                "--params",
                &path,
                "--category",
                category,
                "--policy",
                "seed",
            ]);
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            check_plan(&v, holdback);
        }
    }
}

#[test]
fn bad_input_exits_non_zero_with_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let params = dir.path().join("p.json");
    std::fs::write(&params, r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17", "replenishment_strategy": "sometimes", "dc_holdback_percentage": 0.0}"#).unwrap();
    let history = dir.path().join("h.csv");
    std::fs::write(&history, "date,store_id,category,quantity_sold,revenue\n2024-01-01,S001,Women's Dresses,5,10.0\n2024-01-02,S001,Women's Dresses,five,10.0\n").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "plan".into(),
                "--params".into(),
                params.display().to_string(),
            ],
            "replenishment_strategy",
        ),
        (
            vec![
                "plan".into(),
                "--history".into(),
                history.display().to_string(),
            ],
            "line 3, field 'quantity_sold'",
        ),
        (
            vec!["plan".into(), "--category".into(), "Hats".into()],
            "category 'Hats' is not in the sales history",
        ),
        (
            vec!["plan".into(), "--params".into(), "/nonexistent.json".into()],
            "cannot read /nonexistent.json",
        ),
    ];
    for (args, needle) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// docs/parameters.md's table of the shipped parameter files gives the figures
/// of `atelier run --approve auto --params data/params/NAME.json` under the
/// default policy: the command is run for every row, and every figure of the
/// row (units, written with thousands separators, and "a N% markdown") must be
/// in what it prints.
#[test]
fn the_shipped_files_figures_in_docs_parameters_md_are_a_runs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/parameters.md")).expect("the doc");
    let table = doc
        .split("## Shipped parameter files")
        .nth(1)
        .expect("the section");
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains(".json`"))
        .collect();
    assert_eq!(rows.len(), 5, "one row per shipped file: {rows:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    for row in rows {
        let file = row.split('`').nth(1).expect("the file's name").to_string();
        let shows = row.rsplit('|').nth(1).expect("what it shows");
        let params = root.join("data/params").join(&file);
        let db = dir.path().join(format!("{file}.db"));
        // The offline templates: no model is ever called from a test.
        let out = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .args(["run", "--approve", "auto", "--params"])
            .arg(&params)
            .arg("--db")
            .arg(&db)
            .env_remove("ATELIER_LLM_API_KEY")
            .env_remove("ATELIER_LLM_BASE_URL")
            .env_remove("OPENAI_API_KEY")
            .output()
            .expect("the atelier binary runs");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let words: Vec<&str> = shows
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == ',' || c == '%'))
            .filter(|w| !w.is_empty())
            .collect();
        let mut checked = 0;
        for (i, word) in words.iter().enumerate() {
            let word = word.trim_end_matches(',');
            if word.contains(',') && word.replace(',', "").parse::<u64>().is_ok() {
                let plain = word.replace(',', "");
                assert!(
                    printed.contains(&plain),
                    "{file}: the doc says {word}, the run printed: {printed}"
                );
                checked += 1;
            }
            if let Some(pct) = word.strip_suffix('%')
                && words.get(i + 1) == Some(&"markdown")
            {
                assert!(
                    printed.contains(&format!("markdown {pct}%")),
                    "{file}: the doc says a {pct}% markdown, the run printed: {printed}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 1, "{file}: no figure in {shows}");
    }
}

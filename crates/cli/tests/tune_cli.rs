//! `atelier tune` as a planner runs it after a season: each knob tried on draws
//! around the season's demand (without the markdown's lift), a recommendation only
//! where the whole 90% interval of the gain is above zero on the tuning draws and
//! again on held-out ones, the recommended knobs measured together, the same answer
//! for the same seed, and refusals for a season that has not finished or a draw
//! count out of range.

use serde_json::Value;
use std::process::Output;

mod support;
use support::atelier;

fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn db_in(dir: &tempfile::TempDir) -> String {
    dir.path().join("t.db").to_string_lossy().into_owned()
}

/// `atelier run --approve auto` of season `id` into `db`, which must succeed.
fn season(db: &str, id: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--db", db, "--id", id, "--approve", "auto"];
    args.extend_from_slice(extra);
    let run = atelier(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    run
}

#[test]
fn a_finished_season_gets_recommendations_simulation_supports() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let db = db.as_str();
    let run = season(
        db,
        "done",
        &[
            "--params",
            &repo("data/params/standard_retail.json"),
            "--demand",
            &repo("data/scenarios/normal_season"),
        ],
    );
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("atelier tune"), "{text}");

    let tune = |seed: &str| {
        let out = atelier(&[
            "tune", "done", "--db", db, "--draws", "12", "--seed", seed, "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let r = tune("7");
    assert_eq!(r, tune("7"), "the same seed gives the same answer");
    assert_eq!(r["workflow_id"], "done");
    assert_eq!(r["policy"], "margin");
    assert_eq!(r["draws"], 12);
    assert_eq!(r["currency"], "USD");
    assert!(r["current_margin_mean"].as_f64().unwrap() > 0.0);
    // The season's demand as recorded; the draws centre on it without the lift
    // the world gave the markdown (normal_season marks down, so it is less).
    let observed = r["observed_demand"].as_u64().unwrap();
    let before = r["demand_before_lift"].as_u64().unwrap();
    assert!(observed > 200_000);
    assert!(
        before < observed && before as f64 > observed as f64 * 0.9,
        "{before} of {observed}"
    );
    let ratio = r["season_ratio"].as_f64().unwrap();
    assert!(ratio > 0.3 && ratio < 1.5, "{ratio}");
    assert_ne!(r["held_out_seed"], r["seed"]);
    let knobs = r["knobs"].as_array().unwrap();
    let names: Vec<&str> = knobs.iter().map(|k| k["knob"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "safety_stock",
            "holdback",
            "checkpoint_week",
            "markdown_cap",
            "order_centre"
        ]
    );
    // The order's centre has one candidate: this season's ratio.
    assert_eq!(knobs[4]["field"], "tunables.prior_seasons");
    assert_eq!(knobs[4]["current"], 1.0);
    assert_eq!(knobs[4]["tried"][0]["setting"], ratio);
    assert_eq!(knobs[0]["field"], "tunables.season_level_sd");
    assert_eq!(knobs[1]["current"], 0.45);
    assert_eq!(knobs[2]["current"], 6);
    for k in knobs {
        let tried = k["tried"].as_array().unwrap();
        assert!(!tried.is_empty(), "{k}");
        for t in tried {
            let g = &t["gain"];
            let (low, mean, high) = (
                g["low"].as_f64().unwrap(),
                g["mean"].as_f64().unwrap(),
                g["high"].as_f64().unwrap(),
            );
            assert!(low <= mean && mean <= high, "{t}");
            assert_eq!(g["draws"], 12);
        }
        let best_supported = tried
            .iter()
            .filter(|t| t["gain"]["low"].as_f64().unwrap() > 0.0)
            .max_by(|a, b| {
                a["gain"]["mean"]
                    .as_f64()
                    .unwrap()
                    .total_cmp(&b["gain"]["mean"].as_f64().unwrap())
            });
        match best_supported {
            Some(t) => assert_eq!(&k["best_in_sample"], t, "{k}"),
            None => assert!(k["best_in_sample"].is_null(), "{k}"),
        }
        // Recommended only when the held-out draws agree.
        let held_low = k["held_out"]["low"].as_f64();
        assert_eq!(
            k["held_out"].is_null(),
            k["best_in_sample"].is_null(),
            "{k}"
        );
        match held_low {
            Some(low) if low > 0.0 => assert_eq!(k["recommended"], k["best_in_sample"], "{k}"),
            _ => assert!(k["recommended"].is_null(), "{k}"),
        }
    }
    let recommended = knobs.iter().filter(|k| !k["recommended"].is_null()).count();
    match &r["together"] {
        Value::Null => assert!(recommended < 2, "{r}"),
        t => {
            assert_eq!(t["settings"].as_array().unwrap().len(), recommended);
            // Together only when it gains with confidence and no less than the
            // best knob alone.
            let alone = knobs
                .iter()
                .filter(|k| !k["recommended"].is_null())
                .map(|k| k["held_out"]["mean"].as_f64().unwrap())
                .fold(f64::MIN, f64::max);
            let gain = &t["gain"];
            assert_eq!(
                t["supported"].as_bool().unwrap(),
                gain["low"].as_f64().unwrap() > 0.0 && gain["mean"].as_f64().unwrap() >= alone,
                "{t}"
            );
        }
    }

    // In words, for a planner.
    let out = atelier(&["tune", "done", "--db", db, "--draws", "12", "--seed", "7"]);
    let words = String::from_utf8_lossy(&out.stdout);
    assert!(
        words.contains("safety stock (tunables.season_level_sd): now 15%"),
        "{words}"
    );
    assert!(
        words.contains("holdback (dc_holdback_percentage): now 45%"),
        "{words}"
    );
    assert!(
        words.contains("checkpoint week (markdown_checkpoint_week): now week 6"),
        "{words}"
    );
}

#[test]
fn an_unfinished_season_and_a_bad_draw_count_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let db = db.as_str();
    season(db, "open", &["--until-week", "2"]);
    let out = atelier(&["tune", "open", "--db", db, "--draws", "5"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("after 2 of 12 weeks"), "{err}");
    assert!(out.stdout.is_empty());
    let out = atelier(&["tune", "open", "--db", db, "--draws", "1"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--draws 1 is outside 2..=10000"));
    let out = atelier(&["tune", "nosuch", "--db", db]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nosuch"));
}

#[test]
fn a_new_season_learns_its_order_centre_from_the_completed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_in(&dir);
    let db = db.as_str();
    season(db, "low", &["--scenario", "low_demand"]);
    season(db, "normal", &["--scenario", "normal_season"]);
    // Unfinished: not learnt from.
    season(db, "open", &["--until-week", "2"]);
    let ratio = |id: &str| {
        let out = atelier(&["tune", id, "--db", db, "--draws", "2", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()["season_ratio"]
            .as_f64()
            .unwrap()
    };
    let expected = [ratio("low"), ratio("normal")];
    assert!(
        expected[0] < expected[1] && expected[1] < 1.0,
        "{expected:?}"
    );
    let launch = |id: &str, learn: bool| {
        let mut args = vec![
            "run",
            "--db",
            db,
            "--id",
            id,
            "--approve",
            "auto",
            "--until-week",
            "0",
            "--json",
        ];
        if learn {
            args.push("--learn-from-store");
        }
        let out = atelier(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            serde_json::from_slice::<Value>(&out.stdout).unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (learnt, said) = launch("learnt", true);
    assert!(
        said.contains("order centred on 2 completed Women's Dresses season(s)"),
        "{said}"
    );
    // The ratios are recorded with the season (a replay needs no store).
    let out = atelier(&["events", "learnt", "--db", db]);
    let first: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    let recorded: Vec<f64> = first["event"]["tunables"]["prior_seasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_f64().unwrap())
        .collect();
    assert_eq!(recorded, expected);
    // Both ran under the forecast: the learnt order is smaller.
    let (plain, _) = launch("plain", false);
    assert!(
        learnt["manufacturing"]["manufacturing_qty"]
            .as_u64()
            .unwrap()
            < plain["manufacturing"]["manufacturing_qty"]
                .as_u64()
                .unwrap()
    );
}

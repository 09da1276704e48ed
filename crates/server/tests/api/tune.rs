//! What-if over HTTP (`POST /api/workflows/{id}/tune`) refuses what it cannot
//! answer, naming why: a season still running is a 409 (nothing is simulated), a
//! completed season whose weeks recorded no demand is a 422 (there is nothing to
//! draw seasons around). Its answer equals the CLI's: `crates/cli/tests/tune_api.rs`.

use crate::helpers::*;
use serde_json::{Value, json};

/// Week `week` of the normal season with every quantity 0.
fn empty_week(week: usize) -> String {
    let mut lines = normal_week(week).lines();
    let mut out = format!("{}\n", lines.next().expect("header"));
    for line in lines {
        let mut fields: Vec<&str> = line.split(',').collect();
        fields[2] = "0";
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[test]
fn a_running_season_is_a_409_and_a_season_without_demand_a_422() {
    let app = spawn_app();
    let id = app.create_zara(None);
    let tune = format!("/api/workflows/{id}/tune");
    let early = app.post_json(&tune, &json!({"draws": 2}));
    assert_eq!(early.status, 409, "{:?}", early.body);
    let message = early.body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("waiting_mfg_approval after 0 of 12 weeks"),
        "{message}"
    );
    app.accept_pending(&id);
    for week in 1..=12 {
        let a = app.post_csv(
            &format!("/api/workflows/{id}/actuals?week={week}"),
            &empty_week(week),
        );
        assert_eq!(a.status, 200, "week {week}: {:?}", a.body);
        let mut state = a.body["state"].as_str().unwrap_or_default().to_string();
        while state.starts_with("waiting_") {
            state = app.accept_pending(&id)["state"]
                .as_str()
                .unwrap_or_default()
                .to_string();
        }
    }
    assert_eq!(app.workflow(&id)["state"], "completed");
    let empty = app.post_json(&tune, &json!({"draws": 2}));
    assert_eq!(empty.status, 422, "{:?}", empty.body);
    let message = empty.body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("recorded no demand in its 12 weeks"),
        "{message}"
    );
}

/// A completed Zara season of the normal scenario, played through the API.
fn completed_zara(app: &TestApp) -> String {
    let id = app.create_zara(Some("normal_season"));
    app.accept_pending(&id);
    for week in 1..=12 {
        app.play_week(&id, week);
    }
    assert_eq!(app.workflow(&id)["state"], "completed");
    id
}

#[test]
fn a_what_if_plays_the_planners_settings_beside_the_seasons_on_the_same_draws() {
    let app = spawn_app();
    let id = completed_zara(&app);
    let url = format!("/api/workflows/{id}/what-if");
    let asked = json!({"draws": 4, "seed": 3, "policy": "seed", "holdback": 0.3, "checkpoint_week": null, "markdown_cap": 0.25});
    let a = app.post_json(&url, &asked);
    assert_eq!(a.status, 200, "{:?}", a.body);
    let r = &a.body;
    assert_eq!(r["workflow_id"], json!(id));
    assert_eq!(
        (r["draws"].as_u64(), r["seed"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(r["currency"], "USD");
    let planned = &r["planned"]["settings"];
    assert_eq!(planned["policy"], "seed");
    assert_eq!(planned["holdback"], 0.3);
    assert_eq!(planned["checkpoint_week"], Value::Null);
    assert_eq!(planned["markdown_cap"], 0.25);
    assert_eq!(planned["safety_stock_field"], "tunables.safety_stock_pct");
    // This season's settings as Zara set them, under the product's default.
    let current = &r["current"]["settings"];
    assert_eq!(current["policy"], "margin");
    assert_eq!(current["holdback"], 0.0);
    assert_eq!(current["checkpoint_week"], 6);
    for side in ["current", "planned"] {
        let m = &r[side]["margin"];
        let p = |q: &str| m[q]["value"].as_f64().expect("percentile");
        assert!(p("p10") <= p("p50") && p("p50") <= p("p90"), "{side}: {m}");
        assert!(m["p50"]["low"].as_f64() <= m["p50"]["value"].as_f64());
        assert_eq!(m["draws"], 4);
    }
    // The paired gain is the difference of the means (same draws).
    let gain = r["gain"]["mean"].as_f64().expect("gain");
    let diff = r["planned"]["margin"]["mean"].as_f64().unwrap()
        - r["current"]["margin"]["mean"].as_f64().unwrap();
    assert!((gain - diff).abs() < 1e-6, "{gain} vs {diff}");
    // Asked again: the same answer (the draws were kept, and are seeded anyway).
    assert_eq!(app.post_json(&url, &asked).body, a.body);
    // Nothing asked: the season's own settings, no gain; the same spread of the
    // season's settings as before.
    let same = app.post_json(&url, &json!({"draws": 4, "seed": 3}));
    assert_eq!(same.status, 200, "{:?}", same.body);
    assert_eq!(same.body["gain"]["mean"], 0.0);
    assert_eq!(same.body["current"], a.body["current"]);
    assert_eq!(same.body["planned"], same.body["current"]);
}

#[test]
fn a_what_if_refuses_each_value_out_of_range_naming_the_field_and_the_value() {
    let app = spawn_app();
    let id = app.create_zara(Some("normal_season"));
    let url = format!("/api/workflows/{id}/what-if");
    // Not completed: 409, nothing simulated.
    let early = app.post_json(&url, &json!({"holdback": 0.3}));
    assert_eq!(early.status, 409, "{:?}", early.body);
    let id = completed_zara(&app);
    let url = format!("/api/workflows/{id}/what-if");
    for (body, field, words) in [
        (
            json!({"holdback": 1.5}),
            "holdback",
            "holdback: 1.5 is outside 0..=1",
        ),
        (
            json!({"markdown_cap": 0.99}),
            "markdown_cap",
            "0.99 is outside 0..=0.95",
        ),
        (
            json!({"checkpoint_week": 13}),
            "checkpoint_week",
            "checkpoint_week: 13 is outside weeks 1 to 12, or none",
        ),
        (
            json!({"checkpoint_week": 0}),
            "checkpoint_week",
            "0 is outside 1..=52",
        ),
        (
            json!({"safety_stock": -0.5}),
            "safety_stock",
            "safety_stock: -0.5 is outside 0..=2",
        ),
        (
            json!({"order_units": 1_000_000_000_000u64}),
            "order_units",
            "order_units: 1000000000000 is outside 1..=",
        ),
        (
            json!({"order_units": 0}),
            "order_units",
            "order_units: 0 is outside",
        ),
        (
            json!({"safety_stock": 0.1, "order_units": 9000}),
            "order_units",
            "give one",
        ),
        (json!({"policy": "cheap"}), "policy", "cheap"),
        (json!({"holdback": "half"}), "holdback", "half"),
        (json!({"draws": 1}), "draws", "1 is outside 2..=200"),
    ] {
        let a = app.post_json(&url, &body);
        assert_eq!(a.status, 400, "{body}: {:?}", a.body);
        assert_eq!(a.body["field"], field, "{body}: {:?}", a.body);
        let message = a.body["error"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{body}: {message}");
    }
    // Under the seed's rules safety stock is a share of the forecast: −0.5 is allowed.
    let seed = app.post_json(
        &url,
        &json!({"draws": 2, "policy": "seed", "safety_stock": -0.5}),
    );
    assert_eq!(seed.status, 200, "{:?}", seed.body);
    assert_eq!(seed.body["planned"]["settings"]["safety_stock"], -0.5);
    let unknown = app.post_json("/api/workflows/wf_nope/what-if", &json!({}));
    assert_eq!(unknown.status, 404, "{:?}", unknown.body);
}

//! What-if over HTTP (`POST /api/workflows/{id}/tune`) refuses what it cannot
//! answer, naming why: a season still running is a 409 (nothing is simulated), a
//! completed season whose weeks recorded no demand is a 422 (there is nothing to
//! draw seasons around). Its answer equals the CLI's: `crates/cli/tests/tune_api.rs`.

use crate::helpers::*;
use serde_json::json;

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

//! A store's own page over HTTP (`GET /api/workflows/{id}/stores/{store_id}`):
//! its plan and weeks agree with the season's allocation and variance views; an
//! unknown store is a 404 naming the id, a season not yet allocated a 409.

use crate::helpers::*;
use serde_json::Value;

#[test]
fn a_stores_page_agrees_with_the_seasons_allocation_and_weeks() {
    let app = spawn_app();
    let id = app.create_zara(Some("normal_season"));
    let early = app.get(&format!("/api/workflows/{id}/stores/S001"));
    assert_eq!(early.status, 409, "{:?}", early.body);
    assert!(
        early.body["error"]
            .as_str()
            .unwrap_or_default()
            .contains("has no allocation yet"),
        "{:?}",
        early.body
    );
    app.accept_pending(&id);
    for week in 1..=3 {
        app.play_week(&id, week);
    }
    let allocation = app.get(&format!("/api/workflows/{id}/allocation")).body;
    let variance = app.get(&format!("/api/workflows/{id}/variance")).body;
    let stores = allocation["allocation"]["stores"]
        .as_array()
        .expect("stores");
    let mut sold_by_week = [0u64; 3];
    let mut forecast_by_week = [0f64; 3];
    for (i, planned) in stores.iter().enumerate() {
        let store_id = planned["store_id"].as_str().expect("id");
        let a = app.get(&format!("/api/workflows/{id}/stores/{store_id}"));
        assert_eq!(a.status, 200, "{:?}", a.body);
        let s = &a.body["season"];
        assert_eq!(s["store_id"], store_id);
        assert_eq!(s["cluster"], planned["cluster_id"]);
        assert_eq!(s["share"], planned["share"]);
        assert_eq!(s["initial_shipment"], planned["initial"]);
        assert_eq!(s["on_hand"], allocation["stock"][i]["on_hand"]);
        assert_eq!(
            s["season_allocation"],
            allocation["stock"][i]["season_allocation"]
        );
        assert_eq!(a.body["attributes"]["store_id"], store_id);
        assert_eq!(a.body["currency"], "USD");
        let weeks = s["weeks"].as_array().expect("weeks");
        assert_eq!(weeks.len(), 3);
        for (k, w) in weeks.iter().enumerate() {
            assert_eq!(w["week"], k as u64 + 1);
            sold_by_week[k] += w["sold"].as_u64().expect("sold");
            forecast_by_week[k] += w["forecast"].as_f64().expect("forecast");
        }
    }
    // The stores' weeks add up to the network's: sales, and the shares of the
    // forecast the week was played against.
    for (k, sold) in sold_by_week.iter().enumerate() {
        let row = &variance["weeks"][k];
        assert_eq!(
            row["actual"].as_u64(),
            Some(*sold),
            "week {}: {row:?}",
            k + 1
        );
        let forecast = row["forecast"].as_f64().expect("forecast");
        assert!(
            (forecast_by_week[k] - forecast).abs() < 1e-6,
            "week {}: {} vs {forecast}",
            k + 1,
            forecast_by_week[k]
        );
    }
    let unknown = app.get(&format!("/api/workflows/{id}/stores/S999"));
    assert_eq!(unknown.status, 404, "{:?}", unknown.body);
    assert_eq!(
        unknown.body["error"],
        Value::String(format!(
            "workflow {id} has no store 'S999' among its 50 stores"
        ))
    );
    let nowhere = app.get("/api/workflows/wf_nope/stores/S001");
    assert_eq!(nowhere.status, 404, "{:?}", nowhere.body);
}

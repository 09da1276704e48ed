//! The season's exports (issue 18): the workbook opened with a real reader
//! (calamine) says what the report says, and each table downloads as CSV with
//! formula-like text escaped.

use crate::helpers::*;
use calamine::{Data, DataType, Reader, Xlsx};
use serde_json::json;
use std::io::Cursor;

fn bytes(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let mut r = ureq::get(format!("{}{path}", app.url()))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("request sent");
    let status = r.status().as_u16();
    let kind = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, r.body_mut().read_to_vec().expect("body"))
}

/// Figure → value of the summary sheet.
fn summary(book: &mut Xlsx<Cursor<Vec<u8>>>) -> Vec<(String, Data)> {
    let range = book.worksheet_range("Summary").expect("a Summary sheet");
    range
        .rows()
        .skip(1)
        .map(|r| (r[0].to_string(), r[1].clone()))
        .collect()
}

fn number(rows: &[(String, Data)], label: &str) -> f64 {
    match rows.iter().find(|(l, _)| l == label).map(|(_, v)| v) {
        Some(Data::Float(f)) => *f,
        Some(Data::Int(i)) => *i as f64,
        other => panic!("{label}: {other:?}"),
    }
}

#[test]
fn the_workbook_says_what_the_report_says() {
    let app = spawn_app();
    let id = app.create_zara(None);
    app.accept_pending(&id);
    for week in 1..=3 {
        app.play_week(&id, week);
    }
    // A reason that would be a formula in a spreadsheet.
    let r = app.post_json(
        &format!("/api/workflows/{id}/reforecast"),
        &json!({"reason": "=HYPERLINK(\"http://x\",\"click\")"}),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    for week in 4..=12 {
        app.play_week(&id, week);
    }
    let w = app.workflow(&id);
    assert_eq!(w["state"], "completed");
    let report = &w["report"];

    let (status, kind, xlsx) = bytes(&app, &format!("/api/workflows/{id}/export.xlsx"));
    assert_eq!(status, 200);
    assert_eq!(kind, atelier_server::routes::export::XLSX);
    let mut book = Xlsx::new(Cursor::new(xlsx)).expect("an xlsx workbook");
    assert_eq!(
        book.sheet_names(),
        vec!["Summary", "Weeks", "Stores", "Approvals", "Timeline"]
    );
    let s = summary(&mut book);
    for (label, key) in [
        ("Units sold", "units_sold"),
        ("Leftover (units)", "leftover_units"),
        ("Revenue", "revenue"),
        ("Gross margin", "gross_margin"),
        ("Markdown cost", "markdown_cost"),
        ("Cost of goods", "cost_of_goods"),
        ("Sell-through", "sell_through"),
    ] {
        let want = report[key].as_f64().expect(key);
        assert!(
            (number(&s, label) - want).abs() < 1e-6,
            "{label}: {} in the workbook, {want} in the report",
            number(&s, label)
        );
    }
    // Uploaded weeks are recorded sales: demand, fill rate and lost sales unknown.
    let fill = s
        .iter()
        .find(|(l, _)| l == "Fill rate")
        .map(|(_, v)| v.to_string());
    assert_eq!(fill.as_deref(), Some("unknown (recorded sales)"));

    let weeks = book.worksheet_range("Weeks").expect("Weeks");
    assert_eq!(weeks.height(), 13, "a heading and 12 weeks");
    let sold: f64 = weeks
        .rows()
        .skip(1)
        .map(|r| r[3].get_float().unwrap_or_default())
        .sum();
    assert_eq!(sold, report["units_sold"].as_f64().unwrap_or_default());

    let stores = book.worksheet_range("Stores").expect("Stores");
    assert_eq!(stores.height(), 51, "a heading and 50 stores");
    let store_sold: f64 = stores
        .rows()
        .skip(1)
        .map(|r| r[6].get_float().unwrap_or_default())
        .sum();
    assert_eq!(store_sold, sold, "stores' sales add up to the weeks'");

    let approvals = book.worksheet_range("Approvals").expect("Approvals");
    let first = approvals.rows().nth(1).expect("the order's row");
    assert_eq!(first[0].to_string(), "manufacturing-1");
    assert_eq!(first[5].to_string(), "accepted");
    assert!(!first[6].to_string().is_empty(), "who answered");

    // The reason is text in the workbook, never a formula.
    let timeline = book.worksheet_range("Timeline").expect("Timeline");
    assert!(
        timeline
            .rows()
            .any(|r| r[3].to_string().contains(": =HYPERLINK(")),
        "the reason is kept, as text"
    );
    let formulas = book.worksheet_formula("Timeline").expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula"
    );

    // Each table as CSV (the reason quoted; escaping is export.rs's unit test).
    for table in ["summary", "weeks", "stores", "approvals", "timeline"] {
        let (status, kind, body) = bytes(&app, &format!("/api/workflows/{id}/export/{table}"));
        assert_eq!(status, 200, "{table}");
        assert!(kind.starts_with("text/csv"), "{table}: {kind}");
        assert!(!body.is_empty());
    }
    let (_, _, timeline_csv) = bytes(&app, &format!("/api/workflows/{id}/export/timeline"));
    let text = String::from_utf8(timeline_csv).expect("utf-8");
    assert!(
        text.contains(r#"=HYPERLINK(""http"#),
        "quoted in CSV: {text:.300}"
    );
    let (status, _, _) = bytes(&app, &format!("/api/workflows/{id}/export/nonsense"));
    assert_eq!(status, 404);
    let (status, _, _) = bytes(&app, "/api/workflows/wf_nope/export.xlsx");
    assert_eq!(status, 404);
}

#[test]
fn the_seasons_list_names_every_season_in_one_answer() {
    let app = spawn_app();
    let a = app.create_zara(None);
    let list = app.get("/api/seasons");
    assert_eq!(list.status, 200);
    let rows = list.body.as_array().expect("a list");
    let row = rows
        .iter()
        .find(|r| r["workflow_id"] == a.as_str())
        .expect("listed");
    assert_eq!(row["state"], "waiting_mfg_approval");
    assert_eq!(row["pending_approval"]["approval_id"], "manufacturing-1");
    assert_eq!(row["horizon_weeks"], 12);
    assert!(row["name"].as_str().unwrap_or("").contains(" to "));
    assert_eq!(row["weeks_played"], 0);
    // The order's money is in the workflow document.
    let w = app.workflow(&a);
    let ov = &w["order_value"];
    assert_eq!(ov["order_units"], w["manufacturing"]["manufacturing_qty"]);
    assert!(
        ov["proposed"]["expected_margin"]
            .as_f64()
            .unwrap_or_default()
            > 0.0
    );
    assert!(ov["alternatives"].as_array().map_or(0, Vec::len) >= 4);
}

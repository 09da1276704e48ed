//! `atelier export`: the season's workbook and CSV tables written from the event
//! store, with the report's figures.

use serde_json::Value;

mod support;
use support::atelier;

#[test]
fn export_writes_the_workbook_and_each_table() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.db").display().to_string();
    let out = atelier(&["run", "--approve", "auto", "--json", "--db", &db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let season: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = season["workflow_id"].as_str().unwrap();

    // Nothing to write: refused, naming the flags.
    let out = atelier(&["export", id, "--db", &db]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--xlsx"));

    let xlsx = dir.path().join("season.xlsx");
    let csv = dir.path().join("csv");
    let out = atelier(&[
        "export",
        id,
        "--db",
        &db,
        "--xlsx",
        &xlsx.display().to_string(),
        "--csv",
        &csv.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx (zip) file");
    for table in ["summary", "weeks", "stores", "approvals", "timeline"] {
        assert!(csv.join(format!("{table}.csv")).exists(), "{table}.csv");
    }
    let summary = std::fs::read_to_string(csv.join("summary.csv")).unwrap();
    let sold = season["report"]["units_sold"].as_u64().unwrap();
    assert!(
        summary.contains(&format!("Units sold,{sold}\n")),
        "{summary}"
    );
    let weeks = std::fs::read_to_string(csv.join("weeks.csv")).unwrap();
    assert_eq!(weeks.lines().count(), 13, "a heading and 12 weeks");
    let approvals = std::fs::read_to_string(csv.join("approvals.csv")).unwrap();
    assert!(approvals.contains("manufacturing-1,manufacturing order,"));
    assert!(approvals.contains(",accepted,auto,"), "{approvals}");
}

//! The golden season logs: whole seasons written by the orchestrator before it was
//! split into pure steps and one executor (fixtures in `tests/fixtures/`). Two checks:
//! the same seasons played today write the same events, in the same order, apart from
//! where the reasoning events fall (they are now appended after the step they explain);
//! and the old logs still load and fold to the same workflow.
//!
//! Two seasons are played under the `seed` policy (the rules those logs were written
//! with); a third, written later, under `margin`. Fields added since (the season's money, the policy tunables) may appear in
//! today's events; every field of the golden events must be there, unchanged.
//!
//! `ATELIER_WRITE_GOLDEN=1 cargo test -p atelier-engine --test golden` rewrites them.

mod support;

use atelier_engine::WorkflowView;
use atelier_engine::event::{Event, Modification, Resolution, StoredEvent};
use serde_json::Value;
use std::path::PathBuf;
use support::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.jsonl"))
}

/// Standard retail on the normal season: weekly top-ups, re-forecasts, a markdown.
fn standard_retail_normal() -> (Harness, &'static str) {
    let h = harness();
    let id = "golden-std";
    h.orchestrator
        .create(legacy_workflow(id, seed(params("standard_retail"))))
        .unwrap();
    play_auto(&h, id, &scenario("normal_season"));
    (h, id)
}

/// Conservative on low demand, with the planner modifying the order and then the
/// markdown's depth: the approval paths that re-run an agent.
fn conservative_low_modified() -> (Harness, &'static str) {
    let h = harness();
    let id = "golden-cons";
    let o = &h.orchestrator;
    o.create(legacy_workflow(id, seed(params("conservative"))))
        .unwrap();
    let view = o.advance(id).unwrap();
    let qty = view.order.unwrap().forecast_units * 11 / 10;
    let modify = |m: Modification| Resolution::Modify { modifications: m };
    o.approve(
        id,
        None,
        modify(Modification {
            manufacturing_qty: Some(qty),
            safety_stock_pct: None,
            markdown_pct: None,
            transfer_units: None,
            reorder_units: None,
        }),
        "planner",
    )
    .unwrap();
    o.approve(id, None, Resolution::Accept, "planner").unwrap();
    let weeks = scenario("low_demand");
    loop {
        let view = o.view(id).unwrap();
        match view.state {
            atelier_engine::WorkflowState::WaitingMarkdownApproval => {
                if view.markdown_approvals == 1 {
                    o.approve(
                        id,
                        None,
                        modify(Modification {
                            manufacturing_qty: None,
                            safety_stock_pct: None,
                            markdown_pct: Some(0.15),
                            transfer_units: None,
                            reorder_units: None,
                        }),
                        "planner",
                    )
                    .unwrap();
                } else {
                    o.approve(id, None, Resolution::Accept, "planner").unwrap();
                }
            }
            atelier_engine::WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                o.record_week(id, week, &weeks[week as usize - 1]).unwrap();
            }
            _ => break,
        }
    }
    (h, id)
}

/// Zara under `margin` (the product's default policy, its default chase, the
/// standard world) on a season selling 1.4× the normal one: the newsvendor order,
/// demand-following top-ups, a second buy and the markdown judged by expected
/// margin. Written after the steps were split, it guards the margin paths.
fn margin_zara_hot() -> (Harness, &'static str) {
    let h = harness();
    let id = "golden-margin";
    h.orchestrator
        .create(new_workflow(id, margin_params("zara")))
        .unwrap();
    let weeks: Vec<_> = scenario("normal_season")
        .into_iter()
        .map(|mut w| {
            for r in &mut w.rows {
                r.quantity_sold = r.quantity_sold * 7 / 5;
            }
            w
        })
        .collect();
    play_auto(&h, id, &weeks);
    (h, id)
}

fn seed(mut config: atelier_core::params::SeasonConfig) -> atelier_core::params::SeasonConfig {
    config.tunables.policy = atelier_core::Policy::Seed;
    config
}

/// Whether `new` holds every field of `old` with the same value (new fields allowed).
fn holds(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => o
            .iter()
            .all(|(k, v)| n.get(k).is_some_and(|nv| holds(v, nv))),
        (Value::Array(o), Value::Array(n)) => {
            o.len() == n.len() && o.iter().zip(n).all(|(a, b)| holds(a, b))
        }
        // Model internals may differ in the last bit: reading JSON numbers exactly
        // (serde_json's float_roundtrip) moved some by one ULP. Decisions (integers,
        // strings) must match exactly.
        (Value::Number(o), Value::Number(n)) if o.is_f64() || n.is_f64() => {
            let (a, b) = (
                o.as_f64().unwrap_or(f64::NAN),
                n.as_f64().unwrap_or(f64::NAN),
            );
            (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
        }
        _ => old == new,
    }
}

fn is_reasoning(e: &Event) -> bool {
    matches!(
        e,
        Event::ReasoningRecorded { .. } | Event::GuardrailTriggered { .. }
    )
}

/// An event as compared: its JSON without the measured agent time.
fn comparable(e: &Event) -> Value {
    let mut v = serde_json::to_value(e).unwrap();
    if let Some(obj) = v.as_object_mut()
        && obj.contains_key("duration_ms")
    {
        obj.insert("duration_ms".into(), Value::from(0));
    }
    v
}

fn split(events: &[StoredEvent]) -> (Vec<Value>, Vec<Value>) {
    let (reasoning, decisions): (Vec<&StoredEvent>, Vec<&StoredEvent>) =
        events.iter().partition(|e| is_reasoning(&e.event));
    (
        decisions.iter().map(|e| comparable(&e.event)).collect(),
        reasoning.iter().map(|e| comparable(&e.event)).collect(),
    )
}

fn check(name: &str, play: fn() -> (Harness, &'static str)) {
    let (h, id) = play();
    let log = events(&h, id);
    let path = fixture(name);
    if std::env::var_os("ATELIER_WRITE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let lines: Vec<String> = log
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let golden: Vec<StoredEvent> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The golden events as written (not through today's types, which add defaults).
    let raw: Vec<Value> = text
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            let mut e = v["event"].take();
            if let Some(obj) = e.as_object_mut()
                && obj.contains_key("duration_ms")
            {
                obj.insert("duration_ms".into(), Value::from(0));
            }
            e
        })
        .collect();
    let (want_reasoning, want): (Vec<Value>, Vec<Value>) = raw
        .into_iter()
        .partition(|e| e["type"] == "reasoning_recorded" || e["type"] == "guardrail_triggered");
    let (got, got_reasoning) = split(&log);
    assert_eq!(want.len(), got.len(), "{name}: number of decision events");
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert!(holds(w, g), "{name}: decision event {i} differs:\n{w}\n{g}");
    }
    assert_eq!(
        want_reasoning.len(),
        got_reasoning.len(),
        "{name}: reasoning events"
    );
    for (i, (w, g)) in want_reasoning.iter().zip(&got_reasoning).enumerate() {
        assert!(
            holds(w, g),
            "{name}: reasoning event {i} differs:\n{w}\n{g}"
        );
    }
    // The old log loads with today's code and folds to the same season.
    let old = WorkflowView::fold(&golden).unwrap();
    let new = h.orchestrator.view(id).unwrap();
    assert_eq!(old.state, new.state);
    let (old_report, new_report) = (old.report.unwrap(), new.report.unwrap());
    assert_eq!(old_report.units_sold, new_report.units_sold);
    assert_eq!(old_report.lost_sales, new_report.lost_sales);
    assert_eq!(old_report.leftover_units, new_report.leftover_units);
    assert_eq!(old.stock, new.stock);
    assert_eq!(old.weeks, new.weeks);
}

#[test]
fn standard_retail_season_log_matches_the_golden_log() {
    check("golden_standard_retail_normal", standard_retail_normal);
}

#[test]
fn margin_season_log_matches_the_golden_log() {
    check("golden_margin_zara_hot", margin_zara_hot);
    // The log walks the margin policy's own paths, not only the seed's.
    let text = std::fs::read_to_string(fixture("golden_margin_zara_hot")).unwrap();
    for kind in [
        "reorder_placed",
        "reorder_arrived",
        "replenishment_shipped",
        "workflow_completed",
    ] {
        assert!(
            text.contains(&format!("\"type\":\"{kind}\"")),
            "the margin golden log has no {kind}"
        );
    }
}

#[test]
fn modified_approvals_season_log_matches_the_golden_log() {
    check(
        "golden_conservative_low_modified",
        conservative_low_modified,
    );
}

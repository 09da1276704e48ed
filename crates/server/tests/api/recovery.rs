//! Work interrupted by a dead process: a workflow left mid-step (created, never
//! advanced: its server died between the two) is finished by the sweep, which
//! runs on one server at a time, without any client writing to it.

use crate::helpers::*;
use atelier_core::params::SeasonConfig;
use atelier_engine::NewWorkflow;
use atelier_engine::event::{ActualsMeaning, DataSource, ExpiryAction};
use atelier_server::{AppState, ServerConfig};
use std::time::{Duration, Instant};

fn finish_orphans_at_once(c: &mut ServerConfig) {
    c.sweep_retry = Duration::from_millis(100);
    c.orphan_grace = Duration::ZERO;
}

#[test]
fn a_workflow_left_mid_step_is_finished_by_the_sweep() {
    let mut app = spawn_app_with(finish_orphans_at_once);
    app.server = None;
    // What a server that died after the creation's commit leaves: the workflow at
    // its first state, no step run.
    let state = AppState::open(ServerConfig::new(&app.db)).expect("opens");
    let zara = atelier_core::sample::PARAMETER_SETS
        .iter()
        .find(|(n, _)| *n == "zara")
        .map(|(_, json)| *json)
        .expect("zara");
    let created = state
        .orchestrator()
        .create(NewWorkflow {
            workflow_id: "wf_orphan".into(),
            category: atelier_core::sample::DEFAULT_CATEGORY.into(),
            config: SeasonConfig::from_json(zara).expect("parameters"),
            data: DataSource::Sample,
            actuals_meaning: ActualsMeaning::Demand,
            actuals_source: None,
            approval_timeout_secs: None,
            approval_expiry: ExpiryAction::Fail,
            extraction: None,
            world: None,
        })
        .expect("created");
    assert_eq!(
        created.state,
        atelier_engine::WorkflowState::ParametersExtracted
    );
    drop(state);

    app.restart();
    let started = Instant::now();
    let mut seen = String::new();
    while started.elapsed() < Duration::from_secs(20) {
        seen = app.workflow("wf_orphan")["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if seen == "waiting_mfg_approval" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        seen, "waiting_mfg_approval",
        "the orphan was left where it was"
    );
    eprintln!("orphan finished {:?} after the restart", started.elapsed());
}

/// The sweep sleeps until the next deadline the store names, not until a
/// polling tick: with its safety-net sleep and its retry set to an hour, an
/// approval that times out after two seconds is settled within a moment of its
/// deadline (the creation's write woke the sweep to read the new deadline).
#[test]
fn an_approval_is_settled_at_its_deadline_without_polling() {
    let app = spawn_app_with(|c: &mut ServerConfig| {
        c.sweep_max_sleep = Duration::from_secs(3600);
        c.sweep_retry = Duration::from_secs(3600);
    });
    let mut body = create_body(None);
    body["approval_timeout_secs"] = serde_json::json!(2);
    body["on_expiry"] = serde_json::json!("accept");
    let created = Instant::now();
    let a = app.post_json("/api/workflows", &body);
    assert_eq!(a.status, 201, "{:?}", a.body);
    let id = a.body["workflow_id"].as_str().expect("id").to_string();
    assert_eq!(app.workflow(&id)["state"], "waiting_mfg_approval");
    let mut state = String::new();
    let mut settled = None;
    while created.elapsed() < Duration::from_secs(10) {
        state = app.workflow(&id)["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // The expiry's step and the allocation it unblocks commit one after the
        // other: a read between them sees phase_2_allocation.
        if state != "waiting_mfg_approval" && settled.is_none() {
            settled = Some(created.elapsed());
        }
        if state == "phase_3_monitoring" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(state, "phase_3_monitoring", "the approval was not settled");
    let settled = settled.unwrap_or_default();
    assert!(
        settled >= Duration::from_millis(1900) && settled < Duration::from_millis(4000),
        "settled {settled:?} after the creation, for a 2 s deadline"
    );
}

//! The JSON views of a workflow that the CLI prints and the server returns: one
//! shape, built from the folded view, so every surface says the same thing.

use crate::state::WorkflowState;
use crate::view::WorkflowView;
use serde_json::{Value, json};

/// Share of the workflow done, 0..1: phases 1–2 count for 10%, the weeks for the rest.
pub fn progress(view: &WorkflowView) -> f64 {
    match view.state {
        Some(WorkflowState::Completed) => 1.0,
        None | Some(WorkflowState::ParametersExtracted) => 0.0,
        Some(WorkflowState::Phase1Forecasting) | Some(WorkflowState::WaitingMfgApproval) => 0.05,
        Some(_) if view.allocation.is_none() => 0.08,
        Some(_) => {
            let horizon = view.horizon().max(1) as f64;
            0.1 + 0.9 * view.weeks.len() as f64 / horizon
        }
    }
}

/// The workflow summary of `run --json`, `resume --json`, `status --json` and
/// `GET /api/workflows/{id}`.
pub fn workflow_json(view: &WorkflowView) -> Value {
    json!({
        "workflow_id": view.workflow_id,
        "state": view.state.map(|s| s.as_str()),
        "category": view.category,
        "parameters": view.parameters,
        "current_agent": view.current_agent,
        "progress": progress(view),
        "last_event": view.last_seq,
        "manufacturing": view.order.map(|o| json!({
            "forecast_units": o.forecast_units,
            "safety_stock_pct": o.safety_stock_pct,
            "manufacturing_qty": o.manufacturing_qty,
        })),
        "forecast": view.forecast.as_ref().map(|f| json!({
            "total_season_demand": f.total_season_demand,
            "weekly_initial": f.weekly,
            "weekly_current": view.forecast_weekly,
            "interval": f.interval,
        })),
        "allocation": view.allocation.as_ref().map(|a| json!({
            "manufacturing_qty": a.manufacturing_qty,
            "initial_shipped": a.initial_shipped,
            "dc_holdback": a.dc_holdback,
            "dc_stock_now": view.dc_stock,
            "clusters": a.clusters.iter().map(|c| json!({"cluster_id": c.cluster_id, "stores": c.stores, "units": c.units})).collect::<Vec<_>>(),
        })),
        "phases_skipped": view.phases_skipped.iter().map(|(p, r)| json!({"phase": p, "reason": r})).collect::<Vec<_>>(),
        "weeks": view.weeks,
        "markdown": view.markdown,
        "pending_approval": view.pending_approval,
        "approvals": view.answered_approvals,
        "emergency_alerts": view.emergency_alerts,
        "report": view.report,
        "error": view.error,
    })
}

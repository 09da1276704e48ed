//! Phase 2: Inventory clusters the stores and splits the approved order; the launch
//! shipment goes out, the holdback stays at the DC, and monitoring begins.

use crate::agents::AllocateCall;
use crate::event::Event;
use crate::orchestrator::EngineError;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::reasoning::{self, Decision};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use serde_json::json;

/// Allocates the approved order and starts the season.
pub fn run(ctx: &StepContext<'_>, view: &WorkflowView) -> Result<Step, StepError> {
    let mut step = Step::begin(view);
    let (Some(forecast), Some(order)) = (&view.forecast, view.order) else {
        return Err(EngineError::Internal("phase 2 without an approved order".into()).into());
    };
    let holdback = step.view.parameters.dc_holdback_percentage;
    let call = AllocateCall {
        forecast: Box::new(forecast.clone()),
        manufacturing_qty: order.manufacturing_qty,
        category: view.category.clone(),
    };
    let instruction = format!(
        "Cluster the stores and allocate {} units; keep {:.0}% at the DC and ship the rest at launch.",
        order.manufacturing_qty,
        holdback * 100.0
    );
    let (allocation, unit_price) = ctx.hand_off(
        &mut step,
        WorkflowState::Phase2Allocation,
        instruction,
        call,
    )?;
    let text = format!(
        "Allocated {} units over {} clusters and {} stores: {} shipped at launch, {} held at the DC ({:.0}%).",
        allocation.manufacturing_qty,
        allocation.clusters.len(),
        allocation.stores.len(),
        allocation.initial_shipped,
        allocation.dc_holdback,
        allocation.dc_holdback_percentage * 100.0
    );
    let decision = Decision {
        point: "phase_2_allocation".into(),
        summary: format!(
            "{} shipped, {} held",
            allocation.initial_shipped, allocation.dc_holdback
        ),
        facts: json!({"initial_shipped": allocation.initial_shipped, "dc_holdback": allocation.dc_holdback, "clusters": allocation.clusters.iter().map(|c| json!({"cluster_id": c.cluster_id, "stores": c.stores, "units": c.units})).collect::<Vec<_>>()}),
        offline_text: text,
        claim: reasoning::Claim::Informational,
    };
    step.emit(Event::AllocationMade {
        allocation,
        unit_price,
    })?;
    step.explain(decision);
    if let Some(stranded) = atelier_core::policy::holdback::stranded_holdback(
        &step.view.parameters,
        order.manufacturing_qty,
    ) {
        step.explain(Decision {
            point: "holdback_stranded".into(),
            summary: format!("{} units stranded at the DC", stranded.units),
            facts: json!({"units": stranded.units, "order_units": stranded.order_units}),
            offline_text: format!(
                "{} units ({:.0}% of the order) stay at the DC and, with replenishment 'none', will never reach a store.",
                stranded.units,
                stranded.holdback_pct * 100.0
            ),
            claim: reasoning::Claim::Informational,
        });
    }
    step.emit(Event::PhaseStarted {
        phase: WorkflowState::Phase3Monitoring,
        week: 1,
    })?;
    Ok(step)
}

#[cfg(test)]
#[path = "tests/allocate.rs"]
mod tests;

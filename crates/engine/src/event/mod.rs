//! The events a workflow's log is made of. Every fact the orchestrator learns or
//! decides is one of these; the state and every view are folded from them.

use crate::agents::{AgentName, AgentResult, Handoff};
use crate::state::WorkflowState;
use atelier_core::demand::{DemandForecast, ManufacturingOrder, TotalInterval};
use atelier_core::inventory::Allocation;
use atelier_core::params::{SeasonParameters, Tunables};
use atelier_core::policy::chase::ReorderPlan;
use atelier_core::policy::transfers::{Transfer, TransferPlan};
use atelier_core::pricing::MarkdownProposal;
use atelier_core::season::SeasonReport;
use atelier_core::variance::VarianceCheck;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod carried;
pub use carried::*;

/// Where a workflow's store and history data come from; recorded at creation so a
/// resumed workflow reads the same data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataSource {
    /// The sample shipped in the binary.
    Sample,
    /// Files on disk.
    Files {
        /// Store attributes CSV.
        stores: Option<String>,
        /// Sales history CSV (optionally gzip).
        history: Option<String>,
        /// Fingerprint of the files' bytes when the workflow was created: a resumed
        /// workflow refuses files that changed under it.
        #[serde(default)]
        fingerprint: Option<String>,
    },
    /// A data set uploaded to the server, by its id.
    Uploaded {
        /// The data set id.
        dataset_id: String,
    },
}

/// Where a played season's weekly actuals come from, so `resume` reads the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActualsSource {
    /// A shipped scenario by name.
    Scenario {
        /// Scenario name, e.g. `normal_season`.
        name: String,
    },
    /// A directory of `actuals_week_NN.csv` files.
    Directory {
        /// The directory.
        path: String,
    },
}

/// What the quantities in weekly actuals mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActualsMeaning {
    /// The week's demand (a played scenario): stores sell what they have, the rest
    /// is lost, and a markdown's lift multiplies it.
    #[default]
    Demand,
    /// Recorded sales: the lift is already in them.
    Sales,
}

/// Everything that can happen to a workflow.
// The creation carries the season's whole configuration and world while most events
// are small; events are built once per step and written out, never kept in bulk in
// memory (the view folds them), so boxing the large one would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The workflow exists with these parameters.
    WorkflowCreated {
        /// The category planned.
        category: String,
        /// The seven parameters.
        parameters: SeasonParameters,
        /// The tunables.
        tunables: Tunables,
        /// Where its data comes from.
        data: DataSource,
        /// What actuals' quantities mean.
        actuals_meaning: ActualsMeaning,
        /// Where weekly actuals come from when the season is played (none: uploads).
        #[serde(default)]
        actuals_source: Option<ActualsSource>,
        /// Approval timeout in seconds, if any.
        approval_timeout_secs: Option<u64>,
        /// What a timeout does.
        approval_expiry: ExpiryAction,
        /// The world the season's demand is played in (how it answers a markdown,
        /// when supply falters): the demand source's, never the policy's. Absent for
        /// recorded sales, and in logs written before worlds (their weeks were
        /// lifted by the policy's own assumption).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        world: Option<atelier_core::world::World>,
    },
    /// A phase begins (this is what moves the state).
    PhaseStarted {
        /// The phase.
        phase: WorkflowState,
        /// Season week it belongs to, 0 before the season.
        week: u32,
    },
    /// A phase will not run, and why.
    PhaseSkipped {
        /// The phase skipped.
        phase: WorkflowState,
        /// The reason in words.
        reason: String,
    },
    /// Context handed to an agent.
    HandoffSent {
        /// The handoff.
        handoff: Handoff,
    },
    /// An agent's result.
    AgentCompleted {
        /// Handoff id it answers.
        handoff_id: String,
        /// The agent.
        agent: AgentName,
        /// The result.
        result: AgentResult,
        /// Wall time, ms.
        duration_ms: u64,
        /// Attempt number, from 1.
        attempt: u32,
    },
    /// An agent failed an attempt.
    AgentFailed {
        /// Handoff id.
        handoff_id: String,
        /// The agent.
        agent: AgentName,
        /// Attempt number, from 1.
        attempt: u32,
        /// The error.
        error: String,
        /// Wait before the next attempt, ms (none after the last).
        retry_in_ms: Option<u64>,
    },
    /// Demand's forecast and the order proposed from it.
    ForecastProduced {
        /// The forecast.
        forecast: DemandForecast,
        /// The order.
        order: ManufacturingOrder,
    },
    /// The order was revised after a modify.
    OrderRevised {
        /// The new order.
        order: ManufacturingOrder,
    },
    /// A human decision is needed.
    ApprovalRequested {
        /// Id to answer with.
        approval_id: String,
        /// What is to be approved.
        kind: ApprovalKind,
        /// The proposal.
        data: ApprovalProposal,
        /// The actions allowed.
        options: Vec<String>,
        /// When it times out, if it does.
        expires_at: Option<DateTime<Utc>>,
    },
    /// A human decided.
    ApprovalResolved {
        /// The approval answered.
        approval_id: String,
        /// The decision.
        resolution: Resolution,
        /// Who (a token's name, `cli`, `auto`).
        by: String,
    },
    /// An approval timed out.
    ApprovalExpired {
        /// The approval.
        approval_id: String,
        /// What the expiry did.
        action: ExpiryAction,
    },
    /// The order was split and the launch shipment made.
    AllocationMade {
        /// The allocation.
        allocation: Allocation,
        /// Average unit price of the category, for markdown cost.
        unit_price: f64,
    },
    /// A week's sales were recorded.
    WeekRecorded {
        /// The week's sales.
        sales: WeekSales,
    },
    /// The week's variance was measured.
    VarianceMeasured {
        /// The check.
        check: VarianceCheck,
        /// Whether it re-forecasts the remaining weeks (above the threshold with
        /// weeks left): decided once here, read by every view.
        #[serde(default)]
        reforecast_triggered: bool,
    },
    /// The remaining weeks were re-forecast and remaining allocations updated.
    ReforecastApplied {
        /// The last week observed.
        after_week: u32,
        /// Why.
        reason: ReforecastReason,
        /// The previous forecast of weeks after_week+1..N.
        previous: Vec<u64>,
        /// The new forecast of those weeks.
        remaining: Vec<u64>,
        /// New season allocation per store.
        season_allocations: Vec<u64>,
    },
    /// Stores were topped up from the DC.
    ReplenishmentShipped {
        /// After which week.
        week: u32,
        /// Units per store, network order.
        units: Vec<u64>,
    },
    /// Stock moved from store to store (the `margin` policy, with the DC empty).
    TransfersShipped {
        /// The moves and their totals.
        batch: TransferBatch,
    },
    /// A second buy was placed with the supplier (as approved).
    ReorderPlaced {
        /// The reorder as placed (units as approved).
        plan: ReorderPlan,
    },
    /// The planner declined a proposed reorder.
    ReorderDeclined {
        /// The week it was proposed after.
        week: u32,
    },
    /// A reorder landed at the DC.
    ReorderArrived {
        /// The week at whose end it landed.
        week: u32,
        /// Units received.
        units: u64,
    },
    /// Variance is severe and the DC cannot cover the remaining forecast.
    EmergencyReorderAlert {
        /// The week.
        week: u32,
        /// The variance, fraction.
        variance_pct: Option<f64>,
        /// Units short of the remaining forecast.
        shortfall_units: u64,
    },
    /// Pricing's proposal at the checkpoint.
    MarkdownProposed {
        /// The week.
        week: u32,
        /// The proposal.
        proposal: MarkdownProposal,
    },
    /// An approved markdown takes effect from the next week.
    MarkdownApplied {
        /// The checkpoint week.
        week: u32,
        /// Depth, fraction.
        markdown_pct: f64,
        /// Expected demand lift, fraction.
        expected_demand_lift_pct: f64,
    },
    /// Words explaining a decision.
    ReasoningRecorded {
        /// The reasoning.
        reasoning: Reasoning,
    },
    /// The LLM's words contradicted the computed decision; the decision stands.
    GuardrailTriggered {
        /// The decision point.
        decision_point: String,
        /// The decision that was kept.
        decision: String,
        /// The contradicting text.
        llm_text: String,
    },
    /// The season is over.
    WorkflowCompleted {
        /// The season report.
        report: SeasonReport,
    },
    /// A step failed for good.
    WorkflowFailed {
        /// The state the failure interrupted; `resume` returns there.
        interrupted: WorkflowState,
        /// The cause in words.
        cause: String,
    },
    /// `resume` after an error.
    WorkflowResumed {
        /// The state returned to.
        to: WorkflowState,
    },
}

impl Event {
    /// Every event's `type` tag, in the enum's order: what the API document lists
    /// (a test keeps it equal to the tags serde reads).
    pub const KINDS: [&'static str; 28] = [
        "workflow_created",
        "phase_started",
        "phase_skipped",
        "handoff_sent",
        "agent_completed",
        "agent_failed",
        "forecast_produced",
        "order_revised",
        "approval_requested",
        "approval_resolved",
        "approval_expired",
        "allocation_made",
        "week_recorded",
        "variance_measured",
        "reforecast_applied",
        "replenishment_shipped",
        "transfers_shipped",
        "reorder_placed",
        "reorder_declined",
        "reorder_arrived",
        "emergency_reorder_alert",
        "markdown_proposed",
        "markdown_applied",
        "reasoning_recorded",
        "guardrail_triggered",
        "workflow_completed",
        "workflow_failed",
        "workflow_resumed",
    ];

    /// The event's `type` tag, e.g. `week_recorded`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::WorkflowCreated { .. } => "workflow_created",
            Event::PhaseStarted { .. } => "phase_started",
            Event::PhaseSkipped { .. } => "phase_skipped",
            Event::HandoffSent { .. } => "handoff_sent",
            Event::AgentCompleted { .. } => "agent_completed",
            Event::AgentFailed { .. } => "agent_failed",
            Event::ForecastProduced { .. } => "forecast_produced",
            Event::OrderRevised { .. } => "order_revised",
            Event::ApprovalRequested { .. } => "approval_requested",
            Event::ApprovalResolved { .. } => "approval_resolved",
            Event::ApprovalExpired { .. } => "approval_expired",
            Event::AllocationMade { .. } => "allocation_made",
            Event::WeekRecorded { .. } => "week_recorded",
            Event::VarianceMeasured { .. } => "variance_measured",
            Event::ReforecastApplied { .. } => "reforecast_applied",
            Event::ReplenishmentShipped { .. } => "replenishment_shipped",
            Event::TransfersShipped { .. } => "transfers_shipped",
            Event::ReorderPlaced { .. } => "reorder_placed",
            Event::ReorderDeclined { .. } => "reorder_declined",
            Event::ReorderArrived { .. } => "reorder_arrived",
            Event::EmergencyReorderAlert { .. } => "emergency_reorder_alert",
            Event::MarkdownProposed { .. } => "markdown_proposed",
            Event::MarkdownApplied { .. } => "markdown_applied",
            Event::ReasoningRecorded { .. } => "reasoning_recorded",
            Event::GuardrailTriggered { .. } => "guardrail_triggered",
            Event::WorkflowCompleted { .. } => "workflow_completed",
            Event::WorkflowFailed { .. } => "workflow_failed",
            Event::WorkflowResumed { .. } => "workflow_resumed",
        }
    }
}

/// An event in the API document: its `type`, one of [`Event::KINDS`], and the
/// fields of that type, left open (they are the engine's records of handoffs,
/// agents' results and decisions, shown as they are by the stream and the audit
/// trail).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Event {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .description(Some("An event: its `type` and the fields of that type."))
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .description(Some("What kind of fact it records."))
                    .enum_values(Some(Event::KINDS)),
            )
            .required("type")
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Event {}

/// An event as stored: numbered from 1 per workflow, timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredEvent {
    /// The workflow.
    pub workflow_id: String,
    /// Sequence number within the workflow, from 1, without gaps.
    pub seq: u64,
    /// When it was appended (UTC).
    pub recorded_at: DateTime<Utc>,
    /// The event.
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::Event;

    /// The kinds the API document lists are the tags serde reads: its refusal of
    /// an unknown tag names every one it expects.
    #[test]
    fn the_listed_kinds_are_the_tags_serde_reads() {
        let refusal = serde_json::from_str::<Event>(r#"{"type": "?"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let expected: Vec<&str> = refusal.split('`').skip(3).step_by(2).collect();
        assert_eq!(expected, Event::KINDS, "{refusal}");
    }
}

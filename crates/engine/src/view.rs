//! A workflow's state folded from its events. The fold is the only place an event
//! changes anything, and it refuses an event the state does not allow: replaying a
//! log always gives the same view, and an illegal transition never slips in.

mod approvals;
mod markdowns;
mod reorders;
mod season;
mod transfers;
mod weeks;

pub use approvals::AnsweredApproval;
pub use season::FailedAttempt;

use crate::agents::AgentName;
use crate::event::{
    ActualsMeaning, ActualsSource, ApprovalKind, ApprovalProposal, DataSource, Event, ExpiryAction,
    Modification, StoredEvent, TransferBatch,
};
use crate::state::{Trigger, WorkflowState, is_legal};
use atelier_core::demand::{DemandForecast, ManufacturingOrder};
use atelier_core::inventory::{Allocation, StoreStock};
use atelier_core::params::{SeasonParameters, Tunables};
use atelier_core::pricing::MarkdownProposal;
use atelier_core::season::SeasonReport;
use atelier_core::variance::VarianceDirection;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An event the current state does not allow.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("illegal transition: '{event}' in state {state} ({reason})")]
pub struct TransitionError {
    /// The state.
    pub state: String,
    /// The event's kind.
    pub event: String,
    /// Why it is refused.
    pub reason: String,
}

/// A week as the views report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeekRow {
    /// Season week.
    pub week: u32,
    /// Forecast in force when the week was played.
    pub forecast: u64,
    /// Units sold (what the system observes).
    pub actual: u64,
    /// Units demanded.
    pub demand: u64,
    /// Variance as a percentage (30.8 for 30.8%); null when the forecast was 0.
    pub variance_pct: Option<f64>,
    /// Over / under / on target.
    pub direction: Option<VarianceDirection>,
    /// Above the threshold.
    pub threshold_exceeded: bool,
    /// A re-forecast followed this week.
    pub reforecast: bool,
    /// Units sent from the DC after this week.
    pub replenished: u64,
    /// Stores that ran out this week.
    pub stockout_stores: usize,
    /// Content fingerprint of the week's file.
    #[serde(skip)]
    pub content_hash: String,
}

/// An approval that is awaited.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingApproval {
    /// Id to answer with.
    pub approval_id: String,
    /// What is to be approved.
    pub kind: ApprovalKind,
    /// The proposal.
    pub data: ApprovalProposal,
    /// The actions allowed.
    pub options: Vec<String>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The markdown taken at the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarkdownRow {
    /// The checkpoint week.
    pub week: u32,
    /// Sell-through at the checkpoint.
    pub sell_through: f64,
    /// target − sell-through.
    pub gap: f64,
    /// Depth proposed or applied.
    pub markdown_pct: f64,
    /// Expected lift.
    pub expected_demand_lift_pct: f64,
    /// Whether it was applied (approved).
    pub applied: bool,
}

/// A live season: everything known about a workflow once it is created, folded
/// from its events. What every season has from its first event (its state,
/// parameters, tunables, data and expiry rule) is held without `Option`, so no step
/// or front end asks whether a created workflow has parameters; what comes later in
/// the season (the forecast, the order, the allocation, the report) is optional
/// because the season may not have reached it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowView {
    /// The workflow.
    pub workflow_id: String,
    /// Its state.
    pub state: WorkflowState,
    /// Last event number.
    pub last_seq: u64,
    /// Time of the first event.
    pub created_at: Option<DateTime<Utc>>,
    /// Time of the last event.
    pub updated_at: Option<DateTime<Utc>>,
    /// Category planned.
    pub category: String,
    /// The seven parameters.
    pub parameters: SeasonParameters,
    /// Tunables.
    pub tunables: Tunables,
    /// Data source.
    pub data: DataSource,
    /// What actuals mean.
    pub actuals_meaning: ActualsMeaning,
    /// Where played actuals come from.
    pub actuals_source: Option<ActualsSource>,
    /// The world played demand answers in (see `Event::WorkflowCreated`).
    pub world: Option<atelier_core::world::World>,
    /// Approval timeout, seconds.
    pub approval_timeout_secs: Option<u64>,
    /// Expiry action.
    pub approval_expiry: ExpiryAction,
    /// Demand's forecast (as first made).
    pub forecast: Option<DemandForecast>,
    /// The current weekly forecast, updated by re-forecasts.
    pub forecast_weekly: Vec<u64>,
    /// The proposed or approved order.
    pub order: Option<ManufacturingOrder>,
    /// The allocation.
    pub allocation: Option<Allocation>,
    /// Average unit price, for markdown cost.
    pub unit_price: f64,
    /// Per-store stock position.
    pub stock: Vec<StoreStock>,
    /// Units at the DC.
    pub dc_stock: u64,
    /// Weeks played.
    pub weeks: Vec<WeekRow>,
    /// Phases skipped with reasons.
    pub phases_skipped: Vec<(WorkflowState, String)>,
    /// The markdown, if one was proposed.
    pub markdown: Option<MarkdownRow>,
    /// Pricing's last proposal.
    pub markdown_proposal: Option<MarkdownProposal>,
    /// Demand lift in force (after an applied markdown).
    pub lift_pct: f64,
    /// The awaited approval.
    pub pending_approval: Option<PendingApproval>,
    /// Manufacturing approvals requested so far (for ids: manufacturing-1, -2, ...).
    pub manufacturing_approvals: u32,
    /// Markdown approvals requested so far (markdown-1, -2, ...).
    pub markdown_approvals: u32,
    /// Every approval answered or expired, in order, with who answered.
    pub answered_approvals: Vec<AnsweredApproval>,
    /// The last modification, for the agent's re-run.
    pub modification: Option<Modification>,
    /// The season report.
    pub report: Option<SeasonReport>,
    /// The failure cause while in error.
    pub error: Option<String>,
    /// The state an error interrupted.
    pub interrupted: Option<WorkflowState>,
    /// Agent working now (a handoff without its answer).
    pub current_agent: Option<AgentName>,
    /// Handoffs sent (for ids).
    pub handoffs_sent: u32,
    /// Emergency-reorder alerts raised.
    pub emergency_alerts: u32,
    /// Units recorded as sold above the book stock (the book was wrong).
    pub stock_adjustments: u64,
    /// Units moved from store to store.
    pub transferred_units: u64,
    /// Transfer approvals requested so far (transfer-1, -2, ...).
    pub transfer_approvals: u32,
    /// Transfers put up for approval and not yet shipped.
    pub transfer_proposal: Option<TransferBatch>,
    /// Whether those transfers were answered (accepted, modified or accepted on
    /// expiry): they ship; otherwise resuming asks again.
    pub transfers_approved: bool,
    /// Each store's sales over the last few weeks, oldest first (what demand-following
    /// top-ups read).
    pub recent_sold: Vec<Vec<u64>>,
    /// Whether each store ran out in those weeks.
    pub recent_stockouts: Vec<Vec<bool>>,
    /// Reorder approvals requested so far (reorder-1, -2, ...).
    pub reorder_approvals: u32,
    /// The reorder put up for approval and not yet placed or declined.
    pub reorder_proposal: Option<atelier_core::policy::chase::ReorderPlan>,
    /// Whether that reorder was answered (accepted, modified, accepted on expiry).
    pub reorder_answered: bool,
    /// Reorders placed, in order.
    pub reorders: Vec<atelier_core::policy::chase::ReorderPlan>,
    /// Reordered units that have landed at the DC.
    pub reorder_units_arrived: u64,
    /// An agent's failed attempts in a step not yet recorded, in order: the step
    /// runs again and counts its attempts from these (any event of another step
    /// clears them).
    pub failed_attempts: Vec<FailedAttempt>,
    /// When the failing step is tried again (the last failed attempt's time plus
    /// its wait): a fact in the log, so the workflow's lock is free meanwhile and
    /// any process can read when the retry is due.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Weeks of per-store sales the view keeps for replenishment signals.
pub const RECENT_WEEKS: usize = 4;

/// A workflow as its log tells it: nothing yet (no event, or an id never used), or
/// a live season. Folding an empty log gives [`Workflow::Empty`]; the creation
/// event is the one way to a [`WorkflowView`].
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Workflow {
    /// No event recorded.
    #[default]
    Empty,
    /// Created: every later event applies to the season.
    Live(Box<WorkflowView>),
}

impl Workflow {
    /// Folds a whole log, empty or not.
    pub fn fold(events: &[StoredEvent]) -> Result<Workflow, TransitionError> {
        let mut workflow = Workflow::Empty;
        for stored in events {
            workflow.apply(stored)?;
        }
        Ok(workflow)
    }

    /// Applies one stored event: the first must create the season, every later one
    /// applies to it. A refused first event leaves the workflow empty.
    pub fn apply(&mut self, stored: &StoredEvent) -> Result<(), TransitionError> {
        match self {
            Workflow::Empty => {
                if stored.seq != 1 {
                    return Err(TransitionError {
                        state: "none".into(),
                        event: stored.event.kind().into(),
                        reason: format!("event {} follows event 0: the log has a gap", stored.seq),
                    });
                }
                let mut view = WorkflowView::created(&stored.workflow_id, &stored.event)?;
                view.last_seq = stored.seq;
                view.created_at = Some(stored.recorded_at);
                view.updated_at = Some(stored.recorded_at);
                *self = Workflow::Live(Box::new(view));
                Ok(())
            }
            Workflow::Live(view) => view.apply(stored),
        }
    }

    /// The live season, if the workflow was created.
    pub fn live(self) -> Option<WorkflowView> {
        match self {
            Workflow::Empty => None,
            Workflow::Live(view) => Some(*view),
        }
    }

    /// The live season, borrowed, if the workflow was created.
    pub fn season(&self) -> Option<&WorkflowView> {
        match self {
            Workflow::Empty => None,
            Workflow::Live(view) => Some(view),
        }
    }
}

impl WorkflowView {
    /// The season a creation event starts: the only way to a view other than
    /// folding a log that begins with one.
    pub fn created(workflow_id: &str, event: &Event) -> Result<WorkflowView, TransitionError> {
        let Event::WorkflowCreated {
            category,
            parameters,
            tunables,
            data,
            actuals_meaning,
            actuals_source,
            approval_timeout_secs,
            approval_expiry,
            world,
        } = event
        else {
            return Err(TransitionError {
                state: "none".into(),
                event: event.kind().into(),
                reason: "the first event must be workflow_created".into(),
            });
        };
        Ok(WorkflowView {
            workflow_id: workflow_id.to_string(),
            state: WorkflowState::ParametersExtracted,
            last_seq: 0,
            created_at: None,
            updated_at: None,
            category: category.clone(),
            parameters: parameters.clone(),
            tunables: tunables.clone(),
            data: data.clone(),
            actuals_meaning: *actuals_meaning,
            actuals_source: actuals_source.clone(),
            world: world.clone(),
            approval_timeout_secs: *approval_timeout_secs,
            approval_expiry: *approval_expiry,
            forecast: None,
            forecast_weekly: Vec::new(),
            order: None,
            allocation: None,
            unit_price: 0.0,
            stock: Vec::new(),
            dc_stock: 0,
            weeks: Vec::new(),
            phases_skipped: Vec::new(),
            markdown: None,
            markdown_proposal: None,
            lift_pct: 0.0,
            pending_approval: None,
            manufacturing_approvals: 0,
            markdown_approvals: 0,
            answered_approvals: Vec::new(),
            modification: None,
            report: None,
            error: None,
            interrupted: None,
            current_agent: None,
            handoffs_sent: 0,
            emergency_alerts: 0,
            stock_adjustments: 0,
            transferred_units: 0,
            transfer_approvals: 0,
            transfer_proposal: None,
            transfers_approved: false,
            recent_sold: Vec::new(),
            recent_stockouts: Vec::new(),
            reorder_approvals: 0,
            reorder_proposal: None,
            reorder_answered: false,
            reorders: Vec::new(),
            reorder_units_arrived: 0,
            failed_attempts: Vec::new(),
            retry_at: None,
        })
    }

    /// Folds a log that must hold a created workflow (an empty log is refused:
    /// callers that may meet an unknown id fold a [`Workflow`]).
    pub fn fold(events: &[StoredEvent]) -> Result<WorkflowView, TransitionError> {
        Workflow::fold(events)?
            .live()
            .ok_or_else(|| TransitionError {
                state: "none".into(),
                event: "none".into(),
                reason: "the log is empty: the workflow was never created".into(),
            })
    }

    /// The next season week to be played.
    pub fn next_week(&self) -> u32 {
        self.weeks.len() as u32 + 1
    }

    /// How the season's policy decides each thing, read from its tunables (the
    /// steps ask this, never the policy's name).
    pub fn rules(&self) -> atelier_core::policy::rules::Rules {
        atelier_core::policy::rules::Rules::of(&self.tunables)
    }

    /// The season's horizon in weeks.
    pub fn horizon(&self) -> u32 {
        self.parameters.forecast_horizon_weeks
    }

    /// The markdown in force (0 before one is applied).
    pub fn markdown_in_force(&self) -> f64 {
        self.markdown
            .as_ref()
            .filter(|m| m.applied)
            .map_or(0.0, |m| m.markdown_pct)
    }

    /// The demand lift the world gives the markdown in force; a log written before
    /// worlds lifts by the policy's own assumption, as it was played.
    pub fn world_lift(&self) -> f64 {
        match &self.world {
            Some(w) => w.lift_at(self.markdown_in_force()),
            None => self.lift_pct,
        }
    }

    /// Units sold so far.
    pub fn units_sold(&self) -> u64 {
        self.weeks.iter().map(|w| w.actual).sum()
    }

    fn refuse(&self, event: &Event, reason: impl Into<String>) -> TransitionError {
        TransitionError {
            state: self.state.to_string(),
            event: event.kind().to_string(),
            reason: reason.into(),
        }
    }

    fn require(&self, event: &Event, state: WorkflowState) -> Result<(), TransitionError> {
        if self.state == state {
            Ok(())
        } else {
            Err(self.refuse(event, format!("allowed only in {state}")))
        }
    }

    fn move_to(
        &mut self,
        event: &Event,
        trigger: Trigger,
        to: WorkflowState,
    ) -> Result<(), TransitionError> {
        let from = self.state;
        if !is_legal(from, trigger, to) {
            return Err(self.refuse(
                event,
                format!("no transition {from} -> {to} on {}", trigger.as_str()),
            ));
        }
        self.state = to;
        Ok(())
    }

    fn not_terminal(&self, event: &Event) -> Result<(), TransitionError> {
        if self.state.is_terminal() {
            Err(self.refuse(event, "the workflow has ended"))
        } else {
            Ok(())
        }
    }

    /// Applies one stored event.
    pub fn apply(&mut self, stored: &StoredEvent) -> Result<(), TransitionError> {
        if stored.seq != self.last_seq + 1 {
            return Err(TransitionError {
                state: self.state.to_string(),
                event: stored.event.kind().into(),
                reason: format!(
                    "event {} follows event {}: the log has a gap",
                    stored.seq, self.last_seq
                ),
            });
        }
        self.apply_event(&stored.event)?;
        self.workflow_id.clone_from(&stored.workflow_id);
        self.stamp(stored);
        Ok(())
    }

    /// What only the stored event knows, after its content was applied: its number
    /// and time, and the time of a retry it schedules. The executor stamps its
    /// working view with the events it committed the same way.
    pub fn stamp(&mut self, stored: &StoredEvent) {
        if let Event::AgentFailed {
            retry_in_ms: Some(ms),
            ..
        } = &stored.event
        {
            self.retry_at = Some(stored.recorded_at + chrono::Duration::milliseconds(*ms as i64));
        }
        self.last_seq = stored.seq;
        self.created_at.get_or_insert(stored.recorded_at);
        self.updated_at = Some(stored.recorded_at);
    }

    /// Applies an event's content (the step builder uses this on a working copy):
    /// a dispatch to the handler of each kind, which checks the transition and
    /// changes only what that event changes.
    pub fn apply_event(&mut self, event: &Event) -> Result<(), TransitionError> {
        self.forget_failed_attempts(event);
        match event {
            Event::WorkflowCreated { .. } => Err(self.refuse(event, "the workflow already exists")),
            Event::PhaseStarted { phase, .. } => self.move_to(event, Trigger::PhaseStarted, *phase),
            Event::PhaseSkipped { phase, reason } => self.phase_skipped(*phase, reason),
            Event::HandoffSent { handoff } => self.handoff_sent(event, handoff.agent),
            Event::AgentCompleted { .. } => self.agent_done(event),
            Event::AgentFailed { .. } => self.agent_failed(event),
            Event::ForecastProduced { forecast, order } => {
                self.forecast_produced(event, forecast, order)
            }
            Event::OrderRevised { order } => self.order_revised(event, order),
            Event::ApprovalRequested {
                approval_id,
                kind,
                data,
                options,
                expires_at,
            } => self.approval_requested(
                event,
                PendingApproval {
                    approval_id: approval_id.clone(),
                    kind: *kind,
                    data: data.clone(),
                    options: options.clone(),
                    expires_at: *expires_at,
                },
            ),
            Event::ApprovalResolved {
                approval_id,
                resolution,
                by,
            } => self.approval_resolved(event, approval_id, resolution, by),
            Event::ApprovalExpired {
                approval_id,
                action,
            } => self.approval_expired(event, approval_id, *action),
            Event::AllocationMade {
                allocation,
                unit_price,
            } => self.allocation_made(event, allocation, *unit_price),
            Event::WeekRecorded { sales } => self.week_recorded(event, sales),
            Event::VarianceMeasured { check, .. } => self.variance_measured(event, check),
            Event::ReforecastApplied {
                after_week,
                reason,
                remaining,
                season_allocations,
                ..
            } => {
                self.reforecast_applied(event, *after_week, *reason, remaining, season_allocations)
            }
            Event::ReplenishmentShipped { units, .. } => self.replenishment_shipped(event, units),
            Event::TransfersShipped { batch } => self.ship_transfers(event, batch),
            Event::ReorderPlaced { plan } => self.place_reorder(event, plan),
            Event::ReorderDeclined { .. } => self.decline_reorder(event),
            Event::ReorderArrived { units, .. } => self.land_reorder(event, *units),
            Event::EmergencyReorderAlert { .. } => self.alerted(),
            Event::MarkdownProposed { week, proposal } => {
                self.markdown_proposed(event, *week, proposal)
            }
            Event::MarkdownApplied {
                markdown_pct,
                expected_demand_lift_pct,
                ..
            } => self.markdown_applied(event, *markdown_pct, *expected_demand_lift_pct),
            Event::ReasoningRecorded { .. } | Event::GuardrailTriggered { .. } => Ok(()),
            Event::WorkflowCompleted { report } => self.completed(event, report),
            Event::WorkflowFailed { interrupted, cause } => self.failed(event, *interrupted, cause),
            Event::WorkflowResumed { to } => self.resumed(event, *to),
        }
    }
}

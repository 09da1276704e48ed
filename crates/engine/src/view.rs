//! A workflow's state folded from its events. The fold is the only place an event
//! changes anything, and it refuses an event the state does not allow: replaying a
//! log always gives the same view, and an illegal transition never slips in.

mod approvals;
mod reorders;
mod transfers;

pub use approvals::AnsweredApproval;

use crate::agents::AgentName;
use crate::event::{
    ActualsMeaning, ActualsSource, ApprovalKind, ApprovalProposal, DataSource, Event, ExpiryAction,
    Modification, ReforecastReason, Resolution, StoredEvent, TransferBatch,
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

/// Everything known about a workflow, folded from its events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkflowView {
    /// The workflow.
    pub workflow_id: String,
    /// Its state; `None` before the first event.
    pub state: Option<WorkflowState>,
    /// Last event number.
    pub last_seq: u64,
    /// Time of the first event.
    pub created_at: Option<DateTime<Utc>>,
    /// Time of the last event.
    pub updated_at: Option<DateTime<Utc>>,
    /// Category planned.
    pub category: String,
    /// The seven parameters.
    pub parameters: Option<SeasonParameters>,
    /// Tunables.
    pub tunables: Tunables,
    /// Data source.
    pub data: Option<DataSource>,
    /// What actuals mean.
    pub actuals_meaning: ActualsMeaning,
    /// Where played actuals come from.
    pub actuals_source: Option<ActualsSource>,
    /// The world played demand answers in (see `Event::WorkflowCreated`).
    pub world: Option<atelier_core::world::World>,
    /// Approval timeout, seconds.
    pub approval_timeout_secs: Option<u64>,
    /// Expiry action.
    pub approval_expiry: Option<ExpiryAction>,
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
}

/// Weeks of per-store sales the view keeps for replenishment signals.
pub const RECENT_WEEKS: usize = 4;

impl WorkflowView {
    /// Folds a whole log.
    pub fn fold(events: &[StoredEvent]) -> Result<WorkflowView, TransitionError> {
        let mut view = WorkflowView::default();
        for e in events {
            view.apply(e)?;
        }
        Ok(view)
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

    /// The horizon, 0 before parameters.
    pub fn horizon(&self) -> u32 {
        self.parameters
            .as_ref()
            .map_or(0, |p| p.forecast_horizon_weeks)
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
            state: self.state.map_or("none".to_string(), |s| s.to_string()),
            event: event.kind().to_string(),
            reason: reason.into(),
        }
    }

    fn require(&self, event: &Event, state: WorkflowState) -> Result<(), TransitionError> {
        if self.state == Some(state) {
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
        let from = self
            .state
            .ok_or_else(|| self.refuse(event, "the workflow has not been created"))?;
        if !is_legal(from, trigger, to) {
            return Err(self.refuse(
                event,
                format!("no transition {from} -> {to} on {}", trigger.as_str()),
            ));
        }
        self.state = Some(to);
        Ok(())
    }

    /// Applies one stored event.
    pub fn apply(&mut self, stored: &StoredEvent) -> Result<(), TransitionError> {
        if stored.seq != self.last_seq + 1 {
            return Err(TransitionError {
                state: self.state.map_or("none".into(), |s| s.to_string()),
                event: stored.event.kind().into(),
                reason: format!(
                    "event {} follows event {}: the log has a gap",
                    stored.seq, self.last_seq
                ),
            });
        }
        self.apply_event(&stored.event)?;
        self.workflow_id.clone_from(&stored.workflow_id);
        self.last_seq = stored.seq;
        self.created_at.get_or_insert(stored.recorded_at);
        self.updated_at = Some(stored.recorded_at);
        Ok(())
    }

    /// Applies an event's content (the step builder uses this on a working copy).
    pub fn apply_event(&mut self, event: &Event) -> Result<(), TransitionError> {
        if self.state.is_none() && !matches!(event, Event::WorkflowCreated { .. }) {
            return Err(self.refuse(event, "the first event must be workflow_created"));
        }
        match event {
            Event::WorkflowCreated {
                category,
                parameters,
                tunables,
                data,
                actuals_meaning,
                actuals_source,
                approval_timeout_secs,
                approval_expiry,
                world,
            } => {
                if self.state.is_some() {
                    return Err(self.refuse(event, "the workflow already exists"));
                }
                self.actuals_source.clone_from(actuals_source);
                self.state = Some(WorkflowState::ParametersExtracted);
                self.category.clone_from(category);
                self.parameters = Some(parameters.clone());
                self.tunables = tunables.clone();
                self.data = Some(data.clone());
                self.actuals_meaning = *actuals_meaning;
                self.approval_timeout_secs = *approval_timeout_secs;
                self.approval_expiry = Some(*approval_expiry);
                self.world.clone_from(world);
            }
            Event::PhaseStarted { phase, .. } => {
                self.move_to(event, Trigger::PhaseStarted, *phase)?
            }
            Event::PhaseSkipped { phase, reason } => {
                self.phases_skipped.push((*phase, reason.clone()));
            }
            Event::HandoffSent { handoff } => {
                self.not_terminal(event)?;
                self.handoffs_sent += 1;
                self.current_agent = Some(handoff.agent);
            }
            Event::AgentCompleted { .. } => {
                self.not_terminal(event)?;
                self.current_agent = None;
            }
            Event::AgentFailed { .. } => self.not_terminal(event)?,
            Event::ForecastProduced { forecast, order } => {
                self.require(event, WorkflowState::Phase1Forecasting)?;
                self.forecast_weekly.clone_from(&forecast.weekly);
                self.forecast = Some(forecast.clone());
                self.order = Some(*order);
                self.modification = None;
            }
            Event::OrderRevised { order } => {
                self.require(event, WorkflowState::Phase1Forecasting)?;
                self.order = Some(*order);
                self.modification = None;
            }
            Event::ApprovalRequested {
                approval_id,
                kind,
                data,
                options,
                expires_at,
            } => {
                self.move_to(
                    event,
                    Trigger::ApprovalRequested,
                    approvals::waiting_state(*kind),
                )?;
                match kind {
                    ApprovalKind::Manufacturing => self.manufacturing_approvals += 1,
                    ApprovalKind::Markdown => self.markdown_approvals += 1,
                    ApprovalKind::Transfer => {
                        self.transfer_approvals += 1;
                        self.propose_transfers(data);
                    }
                    ApprovalKind::Reorder => {
                        self.reorder_approvals += 1;
                        self.propose_reorder(data);
                    }
                }
                self.pending_approval = Some(PendingApproval {
                    approval_id: approval_id.clone(),
                    kind: *kind,
                    data: data.clone(),
                    options: options.clone(),
                    expires_at: *expires_at,
                });
            }
            Event::ApprovalResolved {
                approval_id,
                resolution,
                by,
            } => {
                let pending = self.check_pending(event, approval_id)?;
                let answer = AnsweredApproval::by(approval_id, pending.kind, resolution, by);
                self.answered_approvals.push(answer);
                match resolution {
                    Resolution::Accept => self.accept(event, pending.kind)?,
                    Resolution::Modify { modifications } => {
                        let to = approvals::proposing_state(pending.kind);
                        self.move_to(event, Trigger::ApprovalModified, to)?;
                        self.modification = Some(modifications.clone());
                        self.transfers_approved = pending.kind == ApprovalKind::Transfer;
                        self.reorder_answered = pending.kind == ApprovalKind::Reorder;
                    }
                }
                self.pending_approval = None;
            }
            Event::ApprovalExpired {
                approval_id,
                action,
            } => {
                let pending = self.check_pending(event, approval_id)?;
                let answer = AnsweredApproval::expired(approval_id, pending.kind, *action);
                self.answered_approvals.push(answer);
                match action {
                    ExpiryAction::Accept => self.accept(event, pending.kind)?,
                    ExpiryAction::Fail => {
                        self.move_to(event, Trigger::Failed, WorkflowState::Error)?;
                        // Resuming asks again: back to the phase that made the proposal.
                        self.interrupted = Some(approvals::proposing_state(pending.kind));
                        self.error = Some(format!("approval {approval_id} expired"));
                    }
                }
                self.pending_approval = None;
            }
            Event::AllocationMade {
                allocation,
                unit_price,
            } => {
                self.require(event, WorkflowState::Phase2Allocation)?;
                self.stock = allocation
                    .stores
                    .iter()
                    .map(|s| StoreStock {
                        season_allocation: s.season_allocation,
                        shipped_so_far: s.initial,
                        on_hand: s.initial,
                    })
                    .collect();
                self.dc_stock = allocation.dc_holdback;
                self.allocation = Some(allocation.clone());
                self.unit_price = *unit_price;
            }
            Event::WeekRecorded { sales } => {
                self.require(event, WorkflowState::Phase3Monitoring)?;
                if sales.week != self.next_week() {
                    return Err(self.refuse(
                        event,
                        format!(
                            "week {} recorded when week {} is next",
                            sales.week,
                            self.next_week()
                        ),
                    ));
                }
                if sales.sold.len() != self.stock.len() {
                    return Err(self.refuse(event, "store count does not match the allocation"));
                }
                // Checked for every store before any stock moves: a refused event
                // leaves the view as it was.
                // Recorded sales above the book stock are allowed only for the stores
                // the event names as adjusted (the book was wrong, not the till).
                let adjusted = |i: usize| {
                    self.allocation
                        .as_ref()
                        .and_then(|a| a.stores.get(i))
                        .is_some_and(|s| sales.stock_adjusted_stores.contains(&s.store_id))
                };
                if (0..self.stock.len())
                    .any(|i| sales.sold[i] > self.stock[i].on_hand && !adjusted(i))
                {
                    return Err(self.refuse(event, "a store sold more than it had"));
                }
                for (s, sold) in self.stock.iter_mut().zip(&sales.sold) {
                    self.stock_adjustments += sold.saturating_sub(s.on_hand);
                    s.on_hand = s.on_hand.saturating_sub(*sold);
                }
                let out: Vec<bool> = self.allocation.as_ref().map_or_else(Vec::new, |a| {
                    a.stores
                        .iter()
                        .map(|st| sales.stockout_stores.contains(&st.store_id))
                        .collect()
                });
                if self.recent_sold.len() == RECENT_WEEKS {
                    self.recent_sold.remove(0);
                    self.recent_stockouts.remove(0);
                }
                self.recent_sold.push(sales.sold.clone());
                self.recent_stockouts.push(out);
                let forecast = self
                    .forecast_weekly
                    .get(sales.week as usize - 1)
                    .copied()
                    .unwrap_or(0);
                self.weeks.push(WeekRow {
                    week: sales.week,
                    forecast,
                    actual: sales.sold.iter().sum(),
                    demand: sales.demand.iter().sum(),
                    variance_pct: None,
                    direction: None,
                    threshold_exceeded: false,
                    reforecast: false,
                    replenished: 0,
                    stockout_stores: sales.stockout_stores.len(),
                    content_hash: sales.content_hash.clone(),
                });
            }
            Event::VarianceMeasured { check, .. } => {
                let row = self.weeks.last_mut().filter(|w| w.week == check.week);
                let Some(row) = row else {
                    return Err(self.refuse(event, "variance for a week that was not recorded"));
                };
                row.variance_pct = check.percent();
                row.direction = Some(check.direction);
                row.threshold_exceeded = check.threshold_exceeded;
            }
            Event::ReforecastApplied {
                after_week,
                reason,
                remaining,
                season_allocations,
                ..
            } => {
                self.require(event, WorkflowState::Phase5Reforecast)?;
                let start = *after_week as usize;
                if start + remaining.len() != self.forecast_weekly.len()
                    || season_allocations.len() != self.stock.len()
                {
                    return Err(self.refuse(event, "re-forecast does not fit the season"));
                }
                self.forecast_weekly[start..].copy_from_slice(remaining);
                for (s, a) in self.stock.iter_mut().zip(season_allocations) {
                    s.season_allocation = *a;
                }
                if *reason == ReforecastReason::Variance
                    && let Some(row) = self.weeks.last_mut()
                {
                    row.reforecast = true;
                }
            }
            Event::ReplenishmentShipped { units, .. } => {
                self.require(event, WorkflowState::Phase3Replenishment)?;
                let total: u64 = units.iter().sum();
                if units.len() != self.stock.len() || total > self.dc_stock {
                    return Err(self.refuse(event, "replenishment exceeds the DC's stock"));
                }
                for (s, u) in self.stock.iter_mut().zip(units) {
                    s.on_hand += u;
                    s.shipped_so_far += u;
                }
                self.dc_stock -= total;
                if let Some(row) = self.weeks.last_mut() {
                    row.replenished += total;
                }
            }
            Event::TransfersShipped { batch } => self.ship_transfers(event, batch)?,
            Event::ReorderPlaced { plan } => self.place_reorder(event, plan)?,
            Event::ReorderDeclined { .. } => self.decline_reorder(event)?,
            Event::ReorderArrived { units, .. } => self.land_reorder(event, *units)?,
            Event::EmergencyReorderAlert { .. } => self.emergency_alerts += 1,
            Event::MarkdownProposed { week, proposal } => {
                self.require(event, WorkflowState::Phase4MarkdownCheck)?;
                self.modification = None;
                self.markdown_proposal = Some(*proposal);
                self.markdown = Some(MarkdownRow {
                    week: *week,
                    sell_through: proposal.sell_through,
                    gap: proposal.gap,
                    markdown_pct: proposal.markdown_pct,
                    expected_demand_lift_pct: proposal.expected_demand_lift_pct,
                    applied: false,
                });
            }
            Event::MarkdownApplied {
                markdown_pct,
                expected_demand_lift_pct,
                ..
            } => {
                self.require(event, WorkflowState::Phase5Reforecast)?;
                self.lift_pct = *expected_demand_lift_pct;
                if let Some(m) = &mut self.markdown {
                    m.applied = true;
                    m.markdown_pct = *markdown_pct;
                    m.expected_demand_lift_pct = *expected_demand_lift_pct;
                }
            }
            Event::ReasoningRecorded { .. } | Event::GuardrailTriggered { .. } => {}
            Event::WorkflowCompleted { report } => {
                self.move_to(event, Trigger::SeasonCompleted, WorkflowState::Completed)?;
                self.report = Some(report.clone());
                self.current_agent = None;
            }
            Event::WorkflowFailed { interrupted, cause } => {
                self.move_to(event, Trigger::Failed, WorkflowState::Error)?;
                self.interrupted = Some(*interrupted);
                self.error = Some(cause.clone());
                self.current_agent = None;
            }
            Event::WorkflowResumed { to } => {
                if self.interrupted != Some(*to) {
                    return Err(self.refuse(event, "resume must return to the interrupted state"));
                }
                self.move_to(event, Trigger::Resumed, *to)?;
                self.error = None;
                self.interrupted = None;
            }
        }
        Ok(())
    }

    fn not_terminal(&self, event: &Event) -> Result<(), TransitionError> {
        match self.state {
            Some(s) if s.is_terminal() => Err(self.refuse(event, "the workflow has ended")),
            _ => Ok(()),
        }
    }

    fn check_pending(
        &self,
        event: &Event,
        approval_id: &str,
    ) -> Result<PendingApproval, TransitionError> {
        match &self.pending_approval {
            Some(p) if p.approval_id == approval_id => Ok(p.clone()),
            Some(p) => Err(self.refuse(
                event,
                format!(
                    "the pending approval is {}, not {approval_id}",
                    p.approval_id
                ),
            )),
            None => Err(self.refuse(event, "no approval is pending")),
        }
    }

    fn accept(&mut self, event: &Event, kind: ApprovalKind) -> Result<(), TransitionError> {
        self.transfers_approved = kind == ApprovalKind::Transfer;
        self.reorder_answered = kind == ApprovalKind::Reorder;
        self.move_to(
            event,
            Trigger::ApprovalAccepted,
            approvals::accepted_state(kind),
        )
    }
}

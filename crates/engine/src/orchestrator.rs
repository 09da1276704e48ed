//! The orchestrator: decides which step a workflow takes next, hands work to the
//! agents, and appends each step's events in one transaction. It never stores state
//! apart from the log: every call folds the workflow's events first.
//!
//! Steps (each one transaction):
//! - start: interpretation and phase decisions, then phase 1 begins;
//! - phase 1: Demand forecasts (or revises the order after a modify) and the order
//!   is put up for approval;
//! - phase 2: Inventory allocates; the launch shipment goes out; monitoring begins;
//! - a week: its actuals, variance, re-forecast if needed, replenishment on cadence,
//!   the markdown check at the checkpoint; then the next week or the report;
//! - after an approved markdown: the lift and the re-forecast of the remaining weeks.

use crate::agents::{
    AgentContext, AgentName, AgentRegistry, AgentResult, Handoff, Route, SeasonData, Task,
};
use crate::clock::Clock;
use crate::event::{
    ActualsMeaning, ActualsSource, ApprovalKind, DataSource, Event, ExpiryAction, ReforecastReason,
    Resolution, StoredEvent, WeekSales,
};
use crate::reasoning::{self, Decision, Reasoner};
use crate::state::WorkflowState;
use crate::store::{EventStore, StoreError};
use crate::view::{TransitionError, WorkflowView};
use atelier_core::data::WeekActuals;
use atelier_core::inventory::reallocate_remaining;
use atelier_core::params::{SeasonConfig, SeasonParameters};
use atelier_core::season::{SeasonTotals, WeekOutcome, season_report};
use atelier_core::variance::{VarianceDirection, check_week};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why an orchestrator call was refused or failed. Refusals change nothing.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event the state does not allow.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The call needs a waiting workflow.
    #[error("workflow {workflow_id} is not waiting for an approval (state {state})")]
    NotWaiting {
        /// The workflow.
        workflow_id: String,
        /// Its state.
        state: WorkflowState,
    },
    /// The approval id is not the pending one.
    #[error("workflow {workflow_id} is waiting for approval {pending}, not {given}")]
    WrongApproval {
        /// The workflow.
        workflow_id: String,
        /// The pending approval.
        pending: String,
        /// The id given.
        given: String,
    },
    /// A modification that does not fit the approval.
    #[error("invalid modification: {0}")]
    InvalidModification(String),
    /// Actuals arrived while the workflow cannot take them.
    #[error("workflow {workflow_id} is in state {state} and cannot record week {week} now")]
    NotAcceptingActuals {
        /// The workflow.
        workflow_id: String,
        /// Its state.
        state: WorkflowState,
        /// The week offered.
        week: u32,
    },
    /// A week out of order.
    #[error("week {week} cannot be recorded: week {next} is next")]
    WeekOutOfOrder {
        /// The week offered.
        week: u32,
        /// The week expected.
        next: u32,
    },
    /// The same week again with different content.
    #[error(
        "week {week} was already recorded with different actuals; a recorded week cannot be changed"
    )]
    ActualsConflict {
        /// The week.
        week: u32,
    },
    /// Actuals dated outside their week.
    #[error("actuals for week {week} contain {date}, outside the week ({from}..={to})")]
    ActualsOutsideWeek {
        /// The week.
        week: u32,
        /// The offending date.
        date: chrono::NaiveDate,
        /// First day of the week.
        from: chrono::NaiveDate,
        /// Last day of the week.
        to: chrono::NaiveDate,
    },
    /// The season cannot be planned from its data: an unknown category, or a
    /// history the forecast cannot use (too short, or ending after the season starts).
    #[error("the season cannot be planned: {0}")]
    InvalidSeason(String),
    /// A week's actuals do not cover all seven days.
    #[error("actuals for week {week} have no rows for {}; a week is recorded whole, once", missing.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))]
    IncompleteWeek {
        /// The week.
        week: u32,
        /// The days with no row.
        missing: Vec<chrono::NaiveDate>,
    },
    /// The workflow's data could not be loaded or does not fit.
    #[error("data: {0}")]
    Data(String),
    /// The call is not possible in this state.
    #[error("{0}")]
    Refused(String),
}

/// How failing agents are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, at least 1.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub base_delay: Duration,
    /// Longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Wait after failed attempt `attempt` (1-based): base × 2^(attempt−1), capped.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Resolves a workflow's recorded data source to loaded data.
pub trait DataCatalog: Send + Sync {
    /// The data for `source`.
    fn load(&self, source: &DataSource) -> Result<Arc<SeasonData>, String>;
}

/// A request to start a workflow.
#[derive(Debug, Clone)]
pub struct NewWorkflow {
    /// Its id (callers generate it, so that a retried create is recognisable).
    pub workflow_id: String,
    /// Category to plan.
    pub category: String,
    /// Parameters and tunables.
    pub config: SeasonConfig,
    /// Data source.
    pub data: DataSource,
    /// What actuals mean.
    pub actuals_meaning: ActualsMeaning,
    /// Where played actuals come from.
    pub actuals_source: Option<ActualsSource>,
    /// Approval timeout, seconds.
    pub approval_timeout_secs: Option<u64>,
    /// What a timeout does.
    pub approval_expiry: ExpiryAction,
    /// How the parameters were extracted from a planner's description (phase 0), if
    /// they were.
    pub extraction: Option<crate::event::Reasoning>,
}

/// The longest approval timeout: a year. Longer is not a timeout, and would
/// overflow date arithmetic for absurd values.
pub const MAX_APPROVAL_TIMEOUT_SECS: u64 = 365 * 24 * 3600;

/// The orchestrator over a store, the agents, a reasoner, a clock and a data catalog.
#[derive(Clone)]
pub struct Orchestrator {
    store: Arc<dyn EventStore>,
    agents: AgentRegistry,
    reasoner: Arc<dyn Reasoner>,
    clock: Arc<dyn Clock>,
    catalog: Arc<dyn DataCatalog>,
    retry: RetryPolicy,
}

/// A step being built: events applied to a working copy of the view as they are
/// pushed, so later decisions in the step see earlier ones, and the fold of the
/// committed log equals what the step computed.
struct Step {
    view: WorkflowView,
    events: Vec<Event>,
    start_seq: u64,
}

impl Step {
    fn push(&mut self, event: Event) -> Result<(), TransitionError> {
        self.view.apply_event(&event)?;
        self.events.push(event);
        Ok(())
    }
}

/// An agent that failed every attempt.
struct AgentGaveUp {
    failures: Vec<Event>,
    cause: String,
}

/// How a step can end without its events: the engine refused, or an agent gave up
/// (which the caller records as a failure of the workflow).
enum StepError {
    Engine(EngineError),
    GaveUp(AgentGaveUp),
}

impl From<EngineError> for StepError {
    fn from(e: EngineError) -> Self {
        StepError::Engine(e)
    }
}

impl From<TransitionError> for StepError {
    fn from(e: TransitionError) -> Self {
        StepError::Engine(e.into())
    }
}

type StepResult<T> = Result<T, StepError>;

impl Orchestrator {
    /// Builds an orchestrator.
    pub fn new(
        store: Arc<dyn EventStore>,
        agents: AgentRegistry,
        reasoner: Arc<dyn Reasoner>,
        clock: Arc<dyn Clock>,
        catalog: Arc<dyn DataCatalog>,
    ) -> Orchestrator {
        Orchestrator {
            store,
            agents,
            reasoner,
            clock,
            catalog,
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Orchestrator {
        self.retry = retry;
        self
    }

    /// The store, for views that read the log directly.
    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Creates a workflow: checks its category exists in its data, then records it.
    pub fn create(&self, request: NewWorkflow) -> Result<WorkflowView, EngineError> {
        let data = self
            .catalog
            .load(&request.data)
            .map_err(EngineError::Data)?;
        let sales = atelier_core::plan::category_sales(&data.history, &request.category)
            .map_err(|e| EngineError::InvalidSeason(e.to_string()))?;
        // A season the history cannot forecast (it starts before the history ends, too
        // long after it, or the history is too short) is refused now: no retry or
        // resume could fix it.
        atelier_core::plan::check_season(sales, &request.category, &request.config.parameters)
            .map_err(|e| EngineError::InvalidSeason(e.to_string()))?;
        if let Some(secs) = request.approval_timeout_secs
            && !(1..=MAX_APPROVAL_TIMEOUT_SECS).contains(&secs)
        {
            return Err(EngineError::InvalidSeason(format!(
                "an approval timeout of {secs} s is outside 1..={MAX_APPROVAL_TIMEOUT_SECS} (one year)"
            )));
        }
        let event = Event::WorkflowCreated {
            category: request.category.clone(),
            parameters: request.config.parameters.clone(),
            tunables: request.config.tunables.clone(),
            data: request.data,
            actuals_meaning: request.actuals_meaning,
            actuals_source: request.actuals_source,
            approval_timeout_secs: request.approval_timeout_secs,
            approval_expiry: request.approval_expiry,
        };
        // Phase 0's record (how the parameters were read from the planner's words)
        // is written with the creation, so no crash can separate them.
        let mut events = vec![event];
        events.extend(
            request
                .extraction
                .map(|reasoning| Event::ReasoningRecorded { reasoning }),
        );
        let mut view = WorkflowView::default();
        for e in &events {
            view.apply_event(e)?;
        }
        self.store.append(
            &request.workflow_id,
            0,
            &events,
            WorkflowState::ParametersExtracted,
            &request.category,
            self.clock.now(),
        )?;
        self.view(&request.workflow_id)
    }

    /// The workflow folded from its log.
    pub fn view(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        let events = self.store.load(workflow_id, 0, None)?;
        Ok(WorkflowView::fold(&events)?)
    }

    /// Events after `after`.
    pub fn events(
        &self,
        workflow_id: &str,
        after: u64,
        limit: Option<u64>,
    ) -> Result<Vec<StoredEvent>, EngineError> {
        Ok(self.store.load(workflow_id, after, limit)?)
    }

    fn commit(&self, step: Step) -> Result<WorkflowView, EngineError> {
        if step.events.is_empty() {
            return Ok(step.view);
        }
        let state = step.view.state.unwrap_or(WorkflowState::Error);
        let stored = self.store.append(
            &step.view.workflow_id,
            step.start_seq,
            &step.events,
            state,
            &step.view.category,
            self.clock.now(),
        )?;
        // The working view already holds the events' effects (the fold is
        // deterministic); only the numbering and times come from the store.
        let mut view = step.view;
        if let Some(last) = stored.last() {
            view.last_seq = last.seq;
            view.updated_at = Some(last.recorded_at);
        }
        Ok(view)
    }

    fn begin(view: &WorkflowView) -> Step {
        Step {
            view: view.clone(),
            events: Vec::new(),
            start_seq: view.last_seq,
        }
    }

    /// Runs every step that needs no outside input, until the workflow waits for an
    /// approval or actuals, completes, or fails. Expired approvals are settled first.
    pub fn advance(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        let mut view = self.view(workflow_id)?;
        loop {
            if let Some(expired) = self.expiry(&view)? {
                view = self.commit(expired)?;
                continue;
            }
            let Some(state) = view.state else {
                return Err(EngineError::Refused(format!(
                    "workflow {workflow_id} has no events"
                )));
            };
            let outcome = match state {
                WorkflowState::ParametersExtracted => self.step_start(&view),
                WorkflowState::Phase1Forecasting => self.step_phase_1(&view),
                WorkflowState::Phase2Allocation => self.step_phase_2(&view),
                WorkflowState::Phase5Reforecast => self.step_markdown_applied(&view),
                WorkflowState::Phase4MarkdownCheck => self.step_markdown_revised(&view),
                _ => return Ok(view),
            };
            view = self.settle(&view, outcome)?;
        }
    }

    /// Commits a step, or records why its agent gave up.
    fn settle(
        &self,
        at: &WorkflowView,
        outcome: StepResult<Step>,
    ) -> Result<WorkflowView, EngineError> {
        match outcome {
            Ok(step) => self.commit(step),
            Err(StepError::GaveUp(gave_up)) => self.fail(at, gave_up),
            Err(StepError::Engine(e)) => Err(e),
        }
    }

    fn fail(&self, at: &WorkflowView, gave_up: AgentGaveUp) -> Result<WorkflowView, EngineError> {
        let mut step = Self::begin(at);
        // The step's earlier handoffs are not kept, so the failed one is numbered
        // after the last handoff the log really has.
        let id = format!("h-{}", at.handoffs_sent + 1);
        for mut e in gave_up.failures {
            match &mut e {
                Event::HandoffSent { handoff } => handoff.handoff_id.clone_from(&id),
                Event::AgentFailed { handoff_id, .. } => handoff_id.clone_from(&id),
                _ => {}
            }
            step.push(e)?;
        }
        let interrupted = at.state.unwrap_or(WorkflowState::Error);
        step.push(Event::WorkflowFailed {
            interrupted,
            cause: gave_up.cause,
        })?;
        self.commit(step)
    }

    fn expiry(&self, view: &WorkflowView) -> Result<Option<Step>, EngineError> {
        let Some(pending) = &view.pending_approval else {
            return Ok(None);
        };
        let Some(expires_at) = pending.expires_at else {
            return Ok(None);
        };
        if self.clock.now() < expires_at {
            return Ok(None);
        }
        let action = view.approval_expiry.unwrap_or(ExpiryAction::Fail);
        let mut step = Self::begin(view);
        step.push(Event::ApprovalExpired {
            approval_id: pending.approval_id.clone(),
            action,
        })?;
        let text = match action {
            ExpiryAction::Accept => format!(
                "Approval {} expired at {expires_at}; accepted as proposed, as configured.",
                pending.approval_id
            ),
            ExpiryAction::Fail => format!(
                "Approval {} expired at {expires_at}; the workflow stops, as configured. Resume it to ask again.",
                pending.approval_id
            ),
        };
        self.reason(
            &mut step,
            &Decision {
                point: "approval_expired".into(),
                summary: format!("{action:?}"),
                facts: json!({"approval_id": pending.approval_id, "expires_at": expires_at}),
                offline_text: text,
                claim: reasoning::Claim::Informational,
            },
        )?;
        Ok(Some(step))
    }

    fn data(&self, view: &WorkflowView) -> Result<Arc<SeasonData>, EngineError> {
        let source = view
            .data
            .as_ref()
            .ok_or_else(|| EngineError::Data("the workflow has no data source".into()))?;
        self.catalog.load(source).map_err(EngineError::Data)
    }

    fn reason(&self, step: &mut Step, decision: &Decision) -> Result<(), TransitionError> {
        for e in self.reasoner.explain(decision) {
            step.push(e)?;
        }
        Ok(())
    }

    /// Sends a handoff and waits for the agent, retrying with exponential backoff.
    fn hand_off(
        &self,
        step: &mut Step,
        data: &SeasonData,
        agent: AgentName,
        phase: WorkflowState,
        instruction: String,
        task: Task,
    ) -> StepResult<AgentResult> {
        let p = parameters_of(&step.view)?;
        let parameters = match agent {
            AgentName::Demand => serde_json::to_value(p.demand_slice()),
            AgentName::Inventory => serde_json::to_value(p.inventory_slice()),
            AgentName::Pricing => serde_json::to_value(p.pricing_slice()),
        }
        .map_err(|e| EngineError::Refused(e.to_string()))?;
        let handoff = Handoff {
            handoff_id: format!("h-{}", step.view.handoffs_sent + 1),
            workflow_id: step.view.workflow_id.clone(),
            agent,
            phase,
            instruction,
            parameters,
            task,
        };
        step.push(Event::HandoffSent {
            handoff: handoff.clone(),
        })?;
        let runner = self
            .agents
            .get(agent)
            .ok_or_else(|| EngineError::Refused(format!("no {agent} agent")))?;
        let ctx = AgentContext {
            data,
            tunables: &step.view.tunables,
        };
        let attempts = self.retry.max_attempts.max(1);
        let mut failures = Vec::new();
        for attempt in 1..=attempts {
            let started = Instant::now();
            match runner.handle(&handoff, &ctx) {
                Ok(result) => {
                    for f in failures {
                        step.push(f)?;
                    }
                    step.push(Event::AgentCompleted {
                        handoff_id: handoff.handoff_id.clone(),
                        agent,
                        result: serde_json::to_value(&result).unwrap_or_default(),
                        duration_ms: started.elapsed().as_millis() as u64,
                        attempt,
                    })?;
                    return Ok(result);
                }
                Err(e) => {
                    let retry = (attempt < attempts).then(|| self.retry.delay_after(attempt));
                    failures.push(Event::AgentFailed {
                        handoff_id: handoff.handoff_id.clone(),
                        agent,
                        attempt,
                        error: e.to_string(),
                        retry_in_ms: retry.map(|d| d.as_millis() as u64),
                    });
                    match retry {
                        Some(delay) => self.clock.sleep(delay),
                        None => {
                            let mut all = vec![Event::HandoffSent {
                                handoff: handoff.clone(),
                            }];
                            all.extend(failures);
                            return Err(StepError::GaveUp(AgentGaveUp {
                                failures: all,
                                cause: format!(
                                    "{agent} agent failed after {attempts} attempt(s): {e}"
                                ),
                            }));
                        }
                    }
                }
            }
        }
        Err(StepError::Engine(EngineError::Refused(
            "retry loop ended without a result".into(),
        )))
    }

    fn step_start(&self, view: &WorkflowView) -> StepResult<Step> {
        let p = parameters_of(view)?;
        let mut step = Self::begin(view);
        self.reason(&mut step, &reasoning::interpretation(&p))?;
        // The optional phases: the route decides, the template words it.
        let optional: [(Route, WorkflowState, PhaseWords); 2] = [
            (
                Route::InventoryReplenish,
                WorkflowState::Phase3Replenishment,
                reasoning::replenishment_phase,
            ),
            (
                Route::PricingMarkdown,
                WorkflowState::Phase4MarkdownCheck,
                reasoning::markdown_phase,
            ),
        ];
        for (route, phase, words) in optional {
            let runs = route.enabled(&p);
            let decision = words(&p, runs);
            if !runs {
                step.push(Event::PhaseSkipped {
                    phase,
                    reason: decision.offline_text.clone(),
                })?;
            }
            self.reason(&mut step, &decision)?;
        }
        step.push(Event::PhaseStarted {
            phase: WorkflowState::Phase1Forecasting,
            week: 0,
        })?;
        Ok(step)
    }

    fn step_phase_1(&self, view: &WorkflowView) -> StepResult<Step> {
        let data = self.data(view)?;
        let p = parameters_of(view)?;
        let mut step = Self::begin(view);
        let phase = WorkflowState::Phase1Forecasting;
        let order = match (&view.modification, &view.forecast, view.order) {
            // Back in phase 1 after an expired approval was resumed: the order on the
            // table (the planner's revision included) is asked again, not re-forecast.
            (None, Some(_), Some(order)) => order,
            (Some(m), Some(forecast), _) => {
                let task = Task::ReviseOrder {
                    forecast_units: forecast.total_season_demand,
                    safety_stock_pct: m.safety_stock_pct,
                    manufacturing_qty: m.manufacturing_qty,
                };
                let instruction =
                    "Revise the manufacturing order with the planner's modification.".to_string();
                match self.hand_off(
                    &mut step,
                    &data,
                    AgentName::Demand,
                    phase,
                    instruction,
                    task,
                )? {
                    AgentResult::Order { order } => {
                        step.push(Event::OrderRevised { order })?;
                        order
                    }
                    other => return Err(unexpected(AgentName::Demand, &other).into()),
                }
            }
            _ => {
                let task = Task::Forecast {
                    category: view.category.clone(),
                    season_start_date: p.season_start_date,
                };
                let instruction = format!(
                    "Forecast demand for {} weeks. Replenishment strategy: {}. Adjust safety stock accordingly.",
                    p.forecast_horizon_weeks, p.replenishment_strategy
                );
                match self.hand_off(
                    &mut step,
                    &data,
                    AgentName::Demand,
                    phase,
                    instruction,
                    task,
                )? {
                    AgentResult::Forecast { forecast, order } => {
                        step.push(Event::ForecastProduced { forecast, order })?;
                        order
                    }
                    other => return Err(unexpected(AgentName::Demand, &other).into()),
                }
            }
        };
        self.reason(
            &mut step,
            &reasoning::manufacturing_order(&order, p.replenishment_strategy),
        )?;
        let forecast = step.view.forecast.clone();
        self.request_approval(
            &mut step,
            ApprovalKind::Manufacturing,
            json!({
                "manufacturing_qty": order.manufacturing_qty,
                "safety_stock_pct": order.safety_stock_pct,
                "total_forecast": order.forecast_units,
                "interval": forecast.map(|f| f.interval),
            }),
        )?;
        Ok(step)
    }

    fn request_approval(
        &self,
        step: &mut Step,
        kind: ApprovalKind,
        data: serde_json::Value,
    ) -> Result<(), TransitionError> {
        let (prefix, n) = match kind {
            ApprovalKind::Manufacturing => ("manufacturing", step.view.manufacturing_approvals + 1),
            ApprovalKind::Markdown => ("markdown", step.view.markdown_approvals + 1),
        };
        let expires_at = step.view.approval_timeout_secs.map(|s| {
            self.clock.now() + chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2))
        });
        step.push(Event::ApprovalRequested {
            approval_id: format!("{prefix}-{n}"),
            kind,
            data,
            options: vec!["accept".into(), "modify".into()],
            expires_at,
        })
    }

    fn step_phase_2(&self, view: &WorkflowView) -> StepResult<Step> {
        let data = self.data(view)?;
        let mut step = Self::begin(view);
        let (forecast, order) = match (&view.forecast, &view.order) {
            (Some(f), Some(o)) => (f.clone(), *o),
            _ => {
                return Err(StepError::Engine(EngineError::Refused(
                    "phase 2 without an approved order".into(),
                )));
            }
        };
        let p = parameters_of(view)?;
        let task = Task::Allocate {
            forecast: Box::new(forecast),
            manufacturing_qty: order.manufacturing_qty,
            category: view.category.clone(),
        };
        let instruction = format!(
            "Cluster the stores and allocate {} units; keep {:.0}% at the DC and ship the rest at launch.",
            order.manufacturing_qty,
            p.dc_holdback_percentage * 100.0
        );
        let (allocation, unit_price) = match self.hand_off(
            &mut step,
            &data,
            AgentName::Inventory,
            WorkflowState::Phase2Allocation,
            instruction,
            task,
        )? {
            AgentResult::Allocation {
                allocation,
                unit_price,
            } => (allocation, unit_price),
            other => return Err(unexpected(AgentName::Inventory, &other).into()),
        };
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
        step.push(Event::AllocationMade {
            allocation,
            unit_price,
        })?;
        self.reason(&mut step, &decision)?;
        step.push(Event::PhaseStarted {
            phase: WorkflowState::Phase3Monitoring,
            week: 1,
        })?;
        Ok(step)
    }

    /// Records week `week`'s actuals and plays the week. Recording a week again with
    /// the same content is a no-op; with different content it is refused.
    pub fn record_week(
        &self,
        workflow_id: &str,
        week: u32,
        actuals: &WeekActuals,
    ) -> Result<WorkflowView, EngineError> {
        let view = self.advance(workflow_id)?;
        let hash = content_hash(actuals);
        if let Some(row) = week.checked_sub(1).and_then(|i| view.weeks.get(i as usize)) {
            return if row.content_hash == hash {
                Ok(view)
            } else {
                Err(EngineError::ActualsConflict { week })
            };
        }
        let state = view.state.unwrap_or(WorkflowState::Error);
        if state != WorkflowState::Phase3Monitoring {
            return Err(EngineError::NotAcceptingActuals {
                workflow_id: workflow_id.to_string(),
                state,
                week,
            });
        }
        if week != view.next_week() {
            return Err(EngineError::WeekOutOfOrder {
                week,
                next: view.next_week(),
            });
        }
        let data = self.data(&view)?;
        let outcome = self.step_week(&view, &data, week, actuals, hash);
        self.settle(&view, outcome)?;
        self.advance(workflow_id)
    }

    fn step_week(
        &self,
        view: &WorkflowView,
        data: &SeasonData,
        week: u32,
        actuals: &WeekActuals,
        content_hash: String,
    ) -> StepResult<Step> {
        let p = parameters_of(view)?;
        let from = p.week_start(week);
        let to = from + chrono::Duration::days(6);
        if let Some(bad) = actuals.rows.iter().find(|r| r.date < from || r.date > to) {
            return Err(StepError::Engine(EngineError::ActualsOutsideWeek {
                week,
                date: bad.date,
                from,
                to,
            }));
        }
        // A week is recorded once and never rewritten, so a file that stops short
        // (Monday to Wednesday, say) is refused rather than read as a collapse in sales.
        let missing: Vec<chrono::NaiveDate> = from
            .iter_days()
            .take(7)
            .filter(|d| !actuals.rows.iter().any(|r| r.date == *d))
            .collect();
        if !missing.is_empty() {
            return Err(StepError::Engine(EngineError::IncompleteWeek {
                week,
                missing,
            }));
        }
        let stores = &data.stores;
        if stores.len() != view.stock.len() {
            return Err(StepError::Engine(EngineError::Data(format!(
                "the store network has {} stores but the allocation has {}",
                stores.len(),
                view.stock.len()
            ))));
        }
        let lift = match view.actuals_meaning {
            ActualsMeaning::Demand => view.lift_pct,
            ActualsMeaning::Sales => 0.0,
        };
        let file_units = actuals.units_by_store(stores);
        let demand: Vec<u64> = file_units
            .iter()
            .map(|u| (*u as f64 * (1.0 + lift)).round() as u64)
            .collect();
        let id = |i: usize| stores.stores()[i].store_id.clone();
        let (sold, stockout_stores, stock_adjusted_stores): (Vec<u64>, Vec<String>, Vec<String>) =
            match view.actuals_meaning {
                // Played demand: a store sells what it has; the rest is lost.
                ActualsMeaning::Demand => (
                    demand
                        .iter()
                        .zip(&view.stock)
                        .map(|(d, s)| (*d).min(s.on_hand))
                        .collect(),
                    (0..demand.len())
                        .filter(|i| demand[*i] > view.stock[*i].on_hand)
                        .map(id)
                        .collect(),
                    Vec::new(),
                ),
                // Recorded sales are facts: they are kept whole. A store that sold its
                // last unit is flagged as out of stock; one that sold more than the
                // book said it had is flagged as a stock adjustment (the book was wrong).
                ActualsMeaning::Sales => (
                    demand.clone(),
                    (0..demand.len())
                        .filter(|i| demand[*i] >= view.stock[*i].on_hand && demand[*i] > 0)
                        .map(id)
                        .collect(),
                    (0..demand.len())
                        .filter(|i| demand[*i] > view.stock[*i].on_hand)
                        .map(id)
                        .collect(),
                ),
            };
        let mut step = Self::begin(view);
        step.push(Event::WeekRecorded {
            sales: WeekSales {
                week,
                content_hash,
                demand,
                sold: sold.clone(),
                stockout_stores,
                stock_adjusted_stores,
            },
        })?;
        let t = &view.tunables;
        let forecast = view
            .forecast_weekly
            .get(week as usize - 1)
            .copied()
            .unwrap_or(0);
        let check = check_week(
            week,
            forecast,
            sold.iter().sum(),
            t.variance_threshold_pct,
            t.emergency_variance_pct,
        );
        let horizon = p.forecast_horizon_weeks;
        let reforecast = check.threshold_exceeded && week < horizon;
        step.push(Event::VarianceMeasured {
            check,
            reforecast_triggered: reforecast,
        })?;
        self.reason(
            &mut step,
            &reasoning::variance(&check, t.variance_threshold_pct, reforecast),
        )?;
        if reforecast {
            step.push(Event::PhaseStarted {
                phase: WorkflowState::Phase5Reforecast,
                week,
            })?;
            self.reforecast(&mut step, data, week, ReforecastReason::Variance)?;
            if check.emergency && check.direction == VarianceDirection::Over {
                let remaining: u64 = step.view.forecast_weekly[week as usize..].iter().sum();
                let available: u64 =
                    step.view.stock.iter().map(|s| s.on_hand).sum::<u64>() + step.view.dc_stock;
                if remaining > available {
                    let shortfall = remaining - available;
                    step.push(Event::EmergencyReorderAlert {
                        week,
                        variance_pct: check.variance_pct,
                        shortfall_units: shortfall,
                    })?;
                    self.reason(&mut step, &Decision {
                        point: "emergency_reorder".into(),
                        summary: format!("short {shortfall} units"),
                        facts: json!({"week": week, "remaining_forecast": remaining, "available": available}),
                        offline_text: format!(
                            "Week {week} variance above {:.0}% and the re-forecast of the remaining weeks ({remaining} units) exceeds the stock in stores and at the DC ({available}). Emergency reorder of about {shortfall} units advised.",
                            t.emergency_variance_pct * 100.0
                        ),
                        claim: reasoning::Claim::Informational,
                    })?;
                }
            }
        }
        if Route::PricingMarkdown.enabled(&p) && p.markdown_checkpoint_week == Some(week) {
            step.push(Event::PhaseStarted {
                phase: WorkflowState::Phase4MarkdownCheck,
                week,
            })?;
            let manufactured = step
                .view
                .allocation
                .as_ref()
                .map_or(0, |a| a.manufacturing_qty);
            let task = Task::ProposeMarkdown {
                week,
                units_sold: step.view.units_sold(),
                units_manufactured: manufactured,
            };
            let instruction = format!(
                "Check sell-through at week {week} against the target and propose a markdown if behind."
            );
            let proposal = match self.hand_off(
                &mut step,
                data,
                AgentName::Pricing,
                WorkflowState::Phase4MarkdownCheck,
                instruction,
                task,
            )? {
                AgentResult::Markdown { proposal } => proposal,
                other => return Err(unexpected(AgentName::Pricing, &other).into()),
            };
            step.push(Event::MarkdownProposed { week, proposal })?;
            self.reason(&mut step, &reasoning::markdown(week, &proposal))?;
            if proposal.is_markdown() {
                self.request_approval(
                    &mut step,
                    ApprovalKind::Markdown,
                    json!({"week": week, "proposal": proposal}),
                )?;
                return Ok(step);
            }
        }
        self.replenish_if_due(&mut step, data, week)?;
        self.finish_week(&mut step, week)?;
        Ok(step)
    }

    /// Tops stores up from the DC when the cadence says so. It runs after the week's
    /// re-forecast and markdown decision, so the top-up follows the plan in force.
    fn replenish_if_due(&self, step: &mut Step, data: &SeasonData, week: u32) -> StepResult<()> {
        let p = parameters_of(&step.view)?;
        let horizon = p.forecast_horizon_weeks;
        if !(Route::InventoryReplenish.enabled(&p)
            && p.replenishment_strategy.replenishes_after(week, horizon))
        {
            return Ok(());
        }
        step.push(Event::PhaseStarted {
            phase: WorkflowState::Phase3Replenishment,
            week,
        })?;
        let task = Task::Replenish {
            week,
            weeks_left: horizon - week,
            cover_weeks: p.replenishment_strategy.cover_weeks(),
            stores: step.view.stock.clone(),
            dc_available: step.view.dc_stock,
        };
        let instruction = format!(
            "Top stores up after week {week} from the DC's {} units.",
            step.view.dc_stock
        );
        let units = match self.hand_off(
            step,
            data,
            AgentName::Inventory,
            WorkflowState::Phase3Replenishment,
            instruction,
            task,
        )? {
            AgentResult::Replenishment { units } => units,
            other => return Err(unexpected(AgentName::Inventory, &other).into()),
        };
        step.push(Event::ReplenishmentShipped { week, units })?;
        Ok(())
    }

    /// Demand re-forecasts the weeks after `week` and the remaining allocations follow.
    fn reforecast(
        &self,
        step: &mut Step,
        data: &SeasonData,
        week: u32,
        reason: ReforecastReason,
    ) -> StepResult<()> {
        let forecast_weekly = step.view.forecast_weekly.clone();
        let baseline = step
            .view
            .forecast
            .as_ref()
            .map_or_else(|| forecast_weekly.clone(), |f| f.weekly.clone());
        let lift_pct = step.view.lift_pct;
        let task = Task::Reforecast {
            after_week: week,
            forecast_weekly: baseline.clone(),
            actual_weekly: observed_on_baseline(&step.view, &baseline),
            lift_pct,
        };
        let instruction = format!(
            "Re-forecast weeks {}..={} from the {week} week(s) observed.",
            week + 1,
            baseline.len()
        );
        let remaining = match self.hand_off(
            step,
            data,
            AgentName::Demand,
            WorkflowState::Phase5Reforecast,
            instruction,
            task,
        )? {
            AgentResult::Reforecast { remaining } => remaining,
            other => return Err(unexpected(AgentName::Demand, &other).into()),
        };
        let previous = forecast_weekly[week as usize..].to_vec();
        let shares: Vec<f64> = step
            .view
            .allocation
            .as_ref()
            .map(|a| a.stores.iter().map(|s| s.share).collect())
            .unwrap_or_default();
        let shipped: Vec<u64> = step.view.stock.iter().map(|s| s.shipped_so_far).collect();
        // The remaining allocation is the remaining forecast, capped by what the DC
        // holds. Stock already in stores is not netted here: the replenishment rule
        // subtracts each store's on-hand every week, and netting it twice starves
        // stores (measured: lost sales 3,821 -> 5,966 units on standard_retail /
        // normal_season, 19 -> 7,113 on low_demand).
        let pool = remaining.iter().sum::<u64>().min(step.view.dc_stock);
        let season_allocations = reallocate_remaining(&shares, &shipped, pool);
        let why = match reason {
            ReforecastReason::Variance => "variance above threshold",
            ReforecastReason::Markdown => "markdown lift",
            ReforecastReason::Manual => "requested by a planner",
        };
        let decision = reasoning::reforecast(week, &previous, &remaining, why);
        step.push(Event::ReforecastApplied {
            after_week: week,
            reason,
            previous,
            remaining,
            season_allocations,
        })?;
        self.reason(step, &decision)?;
        Ok(())
    }

    fn finish_week(&self, step: &mut Step, week: u32) -> Result<(), EngineError> {
        if week >= step.view.horizon() {
            let report = report(&step.view);
            step.push(Event::WorkflowCompleted { report })?;
        } else {
            step.push(Event::PhaseStarted {
                phase: WorkflowState::Phase3Monitoring,
                week: week + 1,
            })?;
        }
        Ok(())
    }

    fn step_markdown_applied(&self, view: &WorkflowView) -> StepResult<Step> {
        let data = self.data(view)?;
        let proposal = view
            .markdown_proposal
            .ok_or_else(|| EngineError::Refused("no markdown proposal".into()))?;
        let week = view
            .markdown
            .as_ref()
            .map_or(view.weeks.len() as u32, |m| m.week);
        let mut step = Self::begin(view);
        step.push(Event::MarkdownApplied {
            week,
            markdown_pct: proposal.markdown_pct,
            expected_demand_lift_pct: proposal.expected_demand_lift_pct,
        })?;
        if week < view.horizon() {
            self.reforecast(&mut step, &data, week, ReforecastReason::Markdown)?;
        }
        self.replenish_if_due(&mut step, &data, week)?;
        self.finish_week(&mut step, week)?;
        Ok(step)
    }

    fn step_markdown_revised(&self, view: &WorkflowView) -> StepResult<Step> {
        let data = self.data(view)?;
        let Some(proposal) = view.markdown_proposal else {
            return Err(StepError::Engine(EngineError::Refused(
                "markdown check resting without a proposal".into(),
            )));
        };
        let week = view
            .markdown
            .as_ref()
            .map_or(view.weeks.len() as u32, |m| m.week);
        // After a modify the planner's depth; after a resumed expiry, the same proposal.
        let depth = view
            .modification
            .as_ref()
            .and_then(|m| m.markdown_pct)
            .unwrap_or(proposal.markdown_pct);
        let mut step = Self::begin(view);
        let task = Task::ReviseMarkdown {
            week,
            proposal,
            markdown_pct: depth,
        };
        let instruction = format!(
            "Re-price week {week}'s markdown at the planner's {:.0}%.",
            depth * 100.0
        );
        let revised = match self.hand_off(
            &mut step,
            &data,
            AgentName::Pricing,
            WorkflowState::Phase4MarkdownCheck,
            instruction,
            task,
        )? {
            AgentResult::Markdown { proposal } => proposal,
            other => return Err(unexpected(AgentName::Pricing, &other).into()),
        };
        step.push(Event::MarkdownProposed {
            week,
            proposal: revised,
        })?;
        let decision = if revised.is_markdown() {
            reasoning::markdown(week, &revised)
        } else {
            reasoning::markdown_declined(week, &proposal)
        };
        self.reason(&mut step, &decision)?;
        if revised.is_markdown() {
            self.request_approval(
                &mut step,
                ApprovalKind::Markdown,
                json!({"week": week, "proposal": revised}),
            )?;
        } else {
            self.replenish_if_due(&mut step, &data, week)?;
            self.finish_week(&mut step, week)?;
        }
        Ok(step)
    }

    /// Resolves the pending approval (checking the id when given) and continues.
    pub fn approve(
        &self,
        workflow_id: &str,
        approval_id: Option<&str>,
        resolution: Resolution,
        by: &str,
    ) -> Result<WorkflowView, EngineError> {
        let before = self.view(workflow_id)?;
        if let Some(p) = &before.pending_approval
            && p.expires_at.is_some_and(|t| self.clock.now() >= t)
        {
            // The deadline passed before this answer: the expiry is settled (a fact of
            // the past, recorded as configured) and the answer refused.
            let view = self.advance(workflow_id)?;
            return Err(EngineError::Refused(format!(
                "approval {} expired at {}; it was settled as configured and the workflow is now {}",
                p.approval_id,
                p.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                view.state.map_or("unknown", |s| s.as_str())
            )));
        }
        let view = self.advance(workflow_id)?;
        let state = view.state.unwrap_or(WorkflowState::Error);
        let Some(pending) = view.pending_approval.clone() else {
            return Err(EngineError::NotWaiting {
                workflow_id: workflow_id.to_string(),
                state,
            });
        };
        if let Some(given) = approval_id
            && given != pending.approval_id
        {
            return Err(EngineError::WrongApproval {
                workflow_id: workflow_id.to_string(),
                pending: pending.approval_id,
                given: given.to_string(),
            });
        }
        if let Resolution::Modify { modifications: m } = &resolution {
            let forecast_units = view.order.map_or(0, |o| o.forecast_units);
            validate_modification(pending.kind, m, &view.tunables, forecast_units)?;
        }
        // The answer is followed at once by the step it unblocks; if that step's data
        // cannot be read (files changed or gone), refuse now rather than record an
        // answer the workflow cannot act on.
        self.data(&view)?;
        let mut step = Self::begin(&view);
        step.push(Event::ApprovalResolved {
            approval_id: pending.approval_id,
            resolution,
            by: by.to_string(),
        })?;
        self.commit(step)?;
        self.advance(workflow_id)
    }

    /// After an error: returns to the interrupted state and retries from there.
    pub fn resume(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        let view = self.view(workflow_id)?;
        if view.state == Some(WorkflowState::Error) {
            let to = view
                .interrupted
                .ok_or_else(|| EngineError::Refused("the error has no interrupted state".into()))?;
            let mut step = Self::begin(&view);
            step.push(Event::WorkflowResumed { to })?;
            self.commit(step)?;
        }
        self.advance(workflow_id)
    }

    /// A planner's re-forecast of the remaining weeks, between weeks.
    pub fn manual_reforecast(
        &self,
        workflow_id: &str,
        reason: &str,
    ) -> Result<WorkflowView, EngineError> {
        let view = self.advance(workflow_id)?;
        let state = view.state.unwrap_or(WorkflowState::Error);
        if state != WorkflowState::Phase3Monitoring || view.weeks.is_empty() {
            return Err(EngineError::Refused(format!(
                "a manual re-forecast needs a running season with at least one week recorded (state {state}, {} weeks)",
                view.weeks.len()
            )));
        }
        let data = self.data(&view)?;
        let week = view.weeks.len() as u32;
        let mut step = Self::begin(&view);
        step.push(Event::PhaseStarted {
            phase: WorkflowState::Phase5Reforecast,
            week,
        })?;
        self.reason(
            &mut step,
            &Decision {
                point: "manual_reforecast".into(),
                summary: "re-forecast requested".into(),
                facts: json!({"reason": reason, "after_week": week}),
                offline_text: format!(
                    "A planner asked for a re-forecast after week {week}: {reason}"
                ),
                claim: reasoning::Claim::Reforecast(true),
            },
        )?;
        let outcome = self
            .reforecast(&mut step, &data, week, ReforecastReason::Manual)
            .and_then(|()| {
                step.push(Event::PhaseStarted {
                    phase: WorkflowState::Phase3Monitoring,
                    week: week + 1,
                })?;
                Ok(step)
            });
        self.settle(&view, outcome)
    }
}

/// A workflow's parameters; every workflow has them from its first event, so their
/// absence is a refused call rather than a panic.
fn parameters_of(view: &WorkflowView) -> Result<SeasonParameters, EngineError> {
    view.parameters
        .clone()
        .ok_or_else(|| EngineError::Refused("no parameters".into()))
}

/// The template that words an optional phase's decision (runs or is skipped).
type PhaseWords = fn(&SeasonParameters, bool) -> Decision;

/// Share of stores out of stock above which a week's sales say little about demand.
const CENSORED_STORE_SHARE: f64 = 0.10;

/// The observed weeks expressed on the baseline forecast's footing, for Demand's
/// re-forecast: after an applied markdown the lift is taken out of sales (the
/// baseline has none), and a week whose sales were cut short by stockouts in more
/// than a tenth of the stores, and fell below the baseline, counts as on plan: its
/// shortfall says the shelves were empty, not that demand was low.
fn observed_on_baseline(view: &WorkflowView, baseline: &[u64]) -> Vec<u64> {
    let stores = view.stock.len().max(1) as f64;
    let markdown = view.markdown.as_ref().filter(|m| m.applied);
    view.weeks
        .iter()
        .map(|w| {
            let base = baseline.get(w.week as usize - 1).copied().unwrap_or(0);
            let lifted = markdown.is_some_and(|m| w.week > m.week);
            let mut actual = w.actual as f64;
            if lifted {
                actual /= 1.0 + view.lift_pct;
            }
            let censored = w.stockout_stores as f64 / stores > CENSORED_STORE_SHARE;
            if censored && actual < base as f64 {
                actual = base as f64;
            }
            actual.round() as u64
        })
        .collect()
}

fn unexpected(agent: AgentName, result: &AgentResult) -> EngineError {
    EngineError::Refused(format!(
        "the {agent} agent answered with an unexpected result: {result:?}"
    ))
}

/// A planner's quantity may be up to this many times the forecast (or times 1,000
/// units for a tiny forecast): far beyond any sane order, far below any overflow.
const MAX_ORDER_MULTIPLE: u64 = 10;

fn validate_modification(
    kind: ApprovalKind,
    m: &crate::event::Modification,
    tunables: &atelier_core::Tunables,
    forecast_units: u64,
) -> Result<(), EngineError> {
    let max_qty = forecast_units.max(1_000).saturating_mul(MAX_ORDER_MULTIPLE);
    match kind {
        ApprovalKind::Manufacturing => {
            if m.markdown_pct.is_some() {
                return Err(EngineError::InvalidModification(
                    "markdown_pct does not apply to a manufacturing approval".into(),
                ));
            }
            match (m.manufacturing_qty, m.safety_stock_pct) {
                (None, None) => Err(EngineError::InvalidModification(
                    "a manufacturing modification needs manufacturing_qty or safety_stock_pct"
                        .into(),
                )),
                (Some(_), Some(_)) => Err(EngineError::InvalidModification(
                    "give manufacturing_qty or safety_stock_pct, not both".into(),
                )),
                (Some(0), _) => Err(EngineError::InvalidModification(
                    "manufacturing_qty must be positive".into(),
                )),
                (Some(q), _) if q > max_qty => Err(EngineError::InvalidModification(format!(
                    "manufacturing_qty {q} is more than {MAX_ORDER_MULTIPLE} times the forecast ({forecast_units} units); the most is {max_qty}"
                ))),
                (_, Some(s)) if !(s.is_finite() && (0.0..=5.0).contains(&s)) => {
                    Err(EngineError::InvalidModification(format!(
                        "safety_stock_pct {s} is outside 0.0..=5.0 (a fraction: 20% is 0.2)"
                    )))
                }
                _ => Ok(()),
            }
        }
        ApprovalKind::Markdown => {
            if m.manufacturing_qty.is_some() || m.safety_stock_pct.is_some() {
                return Err(EngineError::InvalidModification(
                    "only markdown_pct applies to a markdown approval".into(),
                ));
            }
            let Some(pct) = m.markdown_pct else {
                return Err(EngineError::InvalidModification(
                    "a markdown modification needs markdown_pct".into(),
                ));
            };
            atelier_core::pricing::check_markdown_depth(pct, tunables)
                .map_err(EngineError::InvalidModification)
        }
    }
}

/// The season report from the folded view.
pub fn report(view: &WorkflowView) -> atelier_core::season::SeasonReport {
    let weeks: Vec<WeekOutcome> = view
        .weeks
        .iter()
        .map(|w| WeekOutcome {
            forecast: w.forecast,
            demand: w.demand,
            sold: w.actual,
        })
        .collect();
    let markdown_cost = match &view.markdown {
        Some(m) if m.applied => view
            .weeks
            .iter()
            .filter(|w| w.week > m.week)
            .map(|w| {
                atelier_core::pricing::markdown_cost(w.actual, view.unit_price, m.markdown_pct)
            })
            .sum(),
        _ => 0.0,
    };
    season_report(
        &weeks,
        SeasonTotals {
            manufactured: view.allocation.as_ref().map_or(0, |a| a.manufacturing_qty),
            leftover_in_stores: view.stock.iter().map(|s| s.on_hand).sum(),
            leftover_at_dc: view.dc_stock,
            markdown_cost,
        },
    )
}

/// FNV-1a over the rows in a canonical order: the same week's file, however its rows
/// are ordered, hashes the same.
pub fn content_hash(actuals: &WeekActuals) -> String {
    let mut rows: Vec<String> = actuals
        .rows
        .iter()
        .map(|r| format!("{},{},{}", r.date, r.store_id, r.quantity_sold))
        .collect();
    rows.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for row in rows {
        for b in row.bytes().chain(std::iter::once(b'\n')) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

//! The orchestrator: decides which step a workflow takes next and records it. Its
//! public commands (this file) are the only code that touches the store, the data
//! catalog, the clock and the reasoner; the steps themselves are pure.
//!
//! - [`step`]: `Step { view, items: Vec<Effect> }`, the context a step reads, and
//!   the typed agent calls;
//! - [`steps`]: one pure function per kind of step (start, forecast, allocate, a
//!   week, re-forecast, replenishment, markdown, approvals);
//! - `execute`: runs a step, commits its events in one transaction, caches the
//!   folded view, then explains the step's decisions outside the workflow's lock.
//!   An agent's failed attempt is committed as a fact with its retry's time and
//!   the lock released for the wait; the command then runs again on the
//!   workflow as it is (`in_turns`);
//! - [`limits`]: each limit written once;
//! - [`new_workflow`]: a new workflow and the rules it is created under.

mod error;
mod execute;
pub mod limits;
pub mod new_workflow;
mod season_report;
pub mod step;
pub mod steps;

pub use crate::agents::AgentCall;
pub use crate::catalog::DataCatalog;
pub use error::{EngineError, ErrorClass};
pub use limits::{MAX_APPROVAL_TIMEOUT_SECS, MAX_EVENT_BYTES, MAX_REASON_CHARS};
pub use new_workflow::{NewWorkflow, NewWorkflowError};
pub use season_report::{content_hash, report};
pub use step::{Effect, Step, StepContext, StepError};

use crate::agents::{AgentRegistry, SeasonData};
use crate::clock::Clock;
use crate::event::{ActualsMeaning, Event, Resolution, StoredEvent};
use crate::reasoning::Reasoner;
use crate::state::WorkflowState;
use crate::store::{EventStore, OwedExplanation};
use crate::view::WorkflowView;
use atelier_core::data::WeekActuals;
use execute::{Executor, Turn};
use std::sync::Arc;
use std::time::Duration;

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

/// The orchestrator over a store, the agents, a reasoner, a clock and a data catalog.
#[derive(Clone)]
pub struct Orchestrator {
    store: Arc<dyn EventStore>,
    agents: AgentRegistry,
    reasoner: Arc<dyn Reasoner>,
    clock: Arc<dyn Clock>,
    catalog: Arc<dyn DataCatalog>,
    retry: RetryPolicy,
    executor: Arc<Executor>,
}

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
            executor: Arc::new(Executor::default()),
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
        let data = self.catalog.load(&request.data)?;
        let sales = atelier_core::plan::category_sales(&data.history, &request.category)
            .map_err(|e| EngineError::InvalidSeason(e.to_string()))?;
        // A season the history cannot forecast (it starts before the history ends, too
        // long after it, or the history is too short) is refused now: no retry or
        // resume could fix it.
        atelier_core::plan::check_season(sales, &request.category, &request.config.parameters)
            .map_err(|e| EngineError::InvalidSeason(e.to_string()))?;
        if let Some(secs) = request.approval_timeout_secs {
            new_workflow::approval_timeout(secs)?;
        }
        let mut step = Step::create(
            &request.workflow_id,
            Event::WorkflowCreated {
                category: request.category,
                parameters: request.config.parameters,
                tunables: request.config.tunables,
                data: request.data,
                actuals_meaning: request.actuals_meaning,
                actuals_source: request.actuals_source,
                approval_timeout_secs: request.approval_timeout_secs,
                approval_expiry: request.approval_expiry,
                world: match request.actuals_meaning {
                    ActualsMeaning::Demand => Some(request.world.unwrap_or_default()),
                    ActualsMeaning::Sales => None,
                },
            },
        )?;
        // Phase 0's record (how the parameters were read from the planner's words)
        // is written with the creation, so no crash can separate them.
        if let Some(reasoning) = request.extraction {
            step.emit(Event::ReasoningRecorded { reasoning })?;
        }
        let guard = self.executor.lock(&request.workflow_id);
        let _held = guard.hold(self.store.as_ref(), &request.workflow_id)?;
        Ok(Arc::unwrap_or_clone(self.commit(step)?.view))
    }

    /// The workflow folded from its log.
    pub fn view(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        Ok(Arc::unwrap_or_clone(self.fresh_view(workflow_id)?))
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

    /// The workflow's data, loaded through the catalog.
    fn data(&self, view: &WorkflowView) -> Result<Arc<SeasonData>, EngineError> {
        Ok(self.catalog.load(&view.data)?)
    }

    /// Runs every step that needs no outside input, until the workflow waits for an
    /// approval or actuals, completes, or fails. Expired approvals are settled first.
    /// A database lost after a step of this call was committed is
    /// [`EngineError::Unfinished`]: the steps it ran are this call's work.
    pub fn advance(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        let mut ran_any = false;
        self.run_until_wait(workflow_id, &mut ran_any)
            .map_err(|e| if ran_any { e.after_recording() } else { e })
    }

    /// Before a command records its own events: the steps the workflow owed from
    /// before (left by a process that died, or an approval's deadline passed) run
    /// first, as the sweep would run them. They are not the command's own work, so
    /// a failure here leaves the command unrecorded and says so.
    fn catch_up(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        self.run_until_wait(workflow_id, &mut false)
    }

    /// [`advance`](Self::advance)'s loop; `ran_any` turns true once a step commits.
    fn run_until_wait(
        &self,
        workflow_id: &str,
        ran_any: &mut bool,
    ) -> Result<WorkflowView, EngineError> {
        loop {
            let (done, ran) = self.advance_once(workflow_id)?;
            *ran_any |= ran;
            let explained = self.explain(workflow_id, &done)?;
            if !ran {
                return Ok(Arc::unwrap_or_clone(explained.unwrap_or(done.view)));
            }
        }
    }

    /// One step of [`advance`](Self::advance) under the workflow's lock; whether a
    /// step ran.
    fn advance_once(&self, workflow_id: &str) -> Result<(execute::Committed, bool), EngineError> {
        self.in_turns(workflow_id, |view| {
            if let Some(expired) =
                steps::approvals::expire(view, self.clock.now()).map_err(step_refusal)?
            {
                return Ok(Turn::Done((self.commit(expired)?, true)));
            }
            let state = view.state;
            if !steps::runs(state) {
                return Ok(Turn::Done((execute::Committed::idle(view.clone()), false)));
            }
            let data = match steps::needs_data(state) {
                true => Some(self.data(view)?),
                false => None,
            };
            let turn = self.run_step(view, data.as_deref(), |ctx| {
                steps::next(ctx, view).unwrap_or_else(|| {
                    Err(EngineError::Internal(format!("no step runs in state {state}")).into())
                })
            })?;
            Ok(match turn {
                Turn::Done(step) => Turn::Done((self.commit(step)?, true)),
                Turn::RetryAt(at) => Turn::RetryAt(at),
            })
        })
    }

    /// Records week `week`'s actuals and plays the week. Recording a week again with
    /// the same content is a no-op; with different content it is refused. Once the
    /// week is committed, a lost database is [`EngineError::Unfinished`].
    pub fn record_week(
        &self,
        workflow_id: &str,
        week: u32,
        actuals: &WeekActuals,
    ) -> Result<WorkflowView, EngineError> {
        self.catch_up(workflow_id)?;
        let hash = content_hash(actuals);
        let done = self.in_turns(workflow_id, |view| {
            if let Some(row) = week.checked_sub(1).and_then(|i| view.weeks.get(i as usize)) {
                return if row.content_hash == hash {
                    Ok(Turn::Done(Err(view.clone())))
                } else {
                    Err(EngineError::ActualsConflict { week })
                };
            }
            let state = view.state;
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
            let data = self.data(view)?;
            let turn = self.run_step(view, Some(&data), |ctx| {
                steps::week::run(ctx, view, week, actuals, hash.clone())
            })?;
            Ok(match turn {
                Turn::Done(step) => Turn::Done(Ok(self.commit(step)?)),
                Turn::RetryAt(at) => Turn::RetryAt(at),
            })
        })?;
        // Already recorded with the same content: the view as it is, nothing to do.
        let done = match done {
            Ok(done) => done,
            Err(recorded) => return Ok(Arc::unwrap_or_clone(recorded)),
        };
        // The week is recorded: what follows is its own work, and a loss from
        // here on must not read as if nothing changed.
        self.explain(workflow_id, &done)
            .map_err(EngineError::after_recording)?;
        self.advance(workflow_id)
            .map_err(EngineError::after_recording)
    }

    /// Resolves the pending approval (checking the id when given) and continues.
    /// Once the answer is committed, a lost database is
    /// [`EngineError::Unfinished`].
    pub fn approve(
        &self,
        workflow_id: &str,
        approval_id: Option<&str>,
        resolution: Resolution,
        by: &str,
    ) -> Result<WorkflowView, EngineError> {
        let before = self.fresh_view(workflow_id)?;
        if let Some(p) = &before.pending_approval
            && p.expires_at.is_some_and(|t| self.clock.now() >= t)
        {
            // The deadline passed before this answer: the expiry is settled (a fact of
            // the past, recorded as configured) and the answer refused.
            let view = self.catch_up(workflow_id)?;
            return Err(EngineError::Refused(format!(
                "approval {} expired at {}; it was settled as configured and the workflow is now {}",
                p.approval_id,
                p.expires_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                view.state.as_str()
            )));
        }
        self.catch_up(workflow_id)?;
        {
            let guard = self.executor.lock(workflow_id);
            let _held = guard.hold(self.store.as_ref(), workflow_id)?;
            let view = self.fresh_view(workflow_id)?;
            let state = view.state;
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
            let step =
                steps::approvals::resolve(&view, &pending, resolution, by).map_err(step_refusal)?;
            // The answer is followed at once by the step it unblocks; if that step's
            // data cannot be read (files changed or gone), refuse now rather than
            // record an answer the workflow cannot act on.
            self.data(&view)?;
            self.commit(step)?;
        }
        // The answer is recorded: the steps it unblocks are its own work.
        self.advance(workflow_id)
            .map_err(EngineError::after_recording)
    }

    /// Writes the words a committed step still owes (its process died between
    /// the step's commit and its explanation): the sweep's work. Nothing is
    /// written twice: if the words were appended meanwhile, this does nothing.
    pub fn explain_owed(&self, owed: &OwedExplanation) -> Result<(), EngineError> {
        self.explain_decisions(&owed.workflow_id, &owed.decisions, Some(owed.seq))?;
        Ok(())
    }

    /// After an error: returns to the interrupted state and retries from there.
    /// Once the resumption (or a step) is committed, a lost database is
    /// [`EngineError::Unfinished`].
    pub fn resume(&self, workflow_id: &str) -> Result<WorkflowView, EngineError> {
        let resumed = {
            let guard = self.executor.lock(workflow_id);
            let _held = guard.hold(self.store.as_ref(), workflow_id)?;
            let view = self.fresh_view(workflow_id)?;
            if view.state == WorkflowState::Error {
                let to = view.interrupted.ok_or_else(|| {
                    EngineError::Internal("the error has no interrupted state".into())
                })?;
                let mut step = Step::begin(&view);
                step.emit(Event::WorkflowResumed { to })?;
                self.commit(step)?;
                true
            } else {
                false
            }
        };
        let advanced = self.advance(workflow_id);
        if resumed {
            advanced.map_err(EngineError::after_recording)
        } else {
            advanced
        }
    }

    /// A planner's re-forecast of the remaining weeks, between weeks. Once it is
    /// committed, a lost database is [`EngineError::Unfinished`].
    pub fn manual_reforecast(
        &self,
        workflow_id: &str,
        reason: &str,
    ) -> Result<WorkflowView, EngineError> {
        let chars = reason.chars().count();
        if chars > MAX_REASON_CHARS {
            return Err(EngineError::TextTooLong {
                field: "reason",
                chars,
                max: MAX_REASON_CHARS,
            });
        }
        self.catch_up(workflow_id)?;
        let done = self.in_turns(workflow_id, |view| {
            let state = view.state;
            if state != WorkflowState::Phase3Monitoring || view.weeks.is_empty() {
                return Err(EngineError::Refused(format!(
                    "a manual re-forecast needs a running season with at least one week recorded (state {state}, {} weeks)",
                    view.weeks.len()
                )));
            }
            let data = self.data(view)?;
            let turn = self.run_step(view, Some(&data), |ctx| {
                steps::reforecast::manual(ctx, view, reason)
            })?;
            Ok(match turn {
                Turn::Done(step) => Turn::Done(self.commit(step)?),
                Turn::RetryAt(at) => Turn::RetryAt(at),
            })
        })?;
        let explained = self
            .explain(workflow_id, &done)
            .map_err(EngineError::after_recording)?;
        Ok(Arc::unwrap_or_clone(explained.unwrap_or(done.view)))
    }
}

/// A step error outside a running step (no agent is called there).
fn step_refusal(e: StepError) -> EngineError {
    match e {
        StepError::Engine(e) => e,
        StepError::AgentFailed(f) => EngineError::Internal(format!(
            "agent {} failed outside a step: {}",
            f.handoff.agent, f.error
        )),
    }
}

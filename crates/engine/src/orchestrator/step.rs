//! A step as a value: the events it emits and the decisions it wants explained, with
//! the working view they were applied to. Steps are pure: they read the view and the
//! context they are handed, call the agents (pure computations over the core) and
//! return a [`Step`]; the executor commits it, records a failed agent's retry and
//! explains. No step reads a clock: the command's time is handed in, and the
//! executor's [`AgentDesk`] times the agents.

use crate::agents::{
    AgentCall, AgentContext, AgentError, AgentParameters, AgentRegistry, AgentResult, Handoff,
    SeasonData,
};
use crate::event::Event;
use crate::orchestrator::EngineError;
use crate::reasoning::Decision;
use crate::state::WorkflowState;
use crate::view::{FailedAttempt, TransitionError, WorkflowView};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// What a step asks the executor to do.
// A step holds a few dozen effects for microseconds; boxing each event would cost
// an allocation apiece for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Append this event (already applied to the step's working view).
    Emit(Event),
    /// Explain this decision in words, after the step's events are committed and
    /// outside the workflow's lock (an LLM may take seconds).
    Explain(Decision),
}

/// A step being built: events applied to a working copy of the view as they are
/// pushed, so later decisions in the step see earlier ones, and the fold of the
/// committed log equals what the step computed.
#[derive(Debug, Clone)]
pub struct Step {
    /// The working view, with every emitted event applied.
    pub view: WorkflowView,
    /// What to do, in order.
    pub items: Vec<Effect>,
    /// The last event number the step started from (the append's expectation).
    pub start_seq: u64,
}

impl Step {
    /// A step starting from `view`.
    pub fn begin(view: &WorkflowView) -> Step {
        Step::from_view(view.clone())
    }

    /// A step starting from `view`, moved in: a caller that owns the view (the
    /// simulator, week after week) saves [`begin`](Self::begin)'s copy.
    pub fn from_view(view: WorkflowView) -> Step {
        Step {
            start_seq: view.last_seq,
            view,
            items: Vec::new(),
        }
    }

    /// The step that creates a workflow: its first event, from which the season's
    /// view is made (there is no view before it to apply it to).
    pub fn create(workflow_id: &str, created: Event) -> Result<Step, TransitionError> {
        Ok(Step {
            view: WorkflowView::created(workflow_id, &created)?,
            items: vec![Effect::Emit(created)],
            start_seq: 0,
        })
    }

    /// Applies `event` to the working view and queues it for the commit.
    pub fn emit(&mut self, event: Event) -> Result<(), TransitionError> {
        self.view.apply_event(&event)?;
        self.items.push(Effect::Emit(event));
        Ok(())
    }

    /// Queues a decision for its explanation.
    pub fn explain(&mut self, decision: Decision) {
        self.items.push(Effect::Explain(decision));
    }

    /// Replaces the step's explanation requests by the events `words` gives for
    /// each, emitted after the step's own events in the order asked (the order
    /// they would have been appended in after the commit).
    pub fn explain_now(
        &mut self,
        words: impl Fn(&Decision) -> Vec<Event>,
    ) -> Result<(), TransitionError> {
        let (asked, emitted): (Vec<Effect>, Vec<Effect>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|i| matches!(i, Effect::Explain(_)));
        self.items = emitted;
        for item in asked {
            if let Effect::Explain(decision) = item {
                for event in words(&decision) {
                    self.emit(event)?;
                }
            }
        }
        Ok(())
    }

    /// The step taken apart for the commit, without copies: the working view, the
    /// events to append and the decisions to explain, each in order.
    pub fn into_parts(self) -> (WorkflowView, Vec<Event>, Vec<Decision>) {
        let mut events = Vec::with_capacity(self.items.len());
        let mut decisions = Vec::new();
        for item in self.items {
            match item {
                Effect::Emit(e) => events.push(e),
                Effect::Explain(d) => decisions.push(d),
            }
        }
        (self.view, events, decisions)
    }

    /// The events to append, in order.
    pub fn events(&self) -> Vec<Event> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Effect::Emit(e) => Some(e.clone()),
                Effect::Explain(_) => None,
            })
            .collect()
    }
}

/// Where a step's handoffs are answered. The executor's desk times each agent's
/// work on its clock, so that no step reads one; the registry itself answers
/// untimed (the simulator's and the unit tests' desk: their logs are reproducible).
pub trait AgentDesk: Sync {
    /// The named agent's answer to `handoff`; `None` when no such agent is
    /// registered.
    fn answer(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Option<Answer>;
}

/// An agent's answer and how long it worked.
#[derive(Debug)]
pub struct Answer {
    /// The result, or why the attempt failed.
    pub result: Result<AgentResult, AgentError>,
    /// How long the agent worked.
    pub worked: Duration,
}

impl AgentDesk for AgentRegistry {
    fn answer(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Option<Answer> {
        let agent = self.get(handoff.agent)?;
        Some(Answer {
            result: agent.handle(handoff, ctx),
            worked: Duration::ZERO,
        })
    }
}

/// An agent's failed attempt, which the executor retries or gives up on.
#[derive(Debug, Clone)]
pub struct FailedTry {
    /// The handoff as sent.
    pub handoff: Handoff,
    /// The attempt, from 1.
    pub attempt: u32,
    /// What the agent said.
    pub error: String,
}

/// How a step ends without its events: the engine refused, or an agent failed an
/// attempt (which the executor retries, then records as the workflow's failure).
#[derive(Debug)]
pub enum StepError {
    /// A refusal or an internal fault; nothing is recorded.
    Engine(EngineError),
    /// An agent failed; the executor decides whether to retry.
    AgentFailed(Box<FailedTry>),
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

/// Everything a step may read besides the view: the workflow's data, the agents,
/// the time of the command, and the failed attempts already recorded for this step.
pub struct StepContext<'a> {
    /// The workflow's data (stores and history); absent for steps that need none.
    pub data: Option<&'a SeasonData>,
    /// Where handoffs are answered.
    pub agents: &'a dyn AgentDesk,
    /// The time the command began (approval deadlines count from it).
    pub now: DateTime<Utc>,
    /// Failed attempts the log holds for the step about to run (the view's).
    pub failures: &'a [FailedAttempt],
}

impl StepContext<'_> {
    /// The workflow's data, which the command loaded for this step.
    pub fn data(&self) -> Result<&SeasonData, StepError> {
        self.data.ok_or_else(|| {
            StepError::Engine(EngineError::Internal(
                "a step that needs the workflow's data ran without it".into(),
            ))
        })
    }

    /// Sends a handoff and takes the agent's answer, numbering the attempt after the
    /// failed ones the log holds for it; a failure now goes back to the executor.
    pub fn hand_off<C: AgentCall>(
        &self,
        step: &mut Step,
        phase: WorkflowState,
        instruction: String,
        call: C,
    ) -> Result<C::Output, StepError> {
        let agent = C::AGENT;
        let p = &step.view.parameters;
        let parameters = AgentParameters::slice_for(agent, p);
        let handoff = Handoff {
            handoff_id: format!("h-{}", step.view.handoffs_sent + 1),
            workflow_id: step.view.workflow_id.clone(),
            agent,
            phase,
            instruction,
            parameters,
            task: call.task(),
        };
        step.emit(Event::HandoffSent {
            handoff: handoff.clone(),
        })?;
        let earlier = self
            .failures
            .iter()
            .filter(|f| f.handoff_id == handoff.handoff_id)
            .count();
        let attempt = earlier as u32 + 1;
        let data = self.data()?;
        let ctx = AgentContext {
            data,
            tunables: &step.view.tunables,
            rules: step.view.rules(),
        };
        let answer = self
            .agents
            .answer(&handoff, &ctx)
            .ok_or_else(|| EngineError::Internal(format!("no {agent} agent is registered")))?;
        match answer.result {
            Ok(result) => {
                step.emit(Event::AgentCompleted {
                    handoff_id: handoff.handoff_id.clone(),
                    agent,
                    result: result.clone(),
                    duration_ms: answer.worked.as_millis() as u64,
                    attempt,
                })?;
                C::output(result).ok_or_else(|| {
                    StepError::Engine(EngineError::Internal(format!(
                        "the {agent} agent answered handoff {} with a result of another kind",
                        handoff.handoff_id
                    )))
                })
            }
            Err(e) => Err(StepError::AgentFailed(Box::new(FailedTry {
                handoff,
                attempt,
                error: e.to_string(),
            }))),
        }
    }
}

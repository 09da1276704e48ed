//! A step as a value: the events it emits and the decisions it wants explained, with
//! the working view they were applied to. Steps are pure: they read the view and the
//! context they are handed, call the agents (pure computations over the core) and
//! return a [`Step`]; the executor commits it, sleeps between retries and explains.

use crate::agents::{AgentCall, AgentContext, AgentParameters, AgentRegistry, Handoff, SeasonData};
use crate::clock::Clock;
use crate::event::Event;
use crate::orchestrator::EngineError;
use crate::reasoning::Decision;
use crate::state::WorkflowState;
use crate::view::{TransitionError, WorkflowView};
use chrono::{DateTime, Utc};

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

    /// The decisions to explain, in order.
    pub fn decisions(&self) -> Vec<Decision> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Effect::Explain(d) => Some(d.clone()),
                Effect::Emit(_) => None,
            })
            .collect()
    }
}

/// One failed attempt of an agent, recorded by the executor and replayed into the
/// step when it runs again, so the log keeps every attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentFailure {
    /// The handoff that failed.
    pub handoff_id: String,
    /// The `agent_failed` event to record.
    pub event: Event,
}

/// An agent's failed attempt, which the executor retries or gives up on.
#[derive(Debug, Clone)]
pub struct FailedAttempt {
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
    AgentFailed(Box<FailedAttempt>),
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
/// the time of the command, and the failed attempts already made in this step.
pub struct StepContext<'a> {
    /// The workflow's data (stores and history); absent for steps that need none.
    pub data: Option<&'a SeasonData>,
    /// The agents.
    pub agents: &'a AgentRegistry,
    /// The time the command began (approval deadlines count from it).
    pub now: DateTime<Utc>,
    /// Measures how long an agent worked (the clock's monotonic reading).
    pub clock: &'a dyn Clock,
    /// Failed attempts recorded so far in this step.
    pub failures: &'a [AgentFailure],
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

    /// Sends a handoff and takes the agent's answer. Earlier failed attempts of this
    /// handoff are recorded first; a failure now goes back to the executor.
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
        let runner = self
            .agents
            .get(agent)
            .ok_or_else(|| EngineError::Internal(format!("no {agent} agent is registered")))?;
        let earlier: Vec<&AgentFailure> = self
            .failures
            .iter()
            .filter(|f| f.handoff_id == handoff.handoff_id)
            .collect();
        let attempt = earlier.len() as u32 + 1;
        let data = self.data()?;
        let ctx = AgentContext {
            data,
            tunables: &step.view.tunables,
            rules: step.view.rules(),
        };
        let started = self.clock.monotonic();
        match runner.handle(&handoff, &ctx) {
            Ok(result) => {
                let duration = self.clock.monotonic().saturating_sub(started);
                for f in earlier {
                    step.emit(f.event.clone())?;
                }
                step.emit(Event::AgentCompleted {
                    handoff_id: handoff.handoff_id.clone(),
                    agent,
                    result: result.clone(),
                    duration_ms: duration.as_millis() as u64,
                    attempt,
                })?;
                C::output(result).ok_or_else(|| {
                    StepError::Engine(EngineError::Internal(format!(
                        "the {agent} agent answered handoff {} with a result of another kind",
                        handoff.handoff_id
                    )))
                })
            }
            Err(e) => Err(StepError::AgentFailed(Box::new(FailedAttempt {
                handoff,
                attempt,
                error: e.to_string(),
            }))),
        }
    }
}

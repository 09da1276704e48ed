//! The executor: the one place a step's effects are performed. It runs a pure step,
//! commits its events in one transaction, keeps the folded view in the cache
//! (shared, not copied: a step copies it once, to work on), and turns the step's
//! explanation requests into reasoning events: in the step's own transaction when
//! the reasoner is instant (the offline templates), after the commit and outside
//! the workflow's lock when it is a model. An agent's failed attempt is recorded
//! as a fact with its retry's time; the lock is released for the wait, and the
//! command runs again on the workflow as it then is.

use super::Orchestrator;
use super::step::{AgentDesk, Answer, FailedTry, Step, StepContext, StepError};
use crate::agents::{AgentContext, AgentRegistry, Handoff, SeasonData};
use crate::clock::Clock;
use crate::event::{Event, StoredEvent};
use crate::orchestrator::EngineError;
use crate::reasoning::Decision;
use crate::store::{AppendMeta, EventStore, StoreError, StoreLock};
use crate::view::{Workflow, WorkflowView};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How many reasoning appends are tried when another process keeps appending.
const EXPLAIN_ATTEMPTS: u32 = 5;

/// Workflows whose folded view is kept; beyond it the cache starts again (a miss
/// costs one load and fold, about 0.2 ms).
const CACHED_VIEWS: usize = 4096;

/// A committed step: the view after it and the decisions it wants explained.
pub(super) struct Committed {
    /// The view after the step's events (the cache's, shared).
    pub view: Arc<WorkflowView>,
    /// What to explain, in order.
    pub decisions: Vec<Decision>,
    /// The step's last event, under which the store keeps the decisions as owed
    /// until their words are appended (`None`: nothing owed).
    pub owed_at: Option<u64>,
}

impl Committed {
    /// A step that committed nothing and owes nothing.
    pub fn idle(view: Arc<WorkflowView>) -> Committed {
        Committed {
            view,
            decisions: Vec::new(),
            owed_at: None,
        }
    }
}

/// What a command's turn under the workflow's lock came to: its outcome, or an
/// agent's failed attempt recorded with the time of its retry.
pub(super) enum Turn<T> {
    /// The command's outcome.
    Done(T),
    /// Run the command again at this time (the lock is released meanwhile).
    RetryAt(DateTime<Utc>),
}

/// The executor's desk: the registry's agents, each timed on the clock's
/// monotonic reading.
struct TimedDesk<'a> {
    agents: &'a AgentRegistry,
    clock: &'a dyn Clock,
}

impl AgentDesk for TimedDesk<'_> {
    fn answer(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Option<Answer> {
        let started = self.clock.monotonic();
        let mut answer = self.agents.answer(handoff, ctx)?;
        answer.worked = self.clock.monotonic().saturating_sub(started);
        Some(answer)
    }
}

/// Per-process state of the executor: a lock per workflow (steps of one workflow
/// run one at a time in a process; other processes on the same database are kept
/// out by the store's workflow lock, and the store's sequence check stays the last
/// line of defence) and the cache of folded views.
#[derive(Default)]
pub(super) struct Executor {
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    views: Mutex<HashMap<String, Arc<WorkflowView>>>,
}

/// A held workflow lock.
pub(super) struct WorkflowGuard {
    lock: Arc<Mutex<()>>,
}

/// A workflow's lock, held in this process and in the store (across every
/// process on the same database) until dropped.
pub(super) struct Held<'a> {
    // Dropped in this order: the store's lock first, so another process may take
    // it while this process's next caller still waits on the local one.
    _store: StoreLock,
    _local: MutexGuard<'a, ()>,
}

impl WorkflowGuard {
    /// Holds the lock until the returned guard is dropped: this process's first
    /// (so that one process asks the store for a workflow's lock once at a time),
    /// then the store's. Fails when the store cannot grant it (the database is
    /// unreachable, or another process held it too long).
    pub fn hold(&self, store: &dyn EventStore, workflow_id: &str) -> Result<Held<'_>, StoreError> {
        let local = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let store = store.lock_workflow(workflow_id)?;
        Ok(Held {
            _store: store,
            _local: local,
        })
    }
}

impl Executor {
    /// The lock of `workflow_id`.
    pub fn lock(&self, workflow_id: &str) -> WorkflowGuard {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        let lock = locks.entry(workflow_id.to_string()).or_default().clone();
        WorkflowGuard { lock }
    }

    fn cached(&self, workflow_id: &str) -> Option<Arc<WorkflowView>> {
        self.views
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(workflow_id)
            .cloned()
    }

    fn keep(&self, view: &Arc<WorkflowView>) {
        let mut views = self.views.lock().unwrap_or_else(PoisonError::into_inner);
        if views.len() >= CACHED_VIEWS && !views.contains_key(&view.workflow_id) {
            views.clear();
        }
        views.insert(view.workflow_id.clone(), Arc::clone(view));
    }

    fn forget(&self, workflow_id: &str) {
        self.views
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(workflow_id);
    }
}

impl Orchestrator {
    /// The workflow folded from its log: the cached view advanced by any events
    /// another process appended since (one indexed read when nothing changed).
    /// Shared with the cache: nothing is copied unless other events must be folded.
    pub(super) fn fresh_view(&self, workflow_id: &str) -> Result<Arc<WorkflowView>, EngineError> {
        let cached = self.executor.cached(workflow_id);
        let after = cached.as_ref().map_or(0, |v| v.last_seq);
        let newer = self.store.load(workflow_id, after, None)?;
        let mut workflow = match cached {
            Some(view) if newer.is_empty() => return Ok(view),
            Some(view) => Workflow::Live(Box::new(Arc::unwrap_or_clone(view))),
            None => Workflow::Empty,
        };
        for e in &newer {
            if let Err(e) = workflow.apply(e) {
                self.executor.forget(workflow_id);
                return Err(e.into());
            }
        }
        let view = Arc::new(
            workflow
                .live()
                .ok_or_else(|| StoreError::UnknownWorkflow(workflow_id.to_string()))?,
        );
        self.executor.keep(&view);
        Ok(view)
    }

    /// Runs `turn` on the fresh view under the workflow's lock. When an agent
    /// failed an attempt and a retry is left, the failure is already recorded with
    /// its retry's time: the lock is released, the wait is slept on the clock, and
    /// `turn` runs again on the workflow as it then is (another process may have
    /// moved it meanwhile).
    pub(super) fn in_turns<T>(
        &self,
        workflow_id: &str,
        mut turn: impl FnMut(&Arc<WorkflowView>) -> Result<Turn<T>, EngineError>,
    ) -> Result<T, EngineError> {
        loop {
            let retry_at = {
                let guard = self.executor.lock(workflow_id);
                let _held = guard.hold(self.store.as_ref(), workflow_id)?;
                let view = self.fresh_view(workflow_id)?;
                match turn(&view)? {
                    Turn::Done(outcome) => return Ok(outcome),
                    Turn::RetryAt(at) => at,
                }
            };
            let wait = (retry_at - self.clock.now()).num_milliseconds().max(0);
            self.clock.sleep(Duration::from_millis(wait as u64));
        }
    }

    /// Runs a pure step once. An agent's failed attempt with a retry left is
    /// committed alone (the `agent_failed` fact and its wait) and answered with
    /// the retry's time; after the last attempt the step is replaced by the
    /// workflow's failure.
    pub(super) fn run_step(
        &self,
        view: &WorkflowView,
        data: Option<&SeasonData>,
        step: impl Fn(&StepContext<'_>) -> Result<Step, StepError>,
    ) -> Result<Turn<Step>, EngineError> {
        let desk = TimedDesk {
            agents: &self.agents,
            clock: self.clock.as_ref(),
        };
        let ctx = StepContext {
            data,
            agents: &desk,
            now: self.clock.now(),
            failures: &view.failed_attempts,
        };
        let failed = match step(&ctx) {
            Ok(step) => return Ok(Turn::Done(step)),
            Err(StepError::Engine(e)) => return Err(e),
            Err(StepError::AgentFailed(failed)) => failed,
        };
        let attempts = self.retry.max_attempts.max(1);
        if failed.attempt >= attempts {
            return gave_up(view, &failed, attempts).map(Turn::Done);
        }
        let delay = self.retry.delay_after(failed.attempt);
        let mut record = Step::begin(view);
        record.emit(failed_event(&failed, Some(delay)))?;
        let recorded = self.commit(record)?.view;
        let at = recorded
            .retry_at
            .ok_or_else(|| EngineError::Internal("a recorded retry has no time".into()))?;
        Ok(Turn::RetryAt(at))
    }

    /// Appends a step's events in one transaction and keeps the view it computed.
    /// An instant reasoner's words are emitted into the step first, so they share
    /// its transaction (and its fsync) and nothing is left owed.
    pub(super) fn commit(&self, mut step: Step) -> Result<Committed, EngineError> {
        if self.reasoner.is_instant() {
            step.explain_now(|d| self.reasoner.explain(d))?;
        }
        self.commit_settling(step, None)
    }

    /// [`commit`](Self::commit), settling in the same transaction the owed
    /// explanations kept under event `settles` (the step is their words).
    fn commit_settling(&self, step: Step, settles: Option<u64>) -> Result<Committed, EngineError> {
        let start_seq = step.start_seq;
        let (mut view, events, decisions) = step.into_parts();
        if events.is_empty() {
            return Ok(Committed {
                view: Arc::new(view),
                decisions,
                owed_at: None,
            });
        }
        let meta = AppendMeta {
            state: view.state,
            category: &view.category,
            now: self.clock.now(),
            approval_deadline: view.pending_approval.as_ref().and_then(|p| p.expires_at),
            owes: &decisions,
            settles,
        };
        let appended = self
            .store
            .append_step(&view.workflow_id, start_seq, &events, meta);
        let stored = match appended {
            Err(StoreError::CommitUnknown {
                workflow_id,
                reason,
            }) => {
                self.executor.forget(&view.workflow_id);
                self.resolve_commit(&workflow_id, start_seq, &events, reason)?
            }
            other => other.inspect_err(|_| self.executor.forget(&view.workflow_id))?,
        };
        // The working view already holds the events' effects (the fold is
        // deterministic); only the numbering and times come from the store.
        for e in &stored {
            view.stamp(e);
        }
        let view = Arc::new(view);
        self.executor.keep(&view);
        let owed_at = (!decisions.is_empty()).then_some(view.last_seq);
        Ok(Committed {
            view,
            decisions,
            owed_at,
        })
    }

    /// Reads the log back after a commit with an unknown outcome: the events
    /// stored after `start_seq` are either this step's (it was committed: they
    /// are returned) or absent (it was not: a database error, nothing written).
    /// The read is tried a few times over about a second and a half, since the
    /// connection just failed; if it keeps failing the outcome stays unknown.
    fn resolve_commit(
        &self,
        workflow_id: &str,
        start_seq: u64,
        events: &[Event],
        reason: String,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        for wait_ms in [0, 100, 300, 1000] {
            std::thread::sleep(std::time::Duration::from_millis(wait_ms));
            let found = match self
                .store
                .load(workflow_id, start_seq, Some(events.len() as u64))
            {
                Ok(found) => found,
                Err(StoreError::UnknownWorkflow(_)) if start_seq == 0 => Vec::new(),
                Err(_) => continue,
            };
            let ours =
                found.len() == events.len() && found.iter().zip(events).all(|(f, e)| &f.event == e);
            return if ours {
                Ok(found)
            } else if found.is_empty() {
                Err(StoreError::Database(format!(
                    "{reason} (the log shows the commit did not happen)"
                )))
            } else {
                Err(StoreError::Conflict {
                    workflow_id: workflow_id.to_string(),
                    expected: start_seq,
                    found: found.last().map_or(start_seq, |e| e.seq),
                })
            };
        }
        Err(StoreError::CommitUnknown {
            workflow_id: workflow_id.to_string(),
            reason,
        })
    }

    /// Explains a committed step's decisions (through the reasoner, which may
    /// call a model: the workflow's lock is not held) and appends the reasoning
    /// events, settling the step's owed explanations in the same transaction.
    /// `None` when there was nothing to explain, or when someone (the sweep, on
    /// another server) wrote these words first.
    pub(super) fn explain(
        &self,
        workflow_id: &str,
        committed: &Committed,
    ) -> Result<Option<Arc<WorkflowView>>, EngineError> {
        self.explain_decisions(workflow_id, &committed.decisions, committed.owed_at)
    }

    /// Explains `decisions`, settling those owed under event `owed_at`.
    pub(super) fn explain_decisions(
        &self,
        workflow_id: &str,
        decisions: &[Decision],
        owed_at: Option<u64>,
    ) -> Result<Option<Arc<WorkflowView>>, EngineError> {
        if decisions.is_empty() {
            return Ok(None);
        }
        let events: Vec<Event> = decisions
            .iter()
            .flat_map(|d| self.reasoner.explain(d))
            .collect();
        let guard = self.executor.lock(workflow_id);
        let _held = guard.hold(self.store.as_ref(), workflow_id)?;
        let mut attempt = 1;
        loop {
            let view = self.fresh_view(workflow_id)?;
            let mut step = Step::begin(&view);
            for e in &events {
                step.emit(e.clone())?;
            }
            match self.commit_settling(step, owed_at) {
                Ok(done) => return Ok(Some(done.view)),
                // Reasoning may follow any event: another process's append only
                // moves where it lands.
                Err(EngineError::Store(StoreError::Conflict { .. }))
                    if attempt < EXPLAIN_ATTEMPTS =>
                {
                    attempt += 1;
                }
                Err(EngineError::Store(StoreError::AlreadyExplained { .. })) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }
}

/// The `agent_failed` event of an attempt (`retry`: the wait before the next).
fn failed_event(failed: &FailedTry, retry: Option<Duration>) -> Event {
    Event::AgentFailed {
        handoff_id: failed.handoff.handoff_id.clone(),
        agent: failed.handoff.agent,
        attempt: failed.attempt,
        error: failed.error.clone(),
        retry_in_ms: retry.map(|d| d.as_millis() as u64),
    }
}

/// The workflow's failure after an agent's last attempt: the failed handoff (under
/// the id its recorded attempts carry), its last attempt and the cause. The step's
/// earlier handoffs are not kept.
fn gave_up(view: &WorkflowView, failed: &FailedTry, attempts: u32) -> Result<Step, EngineError> {
    let mut step = Step::begin(view);
    step.emit(Event::HandoffSent {
        handoff: failed.handoff.clone(),
    })?;
    step.emit(failed_event(failed, None))?;
    step.emit(Event::WorkflowFailed {
        interrupted: view.state,
        cause: format!(
            "{} agent failed after {attempts} attempt(s): {}",
            failed.handoff.agent, failed.error
        ),
    })?;
    Ok(step)
}

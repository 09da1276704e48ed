//! Failing agents: retried with exponential backoff on the injected clock, the
//! workflow moved to error after the last attempt, and `resume` retrying from the
//! last completed step.

mod support;

use atelier_engine::agents::{
    Agent, AgentContext, AgentError, AgentName, AgentRegistry, AgentResult, DemandAgent, Handoff,
};
use atelier_engine::event::Event;
use atelier_engine::store::SqliteStore;
use atelier_engine::{Orchestrator, RetryPolicy, WorkflowState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use support::*;

/// A Demand agent that fails its first `failures` calls.
struct Flaky {
    failures: u32,
    calls: AtomicU32,
}

impl Agent for Flaky {
    fn name(&self) -> AgentName {
        AgentName::Demand
    }
    fn instructions(&self) -> &'static str {
        "flaky demand"
    }
    fn handle(&self, handoff: &Handoff, ctx: &AgentContext<'_>) -> Result<AgentResult, AgentError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.failures {
            return Err(AgentError::Failed(format!(
                "model server unavailable (call {})",
                n + 1
            )));
        }
        DemandAgent.handle(handoff, ctx)
    }
}

fn flaky(failures: u32) -> AgentRegistry {
    AgentRegistry::default().with_agent(Arc::new(Flaky {
        failures,
        calls: AtomicU32::new(0),
    }))
}

#[test]
fn a_failing_agent_is_retried_with_exponential_backoff() {
    let h = harness_with(flaky(2));
    h.orchestrator
        .create(new_workflow("r", params("zara")))
        .unwrap();
    let view = h.orchestrator.advance("r").unwrap();
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_millis(200), Duration::from_millis(400)]
    );
    let log = events(&h, "r");
    let failed: Vec<(u32, Option<u64>)> = log
        .iter()
        .filter_map(|e| match &e.event {
            Event::AgentFailed {
                attempt,
                retry_in_ms,
                ..
            } => Some((*attempt, *retry_in_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![(1, Some(200)), (2, Some(400))]);
    assert!(
        log.iter()
            .any(|e| matches!(&e.event, Event::AgentCompleted { attempt: 3, .. }))
    );
    assert_contiguous(&log);
}

#[test]
fn after_the_last_attempt_the_workflow_errors_and_resume_retries_the_step() {
    let h = harness_with(flaky(100));
    let o = h.orchestrator.clone().with_retry(RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(3),
    });
    o.create(new_workflow("e", params("zara"))).unwrap();
    let view = o.advance("e").unwrap();
    assert_eq!(view.state, WorkflowState::Error);
    assert!(
        view.error
            .as_deref()
            .unwrap()
            .contains("demand agent failed after 4 attempt(s): model server unavailable")
    );
    assert_eq!(
        h.clock.sleeps(),
        vec![
            Duration::from_secs(1),
            Duration::from_secs(2),
            Duration::from_secs(3)
        ]
    );
    // Nothing of the failed step but its failures was kept.
    let log = events(&h, "e");
    assert_eq!(count(&log, "forecast_produced"), 0);
    assert_eq!(count(&log, "agent_failed"), 4);
    assert_eq!(log.last().unwrap().event.kind(), "workflow_failed");

    // The cause is fixed (a working agent); resume retries from the last completed step.
    let fixed = Orchestrator::new(
        h.store.clone() as Arc<SqliteStore>,
        AgentRegistry::default(),
        Arc::new(atelier_engine::reasoning::OfflineReasoner),
        h.clock.clone(),
        catalog(),
    );
    let view = fixed.resume("e").unwrap();
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    let log = events(&h, "e");
    assert!(log.iter().any(|e| matches!(
        &e.event,
        Event::WorkflowResumed {
            to: WorkflowState::Phase1Forecasting
        }
    )));
    assert_eq!(count(&log, "forecast_produced"), 1);
    assert_contiguous(&log);
    // Every handoff in the log has its own id.
    let mut ids: Vec<String> = log
        .iter()
        .filter_map(|e| match &e.event {
            Event::HandoffSent { handoff } => Some(handoff.handoff_id.clone()),
            _ => None,
        })
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "handoff ids are unique: {ids:?}");
    // Resuming a workflow that is not in error just continues it.
    assert_eq!(
        fixed.resume("e").unwrap().state,
        WorkflowState::WaitingMfgApproval
    );
}

#[test]
fn a_log_with_an_illegal_transition_is_refused_by_the_fold() {
    use atelier_engine::WorkflowView;
    use atelier_engine::event::{Resolution, StoredEvent};
    let h = harness();
    h.orchestrator
        .create(new_workflow("f", params("zara")))
        .unwrap();
    let mut log = events(&h, "f");
    let at = log[0].recorded_at;
    log.push(StoredEvent {
        workflow_id: "f".into(),
        seq: 2,
        recorded_at: at,
        event: Event::ApprovalResolved {
            approval_id: "manufacturing-1".into(),
            resolution: Resolution::Accept,
            by: "x".into(),
        },
    });
    let err = WorkflowView::fold(&log).unwrap_err();
    assert!(
        err.to_string()
            .contains("illegal transition: 'approval_resolved' in state parameters_extracted"),
        "{err}"
    );
    log.pop();
    log.push(StoredEvent {
        workflow_id: "f".into(),
        seq: 3,
        recorded_at: at,
        event: Event::PhaseStarted {
            phase: WorkflowState::Phase1Forecasting,
            week: 0,
        },
    });
    assert!(
        WorkflowView::fold(&log)
            .unwrap_err()
            .to_string()
            .contains("gap")
    );
    log.pop();
    log.push(StoredEvent {
        workflow_id: "f".into(),
        seq: 2,
        recorded_at: at,
        event: Event::PhaseStarted {
            phase: WorkflowState::Phase3Monitoring,
            week: 1,
        },
    });
    assert!(
        WorkflowView::fold(&log)
            .unwrap_err()
            .to_string()
            .contains("no transition parameters_extracted -> phase_3_monitoring")
    );
}

#[test]
fn a_stale_writer_conflicts_instead_of_forking_the_log() {
    use atelier_engine::event::Event;
    use atelier_engine::store::{EventStore, StoreError};
    let h = harness();
    h.orchestrator
        .create(new_workflow("c", params("zara")))
        .unwrap();
    let now = atelier_engine::clock::Clock::now(h.clock.as_ref());
    let e = Event::PhaseStarted {
        phase: WorkflowState::Phase1Forecasting,
        week: 0,
    };
    h.store
        .append(
            "c",
            1,
            std::slice::from_ref(&e),
            WorkflowState::Phase1Forecasting,
            "x",
            now,
        )
        .unwrap();
    let err = h
        .store
        .append(
            "c",
            1,
            std::slice::from_ref(&e),
            WorkflowState::Phase1Forecasting,
            "x",
            now,
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::Conflict {
            expected: 1,
            found: 2,
            ..
        }
    ));
}

/// A clock whose first sleep (the wait before a retry) runs `during` on another
/// thread and waits at most ten seconds for it to finish.
struct WaitWatcher {
    inner: atelier_engine::clock::ManualClock,
    during: OnceLock<Arc<dyn Fn() + Send + Sync>>,
    watched: std::sync::atomic::AtomicBool,
    finished_in_time: std::sync::atomic::AtomicBool,
}

impl atelier_engine::clock::Clock for WaitWatcher {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.now()
    }
    fn sleep(&self, duration: Duration) {
        if !self.watched.swap(true, Ordering::SeqCst) {
            let (tx, rx) = std::sync::mpsc::channel();
            let during = self.during.get().expect("set before the season").clone();
            // Not joined: a command stuck behind a held lock must not hang the test.
            std::thread::spawn(move || {
                during();
                let _ = tx.send(());
            });
            let done = rx.recv_timeout(Duration::from_secs(10)).is_ok();
            self.finished_in_time.store(done, Ordering::SeqCst);
        }
        self.inner.sleep(duration);
    }
    fn monotonic(&self) -> Duration {
        Duration::ZERO
    }
}

use std::sync::OnceLock;

#[test]
fn a_failed_attempt_is_recorded_with_its_retry_time_and_the_lock_is_free_during_the_wait() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("events.db")).unwrap());
    let start = chrono::Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap();
    let clock = Arc::new(WaitWatcher {
        inner: atelier_engine::clock::ManualClock::new(start),
        during: OnceLock::new(),
        watched: Default::default(),
        finished_in_time: Default::default(),
    });
    let o = Orchestrator::new(
        store.clone(),
        flaky(1),
        Arc::new(atelier_engine::reasoning::OfflineReasoner),
        clock.clone(),
        catalog(),
    );
    let seen = Arc::new(std::sync::Mutex::new(None));
    {
        let (o, seen) = (o.clone(), seen.clone());
        let during = move || {
            // While the first process waits: the log already holds the failure and
            // its retry's time, and another command takes the workflow's lock and
            // runs the retry itself.
            let view = o.view("w").unwrap();
            let tail = o.events("w", view.last_seq - 1, None).unwrap();
            let after = o.advance("w").unwrap();
            *seen.lock().unwrap() = Some((view, tail, after.state));
        };
        assert!(clock.during.set(Arc::new(during)).is_ok());
    }
    o.create(new_workflow("w", params("zara"))).unwrap();
    let view = o.advance("w").unwrap();
    assert!(
        clock.finished_in_time.load(Ordering::SeqCst),
        "another command could not take the workflow's lock during the wait"
    );
    let (during_view, tail, other_state) = seen.lock().unwrap().take().unwrap();
    let Event::AgentFailed {
        attempt,
        retry_in_ms,
        ..
    } = &tail[0].event
    else {
        panic!("the last event during the wait is {:?}", tail[0].event)
    };
    assert_eq!((*attempt, *retry_in_ms), (1, Some(200)));
    assert_eq!(
        during_view.retry_at,
        Some(tail[0].recorded_at + chrono::Duration::milliseconds(200))
    );
    assert_eq!(during_view.failed_attempts.len(), 1);
    assert_eq!(other_state, WorkflowState::WaitingMfgApproval);
    // The waiting process found the work done and did it not again.
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    assert!(view.failed_attempts.is_empty() && view.retry_at.is_none());
    let log = events_of(&o, "w");
    assert_eq!(count(&log, "agent_failed"), 1);
    assert_eq!(count(&log, "forecast_produced"), 1);
    assert!(
        log.iter()
            .any(|e| matches!(&e.event, Event::AgentCompleted { attempt: 2, .. })),
        "the retry counts the recorded attempt"
    );
    assert_contiguous(&log);
}

fn events_of(o: &Orchestrator, id: &str) -> Vec<atelier_engine::event::StoredEvent> {
    o.events(id, 0, None).unwrap()
}

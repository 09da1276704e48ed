//! The stream's messages: each stored event as the dashboard reads it, with the
//! workflow's progress at that event (the encoder folds what it sends).

use atelier_core::variance::{VarianceCheck, VarianceDirection};
use atelier_engine::WorkflowState;
use atelier_engine::event::{Event, StoredEvent};
use atelier_engine::report::progress;
use atelier_engine::view::Workflow;
use axum::extract::ws::Utf8Bytes;
use chrono::SecondsFormat;
use serde_json::{Value, json};

/// Encodes events into the stream's messages. It folds the events it sees so that
/// messages can carry the workflow's progress at that event.
#[derive(Default)]
pub struct Encoder {
    workflow: Workflow,
    /// The last event number encoded.
    pub(super) known: u64,
}

impl Encoder {
    /// Folds `event` and returns its wire message.
    pub fn encode(&mut self, event: &StoredEvent) -> Utf8Bytes {
        // A log that does not fold is corrupt; the message is still sent, with the
        // progress of the last event that folded.
        let _ = self.workflow.apply(event);
        self.known = event.seq;
        Utf8Bytes::from(message(&self.workflow, event).to_string())
    }
}

/// The stream message for `event`, given the workflow folded up to and including it.
pub fn message(workflow: &Workflow, stored: &StoredEvent) -> Value {
    let progress = workflow.season().map_or(0.0, progress);
    let mut m = json!({
        "seq": stored.seq,
        "workflow_id": stored.workflow_id,
        "timestamp": stored.recorded_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "event": stored.event.kind(),
    });
    let extra = match &stored.event {
        Event::HandoffSent { handoff } => json!({
            "type": "agent_status",
            "agent": handoff.agent,
            "status": "working",
            "message": handoff.instruction,
            "progress": progress,
            "phase": handoff.phase,
            "handoff_id": handoff.handoff_id,
        }),
        Event::AgentCompleted {
            handoff_id,
            agent,
            result,
            duration_ms,
            attempt,
        } => json!({
            "type": "agent_completed",
            "agent": agent,
            "handoff_id": handoff_id,
            "result": result,
            "duration_ms": duration_ms,
            "attempt": attempt,
            "progress": progress,
        }),
        Event::PhaseStarted { phase, week } => phase_started(*phase, *week, progress),
        Event::PhaseSkipped { phase, reason } => json!({
            "type": "phase_skipped",
            "phase": phase,
            "reason": reason,
        }),
        Event::VarianceMeasured {
            check,
            reforecast_triggered,
        } => variance(check, *reforecast_triggered),
        Event::ApprovalRequested {
            approval_id,
            kind,
            data,
            options,
            expires_at,
        } => json!({
            "type": "human_input_required",
            "approval_id": approval_id,
            "kind": kind,
            "data": data,
            "options": options,
            "expires_at": expires_at,
        }),
        Event::WorkflowCompleted { report } => json!({
            "type": "workflow_complete",
            "report": report,
            "progress": 1.0,
        }),
        Event::WorkflowFailed { interrupted, cause } => json!({
            "type": "error",
            "message": cause,
            "interrupted": interrupted,
        }),
        other => serde_json::to_value(other).unwrap_or_else(|_| json!({"type": other.kind()})),
    };
    if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
        m.extend(extra);
    }
    m
}

/// A phase begun, as the orchestrator's status.
fn phase_started(phase: WorkflowState, week: u32, progress: f64) -> Value {
    json!({
        "type": "agent_status",
        "agent": "orchestrator",
        "status": "working",
        "phase": phase,
        "week": week,
        "message": if week == 0 { format!("{phase} started") } else { format!("{phase} started (week {week})") },
        "progress": progress,
    })
}

/// A week's variance in words and figures: an alert above the threshold.
fn variance(check: &VarianceCheck, reforecast: bool) -> Value {
    let pct = check.percent();
    let kind = if check.threshold_exceeded {
        "variance_alert"
    } else {
        "variance_measured"
    };
    let text = match pct {
        Some(p) => format!(
            "Week {}: actual {} vs forecast {} ({p:.1}% {}){}",
            check.week,
            check.actual,
            check.forecast,
            match check.direction {
                VarianceDirection::Over => "over",
                VarianceDirection::Under => "under",
                VarianceDirection::OnTarget => "on target",
            },
            if reforecast {
                "; re-forecasting the remaining weeks"
            } else {
                ""
            }
        ),
        None => format!(
            "Week {}: actual {} against a zero forecast",
            check.week, check.actual
        ),
    };
    json!({
        "type": kind,
        "week": check.week,
        "forecast": check.forecast,
        "actual": check.actual,
        "variance_percentage": pct,
        "direction": check.direction,
        "threshold_exceeded": check.threshold_exceeded,
        "reforecast_triggered": reforecast,
        "message": text,
    })
}

//! A season's life in the fold: phases skipped, agents at work, the forecast and
//! its order, the allocation that stocks the stores, alerts, and the ends
//! (completed, failed) and the return from a failure.

use super::{TransitionError, WorkflowView};
use crate::agents::AgentName;
use crate::event::Event;
use crate::state::{Trigger, WorkflowState};
use atelier_core::demand::{DemandForecast, ManufacturingOrder};
use atelier_core::inventory::{Allocation, StoreStock};
use atelier_core::season::SeasonReport;

/// An agent's attempt that failed, as its `agent_failed` event records it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailedAttempt {
    /// The handoff the attempt answered (the id the step gives it each time it
    /// runs).
    pub handoff_id: String,
    /// The agent.
    pub agent: AgentName,
    /// The attempt, from 1.
    pub attempt: u32,
    /// What the agent said.
    pub error: String,
    /// The wait before the next attempt, ms (none after the last).
    pub retry_in_ms: Option<u64>,
}

impl WorkflowView {
    pub(super) fn phase_skipped(
        &mut self,
        phase: WorkflowState,
        reason: &str,
    ) -> Result<(), TransitionError> {
        self.phases_skipped.push((phase, reason.to_string()));
        Ok(())
    }

    pub(super) fn handoff_sent(
        &mut self,
        event: &Event,
        agent: AgentName,
    ) -> Result<(), TransitionError> {
        self.not_terminal(event)?;
        // A step that gives up on an agent records the failing handoff under the
        // id its failed attempts carried, past the step's earlier handoffs (not
        // kept): later ids follow the highest.
        let number = match event {
            Event::HandoffSent { handoff } => handoff_number(&handoff.handoff_id),
            _ => None,
        };
        self.handoffs_sent = (self.handoffs_sent + 1).max(number.unwrap_or(0));
        self.current_agent = Some(agent);
        Ok(())
    }

    /// An agent's failed attempt: kept until the step that retries it is recorded
    /// (the time of the retry is set from the stored event's time).
    pub(super) fn agent_failed(&mut self, event: &Event) -> Result<(), TransitionError> {
        self.not_terminal(event)?;
        let Event::AgentFailed {
            handoff_id,
            agent,
            attempt,
            error,
            retry_in_ms,
        } = event
        else {
            return Ok(());
        };
        if retry_in_ms.is_none() {
            self.retry_at = None;
        }
        self.failed_attempts.push(FailedAttempt {
            handoff_id: handoff_id.clone(),
            agent: *agent,
            attempt: *attempt,
            error: error.clone(),
            retry_in_ms: *retry_in_ms,
        });
        Ok(())
    }

    /// Failed attempts belong to the step that retries them: any event of a
    /// step clears them (words and guardrails, which may land between a failure
    /// and its retry, do not).
    pub(super) fn forget_failed_attempts(&mut self, event: &Event) {
        if !matches!(
            event,
            Event::AgentFailed { .. }
                | Event::ReasoningRecorded { .. }
                | Event::GuardrailTriggered { .. }
        ) {
            self.failed_attempts.clear();
            self.retry_at = None;
        }
    }

    pub(super) fn agent_done(&mut self, event: &Event) -> Result<(), TransitionError> {
        self.not_terminal(event)?;
        self.current_agent = None;
        Ok(())
    }

    pub(super) fn alerted(&mut self) -> Result<(), TransitionError> {
        self.emergency_alerts += 1;
        Ok(())
    }

    pub(super) fn forecast_produced(
        &mut self,
        event: &Event,
        forecast: &DemandForecast,
        order: &ManufacturingOrder,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase1Forecasting)?;
        self.forecast_weekly.clone_from(&forecast.weekly);
        self.forecast = Some(forecast.clone());
        self.order = Some(*order);
        self.modification = None;
        Ok(())
    }

    pub(super) fn order_revised(
        &mut self,
        event: &Event,
        order: &ManufacturingOrder,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase1Forecasting)?;
        self.order = Some(*order);
        self.modification = None;
        Ok(())
    }

    pub(super) fn allocation_made(
        &mut self,
        event: &Event,
        allocation: &Allocation,
        unit_price: f64,
    ) -> Result<(), TransitionError> {
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
        self.unit_price = unit_price;
        Ok(())
    }

    pub(super) fn completed(
        &mut self,
        event: &Event,
        report: &SeasonReport,
    ) -> Result<(), TransitionError> {
        self.move_to(event, Trigger::SeasonCompleted, WorkflowState::Completed)?;
        self.report = Some(report.clone());
        self.current_agent = None;
        Ok(())
    }

    pub(super) fn failed(
        &mut self,
        event: &Event,
        interrupted: WorkflowState,
        cause: &str,
    ) -> Result<(), TransitionError> {
        self.move_to(event, Trigger::Failed, WorkflowState::Error)?;
        self.interrupted = Some(interrupted);
        self.error = Some(cause.to_string());
        self.current_agent = None;
        Ok(())
    }

    pub(super) fn resumed(
        &mut self,
        event: &Event,
        to: WorkflowState,
    ) -> Result<(), TransitionError> {
        if self.interrupted != Some(to) {
            return Err(self.refuse(event, "resume must return to the interrupted state"));
        }
        self.move_to(event, Trigger::Resumed, to)?;
        self.error = None;
        self.interrupted = None;
        Ok(())
    }
}

/// The number in a handoff id `h-N`.
fn handoff_number(id: &str) -> Option<u32> {
    id.strip_prefix("h-")?.parse().ok()
}

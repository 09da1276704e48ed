//! The workflow's states exactly as the seed plan lists them, and the table of
//! legal transitions between them. The table is data so that the documentation's
//! state diagram is generated from it and cannot drift.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a workflow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkflowState {
    /// Parameters are set; nothing has run yet.
    ParametersExtracted,
    /// Demand is forecasting (or revising the order after a modify).
    #[serde(rename = "phase_1_forecasting")]
    Phase1Forecasting,
    /// The manufacturing order waits for a human.
    WaitingMfgApproval,
    /// Inventory is clustering stores and splitting the order.
    #[serde(rename = "phase_2_allocation")]
    Phase2Allocation,
    /// The season is running; the next week's actuals are awaited.
    #[serde(rename = "phase_3_monitoring")]
    Phase3Monitoring,
    /// Stores are being topped up from the DC.
    #[serde(rename = "phase_3_replenishment")]
    Phase3Replenishment,
    /// Pricing is checking sell-through at the checkpoint.
    #[serde(rename = "phase_4_markdown_check")]
    Phase4MarkdownCheck,
    /// A proposed markdown waits for a human.
    WaitingMarkdownApproval,
    /// Demand is re-forecasting the remaining weeks.
    #[serde(rename = "phase_5_reforecast")]
    Phase5Reforecast,
    /// A week's store-to-store transfers wait for a human (the `margin` policy; not
    /// in the seed's list, which had no transfers).
    WaitingTransferApproval,
    /// A second buy waits for a human (the `margin` policy with a chase).
    WaitingReorderApproval,
    /// The season is over and reported.
    Completed,
    /// A step failed after its retries; `resume` retries it.
    Error,
}

impl WorkflowState {
    /// Every state, in the seed's order.
    pub const ALL: [WorkflowState; 13] = [
        WorkflowState::ParametersExtracted,
        WorkflowState::Phase1Forecasting,
        WorkflowState::WaitingMfgApproval,
        WorkflowState::Phase2Allocation,
        WorkflowState::Phase3Monitoring,
        WorkflowState::Phase3Replenishment,
        WorkflowState::Phase4MarkdownCheck,
        WorkflowState::WaitingMarkdownApproval,
        WorkflowState::Phase5Reforecast,
        WorkflowState::WaitingTransferApproval,
        WorkflowState::WaitingReorderApproval,
        WorkflowState::Completed,
        WorkflowState::Error,
    ];

    /// The seed's spelling, e.g. `phase_1_forecasting`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowState::ParametersExtracted => "parameters_extracted",
            WorkflowState::Phase1Forecasting => "phase_1_forecasting",
            WorkflowState::WaitingMfgApproval => "waiting_mfg_approval",
            WorkflowState::Phase2Allocation => "phase_2_allocation",
            WorkflowState::Phase3Monitoring => "phase_3_monitoring",
            WorkflowState::Phase3Replenishment => "phase_3_replenishment",
            WorkflowState::Phase4MarkdownCheck => "phase_4_markdown_check",
            WorkflowState::WaitingMarkdownApproval => "waiting_markdown_approval",
            WorkflowState::Phase5Reforecast => "phase_5_reforecast",
            WorkflowState::WaitingTransferApproval => "waiting_transfer_approval",
            WorkflowState::WaitingReorderApproval => "waiting_reorder_approval",
            WorkflowState::Completed => "completed",
            WorkflowState::Error => "error",
        }
    }

    /// Parses the seed's spelling.
    pub fn parse(text: &str) -> Option<WorkflowState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No further step will run: completed, or failed until resumed.
    pub fn is_terminal(self) -> bool {
        matches!(self, WorkflowState::Completed | WorkflowState::Error)
    }

    /// A human decision is awaited.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            WorkflowState::WaitingMfgApproval
                | WorkflowState::WaitingMarkdownApproval
                | WorkflowState::WaitingTransferApproval
                | WorkflowState::WaitingReorderApproval
        )
    }
}

impl fmt::Display for WorkflowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What moves a workflow from one state to another (the label on the diagram's arrow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A phase begins.
    PhaseStarted,
    /// An approval is asked for.
    ApprovalRequested,
    /// The approval was accepted (by a human or by a timeout set to accept).
    ApprovalAccepted,
    /// The approval was modified: the agent re-runs with the change.
    ApprovalModified,
    /// The last week is done.
    SeasonCompleted,
    /// A step failed after its retries (or an approval timed out set to fail).
    Failed,
    /// `resume` after an error.
    Resumed,
}

impl Trigger {
    /// The label used in the diagram.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::PhaseStarted => "phase_started",
            Trigger::ApprovalRequested => "approval_requested",
            Trigger::ApprovalAccepted => "approval_accepted",
            Trigger::ApprovalModified => "approval_modified",
            Trigger::SeasonCompleted => "season_completed",
            Trigger::Failed => "failed",
            Trigger::Resumed => "resumed",
        }
    }
}

use WorkflowState as S;

/// The legal transitions. Failure (any non-terminal state → error) and resume
/// (error → the state the failure interrupted) are listed separately in
/// [`is_legal`] since they apply to every state.
pub const TRANSITIONS: &[(WorkflowState, Trigger, WorkflowState)] = &[
    (
        S::ParametersExtracted,
        Trigger::PhaseStarted,
        S::Phase1Forecasting,
    ),
    (
        S::Phase1Forecasting,
        Trigger::ApprovalRequested,
        S::WaitingMfgApproval,
    ),
    (
        S::WaitingMfgApproval,
        Trigger::ApprovalAccepted,
        S::Phase2Allocation,
    ),
    (
        S::WaitingMfgApproval,
        Trigger::ApprovalModified,
        S::Phase1Forecasting,
    ),
    (
        S::Phase2Allocation,
        Trigger::PhaseStarted,
        S::Phase3Monitoring,
    ),
    (
        S::Phase3Monitoring,
        Trigger::PhaseStarted,
        S::Phase5Reforecast,
    ),
    (
        S::Phase3Monitoring,
        Trigger::PhaseStarted,
        S::Phase3Replenishment,
    ),
    (
        S::Phase3Monitoring,
        Trigger::PhaseStarted,
        S::Phase4MarkdownCheck,
    ),
    (
        S::Phase3Monitoring,
        Trigger::PhaseStarted,
        S::Phase3Monitoring,
    ),
    (S::Phase3Monitoring, Trigger::SeasonCompleted, S::Completed),
    (
        S::Phase5Reforecast,
        Trigger::PhaseStarted,
        S::Phase3Replenishment,
    ),
    (
        S::Phase5Reforecast,
        Trigger::PhaseStarted,
        S::Phase4MarkdownCheck,
    ),
    (
        S::Phase5Reforecast,
        Trigger::PhaseStarted,
        S::Phase3Monitoring,
    ),
    (S::Phase5Reforecast, Trigger::SeasonCompleted, S::Completed),
    (
        S::Phase3Replenishment,
        Trigger::PhaseStarted,
        S::Phase3Monitoring,
    ),
    (
        S::Phase3Replenishment,
        Trigger::SeasonCompleted,
        S::Completed,
    ),
    (
        S::Phase4MarkdownCheck,
        Trigger::ApprovalRequested,
        S::WaitingMarkdownApproval,
    ),
    (
        S::Phase4MarkdownCheck,
        Trigger::PhaseStarted,
        S::Phase3Replenishment,
    ),
    (
        S::Phase4MarkdownCheck,
        Trigger::PhaseStarted,
        S::Phase3Monitoring,
    ),
    (
        S::Phase4MarkdownCheck,
        Trigger::SeasonCompleted,
        S::Completed,
    ),
    (
        S::WaitingMarkdownApproval,
        Trigger::ApprovalAccepted,
        S::Phase5Reforecast,
    ),
    (
        S::WaitingMarkdownApproval,
        Trigger::ApprovalModified,
        S::Phase4MarkdownCheck,
    ),
    (
        S::Phase3Replenishment,
        Trigger::ApprovalRequested,
        S::WaitingTransferApproval,
    ),
    (
        S::WaitingTransferApproval,
        Trigger::ApprovalAccepted,
        S::Phase3Replenishment,
    ),
    (
        S::WaitingTransferApproval,
        Trigger::ApprovalModified,
        S::Phase3Replenishment,
    ),
    (
        S::Phase3Replenishment,
        Trigger::ApprovalRequested,
        S::WaitingReorderApproval,
    ),
    (
        S::WaitingReorderApproval,
        Trigger::ApprovalAccepted,
        S::Phase3Replenishment,
    ),
    (
        S::WaitingReorderApproval,
        Trigger::ApprovalModified,
        S::Phase3Replenishment,
    ),
];

/// Whether `trigger` may move a workflow from `from` to `to`.
pub fn is_legal(from: WorkflowState, trigger: Trigger, to: WorkflowState) -> bool {
    match trigger {
        Trigger::Failed => !from.is_terminal() && to == WorkflowState::Error,
        Trigger::Resumed => from == WorkflowState::Error && !to.is_terminal(),
        _ => TRANSITIONS.contains(&(from, trigger, to)),
    }
}

/// The state diagram in Mermaid, generated from [`TRANSITIONS`]; the docs embed
/// this text and a test checks they match.
pub fn mermaid_diagram() -> String {
    let mut out = String::from("stateDiagram-v2\n    [*] --> parameters_extracted\n");
    for (from, trigger, to) in TRANSITIONS {
        out.push_str(&format!("    {from} --> {to}: {}\n", trigger.as_str()));
    }
    out.push_str("    completed --> [*]\n");
    out.push_str("    note right of error\n        any running or waiting state --> error: failed\n        error --> interrupted state: resumed\n    end note\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_spell_as_the_seed_does() {
        for s in WorkflowState::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(WorkflowState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn illegal_moves_are_refused() {
        assert!(!is_legal(
            S::ParametersExtracted,
            Trigger::ApprovalAccepted,
            S::Phase2Allocation
        ));
        assert!(!is_legal(S::Completed, Trigger::Failed, S::Error));
        assert!(!is_legal(
            S::Phase3Monitoring,
            Trigger::Resumed,
            S::Phase3Monitoring
        ));
        assert!(is_legal(S::Error, Trigger::Resumed, S::Phase3Monitoring));
        assert!(is_legal(S::WaitingMfgApproval, Trigger::Failed, S::Error));
        assert!(!is_legal(
            S::Phase2Allocation,
            Trigger::ApprovalRequested,
            S::WaitingMfgApproval
        ));
    }

    #[test]
    fn every_state_is_reachable_from_the_start() {
        let mut reached = vec![S::ParametersExtracted];
        let mut i = 0;
        while i < reached.len() {
            for (from, _, to) in TRANSITIONS {
                if *from == reached[i] && !reached.contains(to) {
                    reached.push(*to);
                }
            }
            i += 1;
        }
        reached.push(S::Error);
        for s in WorkflowState::ALL {
            assert!(reached.contains(&s), "{s} unreachable");
        }
    }
}

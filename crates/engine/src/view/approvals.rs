//! Where each kind of approval takes a workflow: the state it waits in, the state an
//! acceptance or a modification moves it to, and the step that asks again after an
//! expiry set to fail is resumed.

use crate::event::ApprovalKind;
use crate::state::WorkflowState;

/// The state a workflow waits in for an approval of `kind`.
pub(super) fn waiting_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::WaitingMfgApproval,
        ApprovalKind::Markdown => WorkflowState::WaitingMarkdownApproval,
        ApprovalKind::Transfer => WorkflowState::WaitingTransferApproval,
    }
}

/// Where an accepted proposal goes: the order is allocated, the markdown applied
/// (and the weeks left re-forecast), the transfers shipped.
pub(super) fn accepted_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::Phase2Allocation,
        ApprovalKind::Markdown => WorkflowState::Phase5Reforecast,
        ApprovalKind::Transfer => WorkflowState::Phase3Replenishment,
    }
}

/// Where a modification goes: back to the agent that proposed (the order and the
/// markdown are proposed again); transfers cut to the planner's size ship at once.
pub(super) fn modified_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::Phase1Forecasting,
        ApprovalKind::Markdown => WorkflowState::Phase4MarkdownCheck,
        ApprovalKind::Transfer => WorkflowState::Phase3Replenishment,
    }
}

/// The state `resume` returns to after an expiry set to fail: the phase that asks
/// again.
pub(super) fn asking_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::Phase1Forecasting,
        ApprovalKind::Markdown => WorkflowState::Phase4MarkdownCheck,
        ApprovalKind::Transfer => WorkflowState::Phase3Replenishment,
    }
}

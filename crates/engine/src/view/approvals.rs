//! Where each kind of approval takes a workflow: the state it waits in, the state an
//! acceptance or a modification moves it to, and the step that asks again after an
//! expiry set to fail is resumed; and the record of an approval once answered.

use crate::event::{ApprovalKind, ExpiryAction, Resolution};
use crate::state::WorkflowState;
use serde::{Deserialize, Serialize};

/// The state a workflow waits in for an approval of `kind`.
pub(super) fn waiting_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::WaitingMfgApproval,
        ApprovalKind::Markdown => WorkflowState::WaitingMarkdownApproval,
        ApprovalKind::Transfer => WorkflowState::WaitingTransferApproval,
        ApprovalKind::Reorder => WorkflowState::WaitingReorderApproval,
    }
}

/// Where an accepted proposal goes: the order is allocated, the markdown applied
/// (and the weeks left re-forecast), the transfers shipped.
pub(super) fn accepted_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::Phase2Allocation,
        ApprovalKind::Markdown => WorkflowState::Phase5Reforecast,
        ApprovalKind::Transfer | ApprovalKind::Reorder => WorkflowState::Phase3Replenishment,
    }
}

/// The phase that proposes what an approval of `kind` decides: where a modification
/// goes (the order and the markdown are proposed again; transfers cut to the
/// planner's size ship at once) and where `resume` returns after an expiry set to
/// fail (the proposal is asked again).
pub(super) fn proposing_state(kind: ApprovalKind) -> WorkflowState {
    match kind {
        ApprovalKind::Manufacturing => WorkflowState::Phase1Forecasting,
        ApprovalKind::Markdown => WorkflowState::Phase4MarkdownCheck,
        ApprovalKind::Transfer | ApprovalKind::Reorder => WorkflowState::Phase3Replenishment,
    }
}

/// An approval once answered, as the report lists it: who answered, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnsweredApproval {
    /// The approval.
    pub approval_id: String,
    /// What was approved.
    pub kind: ApprovalKind,
    /// How a person answered (`accept`, or `modify` with the change); null when
    /// nobody answered in time.
    pub resolution: Option<Resolution>,
    /// What the expiry did, when nobody answered in time.
    pub expired: Option<ExpiryAction>,
    /// Who answered: a token's name and role over the API (`ann (approver)`), `cli`
    /// or `auto` from the command line; null when the approval expired.
    pub by: Option<String>,
}

impl AnsweredApproval {
    /// An approval a person answered.
    pub fn by(approval_id: &str, kind: ApprovalKind, resolution: &Resolution, by: &str) -> Self {
        AnsweredApproval {
            approval_id: approval_id.to_string(),
            kind,
            resolution: Some(resolution.clone()),
            expired: None,
            by: Some(by.to_string()),
        }
    }

    /// An approval nobody answered in time.
    pub fn expired(approval_id: &str, kind: ApprovalKind, action: ExpiryAction) -> Self {
        AnsweredApproval {
            approval_id: approval_id.to_string(),
            kind,
            resolution: None,
            expired: Some(action),
            by: None,
        }
    }
}

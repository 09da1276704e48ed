//! Where each kind of approval takes a workflow: the state it waits in, the state an
//! acceptance or a modification moves it to, and the step that asks again after an
//! expiry set to fail is resumed; and the record of an approval once answered.

use super::{PendingApproval, TransitionError, WorkflowView};
use crate::event::{ApprovalKind, Event, ExpiryAction, Resolution};
use crate::state::{Trigger, WorkflowState};
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl WorkflowView {
    pub(super) fn approval_requested(
        &mut self,
        event: &Event,
        pending: PendingApproval,
    ) -> Result<(), TransitionError> {
        self.move_to(
            event,
            Trigger::ApprovalRequested,
            waiting_state(pending.kind),
        )?;
        match pending.kind {
            ApprovalKind::Manufacturing => self.manufacturing_approvals += 1,
            ApprovalKind::Markdown => self.markdown_approvals += 1,
            ApprovalKind::Transfer => {
                self.transfer_approvals += 1;
                self.propose_transfers(&pending.data);
            }
            ApprovalKind::Reorder => {
                self.reorder_approvals += 1;
                self.propose_reorder(&pending.data);
            }
        }
        self.pending_approval = Some(pending);
        Ok(())
    }

    pub(super) fn approval_resolved(
        &mut self,
        event: &Event,
        approval_id: &str,
        resolution: &Resolution,
        by: &str,
    ) -> Result<(), TransitionError> {
        let kind = self.check_pending(event, approval_id)?;
        let answer = AnsweredApproval::by(approval_id, kind, resolution, by);
        self.answered_approvals.push(answer);
        match resolution {
            Resolution::Accept => self.accept(event, kind)?,
            Resolution::Modify { modifications } => {
                self.move_to(event, Trigger::ApprovalModified, proposing_state(kind))?;
                self.modification = Some(modifications.clone());
                self.transfers_approved = kind == ApprovalKind::Transfer;
                self.reorder_answered = kind == ApprovalKind::Reorder;
            }
        }
        self.pending_approval = None;
        Ok(())
    }

    pub(super) fn approval_expired(
        &mut self,
        event: &Event,
        approval_id: &str,
        action: ExpiryAction,
    ) -> Result<(), TransitionError> {
        let kind = self.check_pending(event, approval_id)?;
        let answer = AnsweredApproval::expired(approval_id, kind, action);
        self.answered_approvals.push(answer);
        match action {
            ExpiryAction::Accept => self.accept(event, kind)?,
            ExpiryAction::Fail => {
                self.move_to(event, Trigger::Failed, WorkflowState::Error)?;
                // Resuming asks again: back to the phase that made the proposal.
                self.interrupted = Some(proposing_state(kind));
                self.error = Some(format!("approval {approval_id} expired"));
            }
        }
        self.pending_approval = None;
        Ok(())
    }

    /// The kind of the pending approval `approval_id`; refused when another (or
    /// none) is pending.
    fn check_pending(
        &self,
        event: &Event,
        approval_id: &str,
    ) -> Result<ApprovalKind, TransitionError> {
        match &self.pending_approval {
            Some(p) if p.approval_id == approval_id => Ok(p.kind),
            Some(p) => Err(self.refuse(
                event,
                format!(
                    "the pending approval is {}, not {approval_id}",
                    p.approval_id
                ),
            )),
            None => Err(self.refuse(event, "no approval is pending")),
        }
    }

    fn accept(&mut self, event: &Event, kind: ApprovalKind) -> Result<(), TransitionError> {
        self.transfers_approved = kind == ApprovalKind::Transfer;
        self.reorder_answered = kind == ApprovalKind::Reorder;
        self.move_to(event, Trigger::ApprovalAccepted, accepted_state(kind))
    }
}

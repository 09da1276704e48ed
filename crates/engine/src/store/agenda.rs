//! What the background sweep asks the store, and what an append keeps for it.
//!
//! An append writes, in its own transaction and beside its events, the two facts
//! the sweep needs without folding any log: when the workflow's pending approval
//! times out (`workflows.expires_at`), and which decisions its step still owes
//! words for (`explanations_owed`, until the reasoning that explains them is
//! appended, which settles them in the same transaction). The sweep then asks the
//! store for its [`Agenda`]: what is due now, and when the next thing will be.

use crate::reasoning::Decision;
use crate::state::WorkflowState;
use chrono::{DateTime, Utc};

/// What an append writes besides its events: the workflow's row (its cached
/// state and approval deadline) and the explanations its step owes or settles.
#[derive(Debug, Clone, Copy)]
pub struct AppendMeta<'a> {
    /// The fold's state after the events (cached for listings).
    pub state: WorkflowState,
    /// The workflow's category (stored when it is created).
    pub category: &'a str,
    /// The events' time.
    pub now: DateTime<Utc>,
    /// When the pending approval times out after the events, if one waits on a
    /// clock: cached in the workflow's row so that the sweep sleeps until the
    /// next deadline instead of folding every waiting workflow.
    pub approval_deadline: Option<DateTime<Utc>>,
    /// Decisions of this step still to be put in words: kept until explained, so
    /// that a process dying between the commit and the explanation leaves them
    /// for the sweep instead of losing them.
    pub owes: &'a [Decision],
    /// The owed explanations (named by the last event of the step that owes them)
    /// this append's reasoning settles; the append is refused with
    /// `StoreError::AlreadyExplained` when someone settled them first, so words
    /// are never written twice.
    pub settles: Option<u64>,
}

impl<'a> AppendMeta<'a> {
    /// A plain append: no deadline, nothing owed or settled.
    pub fn plain(state: WorkflowState, category: &'a str, now: DateTime<Utc>) -> AppendMeta<'a> {
        AppendMeta {
            state,
            category,
            now,
            approval_deadline: None,
            owes: &[],
            settles: None,
        }
    }
}

/// Decisions a committed step still owes words for.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedExplanation {
    /// The workflow.
    pub workflow_id: String,
    /// The last event of the step that owes them: the key that settles them.
    pub seq: u64,
    /// When the step was committed.
    pub owed_since: DateTime<Utc>,
    /// The decisions, in order.
    pub decisions: Vec<Decision>,
}

/// What the sweep must do now, and when it must look again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Agenda {
    /// Workflows whose pending approval's deadline has passed.
    pub expired_approvals: Vec<String>,
    /// Workflows in a running state unchanged for the grace: their process died
    /// mid-season (between two steps).
    pub stalled: Vec<String>,
    /// Explanations owed for longer than the grace: their process died between a
    /// step's commit and its words.
    pub owed: Vec<OwedExplanation>,
    /// When something not yet due will be: the next approval deadline, or a
    /// running workflow or owed explanation reaching the grace. `None`: nothing
    /// is scheduled (a new append may change that).
    pub next: Option<DateTime<Utc>>,
}

impl Agenda {
    /// Adds `at` as a candidate for the next time to look.
    pub(crate) fn consider(&mut self, at: DateTime<Utc>) {
        self.next = Some(self.next.map_or(at, |n| n.min(at)));
    }

    /// Sorts a running workflow last changed at `updated_at` into stalled (past
    /// `stalled_before`) or a future deadline (`updated_at + grace`).
    pub(crate) fn running(
        &mut self,
        workflow_id: String,
        updated_at: DateTime<Utc>,
        stalled_before: DateTime<Utc>,
        grace: chrono::Duration,
    ) {
        if updated_at <= stalled_before {
            self.stalled.push(workflow_id);
        } else {
            self.consider(updated_at + grace);
        }
    }

    /// Sorts an owed explanation into due (past `stalled_before`) or a future
    /// deadline.
    pub(crate) fn owing(
        &mut self,
        owed: OwedExplanation,
        stalled_before: DateTime<Utc>,
        grace: chrono::Duration,
    ) {
        if owed.owed_since <= stalled_before {
            self.owed.push(owed);
        } else {
            self.consider(owed.owed_since + grace);
        }
    }
}

/// The states in which a workflow is between two steps of its own (no outside
/// input awaited): one found there and unchanged for a while was left by a
/// dead process.
pub(crate) fn running_states() -> Vec<&'static str> {
    WorkflowState::ALL
        .iter()
        .filter(|s| crate::orchestrator::steps::runs(**s))
        .map(|s| s.as_str())
        .collect()
}

/// Decisions as the store keeps them (JSON).
pub(crate) fn encode_decisions(decisions: &[Decision]) -> Result<String, super::StoreError> {
    serde_json::to_string(decisions).map_err(|e| {
        super::StoreError::Database(format!("cannot encode the decisions to explain: {e}"))
    })
}

/// Decisions read back.
pub(crate) fn decode_decisions(
    text: &str,
    workflow_id: &str,
    seq: u64,
) -> Result<Vec<Decision>, super::StoreError> {
    serde_json::from_str(text).map_err(|e| super::StoreError::Corrupt {
        workflow_id: workflow_id.to_string(),
        seq,
        reason: format!("owed explanations: {e}"),
    })
}

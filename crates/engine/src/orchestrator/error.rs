//! Why an orchestrator call was refused or failed. Refusals (the caller asked for
//! something the workflow cannot do now) are told apart from internal faults (a bug
//! or a broken store), so that a service can answer the first with the reason and
//! log the second without leaking it.

use crate::catalog::CatalogError;
use crate::state::WorkflowState;
use crate::store::StoreError;
use crate::view::TransitionError;

/// Why an orchestrator call was refused or failed. A refused call changes nothing;
/// a call that failed after recording its own events says so
/// ([`EngineError::Unfinished`]).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event the state does not allow: a step computed something the fold
    /// refuses, or a stored log is inconsistent. Always an internal fault.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The call needs a waiting workflow.
    #[error("workflow {workflow_id} is not waiting for an approval (state {state})")]
    NotWaiting {
        /// The workflow.
        workflow_id: String,
        /// Its state.
        state: WorkflowState,
    },
    /// The approval id is not the pending one.
    #[error("workflow {workflow_id} is waiting for approval {pending}, not {given}")]
    WrongApproval {
        /// The workflow.
        workflow_id: String,
        /// The pending approval.
        pending: String,
        /// The id given.
        given: String,
    },
    /// A modification that does not fit the approval.
    #[error("invalid modification: {0}")]
    InvalidModification(String),
    /// Actuals arrived while the workflow cannot take them.
    #[error("workflow {workflow_id} is in state {state} and cannot record week {week} now")]
    NotAcceptingActuals {
        /// The workflow.
        workflow_id: String,
        /// Its state.
        state: WorkflowState,
        /// The week offered.
        week: u32,
    },
    /// A week out of order.
    #[error("week {week} cannot be recorded: week {next} is next")]
    WeekOutOfOrder {
        /// The week offered.
        week: u32,
        /// The week expected.
        next: u32,
    },
    /// The same week again with different content.
    #[error(
        "week {week} was already recorded with different actuals; a recorded week cannot be changed"
    )]
    ActualsConflict {
        /// The week.
        week: u32,
    },
    /// Actuals dated outside their week.
    #[error("actuals for week {week} contain {date}, outside the week ({from}..={to})")]
    ActualsOutsideWeek {
        /// The week.
        week: u32,
        /// The offending date.
        date: chrono::NaiveDate,
        /// First day of the week.
        from: chrono::NaiveDate,
        /// Last day of the week.
        to: chrono::NaiveDate,
    },
    /// The season cannot be planned from its data: an unknown category, or a
    /// history the forecast cannot use (too short, or ending after the season starts).
    #[error("the season cannot be planned: {0}")]
    InvalidSeason(String),
    /// A new workflow breaks a creation rule (the category, the scenario, the
    /// approval timeout), the field and value named.
    #[error(transparent)]
    NewWorkflow(#[from] super::NewWorkflowError),
    /// A week's actuals do not cover all seven days.
    #[error("actuals for week {week} have no rows for {}; a week is recorded whole, once", missing.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))]
    IncompleteWeek {
        /// The week.
        week: u32,
        /// The days with no row.
        missing: Vec<chrono::NaiveDate>,
    },
    /// A week's actuals leave stores out, wholly or on some days: a store with no
    /// row would be recorded for good as selling nothing and could set off a
    /// re-forecast, so the week is refused naming them.
    #[error("actuals for week {week} have no rows for {} store-days: {}; a week is recorded whole (every store, every day), once", missing_store_days, store_gaps_text(.stores_missing))]
    IncompleteStores {
        /// The week.
        week: u32,
        /// Each store with a missing day and the days it lacks (every day when the
        /// store is absent from the file), in network order.
        stores_missing: Vec<(String, Vec<chrono::NaiveDate>)>,
        /// Store-days with no row in all.
        missing_store_days: usize,
    },
    /// The store network changed size under the season.
    #[error("the store network has {stores} stores but the allocation has {allocated}")]
    StoreCountChanged {
        /// Stores in the data now.
        stores: usize,
        /// Stores the allocation was made for.
        allocated: usize,
    },
    /// The workflow's data could not be loaded or does not fit.
    #[error("data: {0}")]
    Data(#[from] CatalogError),
    /// A free text over its limit, refused before anything is written.
    #[error("the {field} has {chars} characters, over the limit of {max}; nothing was recorded")]
    TextTooLong {
        /// The text's name (`reason`).
        field: &'static str,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The call is not possible in this state (a refusal, with its reason).
    #[error("{0}")]
    Refused(String),
    /// Something that cannot happen did: a bug or a broken invariant. A service logs
    /// it and answers with a generic internal error.
    #[error("internal error: {0}")]
    Internal(String),
    /// The command's own events (an approval's answer, a week's actuals, a
    /// re-forecast, a resumption, a step it ran) were committed, then the
    /// database was lost before the steps they unblock, or their words, were:
    /// something did change, so the caller must not hear that nothing did.
    /// Calling again finds what was recorded and finishes it. Made only by
    /// [`EngineError::after_recording`], from a lost database.
    #[error("the command was recorded, then the database was lost before it was finished: {cause}")]
    Unfinished {
        /// The loss met after the commit (unavailable, or a later commit's
        /// outcome unknown).
        cause: Box<EngineError>,
    },
}

/// How an [`EngineError`] is to be read by whoever answers it, decided once here
/// (the server maps each class to a status; the CLI prints the message either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The workflow named does not exist.
    NotFound,
    /// The workflow's state refuses the request now (wrong state, another
    /// approval pending, a week out of order, an id taken): nothing was recorded,
    /// and the same request will not succeed until the state changes.
    Conflict,
    /// The input cannot be accepted; `field` names what to fix.
    Invalid {
        /// The field, column or parameter at fault.
        field: &'static str,
    },
    /// One record would be over the store's limit; `field` names the event kind.
    TooLarge,
    /// The store could not be reached; nothing was recorded.
    Unavailable,
    /// The store lost the answer to a commit: it may or may not be recorded.
    OutcomeUnknown,
    /// The command's own events are recorded, and the database was lost before
    /// the rest of it ran: something changed; calling again finishes it.
    Unfinished,
    /// A fault of ours (a broken invariant, a corrupt store, missing data): never
    /// reported as a refusal.
    Internal,
}

impl EngineError {
    /// This error, met after the command's own events were committed: a lost
    /// database (unavailable, or a later commit's outcome unknown) becomes
    /// [`EngineError::Unfinished`], since what was recorded stands; any other
    /// error is kept as it is (a refusal or a fault of a later step is still
    /// that). Applying it twice changes nothing more.
    pub fn after_recording(self) -> EngineError {
        match self.class() {
            ErrorClass::Unavailable | ErrorClass::OutcomeUnknown => EngineError::Unfinished {
                cause: Box::new(self),
            },
            _ => self,
        }
    }

    /// This error's class: the one place a refusal is told from a fault.
    pub fn class(&self) -> ErrorClass {
        match self {
            EngineError::Unfinished { .. } => ErrorClass::Unfinished,
            EngineError::Store(StoreError::UnknownWorkflow(_)) => ErrorClass::NotFound,
            EngineError::Store(StoreError::AlreadyExists(_) | StoreError::Conflict { .. }) => {
                ErrorClass::Conflict
            }
            EngineError::Store(StoreError::Database(_)) => ErrorClass::Unavailable,
            EngineError::Store(StoreError::CommitUnknown { .. }) => ErrorClass::OutcomeUnknown,
            EngineError::Store(StoreError::EventTooLarge { .. }) => ErrorClass::TooLarge,
            EngineError::Store(_) => ErrorClass::Internal,
            EngineError::TextTooLong { field, .. } => ErrorClass::Invalid { field },
            EngineError::InvalidModification(_) => ErrorClass::Invalid {
                field: "modifications",
            },
            EngineError::ActualsOutsideWeek { .. } | EngineError::IncompleteWeek { .. } => {
                ErrorClass::Invalid { field: "date" }
            }
            EngineError::IncompleteStores { .. } => ErrorClass::Invalid { field: "store_id" },
            EngineError::InvalidSeason(_) => ErrorClass::Invalid {
                field: "parameters",
            },
            EngineError::NewWorkflow(e) => ErrorClass::Invalid { field: e.field() },
            EngineError::NotWaiting { .. }
            | EngineError::StoreCountChanged { .. }
            | EngineError::WrongApproval { .. }
            | EngineError::NotAcceptingActuals { .. }
            | EngineError::WeekOutOfOrder { .. }
            | EngineError::ActualsConflict { .. }
            | EngineError::Refused(_) => ErrorClass::Conflict,
            EngineError::Transition(_) | EngineError::Internal(_) | EngineError::Data(_) => {
                ErrorClass::Internal
            }
        }
    }
}

fn store_gaps_text(stores: &[(String, Vec<chrono::NaiveDate>)]) -> String {
    const NAMED: usize = 10;
    let mut named: Vec<String> = stores
        .iter()
        .take(NAMED)
        .map(|(store, days)| {
            if days.len() == 7 {
                format!("{store} (every day)")
            } else {
                let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
                format!("{store} ({})", days.join(", "))
            }
        })
        .collect();
    if stores.len() > NAMED {
        named.push(format!("and {} more stores", stores.len() - NAMED));
    }
    named.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_and_faults_are_told_apart_once() {
        let unknown = EngineError::Store(StoreError::UnknownWorkflow("w".into()));
        assert_eq!(unknown.class(), ErrorClass::NotFound);
        assert_eq!(
            EngineError::WeekOutOfOrder { week: 3, next: 2 }.class(),
            ErrorClass::Conflict
        );
        assert_eq!(
            EngineError::Refused("no".into()).class(),
            ErrorClass::Conflict
        );
        assert_eq!(
            EngineError::TextTooLong {
                field: "reason",
                chars: 9,
                max: 1
            }
            .class(),
            ErrorClass::Invalid { field: "reason" }
        );
        assert_eq!(
            EngineError::InvalidSeason("x".into()).class(),
            ErrorClass::Invalid {
                field: "parameters"
            }
        );
        assert_eq!(
            EngineError::Store(StoreError::Database("down".into())).class(),
            ErrorClass::Unavailable
        );
        // Faults of ours are never refusals.
        assert_eq!(
            EngineError::Internal("bug".into()).class(),
            ErrorClass::Internal
        );
    }

    #[test]
    fn a_lost_database_after_the_commands_own_commit_is_unfinished_and_nothing_else_is() {
        let down = || EngineError::Store(StoreError::Database("down".into()));
        let unknown = || {
            EngineError::Store(StoreError::CommitUnknown {
                workflow_id: "w".into(),
                reason: "connection reset".into(),
            })
        };
        assert_eq!(down().after_recording().class(), ErrorClass::Unfinished);
        assert_eq!(unknown().after_recording().class(), ErrorClass::Unfinished);
        assert_eq!(
            down().after_recording().after_recording().class(),
            ErrorClass::Unfinished
        );
        assert!(matches!(
            down().after_recording().after_recording(),
            EngineError::Unfinished { cause } if matches!(*cause, EngineError::Store(StoreError::Database(_)))
        ));
        // A refusal or a fault met later keeps its class.
        assert_eq!(
            EngineError::Refused("no".into()).after_recording().class(),
            ErrorClass::Conflict
        );
        assert_eq!(
            EngineError::Internal("bug".into())
                .after_recording()
                .class(),
            ErrorClass::Internal
        );
    }
}

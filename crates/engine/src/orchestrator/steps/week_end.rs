//! The end of a week, shared by every step that can close one (the week itself,
//! the markdown's answer, the transfers' and the reorder's): the next week begins,
//! or after the last the season's report is written. Kept apart so that the steps
//! that close a week depend on it, not on each other.

use crate::event::Event;
use crate::orchestrator::step::{Step, StepError};
use crate::state::WorkflowState;

/// Ends week `week`: the next week begins, or after the last the report is written.
pub fn finish(step: &mut Step, week: u32) -> Result<(), StepError> {
    if week >= step.view.horizon() {
        let report = crate::orchestrator::report(&step.view);
        step.emit(Event::WorkflowCompleted { report })?;
    } else {
        step.emit(Event::PhaseStarted {
            phase: WorkflowState::Phase3Monitoring,
            week: week + 1,
        })?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "tests/week_end.rs"]
mod tests;

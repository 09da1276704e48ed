//! Playing a season: the one loop that feeds a workflow its weeks and answers its
//! approvals until it waits, pauses, runs out of weeks or ends. The command line
//! (`atelier run`/`resume`), the server (`POST .../play`), the benches and the
//! tests all play through it, so a season is driven the same way everywhere; what
//! differs is only where the weeks come from and who answers.

use crate::event::Resolution;
use crate::orchestrator::{EngineError, Orchestrator};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::data::WeekActuals;

/// Someone asked for an answer (a prompt): the resolution and who gave it.
pub type Ask<'a, E> = dyn FnMut(&WorkflowView) -> Result<(Resolution, String), E> + 'a;

/// How a play answers the approvals it meets.
pub enum Approvals<'a, E> {
    /// Every proposal accepted as made, answered in the name given (`auto`).
    Accept(&'a str),
    /// Left for someone else: the play stops at the first one.
    Wait,
    /// Asked of someone (a prompt): the answer and who gave it.
    Ask(&'a mut Ask<'a, E>),
}

/// Why a play stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// An approval awaits an answer (with [`Approvals::Wait`]).
    Waiting,
    /// The next week is past the week asked to stop after.
    Paused,
    /// The source has no actuals for the next week.
    NoActuals,
    /// The workflow completed, failed, or has nothing to play.
    Ended,
}

impl Stopped {
    /// The word the command line prints for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stopped::Waiting => "waiting",
            Stopped::Paused => "paused",
            Stopped::NoActuals => "no_actuals",
            Stopped::Ended => "done",
        }
    }
}

/// Plays workflow `id` from where it is: runs what needs no input, answers
/// approvals as `approvals` says, records each next week `weeks` gives (up to
/// `until_week` when set), and calls `after_step` with the view after each answer
/// or week (a progress bar, a live publish). Errors of the source or of an answer
/// are the caller's type; the engine's convert into it.
pub fn play<E: From<EngineError>>(
    o: &Orchestrator,
    id: &str,
    mut weeks: impl FnMut(u32) -> Result<Option<WeekActuals>, E>,
    mut approvals: Approvals<'_, E>,
    until_week: Option<u32>,
    mut after_step: impl FnMut(&WorkflowView),
) -> Result<(WorkflowView, Stopped), E> {
    let mut view = o.advance(id)?;
    loop {
        after_step(&view);
        match view.state {
            state if state.is_waiting() => match &mut approvals {
                Approvals::Accept(by) => view = o.approve(id, None, Resolution::Accept, by)?,
                Approvals::Wait => return Ok((view, Stopped::Waiting)),
                Approvals::Ask(ask) => {
                    let (resolution, by) = ask(&view)?;
                    view = o.approve(id, None, resolution, &by)?;
                }
            },
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                if until_week.is_some_and(|u| week > u) {
                    return Ok((view, Stopped::Paused));
                }
                match weeks(week)? {
                    Some(actuals) => view = o.record_week(id, week, &actuals)?,
                    None => return Ok((view, Stopped::NoActuals)),
                }
            }
            _ => return Ok((view, Stopped::Ended)),
        }
    }
}

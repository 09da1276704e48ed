//! Phase 4: Pricing's check at the checkpoint (a proposal waits for approval), the
//! planner's revised depth re-priced, and an approved markdown applied (its lift,
//! then a re-forecast of the weeks left).

use crate::agents::{ProposeMarkdownCall, ReviseMarkdownCall};
use crate::event::{ApprovalKind, ApprovalProposal, Event, ReforecastReason};
use crate::orchestrator::EngineError;
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::{approvals, reforecast, transfers};
use crate::reasoning;
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::params::MarkdownBasis;
use atelier_core::policy::rules::MarkdownRule;

/// Checks sell-through at checkpoint week `week`; returns whether the step now waits
/// for the planner's approval of a proposed markdown.
pub fn check(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<bool, StepError> {
    step.emit(Event::PhaseStarted {
        phase: WorkflowState::Phase4MarkdownCheck,
        week,
    })?;
    let basis = match step.view.rules().markdown {
        MarkdownRule::ExpectedMargin => return super::margin_markdown::check(ctx, step, week),
        MarkdownRule::SellThroughTarget { basis } => basis,
    };
    let view = &step.view;
    // The fixed rule may judge sell-through against the plan to date instead of
    // the order: 1.0 is then a season on plan.
    let judged_against = match basis {
        MarkdownBasis::Plan => {
            let plan = view
                .forecast
                .as_ref()
                .map_or(&view.forecast_weekly, |f| &f.weekly);
            plan.iter().take(week as usize).sum::<u64>()
        }
        MarkdownBasis::Order => view.allocation.as_ref().map_or(0, |a| a.manufacturing_qty),
    };
    let call = ProposeMarkdownCall {
        week,
        units_sold: view.units_sold(),
        units_manufactured: judged_against,
    };
    let instruction = format!(
        "Check sell-through at week {week} against the target and propose a markdown if behind."
    );
    let proposal = ctx.hand_off(step, WorkflowState::Phase4MarkdownCheck, instruction, call)?;
    step.emit(Event::MarkdownProposed { week, proposal })?;
    step.explain(reasoning::markdown(week, &proposal));
    if !proposal.is_markdown() {
        return Ok(false);
    }
    approvals::request(
        step,
        ctx.now,
        ApprovalKind::Markdown,
        ApprovalProposal::Markdown {
            week,
            proposal,
            sell_through: None,
            threshold: None,
            plan_sell_through: None,
            depths: Vec::new(),
        },
    )?;
    Ok(true)
}

/// The checkpoint week of the markdown on the table.
fn checkpoint(view: &WorkflowView) -> u32 {
    view.markdown
        .as_ref()
        .map_or(view.weeks.len() as u32, |m| m.week)
}

/// After an approved markdown: its lift takes effect, the weeks left are
/// re-forecast, then the week ends as usual.
pub fn applied(ctx: &StepContext<'_>, view: &WorkflowView) -> Result<Step, StepError> {
    let proposal = view.markdown_proposal.ok_or_else(|| {
        EngineError::Internal("a markdown was approved without a proposal".into())
    })?;
    let week = checkpoint(view);
    let mut step = Step::begin(view);
    step.emit(Event::MarkdownApplied {
        week,
        markdown_pct: proposal.markdown_pct,
        expected_demand_lift_pct: proposal.expected_demand_lift_pct,
    })?;
    if week < view.horizon() {
        reforecast::apply(ctx, &mut step, week, ReforecastReason::Markdown)?;
    }
    transfers::close_week(ctx, &mut step, week)?;
    Ok(step)
}

/// After a modify (or a resumed expiry): Pricing re-prices at the planner's depth
/// (or the same proposal), which is asked again, or the season goes on without one.
pub fn revised(ctx: &StepContext<'_>, view: &WorkflowView) -> Result<Step, StepError> {
    let Some(proposal) = view.markdown_proposal else {
        return Err(
            EngineError::Internal("the markdown check rests without a proposal".into()).into(),
        );
    };
    let week = checkpoint(view);
    let depth = view
        .modification
        .as_ref()
        .and_then(|m| m.markdown_pct)
        .unwrap_or(proposal.markdown_pct);
    let mut step = Step::begin(view);
    let call = ReviseMarkdownCall {
        week,
        proposal,
        markdown_pct: depth,
    };
    let instruction = format!(
        "Re-price week {week}'s markdown at the planner's {:.0}%.",
        depth * 100.0
    );
    let revised = ctx.hand_off(
        &mut step,
        WorkflowState::Phase4MarkdownCheck,
        instruction,
        call,
    )?;
    step.emit(Event::MarkdownProposed {
        week,
        proposal: revised,
    })?;
    if revised.is_markdown() {
        step.explain(reasoning::markdown(week, &revised));
        approvals::request(
            &mut step,
            ctx.now,
            ApprovalKind::Markdown,
            ApprovalProposal::Markdown {
                week,
                proposal: revised,
                sell_through: None,
                threshold: None,
                plan_sell_through: None,
                depths: Vec::new(),
            },
        )?;
    } else {
        step.explain(reasoning::markdown_declined(week, &proposal));
        transfers::close_week(ctx, &mut step, week)?;
    }
    Ok(step)
}

#[cfg(test)]
#[path = "tests/markdown.rs"]
mod tests;

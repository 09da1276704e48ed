//! Phase 4's effects under the fixed rule: at the checkpoint a season behind its
//! target is proposed a markdown and waits; one ahead of it goes on; an approved
//! markdown is applied and the weeks left re-forecast; a planner's depth is
//! re-priced and asked again, and a depth of 0 ends the check.

use super::{applied, revised};
use crate::event::{
    ApprovalKind, ApprovalProposal, Event, Modification, ReforecastReason, Resolution,
};
use crate::orchestrator::EngineError;
use crate::orchestrator::steps::testing::effects::{
    emits, explained, one, phases, refusal, requested,
};
use crate::orchestrator::steps::testing::{Demand, Season};
use crate::state::WorkflowState;
use atelier_core::Policy;

fn slow(_: usize, _: usize) -> f64 {
    0.4
}

fn brisk(_: usize, _: usize) -> f64 {
    2.5
}

/// Standard retail (checkpoint week 6) played through week 5 at `demand`.
fn before_checkpoint(demand: Demand) -> Season {
    let mut s = Season::new("standard_retail", Policy::Seed).launch();
    s.through_week(5, demand);
    s
}

/// A slow season waiting for its markdown's approval.
fn awaiting_markdown() -> Season {
    let mut s = before_checkpoint(slow);
    s.until(slow, |v| v.state == WorkflowState::WaitingMarkdownApproval);
    s
}

fn markdown_pct(pct: f64) -> Resolution {
    Resolution::Modify {
        modifications: Modification {
            markdown_pct: Some(pct),
            ..Modification::default()
        },
    }
}

#[test]
fn a_season_behind_target_is_proposed_a_markdown_and_waits() {
    let s = before_checkpoint(slow);
    let step = s.week(slow);
    let (week, proposal) = one(&step, |e| match e {
        Event::MarkdownProposed { week, proposal } => Some((*week, *proposal)),
        _ => None,
    });
    assert_eq!(week, 6);
    assert!(proposal.is_markdown() && proposal.sell_through < proposal.target);
    let (id, kind, data) = requested(&step).expect("an approval");
    assert_eq!((id.as_str(), kind), ("markdown-1", ApprovalKind::Markdown));
    assert!(
        matches!(data, ApprovalProposal::Markdown { week: 6, proposal: p, .. } if p == proposal)
    );
    // It waits: week 7 does not begin.
    assert!(!phases(&step).contains(&(WorkflowState::Phase3Monitoring, 7)));
    assert_eq!(step.view.state, WorkflowState::WaitingMarkdownApproval);
}

#[test]
fn a_season_ahead_of_target_goes_on_without_a_markdown() {
    let s = before_checkpoint(brisk);
    let step = s.week(brisk);
    let proposal = one(&step, |e| match e {
        Event::MarkdownProposed { proposal, .. } => Some(*proposal),
        _ => None,
    });
    assert!(!proposal.is_markdown(), "{proposal:?}");
    assert!(requested(&step).is_none());
    assert!(phases(&step).contains(&(WorkflowState::Phase3Monitoring, 7)));
}

#[test]
fn an_approved_markdown_is_applied_and_the_weeks_left_re_forecast() {
    let mut s = awaiting_markdown();
    s.answer(Resolution::Accept);
    let proposal = s.view.markdown_proposal.unwrap();
    let step = s.step(applied);
    let (week, pct) = one(&step, |e| match e {
        Event::MarkdownApplied {
            week, markdown_pct, ..
        } => Some((*week, *markdown_pct)),
        _ => None,
    });
    assert_eq!((week, pct), (6, proposal.markdown_pct));
    let reason = one(&step, |e| match e {
        Event::ReforecastApplied {
            reason, after_week, ..
        } => Some((*reason, *after_week)),
        _ => None,
    });
    assert_eq!(reason, (ReforecastReason::Markdown, 6));
    assert!(phases(&step).contains(&(WorkflowState::Phase3Monitoring, 7)));
}

#[test]
fn a_planners_depth_is_re_priced_and_asked_again() {
    let mut s = awaiting_markdown();
    s.answer(markdown_pct(0.1));
    let step = s.step(revised);
    let proposal = one(&step, |e| match e {
        Event::MarkdownProposed { proposal, .. } => Some(*proposal),
        _ => None,
    });
    assert_eq!(proposal.markdown_pct, 0.1);
    let (id, kind, _) = requested(&step).expect("asked again");
    assert_eq!((id.as_str(), kind), ("markdown-2", ApprovalKind::Markdown));
    assert!(!emits(&step, "markdown_applied"));
}

#[test]
fn a_depth_of_zero_ends_the_check_and_the_week() {
    let mut s = awaiting_markdown();
    s.answer(markdown_pct(0.0));
    let step = s.step(revised);
    assert!(requested(&step).is_none());
    assert!(!emits(&step, "markdown_applied"));
    assert!(explained(&step, "markdown").is_some());
    assert!(phases(&step).contains(&(WorkflowState::Phase3Monitoring, 7)));
}

#[test]
fn a_markdown_approved_without_a_proposal_emits_nothing() {
    let mut s = awaiting_markdown();
    s.answer(Resolution::Accept);
    s.view.markdown_proposal = None;
    let e = refusal(s.try_step(applied));
    assert!(matches!(&e, EngineError::Internal(m) if m.contains("without a proposal")));
}

//! Phase 4's effects under `margin`: the checkpoint weighs every depth and
//! proposes the best (waiting for approval with the depths weighed), or none (the
//! week goes on, and the next week looks again).

use crate::event::{ApprovalKind, ApprovalProposal, Event};
use crate::orchestrator::step::Step;
use crate::orchestrator::steps::testing::effects::{emits, explained, one, phases, requested};
use crate::orchestrator::steps::testing::{Demand, Season};
use crate::reasoning::Claim;
use crate::state::WorkflowState;
use atelier_core::Policy;

fn slow(_: usize, _: usize) -> f64 {
    0.3
}

fn brisk(_: usize, _: usize) -> f64 {
    2.5
}

/// Standard retail under `margin`, played to the checkpoint (week 6) at
/// `demand`: the season before it and week 6's step.
fn checkpoint(demand: Demand) -> (Season, Step) {
    let mut s = Season::new("standard_retail", Policy::Margin).launch();
    s.through_week(5, demand);
    let step = s.week(demand);
    (s, step)
}

#[test]
fn the_best_depth_is_proposed_with_every_depth_weighed() {
    let (_, step) = checkpoint(slow);
    assert!(phases(&step).contains(&(WorkflowState::Phase4MarkdownCheck, 6)));
    let proposal = one(&step, |e| match e {
        Event::MarkdownProposed { week: 6, proposal } => Some(*proposal),
        _ => None,
    });
    assert!(
        proposal.is_markdown(),
        "a slow season is marked down: {proposal:?}"
    );
    let (id, kind, data) = requested(&step).expect("an approval");
    assert_eq!((id.as_str(), kind), ("markdown-1", ApprovalKind::Markdown));
    let ApprovalProposal::Markdown {
        week,
        proposal: asked,
        sell_through,
        threshold,
        depths,
        ..
    } = data
    else {
        panic!("{data:?}");
    };
    assert_eq!((week, asked), (6, proposal));
    assert!(sell_through.is_some() && threshold == Some(0.6));
    assert!(depths.len() > 1, "the depths weighed are shown");
    let best = depths
        .iter()
        .max_by(|a, b| a.expected_margin.total_cmp(&b.expected_margin))
        .unwrap();
    assert_eq!(best.markdown_pct, proposal.markdown_pct);
    let why = explained(&step, "markdown").unwrap();
    assert_eq!(why.claim, Claim::Markdown(proposal.markdown_pct));
    assert!(why.offline_text.contains("Awaiting approval"));
    assert_eq!(step.view.state, WorkflowState::WaitingMarkdownApproval);
}

#[test]
fn no_depth_worth_taking_proposes_none_and_the_week_goes_on() {
    let (_, step) = checkpoint(brisk);
    let proposal = one(&step, |e| match e {
        Event::MarkdownProposed { proposal, .. } => Some(*proposal),
        _ => None,
    });
    assert!(!proposal.is_markdown(), "{proposal:?}");
    assert!(requested(&step).is_none());
    assert_eq!(
        explained(&step, "markdown").unwrap().claim,
        Claim::NoMarkdown
    );
    assert!(phases(&step).contains(&(WorkflowState::Phase3Monitoring, 7)));
}

#[test]
fn a_checkpoint_that_found_none_is_weighed_again_the_next_week() {
    let (mut s, step) = checkpoint(brisk);
    s.adopt(step);
    s.until(brisk, |v| v.state == WorkflowState::Phase3Monitoring);
    let week_7 = s.week(brisk);
    assert!(phases(&week_7).contains(&(WorkflowState::Phase4MarkdownCheck, 7)));
    assert!(emits(&week_7, "markdown_proposed"));
}

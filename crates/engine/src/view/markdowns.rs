//! The markdown in the fold: proposed at a checkpoint (or a later week's revisit),
//! then applied once approved, which sets the lift the season's weeks are judged by.

use super::{MarkdownRow, TransitionError, WorkflowView};
use crate::event::Event;
use crate::state::WorkflowState;
use atelier_core::pricing::MarkdownProposal;

impl WorkflowView {
    pub(super) fn markdown_proposed(
        &mut self,
        event: &Event,
        week: u32,
        proposal: &MarkdownProposal,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase4MarkdownCheck)?;
        self.modification = None;
        self.markdown_proposal = Some(*proposal);
        self.markdown = Some(MarkdownRow {
            week,
            sell_through: proposal.sell_through,
            gap: proposal.gap,
            markdown_pct: proposal.markdown_pct,
            expected_demand_lift_pct: proposal.expected_demand_lift_pct,
            applied: false,
        });
        Ok(())
    }

    pub(super) fn markdown_applied(
        &mut self,
        event: &Event,
        markdown_pct: f64,
        expected_demand_lift_pct: f64,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase5Reforecast)?;
        self.lift_pct = expected_demand_lift_pct;
        if let Some(m) = &mut self.markdown {
            m.applied = true;
            m.markdown_pct = markdown_pct;
            m.expected_demand_lift_pct = expected_demand_lift_pct;
        }
        Ok(())
    }
}

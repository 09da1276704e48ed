//! Second buys in the fold: a reorder proposed, answered, placed or declined, and
//! its arrival at the DC. Units reconcile with them: ordered = the first buy plus
//! every reorder placed, and a reorder's units reach the DC only when it lands.

use super::{TransitionError, WorkflowView};
use crate::event::{ApprovalProposal, Event};
use crate::state::WorkflowState;
use atelier_core::policy::chase::ReorderPlan;

impl WorkflowView {
    /// Units ordered in all: the first buy and every reorder placed.
    pub fn units_ordered(&self) -> u64 {
        self.allocation.as_ref().map_or(0, |a| a.manufacturing_qty)
            + self.reorders.iter().map(|r| r.units).sum::<u64>()
    }

    /// Units reordered and not yet landed.
    pub fn units_on_order(&self) -> u64 {
        self.reorders
            .iter()
            .map(|r| r.units)
            .sum::<u64>()
            .saturating_sub(self.reorder_units_arrived)
    }

    pub(super) fn propose_reorder(&mut self, data: &ApprovalProposal) {
        if let ApprovalProposal::Reorder { plan, .. } = data {
            self.reorder_proposal = Some(*plan);
            self.reorder_answered = false;
        }
    }

    pub(super) fn place_reorder(
        &mut self,
        event: &Event,
        plan: &ReorderPlan,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase3Replenishment)?;
        if plan.units == 0 {
            return Err(self.refuse(event, "a reorder of no units is a decline"));
        }
        self.reorders.push(*plan);
        self.reorder_proposal = None;
        self.reorder_answered = false;
        self.modification = None;
        Ok(())
    }

    pub(super) fn decline_reorder(&mut self, event: &Event) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase3Replenishment)?;
        self.reorder_proposal = None;
        self.reorder_answered = false;
        self.modification = None;
        Ok(())
    }

    pub(super) fn land_reorder(
        &mut self,
        event: &Event,
        units: u64,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase3Replenishment)?;
        if units > self.units_on_order() {
            return Err(self.refuse(
                event,
                format!(
                    "{units} units landed with {} on order",
                    self.units_on_order()
                ),
            ));
        }
        self.reorder_units_arrived += units;
        self.dc_stock += units;
        Ok(())
    }
}

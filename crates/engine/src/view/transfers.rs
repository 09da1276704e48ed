//! Store-to-store transfers in the fold: a batch is checked whole (every store
//! known, no store giving more than it holds) before any stock moves, so a refused
//! event leaves the view as it was.

use super::{TransitionError, WorkflowView};
use crate::event::{ApprovalProposal, Event, TransferBatch};
use crate::state::WorkflowState;

impl WorkflowView {
    /// Moves a batch's stock between stores.
    pub(super) fn ship_transfers(
        &mut self,
        event: &Event,
        batch: &TransferBatch,
    ) -> Result<(), TransitionError> {
        self.require(event, WorkflowState::Phase3Replenishment)?;
        let position = |id: &str| {
            self.allocation
                .as_ref()
                .and_then(|a| a.stores.iter().position(|s| s.store_id == id))
        };
        let mut moves = Vec::with_capacity(batch.transfers.len());
        let mut on_hand: Vec<u64> = self.stock.iter().map(|s| s.on_hand).collect();
        for t in &batch.transfers {
            let (Some(from), Some(to)) = (position(&t.from_store), position(&t.to_store)) else {
                return Err(self.refuse(
                    event,
                    format!(
                        "a transfer names an unknown store ({} → {})",
                        t.from_store, t.to_store
                    ),
                ));
            };
            if from == to || on_hand.get(from).is_none_or(|u| *u < t.figures.units) {
                return Err(self.refuse(
                    event,
                    format!(
                        "store {} cannot give {} units to {}",
                        t.from_store, t.figures.units, t.to_store
                    ),
                ));
            }
            on_hand[from] -= t.figures.units;
            on_hand[to] += t.figures.units;
            moves.push(t.figures.units);
        }
        if moves.iter().sum::<u64>() != batch.units {
            return Err(self.refuse(event, "a transfer batch's total does not add up"));
        }
        for (s, units) in self.stock.iter_mut().zip(on_hand) {
            s.on_hand = units;
        }
        self.transferred_units += batch.units;
        self.transfer_proposal = None;
        self.transfers_approved = false;
        // A planner's cut answered this batch only (docs/policies.md): the next
        // batch ships what is accepted for it.
        self.modification = None;
        Ok(())
    }

    /// Keeps a transfer proposal put up for approval, to ship once answered. Any
    /// earlier cut is forgotten here too: a batch cut to none ships nothing (no
    /// `transfers_shipped` clears it), and its cut must not answer this one.
    pub(super) fn propose_transfers(&mut self, data: &ApprovalProposal) {
        if let ApprovalProposal::Transfers { batch, .. } = data {
            self.transfer_proposal = Some(batch.clone());
            self.transfers_approved = false;
            self.modification = None;
        }
    }
}

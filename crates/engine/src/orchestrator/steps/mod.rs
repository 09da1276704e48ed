//! The pure steps, one file per kind: each reads a folded view and a
//! [`StepContext`](super::step::StepContext) and returns a
//! [`Step`](super::step::Step), with unit tests that need neither a store nor a model.
//!
//! - [`start`]: the parameters interpreted and the optional phases decided;
//! - [`forecast`]: phase 1, the forecast and the order put up for approval;
//! - [`allocate`]: phase 2, the allocation and the launch shipment;
//! - [`week`]: a season week, from its actuals to the next week or the report;
//! - [`reforecast`]: phase 5, the weeks left re-forecast (after variance, a
//!   markdown or a planner's request);
//! - [`replenish`]: phase 3's top-ups from the DC;
//! - [`markdown`]: phase 4, the checkpoint, a revised depth, an applied markdown;
//! - [`margin_markdown`]: phase 4's checkpoint under the `margin` policy;
//! - [`transfers`]: store-to-store moves while the DC is empty (`margin`);
//! - [`chase`]: the in-season second buy and its arrival (`margin`);
//! - [`approvals`]: asking, answering and expiring.

pub mod allocate;
pub mod approvals;
pub mod chase;
pub mod forecast;
pub mod margin_markdown;
pub mod markdown;
pub mod reforecast;
pub mod replenish;
pub mod start;
pub mod transfers;
pub mod week;
pub mod week_end;

#[cfg(test)]
pub(crate) mod testing;

use super::step::{Step, StepContext, StepError};
use crate::state::WorkflowState;
use crate::view::WorkflowView;

/// The step a workflow takes next without outside input, or `None` when it waits
/// (for an approval or actuals) or has ended.
pub fn next(ctx: &StepContext<'_>, view: &WorkflowView) -> Option<Result<Step, StepError>> {
    Some(match view.state {
        WorkflowState::ParametersExtracted => start::run(view),
        WorkflowState::Phase1Forecasting => forecast::run(ctx, view),
        WorkflowState::Phase2Allocation => allocate::run(ctx, view),
        WorkflowState::Phase5Reforecast => markdown::applied(ctx, view),
        WorkflowState::Phase4MarkdownCheck => markdown::revised(ctx, view),
        WorkflowState::Phase3Replenishment if view.reorder_proposal.is_some() => {
            chase::answered(ctx, view)
        }
        WorkflowState::Phase3Replenishment => transfers::answered(ctx, view),
        _ => return None,
    })
}

/// Whether a workflow in `state` has a step to take without outside input.
pub fn runs(state: WorkflowState) -> bool {
    matches!(
        state,
        WorkflowState::ParametersExtracted
            | WorkflowState::Phase1Forecasting
            | WorkflowState::Phase2Allocation
            | WorkflowState::Phase5Reforecast
            | WorkflowState::Phase4MarkdownCheck
            | WorkflowState::Phase3Replenishment
    )
}

/// Whether the next step of a workflow in `state` reads its data (so the command
/// loads it first).
pub fn needs_data(state: WorkflowState) -> bool {
    matches!(
        state,
        WorkflowState::Phase1Forecasting
            | WorkflowState::Phase2Allocation
            | WorkflowState::Phase5Reforecast
            | WorkflowState::Phase4MarkdownCheck
            | WorkflowState::Phase3Monitoring
            | WorkflowState::Phase3Replenishment
    )
}

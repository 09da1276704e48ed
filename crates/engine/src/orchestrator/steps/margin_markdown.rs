//! Phase 4 under the `margin` policy: at the checkpoint Pricing weighs every depth
//! on the grid against the expected margin of the weeks left (re-forecast demand,
//! the stock in stores and at the DC, a price response with diminishing returns,
//! salvage) and proposes the best, which may be none.

use crate::agents::ChooseMarkdownCall;
use crate::event::{ApprovalKind, ApprovalProposal, DepthConsidered, Event};
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::{approvals, reforecast};
use crate::reasoning::{Claim, Decision};
use crate::state::WorkflowState;
use atelier_core::ReplenishmentStrategy;
use atelier_core::demand::reforecast_remaining;
use atelier_core::policy::markdown::{MarginMarkdown, MarkdownSituation, StoreShare};
use serde_json::json;

/// Chooses the checkpoint depth; returns whether the step now waits for approval.
pub fn check(ctx: &StepContext<'_>, step: &mut Step, week: u32) -> Result<bool, StepError> {
    let p = step.view.parameters.clone();
    let view = &step.view;
    let (baseline, prior_sd) = reforecast::calibrated_baseline(view);
    let footing = reforecast::observed(view, &baseline);
    let dc_reachable = p.replenishment_strategy != ReplenishmentStrategy::None;
    // Where the DC cannot move stock, each store sells only its own.
    let stores = if dc_reachable {
        Vec::new()
    } else {
        let covers = super::transfers::covers(view, week);
        let total: f64 = covers.iter().map(|c| c.expected_remaining).sum();
        covers
            .iter()
            .map(|c| StoreShare {
                on_hand: c.on_hand,
                share: if total > 0.0 {
                    c.expected_remaining / total
                } else {
                    0.0
                },
            })
            .collect()
    };
    let situation = MarkdownSituation {
        week,
        remaining_demand: reforecast_remaining(&baseline, &footing),
        units_in_stores: view.stock.iter().map(|s| s.on_hand).sum(),
        units_at_dc: view.dc_stock,
        dc_reachable,
        demand_sd: atelier_core::policy::chase::remaining_sd(
            prior_sd,
            week,
            view.horizon().saturating_sub(week),
        ),
        stores,
        units_sold_to_date: view.units_sold(),
        order_units: view.allocation.as_ref().map_or(0, |a| a.manufacturing_qty),
        planned_to_date: baseline.iter().take(week as usize).sum(),
        threshold: p.markdown_threshold.unwrap_or(0.0),
    };
    let call = ChooseMarkdownCall {
        category: view.category.clone(),
        situation,
    };
    let instruction = format!(
        "Weigh each markdown depth at week {week} against the expected margin of the weeks left and propose the best."
    );
    let (proposal, choice) =
        ctx.hand_off(step, WorkflowState::Phase4MarkdownCheck, instruction, call)?;
    step.emit(Event::MarkdownProposed { week, proposal })?;
    let currency = step.view.tunables.currency.clone();
    step.explain(explanation(&choice, &currency));
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
            sell_through: Some(choice.sell_through),
            threshold: Some(choice.threshold),
            plan_sell_through: Some(choice.planned_sell_through),
            depths: choice
                .depths
                .iter()
                .map(|d| DepthConsidered {
                    markdown_pct: d.markdown_pct,
                    expected_margin: d.expected_margin,
                })
                .collect(),
        },
    )?;
    Ok(true)
}

fn pct(x: f64) -> String {
    crate::reasoning::pct((x * 100.0).round() / 100.0)
}

/// The choice in words: where sell-through stands against the planner's threshold
/// and against the plan, and what each depth would earn.
fn explanation(choice: &MarginMarkdown, currency: &str) -> Decision {
    let depths: Vec<String> = choice
        .depths
        .iter()
        .map(|d| {
            format!(
                "{} → {:.0} {currency}",
                pct(d.markdown_pct),
                d.expected_margin
            )
        })
        .collect();
    let verdict = if choice.is_markdown() {
        format!(
            "A {} markdown earns the most: {:.0} {currency} more than none. Awaiting approval.",
            pct(choice.markdown_pct),
            choice.gain_over_no_markdown
        )
    } else {
        "No markdown earns more than full price: none is proposed.".to_string()
    };
    Decision {
        point: "markdown".into(),
        summary: if choice.is_markdown() {
            format!("markdown {}", pct(choice.markdown_pct))
        } else {
            "no markdown".into()
        },
        facts: json!({"week": choice.week, "choice": choice}),
        offline_text: format!(
            "Week {} sell-through is {} against the planner's {} threshold and the plan's own {} by this week. Expected margin of the weeks left by depth: {}. {verdict}",
            choice.week,
            pct(choice.sell_through),
            pct(choice.threshold),
            pct(choice.planned_sell_through),
            depths.join(", ")
        ),
        claim: if choice.is_markdown() {
            Claim::Markdown(choice.markdown_pct)
        } else {
            Claim::NoMarkdown
        },
    }
}

#[cfg(test)]
#[path = "tests/margin_markdown.rs"]
mod tests;

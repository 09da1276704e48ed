//! The first step: the parameters interpreted, the optional phases decided (by the
//! handoff routes; the templates only word them), then phase 1 begins.

use crate::agents::Route;
use crate::event::Event;
use crate::orchestrator::step::{Step, StepError};
use crate::reasoning::{self, Decision};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::params::SeasonParameters;

/// The template that words an optional phase's decision (runs or is skipped).
type PhaseWords = fn(&SeasonParameters, bool) -> Decision;

/// Interprets the parameters and decides the optional phases.
pub fn run(view: &WorkflowView) -> Result<Step, StepError> {
    let mut step = Step::begin(view);
    let p = step.view.parameters.clone();
    step.explain(reasoning::interpretation(&p));
    let optional: [(Route, WorkflowState, PhaseWords); 2] = [
        (
            Route::InventoryReplenish,
            WorkflowState::Phase3Replenishment,
            reasoning::replenishment_phase,
        ),
        (
            Route::PricingMarkdown,
            WorkflowState::Phase4MarkdownCheck,
            reasoning::markdown_phase,
        ),
    ];
    for (route, phase, words) in optional {
        let runs = route.enabled(&p);
        let decision = words(&p, runs);
        if !runs {
            step.emit(Event::PhaseSkipped {
                phase,
                reason: decision.offline_text.clone(),
            })?;
        }
        step.explain(decision);
    }
    if let Some(warning) = stranded_warning(&p) {
        step.explain(warning);
    }
    step.emit(Event::PhaseStarted {
        phase: WorkflowState::Phase1Forecasting,
        week: 0,
    })?;
    Ok(step)
}

/// A holdback with replenishment `none` can never leave the DC: said at once, with
/// the share of the order that will be stranded.
pub fn stranded_warning(p: &SeasonParameters) -> Option<Decision> {
    if p.replenishment_strategy != atelier_core::ReplenishmentStrategy::None
        || p.dc_holdback_percentage <= 0.0
    {
        return None;
    }
    let share = p.dc_holdback_percentage * 100.0;
    Some(Decision {
        point: "holdback_stranded".into(),
        summary: format!("{share:.0}% of the order stranded at the DC"),
        facts: serde_json::json!({"dc_holdback_percentage": p.dc_holdback_percentage, "replenishment_strategy": "none"}),
        offline_text: format!(
            "Warning: replenishment is 'none', so the {share:.0}% held back at the DC can never reach a store; it will be left over at the season's end. Set the holdback to 0% or choose weekly or bi-weekly replenishment."
        ),
        claim: crate::reasoning::Claim::Informational,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::step::Effect;
    use crate::orchestrator::steps::testing::created;

    #[test]
    fn zara_skips_replenishment_and_explains_every_decision() {
        let step = run(&created("zara")).unwrap();
        let events = step.events();
        assert!(matches!(
            &events[0],
            Event::PhaseSkipped { phase: WorkflowState::Phase3Replenishment, reason }
                if reason.contains("Replenishment strategy is 'none'")
        ));
        assert!(matches!(
            events.last(),
            Some(Event::PhaseStarted {
                phase: WorkflowState::Phase1Forecasting,
                week: 0
            })
        ));
        // Interpretation, replenishment and markdown decisions are explained.
        let explained = step
            .items
            .iter()
            .filter(|i| matches!(i, Effect::Explain(_)))
            .count();
        assert_eq!(explained, 3);
        assert_eq!(step.view.state, WorkflowState::Phase1Forecasting);
    }

    #[test]
    fn a_holdback_without_replenishment_is_warned_about() {
        let mut view = created("zara");
        view.parameters.dc_holdback_percentage = 0.45;
        let step = run(&view).unwrap();
        let warned = step.items.iter().any(|i| {
            matches!(i, Effect::Explain(d) if d.point == "holdback_stranded"
                && d.offline_text.contains("45%"))
        });
        assert!(warned);
        let quiet = run(&created("standard_retail")).unwrap();
        assert!(
            !quiet
                .items
                .iter()
                .any(|i| matches!(i, Effect::Explain(d) if d.point == "holdback_stranded"))
        );
    }

    #[test]
    fn luxury_skips_the_markdown_phase_only() {
        let step = run(&created("luxury")).unwrap();
        let skipped: Vec<WorkflowState> = step
            .events()
            .iter()
            .filter_map(|e| match e {
                Event::PhaseSkipped { phase, .. } => Some(*phase),
                _ => None,
            })
            .collect();
        assert_eq!(skipped, vec![WorkflowState::Phase4MarkdownCheck]);
    }
}

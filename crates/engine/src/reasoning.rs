//! Words for decisions. Each decision point builds a [`Decision`]: the computed
//! decision, its facts and the offline template's text. A [`Reasoner`] turns it
//! into events: the offline one uses the template; an LLM-backed one asks a model
//! and falls back to the template on any failure. The decision never changes.

use crate::event::{Event, Reasoning, ReasoningSource};
use atelier_core::ReplenishmentStrategy;
use atelier_core::demand::ManufacturingOrder;
use atelier_core::params::SeasonParameters;
use atelier_core::pricing::MarkdownProposal;
use atelier_core::variance::{VarianceCheck, VarianceDirection};
use serde_json::json;

/// What was decided, in a form a guardrail can compare an explanation against.
/// Serializable, as decisions owed words are kept in the store until explained.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Claim {
    /// The phase runs.
    PhaseRuns(String),
    /// The phase is skipped.
    PhaseSkipped(String),
    /// A re-forecast is (or is not) triggered.
    Reforecast(bool),
    /// A markdown of this depth is proposed.
    Markdown(f64),
    /// No markdown.
    NoMarkdown,
    /// Nothing to check (interpretation, order sizing).
    Informational,
}

/// A decision to explain (kept in the store, as JSON, until it is explained).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    /// Decision point, e.g. `phase_3_replenishment`.
    pub point: String,
    /// The computed decision in one line.
    pub summary: String,
    /// The numbers and the parameter slice behind it.
    pub facts: serde_json::Value,
    /// The template's explanation.
    pub offline_text: String,
    /// The decision, for the guardrail.
    pub claim: Claim,
}

/// Turns a decision into reasoning events.
pub trait Reasoner: Send + Sync {
    /// The events recording the explanation (and any guardrail).
    fn explain(&self, decision: &Decision) -> Vec<Event>;

    /// Whether [`explain`](Self::explain) is instant and deterministic (templates,
    /// no model): its words are then committed in the step they explain, one
    /// transaction and one fsync, instead of after it. A model's words still come
    /// after the commit, outside the workflow's lock (they may take seconds).
    fn is_instant(&self) -> bool {
        false
    }
}

/// Atelier's own templates: deterministic, in the planner's language, with the numbers.
pub struct OfflineReasoner;

impl Reasoner for OfflineReasoner {
    fn explain(&self, decision: &Decision) -> Vec<Event> {
        vec![offline_event(decision, None)]
    }

    fn is_instant(&self) -> bool {
        true
    }
}

/// The template's reasoning event, with why an LLM's words were not used if so.
pub fn offline_event(decision: &Decision, fallback_reason: Option<String>) -> Event {
    Event::ReasoningRecorded {
        reasoning: Reasoning {
            decision_point: decision.point.clone(),
            text: decision.offline_text.clone(),
            source: ReasoningSource::Offline,
            model: None,
            prompt: None,
            latency_ms: None,
            prompt_tokens: None,
            completion_tokens: None,
            fallback_reason,
        },
    }
}

/// Explanations from an OpenAI-compatible model, checked against the decision: on
/// any failure, or when the words contradict the computed decision, the template's
/// text is recorded instead (with a guardrail event for a contradiction).
pub struct LlmReasoner {
    client: atelier_llm::ChatClient,
}

impl LlmReasoner {
    /// A reasoner over a configured client.
    pub fn new(client: atelier_llm::ChatClient) -> LlmReasoner {
        LlmReasoner { client }
    }
}

fn llm_claim(claim: &Claim) -> Option<atelier_llm::DecisionClaim> {
    use atelier_llm::DecisionClaim as C;
    match claim {
        Claim::PhaseRuns(label) => Some(C::PhaseRuns {
            phase_label: label.clone(),
        }),
        Claim::PhaseSkipped(label) => Some(C::PhaseSkipped {
            phase_label: label.clone(),
        }),
        Claim::Reforecast(b) => Some(C::Reforecast(*b)),
        Claim::Markdown(pct) => Some(C::Markdown { pct: *pct }),
        Claim::NoMarkdown => Some(C::NoMarkdown),
        Claim::Informational => None,
    }
}

impl Reasoner for LlmReasoner {
    fn explain(&self, decision: &Decision) -> Vec<Event> {
        let request = atelier_llm::ExplainRequest {
            decision_point: decision.point.clone(),
            facts: decision.facts.clone(),
            decision_summary: decision.summary.clone(),
            offline_text: decision.offline_text.clone(),
        };
        match atelier_llm::explain(&self.client, &request) {
            Ok(answer) => {
                let contradicted = llm_claim(&decision.claim)
                    .is_some_and(|c| atelier_llm::contradicts(&c, &answer.text));
                if contradicted {
                    return vec![
                        Event::GuardrailTriggered {
                            decision_point: decision.point.clone(),
                            decision: decision.summary.clone(),
                            llm_text: answer.text,
                        },
                        offline_event(
                            decision,
                            Some(
                                "the model's explanation contradicted the computed decision".into(),
                            ),
                        ),
                    ];
                }
                vec![Event::ReasoningRecorded {
                    reasoning: Reasoning {
                        decision_point: decision.point.clone(),
                        text: answer.text,
                        source: ReasoningSource::Llm,
                        model: Some(answer.model),
                        prompt: Some(answer.prompt),
                        latency_ms: Some(answer.latency_ms),
                        prompt_tokens: answer.prompt_tokens,
                        completion_tokens: answer.completion_tokens,
                        fallback_reason: None,
                    },
                }]
            }
            Err(e) => vec![offline_event(
                decision,
                Some(format!("the model was not used: {e}")),
            )],
        }
    }
}

/// A fraction as a percentage for people: a true minus sign (U+2212) before a
/// negative figure, as the dashboard writes it, never an ASCII hyphen; a figure that
/// rounds to zero has no sign.
pub fn pct(x: f64) -> String {
    let v = x * 100.0;
    let text = if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}%", v.abs())
    } else {
        format!("{:.1}%", v.abs())
    };
    if v < 0.0 && text.trim_start_matches(['0', '.']) != "%" {
        format!("\u{2212}{text}")
    } else {
        text
    }
}

/// How the parameters shape the workflow.
pub fn interpretation(p: &SeasonParameters) -> Decision {
    let markdown = match (p.markdown_checkpoint_week, p.markdown_threshold) {
        (Some(w), Some(t)) => format!("sell-through is checked at week {w} against {}", pct(t)),
        _ => "no markdown checkpoint is set".to_string(),
    };
    Decision {
        point: "parameter_interpretation".into(),
        summary: "parameters accepted".into(),
        facts: json!({"parameters": p}),
        offline_text: format!(
            "A {}-week season from {} to {}. Replenishment is '{}', {} of the order stays at the DC at launch, and {}.",
            p.forecast_horizon_weeks,
            p.season_start_date,
            p.season_end_date,
            p.replenishment_strategy,
            pct(p.dc_holdback_percentage),
            markdown
        ),
        claim: Claim::Informational,
    }
}

/// The words for phase 3's decision (the seed's wording); whether it runs is decided
/// by the handoff routes and passed in.
pub fn replenishment_phase(p: &SeasonParameters, runs: bool) -> Decision {
    let facts = json!({"replenishment_strategy": p.replenishment_strategy, "dc_holdback_percentage": p.dc_holdback_percentage});
    if !runs {
        let stock = if p.dc_holdback_percentage == 0.0 {
            "All inventory was shipped to stores at week 0.".to_string()
        } else {
            format!(
                "The {} held at the DC stays there: nothing moves after launch.",
                pct(p.dc_holdback_percentage)
            )
        };
        let text = format!(
            "Replenishment strategy is 'none'. DC holdback is {}. {stock} Skip phase 3 (replenishment).",
            pct(p.dc_holdback_percentage)
        );
        return Decision {
            point: "phase_3_replenishment".into(),
            summary: "skip phase 3".into(),
            facts,
            offline_text: text,
            claim: Claim::PhaseSkipped("phase 3".into()),
        };
    }
    let text = format!(
        "Replenishment strategy is '{}'. DC holdback is {}. Execute phase 3 (replenishment) with {} cadence.",
        p.replenishment_strategy,
        pct(p.dc_holdback_percentage),
        p.replenishment_strategy
    );
    Decision {
        point: "phase_3_replenishment".into(),
        summary: "run phase 3".into(),
        facts,
        offline_text: text,
        claim: Claim::PhaseRuns("phase 3".into()),
    }
}

/// The words for phase 4's decision; whether it runs is decided by the handoff
/// routes and passed in.
pub fn markdown_phase(p: &SeasonParameters, runs: bool) -> Decision {
    let facts = json!({"markdown_checkpoint_week": p.markdown_checkpoint_week, "markdown_threshold": p.markdown_threshold});
    match (runs, p.markdown_checkpoint_week, p.markdown_threshold) {
        (true, Some(w), Some(t)) => Decision {
            point: "phase_4_markdown".into(),
            summary: "run phase 4".into(),
            facts,
            offline_text: format!(
                "Markdown checkpoint configured for week {w} with a {} sell-through target. Execute phase 4 (markdown check) at week {w}.",
                pct(t)
            ),
            claim: Claim::PhaseRuns("phase 4".into()),
        },
        _ => Decision {
            point: "phase_4_markdown".into(),
            summary: "skip phase 4".into(),
            facts,
            offline_text: "No markdown checkpoint configured. Skip phase 4.".into(),
            claim: Claim::PhaseSkipped("phase 4".into()),
        },
    }
}

/// Why the order is this size.
pub fn manufacturing_order(
    order: &ManufacturingOrder,
    strategy: ReplenishmentStrategy,
) -> Decision {
    // The reason, not the number: the number may be a tuned or modified one.
    let why = if strategy == ReplenishmentStrategy::None {
        "replenishment is 'none', so errors cannot be corrected in season"
    } else {
        "stores can be replenished from the DC in season"
    };
    Decision {
        point: "manufacturing_order".into(),
        summary: format!("order {} units", order.manufacturing_qty),
        facts: json!({"order": order, "replenishment_strategy": strategy}),
        offline_text: format!(
            "Forecast season demand is {} units. Safety stock is {} ({why}). Manufacturing order = {} x {:.2} = {} units, awaiting approval.",
            order.forecast_units,
            pct(order.safety_stock_pct),
            order.forecast_units,
            1.0 + order.safety_stock_pct,
            order.manufacturing_qty
        ),
        claim: Claim::Informational,
    }
}

/// The week's variance and whether it re-plans.
pub fn variance(check: &VarianceCheck, threshold: f64, reforecast: bool) -> Decision {
    let direction = match check.direction {
        VarianceDirection::Over => "over",
        VarianceDirection::Under => "under",
        VarianceDirection::OnTarget => "on",
    };
    let text = match check.variance_pct {
        Some(v) if check.threshold_exceeded && reforecast => format!(
            "Week {} variance {:.1}% {direction} forecast ({} actual vs {} forecast) exceeds the {} threshold. Triggering re-forecast.",
            check.week,
            v * 100.0,
            check.actual,
            check.forecast,
            pct(threshold)
        ),
        Some(v) if check.threshold_exceeded => format!(
            "Week {} variance {:.1}% {direction} forecast ({} actual vs {} forecast) exceeds the {} threshold, but no weeks remain to re-forecast.",
            check.week,
            v * 100.0,
            check.actual,
            check.forecast,
            pct(threshold)
        ),
        Some(v) => format!(
            "Week {} variance {:.1}% {direction} forecast ({} actual vs {} forecast) is within the {} threshold. No re-forecast.",
            check.week,
            v * 100.0,
            check.actual,
            check.forecast,
            pct(threshold)
        ),
        None if check.actual > 0 => format!(
            "Week {} sold {} units against a forecast of 0.{}",
            check.week,
            check.actual,
            if reforecast {
                " Triggering re-forecast."
            } else {
                " No weeks remain to re-forecast."
            }
        ),
        None => format!(
            "Week {} had no forecast and no sales. No re-forecast.",
            check.week
        ),
    };
    Decision {
        point: "variance".into(),
        summary: if reforecast {
            "re-forecast".into()
        } else {
            "no re-forecast".into()
        },
        facts: json!({"check": check, "threshold": threshold}),
        offline_text: text,
        claim: Claim::Reforecast(reforecast),
    }
}

/// Pricing's proposal at the checkpoint.
pub fn markdown(week: u32, proposal: &MarkdownProposal) -> Decision {
    let (text, claim) = if proposal.is_markdown() {
        (
            format!(
                "Week {week} sell-through is {} against a {} target: a gap of {:.1} points. Gap x elasticity gives {}, rounded to {}{}. Expected demand lift {}. Awaiting approval.",
                pct(proposal.sell_through),
                pct(proposal.target),
                proposal.gap * 100.0,
                pct(proposal.raw_markdown_pct),
                pct(proposal.markdown_pct),
                if proposal.raw_markdown_pct > proposal.markdown_pct + 0.025 {
                    " (capped)"
                } else {
                    ""
                },
                pct(proposal.expected_demand_lift_pct)
            ),
            Claim::Markdown(proposal.markdown_pct),
        )
    } else {
        (
            format!(
                "Week {week} sell-through is {} against a {} target. {} No markdown, no re-forecast.",
                pct(proposal.sell_through),
                pct(proposal.target),
                if proposal.gap <= 0.0 {
                    "The target is met."
                } else {
                    "The gap is too small to round to a markdown step."
                }
            ),
            Claim::NoMarkdown,
        )
    };
    Decision {
        point: "markdown".into(),
        summary: if proposal.is_markdown() {
            format!("markdown {}", pct(proposal.markdown_pct))
        } else {
            "no markdown".into()
        },
        facts: json!({"week": week, "proposal": proposal}),
        offline_text: text,
        claim,
    }
}

/// A planner set the markdown to 0%: the season goes on at full price.
pub fn markdown_declined(week: u32, proposed: &MarkdownProposal) -> Decision {
    Decision {
        point: "markdown".into(),
        summary: "no markdown (declined by the planner)".into(),
        facts: json!({"week": week, "proposed": proposed}),
        offline_text: format!(
            "The planner declined the proposed {} markdown at week {week} (sell-through {} against a {} target). Prices stay as they are; no re-forecast.",
            pct(proposed.markdown_pct),
            pct(proposed.sell_through),
            pct(proposed.target)
        ),
        claim: Claim::NoMarkdown,
    }
}

/// A re-forecast's effect.
pub fn reforecast(after_week: u32, previous: &[u64], remaining: &[u64], why: &str) -> Decision {
    let before: u64 = previous.iter().sum();
    let after: u64 = remaining.iter().sum();
    Decision {
        point: "phase_5_reforecast".into(),
        summary: "remaining weeks re-forecast".into(),
        facts: json!({"after_week": after_week, "previous": previous, "remaining": remaining}),
        offline_text: format!(
            "Re-forecast after week {after_week} ({why}): the remaining {} weeks move from {before} to {after} units; remaining store allocations follow.",
            remaining.len()
        ),
        claim: Claim::Reforecast(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atelier_core::variance::check_week;

    #[test]
    fn a_negative_safety_stock_reads_with_a_minus_sign() {
        let order = atelier_core::demand::manufacturing_order(298_905, -0.013);
        let d = manufacturing_order(&order, ReplenishmentStrategy::Weekly);
        assert!(
            d.offline_text.contains("Safety stock is \u{2212}1.3% "),
            "{}",
            d.offline_text
        );
        assert!(!d.offline_text.contains("-1"), "{}", d.offline_text);
        assert_eq!(pct(-0.0001), "0.0%");
        assert_eq!(pct(-0.0), "0%");
        assert_eq!(pct(-0.2), "\u{2212}20%");
        assert_eq!(pct(0.125), "12.5%");
    }

    #[test]
    fn variance_template_has_the_numbers() {
        let c = check_week(1, 650, 850, 0.2, 0.3);
        let d = variance(&c, 0.2, true);
        assert!(d.offline_text.contains("30.8% over"), "{}", d.offline_text);
        assert!(d.offline_text.contains("Triggering re-forecast"));
    }
}

/// An amount for people: whole units with thousands separators and the currency
/// (`1,234,567 USD`), or two decimals under a thousand (`25.31 USD`).
pub fn money(amount: f64, currency: &str) -> String {
    if !amount.is_finite() {
        return format!("{amount} {currency}");
    }
    if amount.abs() < 1_000.0 {
        return format!("{amount:.2} {currency}");
    }
    let whole = amount.abs().round() as u128;
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{sign}{grouped} {currency}")
}

#[cfg(test)]
mod money_tests {
    #[test]
    fn amounts_read_as_people_write_them() {
        assert_eq!(super::money(25.314, "USD"), "25.31 USD");
        assert_eq!(super::money(-999.5, "EUR"), "-999.50 EUR");
        assert_eq!(super::money(1_000.4, "USD"), "1,000 USD");
        assert_eq!(super::money(6_197_011.2, "USD"), "6,197,011 USD");
        assert_eq!(super::money(-123_456.0, "USD"), "-123,456 USD");
    }
}

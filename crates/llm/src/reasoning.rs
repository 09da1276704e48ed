//! Words around computed decisions: asking the model to explain a decision the agents
//! already made, and a guardrail that catches explanations contradicting it.
//!
//! Decisions are computed, words are generated: the prompt tells the model the decision
//! is final, and [`contradicts`] is the cheap check the orchestrator runs before
//! recording an explanation (falling back to the offline text when it fires).

use crate::client::{ChatClient, ChatMessage, ChatRequest, LlmError};
use crate::text::{Kind, Token, has_stem, sentences, tokenize};
use serde::{Deserialize, Serialize};

/// A computed decision to explain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplainRequest {
    /// Where in the workflow, e.g. "phase 3: replenishment".
    pub decision_point: String,
    /// The numbers behind the decision, as the agent reported them.
    pub facts: serde_json::Value,
    /// The decision in one line, e.g. "Skip phase 3: replenishment is none".
    pub decision_summary: String,
    /// The offline template's explanation: a reference for tone and a fallback.
    pub offline_text: String,
}

/// The model's explanation with what it cost; recorded as an event so replay never
/// calls the model again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The explanation.
    pub text: String,
    /// The model that wrote it.
    pub model: String,
    /// Wall time of the call.
    pub latency_ms: u64,
    /// Prompt tokens, when reported.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens, when reported.
    pub completion_tokens: Option<u64>,
    /// The full prompt sent (system and user), for the audit trail.
    pub prompt: String,
}

const EXPLAIN_SYSTEM: &str = "You are the orchestrator of a retail season-planning workflow. \
The agents have already computed the decision below; the decision is final and you must not \
change, question or recompute it. Explain it in 2 to 4 sentences for a merchandise planner, \
citing the numbers from the facts. Use only the facts given; do not propose other actions.";

fn explain_user(request: &ExplainRequest) -> String {
    let facts =
        serde_json::to_string_pretty(&request.facts).unwrap_or_else(|_| request.facts.to_string());
    format!(
        "Decision point: {}\nDecision (final): {}\nFacts (JSON):\n{facts}\nTemplate explanation for reference: {}",
        request.decision_point, request.decision_summary, request.offline_text
    )
}

/// Asks the model to explain a computed decision in 2–4 sentences with its numbers.
pub fn explain(client: &ChatClient, request: &ExplainRequest) -> Result<Explanation, LlmError> {
    let user = explain_user(request);
    let chat = ChatRequest {
        messages: vec![
            ChatMessage::system(EXPLAIN_SYSTEM),
            ChatMessage::user(user.clone()),
        ],
        temperature: Some(0.2),
        max_tokens: Some(300),
        ..ChatRequest::default()
    };
    let response = client.chat(&chat)?;
    let text = response.content.trim().to_string();
    if text.is_empty() {
        return Err(LlmError::BadResponse("the explanation is empty".into()));
    }
    Ok(Explanation {
        text,
        model: response.record.model,
        latency_ms: response.record.latency_ms,
        prompt_tokens: response.record.prompt_tokens,
        completion_tokens: response.record.completion_tokens,
        prompt: format!("system: {EXPLAIN_SYSTEM}\n\nuser: {user}"),
    })
}

/// A decision an explanation must agree with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DecisionClaim {
    /// The phase runs (e.g. "replenishment", "phase 3").
    PhaseRuns {
        /// Words naming the phase.
        phase_label: String,
    },
    /// The phase is skipped.
    PhaseSkipped {
        /// Words naming the phase.
        phase_label: String,
    },
    /// Whether the remaining weeks are re-forecast.
    Reforecast(bool),
    /// A markdown of this fraction (0.15 = 15%) is applied.
    Markdown {
        /// The markdown as a fraction.
        pct: f64,
    },
    /// No markdown is applied.
    NoMarkdown,
}

const SKIP_CUES: &[&str] = &[
    "skip",
    "skipped",
    "skipping",
    "skips",
    "bypass",
    "bypassed",
    "omit",
    "omitted",
    "unnecessary",
    "unneeded",
];
const RUN_CUES: &[&str] = &[
    "run",
    "runs",
    "running",
    "proceed",
    "proceeds",
    "execute",
    "executes",
    "executed",
    "happen",
    "happens",
    "needed",
    "required",
    "continue",
    "continues",
    "go",
    "goes",
    "ahead",
    "will",
    "apply",
    "applies",
];
const PROPOSE_CUES: &[&str] = &[
    "apply",
    "applied",
    "applying",
    "recommend",
    "recommended",
    "propose",
    "proposed",
    "suggest",
    "suggested",
    "take",
    "should",
    "will",
    "cut",
    "reduce",
    "need",
    "needed",
    "warranted",
];

/// A heuristic: whether `text` says something that contradicts `decision` (skipping a
/// phase that runs, another markdown percentage, no re-forecast when one is triggered).
/// Errs towards silence: it looks for direct statements in one sentence, so it flags
/// clear contradictions and lets hedged or unrelated text through.
pub fn contradicts(decision: &DecisionClaim, text: &str) -> bool {
    let tokens = tokenize(text);
    let sents = sentences(&tokens);
    let any = |f: &dyn Fn(&[Token]) -> bool| sents.iter().any(|(a, b)| f(&tokens[*a..*b]));
    match decision {
        DecisionClaim::PhaseRuns { phase_label } => {
            let label = label_words(phase_label);
            any(&|s| mentions(s, &label) && has_any(s, SKIP_CUES) && !negated_any(s, SKIP_CUES))
                || any(&|s| {
                    mentions(s, &label) && negated_any(s, RUN_CUES) && !has_any(s, SKIP_CUES)
                })
        }
        DecisionClaim::PhaseSkipped { phase_label } => {
            let label = label_words(phase_label);
            any(&|s| {
                mentions(s, &label)
                    && has_any(s, RUN_CUES)
                    && !has_any(s, SKIP_CUES)
                    && !has_negation(s)
            })
        }
        DecisionClaim::Reforecast(triggered) => {
            let about = |s: &[Token]| mentions_reforecast(s);
            if *triggered {
                any(&|s| about(s) && has_negation(s))
            } else {
                any(&|s| {
                    about(s)
                        && !has_negation(s)
                        && has_any(
                            s,
                            &[
                                "will",
                                "triggered",
                                "trigger",
                                "triggers",
                                "needed",
                                "required",
                                "should",
                                "must",
                                "we",
                            ],
                        )
                })
            }
        }
        DecisionClaim::Markdown { pct } => {
            let stated = markdown_percentages(&tokens);
            stated.iter().any(|p| (p - pct).abs() > 0.005)
                || any(&|s| {
                    (0..s.len()).any(|i| is_markdown_word(s, i))
                        && has_negation(s)
                        && markdown_percentages(s).is_empty()
                })
        }
        DecisionClaim::NoMarkdown => {
            markdown_percentages(&tokens).iter().any(|p| *p > 0.0)
                || any(&|s| {
                    (0..s.len()).any(|i| is_markdown_word(s, i))
                        && has_any(s, PROPOSE_CUES)
                        && !has_negation(s)
                })
        }
    }
}

/// The distinctive words of a phase label: "phase 3 (replenishment)" gives
/// ["phase 3", "replenishment"].
fn label_words(label: &str) -> Vec<String> {
    let tokens = tokenize(label);
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        if t.is("phase")
            && let Some(n) = tokens.get(i + 1).and_then(Token::integer)
        {
            out.push(format!("phase {n}"));
        } else if t.kind == Kind::Word
            && t.text.len() > 3
            && !t.is_any(&["phase", "the", "week", "weeks", "with", "from"])
        {
            // Stems, so "replenishment" also matches "replenish" / "replenishing".
            out.push(t.text.chars().take(7).collect());
        }
    }
    out
}

fn mentions(s: &[Token], label: &[String]) -> bool {
    label.iter().any(|l| {
        if let Some(n) = l.strip_prefix("phase ") {
            s.windows(2).any(|w| {
                w[0].is("phase") && w[1].integer().map(|v| v.to_string()).as_deref() == Some(n)
            })
        } else {
            s.iter()
                .any(|t| t.kind == Kind::Word && t.text.starts_with(l.as_str()))
        }
    })
}

fn has_any(s: &[Token], words: &[&str]) -> bool {
    s.iter().any(|t| t.is_any(words))
}

fn is_negation(t: &Token) -> bool {
    t.kind == Kind::Word && (t.is_any(crate::text::NEGATIONS) || t.text.ends_with("n't"))
}

fn has_negation(s: &[Token]) -> bool {
    s.iter().any(is_negation)
}

/// Whether a word of `words` is preceded (within three tokens) by a negation: "do not skip".
fn negated_any(s: &[Token], words: &[&str]) -> bool {
    s.iter()
        .enumerate()
        .any(|(i, t)| t.is_any(words) && s[i.saturating_sub(3)..i].iter().any(is_negation))
}

fn mentions_reforecast(s: &[Token]) -> bool {
    s.iter().enumerate().any(|(i, t)| {
        t.kind == Kind::Word && (t.text.starts_with("reforecast") || t.text.starts_with("replan"))
            || (t.is_any(&["re", "re-"])
                && s.get(i + 1)
                    .is_some_and(|n| n.text.starts_with("forecast") || n.text.starts_with("plan")))
            || (t.text.starts_with("forecast")
                && s.get(i + 1).is_some_and(|n| {
                    n.is_any(&["again", "update", "updated", "revision", "revised"])
                }))
            || (t.is_any(&[
                "update", "updated", "revise", "revised", "updating", "revising",
            ]) && s[i + 1..(i + 4).min(s.len())]
                .iter()
                .any(|n| n.text.starts_with("forecast")))
    })
}

fn is_markdown_word(s: &[Token], i: usize) -> bool {
    let t = &s[i];
    t.kind == Kind::Word
        && (t.text.starts_with("markdown")
            || t.text.starts_with("discount")
            || (t.is("mark") && s.get(i + 1).is_some_and(|n| n.is_any(&["down", "downs"])))
            || (t.is("price")
                && s.get(i + 1)
                    .is_some_and(|n| n.is_any(&["cut", "cuts", "reduction"]))))
}

/// Percentages stated as the markdown itself: "a 15% markdown", "markdown of 15%",
/// "15% off", "cut prices by 15%"; not sell-through figures in the same sentence.
fn markdown_percentages(tokens: &[Token]) -> Vec<f64> {
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let Kind::Percent(p) = t.kind else { continue };
        let after = |k: usize| tokens.get(i + k);
        let before = |k: usize| i.checked_sub(k).and_then(|j| tokens.get(j));
        let followed = after(1).is_some_and(|n| n.is("off"))
            || (1..=2).any(|k| {
                let j = i + k;
                j < tokens.len()
                    && is_markdown_word(tokens, j)
                    && !tokens[i + 1..j].iter().any(Token::is_break)
            });
        let preceded = (1..=3).any(|k| {
            i.checked_sub(k).is_some_and(|j| {
                is_markdown_word(tokens, j)
                    && !tokens[j + 1..i]
                        .iter()
                        .any(|x| x.is_break() || matches!(x.kind, Kind::Percent(_)))
            })
        }) && !has_stem(
            tokens,
            (i.saturating_sub(3), i),
            &["sell", "sold", "target", "threshold"],
        ) || (before(1).is_some_and(|b| b.is("by"))
            && before(2).is_some_and(|b| {
                b.is_any(&["prices", "price", "down", "reduced", "reduce", "cut"])
            }));
        if followed || preceded {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(label: &str) -> DecisionClaim {
        DecisionClaim::PhaseRuns {
            phase_label: label.into(),
        }
    }

    fn skipped(label: &str) -> DecisionClaim {
        DecisionClaim::PhaseSkipped {
            phase_label: label.into(),
        }
    }

    fn check(claim: DecisionClaim, text: &str, expect: bool) {
        assert_eq!(contradicts(&claim, text), expect, "{claim:?} vs {text:?}");
    }

    #[test]
    fn phase_runs() {
        check(
            runs("phase 3 (replenishment)"),
            "We can skip replenishment this season since stores are full.",
            true,
        );
        check(runs("phase 3 (replenishment)"), "Phase 3 is skipped.", true);
        check(
            runs("replenishment"),
            "Replenishment will not run this week.",
            true,
        );
        check(
            runs("phase 3 (replenishment)"),
            "Replenishment runs weekly: the DC holds 4,320 units to top stores up.",
            false,
        );
        check(
            runs("replenishment"),
            "We do not skip replenishment: 45% of stock is at the DC.",
            false,
        );
        check(
            runs("replenishment"),
            "The markdown is skipped, but stores are topped up.",
            false,
        );
    }

    #[test]
    fn phase_skipped() {
        check(
            skipped("phase 3 (replenishment)"),
            "Replenishment will run every week from the DC.",
            true,
        );
        check(
            skipped("phase 3 (replenishment)"),
            "Replenishment strategy is 'none' and DC holdback is 0%, so phase 3 is skipped.",
            false,
        );
        check(
            skipped("markdown"),
            "No markdown checkpoint is configured, so there is no markdown review.",
            false,
        );
    }

    #[test]
    fn reforecast() {
        check(
            DecisionClaim::Reforecast(true),
            "Sales were 30.8% over forecast, but no re-forecast is needed.",
            true,
        );
        check(
            DecisionClaim::Reforecast(true),
            "We will not reforecast the remaining weeks.",
            true,
        );
        check(
            DecisionClaim::Reforecast(true),
            "Actual 850 vs forecast 650 is +30.8%, above the 20% threshold, so the remaining weeks are re-forecast.",
            false,
        );
        check(
            DecisionClaim::Reforecast(false),
            "Variance was 5%, so we will re-forecast the season.",
            true,
        );
        check(
            DecisionClaim::Reforecast(false),
            "Variance of 5% is under the 20% threshold; no re-forecast is needed.",
            false,
        );
    }

    #[test]
    fn markdown() {
        let md = DecisionClaim::Markdown { pct: 0.15 };
        check(
            md.clone(),
            "Sell-through is 52% against a 60% target, so a 15% markdown applies to all stores.",
            false,
        );
        check(
            md.clone(),
            "With sell-through at 52% vs the 60% target, a 20% markdown is recommended.",
            true,
        );
        check(
            md.clone(),
            "We recommend a markdown of 25% to clear stock.",
            true,
        );
        check(md.clone(), "Prices should be cut by 10%.", true);
        check(md.clone(), "No markdown is needed this season.", true);
        check(
            md,
            "Sell-through of 52% is 8 points short of the 60% target; the markdown is 15% off.",
            false,
        );
    }

    #[test]
    fn no_markdown() {
        let none = DecisionClaim::NoMarkdown;
        check(
            none.clone(),
            "Sell-through of 63% beat the 60% target, so no markdown is needed.",
            false,
        );
        check(
            none.clone(),
            "Sell-through of 63% beat the 60% target; prices stay as they are.",
            false,
        );
        check(
            none.clone(),
            "Sell-through is behind plan, so we recommend a 10% markdown.",
            true,
        );
        check(none, "We should apply a markdown to move stock.", true);
    }
}

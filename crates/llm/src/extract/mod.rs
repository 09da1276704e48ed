//! Phase 0: turning a planner's description of a season into validated
//! [`SeasonParameters`], with a model when one is configured and by rules otherwise.
//!
//! Either way the result is validated by `RawSeasonParameters::validate`, and a text
//! that leaves a parameter unsaid gives [`ExtractError::Missing`] naming it: the
//! extractor never fills a gap with a guess. Saying nothing about markdowns is a gap
//! too; only an explicit "no markdowns" / "we never discount" gives a null checkpoint.

mod dates;
mod llm;
mod offline;

use crate::client::{CallRecord, ChatClient};
use atelier_core::params::{FieldError, RawSeasonParameters, SeasonParameters};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How sure the extractor is that the parameters mean what the planner meant; the UI
/// asks for confirmation more insistently when it is not high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A default or several indirect cues were used.
    Low,
    /// One field came from an indirect cue.
    Medium,
    /// Every field came from an explicit phrase.
    High,
}

impl Confidence {
    /// The serialised spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// Which extractor produced the parameters, so the audit trail says whether a model
/// was involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The rule-based extractor (no model configured, or the model failed).
    Offline,
    /// The model's structured answer, validated.
    Llm,
}

impl Source {
    /// The serialised spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Offline => "offline",
            Source::Llm => "llm",
        }
    }
}

/// Validated parameters with how they were obtained.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extraction {
    /// The seven parameters, validated.
    pub parameters: SeasonParameters,
    /// How sure the extractor is.
    pub extraction_confidence: Confidence,
    /// One sentence per field saying which phrase gave it.
    pub extraction_reasoning: String,
    /// Which extractor produced them.
    pub source: Source,
    /// Every model call made, failed ones included, for the event log.
    pub llm_calls: Vec<CallRecord>,
    /// Why the model's answer was not used, when a model was configured but the
    /// offline extractor produced the result.
    pub fallback_reason: Option<String>,
}

impl Extraction {
    /// The flat JSON the CLI and the API show: the seven parameters at the top level
    /// plus `extraction_confidence`, `extraction_reasoning` and `source`.
    pub fn summary_json(&self) -> serde_json::Value {
        let mut value =
            serde_json::to_value(&self.parameters).unwrap_or_else(|_| serde_json::json!({}));
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "extraction_confidence".into(),
                self.extraction_confidence.as_str().into(),
            );
            map.insert(
                "extraction_reasoning".into(),
                self.extraction_reasoning.clone().into(),
            );
            map.insert("source".into(), self.source.as_str().into());
        }
        value
    }
}

/// Why no parameters could be extracted; each variant names the fields concerned so
/// the planner can fix the text in one go.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtractError {
    /// The text does not state these parameters.
    #[error(
        "the description does not say {}",
        describe_missing(missing_parameters)
    )]
    Missing {
        /// Field names, in domain order.
        missing_parameters: Vec<String>,
        /// What was read, for a form pre-filled with the known fields (boxed: the
        /// error stays small on the happy path).
        partial: Box<RawSeasonParameters>,
    },
    /// The text states values the domain refuses (a 150% holdback, week 14 of 12).
    #[error("the description gives invalid values: {}", describe_fields(.0))]
    Invalid(Vec<FieldError>),
    /// The text says two different things for a field, or a date that reads both ways.
    #[error("the description is ambiguous: {}", describe_fields(.0))]
    Ambiguous(Vec<FieldError>),
}

impl ExtractError {
    /// The names of the fields the error is about.
    pub fn fields(&self) -> Vec<String> {
        match self {
            ExtractError::Missing {
                missing_parameters, ..
            } => missing_parameters.clone(),
            ExtractError::Invalid(list) | ExtractError::Ambiguous(list) => {
                list.iter().map(|f| f.field.clone()).collect()
            }
        }
    }
}

fn describe_fields(list: &[FieldError]) -> String {
    list.iter()
        .map(|f| format!("{}: {}", f.field, f.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_missing(names: &[String]) -> String {
    names
        .iter()
        .map(|n| {
            let hint = match n.as_str() {
                "forecast_horizon_weeks" => "how many weeks the season runs, e.g. '12 weeks'",
                "season_start_date" => "when the season starts, e.g. 'starting March 1' or '2025-03-01'",
                "replenishment_strategy" => "how often stores are topped up: 'weekly', 'bi-weekly' or 'no replenishment'",
                "dc_holdback_percentage" => "how much stock stays at the DC, e.g. 'hold back 30% at the DC' or 'ship everything up front'",
                "markdown_checkpoint_week" => "the week of the markdown check, e.g. 'markdown check at week 6', or 'no markdowns'",
                "markdown_threshold" => "the sell-through target at the checkpoint, e.g. 'if below 60%'",
                _ => "",
            };
            if hint.is_empty() { n.clone() } else { format!("{n} ({hint})") }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Extracts the parameters by rules alone: deterministic, instant and key-free.
/// Dates without a year resolve to the next such date on or after `today`.
pub fn extract_offline(text: &str, today: NaiveDate) -> Result<Extraction, ExtractError> {
    offline::extract(text, today)
}

/// Extracts the parameters with the model when `client` is given, falling back to the
/// rule-based extractor when the model fails or answers twice with something that does
/// not validate (the fallback and the calls are recorded in the result).
pub fn extract_parameters(
    text: &str,
    today: NaiveDate,
    client: Option<&ChatClient>,
) -> Result<Extraction, ExtractError> {
    match client {
        None => extract_offline(text, today),
        Some(client) => llm::extract(client, text, today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_spellings_are_lowercase() {
        assert_eq!(serde_json::to_value(Confidence::Medium).unwrap(), "medium");
        assert_eq!(serde_json::to_value(Source::Llm).unwrap(), "llm");
    }

    #[test]
    fn missing_message_names_fields_with_hints() {
        let e = ExtractError::Missing {
            missing_parameters: vec!["dc_holdback_percentage".into()],
            partial: Box::default(),
        };
        let msg = e.to_string();
        assert!(msg.contains("dc_holdback_percentage"), "{msg}");
        assert!(msg.contains("hold back"), "{msg}");
    }
}

//! Phase 0 as a service: a planner's description of a season in, the seven
//! validated parameters out (`atelier extract` behind HTTP). The model is used when
//! the server has one configured, the rule-based extractor otherwise; either way
//! the answer is validated by the core, and a text that leaves a parameter unsaid
//! is refused naming it rather than filled with a guess.

use crate::auth::{Caller, Permission};
use crate::body::JsonBody;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use atelier_llm::extract_parameters;
use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Longest description accepted, in characters: a season is described in a few
/// sentences, and the text may be sent to a model.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// A planner's description to read.
#[derive(Serialize, ToSchema)]
pub struct ExtractRequest {
    /// The season in plain language ("12 weeks starting March 1, weekly
    /// replenishment, hold back 30% at the DC, markdown check at week 6 below 60%").
    pub text: String,
    /// The date that resolves dates written without a year (YYYY-MM-DD); default:
    /// the server's date (UTC).
    #[schema(format = Date)]
    pub today: Option<String>,
}

/// The seven parameters read from a description, with how they were read.
#[derive(Serialize, ToSchema)]
pub struct ExtractedParameters {
    /// Season length in weeks.
    pub forecast_horizon_weeks: u32,
    /// First day of week 1.
    #[schema(format = Date)]
    pub season_start_date: String,
    /// Last day of the season (derived).
    #[schema(format = Date)]
    pub season_end_date: String,
    /// `none`, `weekly` or `bi-weekly`.
    pub replenishment_strategy: String,
    /// Share of the order held at the DC, 0..=1.
    pub dc_holdback_percentage: f64,
    /// Week of the sell-through check; null for no markdowns.
    pub markdown_checkpoint_week: Option<u32>,
    /// Target sell-through at the checkpoint; null for no markdowns.
    pub markdown_threshold: Option<f64>,
    /// `high`, `medium` or `low`.
    pub extraction_confidence: String,
    /// Which phrase gave each field.
    pub extraction_reasoning: String,
    /// `llm` or `offline` (the rules; also when the model's answer was not usable).
    pub source: String,
}

/// Reads the seven season parameters from a planner's description. The text is
/// data, never instructions: whatever it says, the answer is validated parameters
/// or an error naming the fields.
#[utoipa::path(post, path = "/api/parameters/extract", tag = "parameters",
    request_body = ExtractRequest,
    responses(
        (status = 200, description = "The validated parameters, extraction_confidence, extraction_reasoning and source", body = ExtractedParameters),
        (status = 400, description = "Invalid body, or the text gives invalid or ambiguous values (each in `fields`)", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The text leaves parameters unsaid (named in `missing_parameters`)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn extract(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Permission::Plan)?;
    let mut body = body?;
    body.deny_unknown(&["text", "today"])?;
    let text: String = body.take("text")?;
    if text.trim().is_empty() {
        return Err(ApiError::field("text", "'text' must not be empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ApiError::field(
            "text",
            format!("'text' is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    let today = match body.take_opt::<String>("today")? {
        Some(day) => NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| {
            ApiError::field(
                "today",
                format!("'today' must be a date YYYY-MM-DD, got '{day}'"),
            )
        })?,
        None => state.orchestrator().clock().now().date_naive(),
    };
    // A model call blocks (and may retry for its whole budget): the blocking pool.
    let extraction = state
        .read(move |s| Ok(extract_parameters(&text, today, s.llm_client())?))
        .await?;
    if let Some(reason) = &extraction.fallback_reason {
        eprintln!("atelier-server: parameter extraction fell back to the rules: {reason}");
    }
    Ok(Json(extraction.summary_json()))
}

//! Phase 0 as a service: a planner's description of a season in, the seven
//! validated parameters out (`atelier extract` behind HTTP). The model is used when
//! the server has one configured, the rule-based extractor otherwise; either way
//! the answer is validated by the core, and a text that leaves a parameter unsaid
//! is refused naming it rather than filled with a guess.

use crate::auth::Planner;
use crate::contract::request::ExtractRequest;
use crate::contract::views::ExtractedParameters;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::state::AppState;
use atelier_llm::extract_parameters;
use axum::Json;
use axum::extract::State;

/// Reads the seven season parameters from a planner's description. The text is
/// data, never instructions: whatever it says, the answer is validated parameters
/// or an error naming the fields.
#[utoipa::path(post, path = "/api/parameters/extract", tag = "parameters",
    request_body = ExtractRequest,
    responses(
        (status = 200, description = "The validated parameters, extraction_confidence, extraction_reasoning and source", body = ExtractedParameters),
        (status = 400, description = "Invalid body, or the text gives invalid or ambiguous values (each in `fields`)", body = ErrorBody),
        (status = 403, description = "Not a planner", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/json", body = ErrorBody),
        (status = 422, description = "The text leaves parameters unsaid (named in `missing_parameters`)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
pub async fn extract(
    State(state): State<AppState>,
    _: Planner,
    JsonBody(body): JsonBody<ExtractRequest>,
) -> Result<Json<ExtractedParameters>, ApiError> {
    let text = body.text.into_inner();
    let today = body
        .today
        .unwrap_or_else(|| state.orchestrator().clock().now().date_naive());
    // A model call blocks (and may retry for its whole budget): the blocking pool.
    let extraction = state
        .read(move |s| Ok(extract_parameters(&text, today, s.llm_client())?))
        .await?;
    if let Some(reason) = &extraction.fallback_reason {
        tracing::warn!("parameter extraction fell back to the rules: {reason}");
    }
    Ok(Json(ExtractedParameters::new(
        extraction.parameters,
        extraction.extraction_confidence,
        extraction.extraction_reasoning,
        extraction.source,
    )))
}

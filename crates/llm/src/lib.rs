//! Atelier's language layer: the words around the computed decisions.
//!
//! - [`client`]: an OpenAI-compatible chat-completions client (OpenAI, Azure, local
//!   servers) with timeouts, retries, a time budget and per-call records.
//! - [`extract`]: phase 0, planner text to validated season parameters, by model
//!   (structured output, validated, one corrective retry) or by rules (offline).
//! - [`reasoning`]: explanations of computed decisions and a guardrail that flags
//!   explanations contradicting them.
//!
//! Nothing here decides a number: whatever a model says is validated by
//! `atelier_core` before use, and every path works without a model.

pub mod client;
mod config;
pub mod extract;
pub mod reasoning;
mod text;

pub use client::{
    CallRecord, ChatClient, ChatMessage, ChatRequest, ChatResponse, JsonSchema, LlmConfig, LlmError,
};
pub use extract::{
    Confidence, ExtractError, Extraction, Source, extract_offline, extract_parameters,
};
pub use reasoning::{DecisionClaim, ExplainRequest, Explanation, contradicts, explain};

//! Where and how to reach the model: the endpoint, model, key, timeouts and time
//! budget, read from the environment (`ATELIER_LLM_*`, `OPENAI_API_KEY`) or built by
//! hand in tests. Its `Debug` output never shows the key.

use std::fmt;
use std::time::Duration;

/// The default OpenAI endpoint, used when only a key is configured.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// The model used when none is configured: small, cheap and supports structured output.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// Where and how to reach the model. Built from the environment by
/// [`LlmConfig::from_env`] or by hand in tests.
#[derive(Clone, PartialEq)]
pub struct LlmConfig {
    /// Endpoint root without `/chat/completions`: `https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`, or for Azure
    /// `https://X.openai.azure.com/openai/deployments/DEPLOYMENT`.
    pub base_url: String,
    /// Model name sent in the body (Azure ignores it: the deployment decides).
    pub model: String,
    /// Secret; `None` for local servers that need none.
    pub api_key: Option<String>,
    /// Set for Azure: switches to `?api-version=` and the `api-key` header.
    pub azure_api_version: Option<String>,
    /// Limit for one HTTP attempt.
    pub timeout: Duration,
    /// Retries after the first attempt (so `2` means up to three requests).
    pub max_retries: u32,
    /// Limit for one decision, all attempts and waits included.
    pub total_budget: Duration,
}

impl fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("azure_api_version", &self.azure_api_version)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("total_budget", &self.total_budget)
            .finish()
    }
}

impl LlmConfig {
    /// A configuration with the default timeout (30 s), retries (2) and budget (90 s).
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        LlmConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            azure_api_version: None,
            timeout: Duration::from_secs(30),
            max_retries: 2,
            total_budget: Duration::from_secs(90),
        }
    }

    /// Reads `ATELIER_LLM_BASE_URL`, `ATELIER_LLM_MODEL`, `ATELIER_LLM_API_KEY` (else
    /// `OPENAI_API_KEY`), `ATELIER_LLM_AZURE_API_VERSION`, `ATELIER_LLM_TIMEOUT_SECS`,
    /// `ATELIER_LLM_MAX_RETRIES` and `ATELIER_LLM_BUDGET_SECS`. `None` (offline mode)
    /// when neither a base URL nor a key is set, so the system runs without a model.
    pub fn from_env() -> Option<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`LlmConfig::from_env`] over any lookup, so tests need not touch the process
    /// environment. Empty values count as unset; unparsable numbers, and durations too
    /// large for a [`Duration`], keep the default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let key = get("ATELIER_LLM_API_KEY").or_else(|| get("OPENAI_API_KEY"));
        let base = get("ATELIER_LLM_BASE_URL");
        if key.is_none() && base.is_none() {
            return None;
        }
        let mut config = LlmConfig::new(
            base.unwrap_or_else(|| OPENAI_BASE_URL.to_string()),
            get("ATELIER_LLM_MODEL").unwrap_or_else(|| DEFAULT_MODEL.to_string()),
        );
        config.api_key = key;
        config.azure_api_version = get("ATELIER_LLM_AZURE_API_VERSION");
        let secs = |name: &str| {
            get(name)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
        };
        if let Some(d) = secs("ATELIER_LLM_TIMEOUT_SECS") {
            config.timeout = d;
        }
        if let Some(d) = secs("ATELIER_LLM_BUDGET_SECS") {
            config.total_budget = d;
        }
        if let Some(n) = get("ATELIER_LLM_MAX_RETRIES").and_then(|v| v.parse().ok()) {
            config.max_retries = n;
        }
        Some(config)
    }

    /// The URL of the chat-completions endpoint, with `api-version` for Azure.
    pub fn endpoint(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        match &self.azure_api_version {
            Some(v) => format!("{base}/chat/completions?api-version={v}"),
            None => format!("{base}/chat/completions"),
        }
    }
}

//! A blocking client for OpenAI-compatible chat-completions endpoints: OpenAI itself,
//! Azure OpenAI deployments and local servers (Ollama, vLLM, llama.cpp).
//!
//! Every call has a timeout; 429s, 5xxs, timeouts and connection failures are retried
//! with exponential backoff and jitter (or the server's `Retry-After`), within a total
//! time budget per decision. Each call is recorded ([`CallRecord`]) so that the
//! orchestrator can log the model, latency, tokens and attempts as an event. The API
//! key never leaves the request headers: not in errors, `Debug` output or records.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::config::{DEFAULT_MODEL, LlmConfig, OPENAI_BASE_URL};

/// Why a chat call failed. Messages never contain the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The server answered with an error status (after retries for 429/5xx).
    #[error("the model endpoint answered HTTP {status}: {body}")]
    Http {
        /// HTTP status code.
        status: u16,
        /// The start of the response body, for diagnosis.
        body: String,
    },
    /// An attempt took longer than the configured timeout (after retries).
    #[error("the model endpoint did not answer within {timeout_ms} ms")]
    Timeout {
        /// The per-attempt limit that was hit.
        timeout_ms: u64,
    },
    /// The connection failed (refused, reset, DNS, TLS) after retries.
    #[error("could not reach the model endpoint: {0}")]
    Transport(String),
    /// The server answered 200 but not with the shape asked for.
    #[error("the model's answer was not usable: {0}")]
    BadResponse(String),
    /// Retrying would exceed the time budget of this decision.
    #[error(
        "gave up after {attempts} attempt(s): the {budget_ms} ms budget would be exceeded (last error: {last_error})"
    )]
    BudgetExhausted {
        /// The budget for the decision.
        budget_ms: u64,
        /// Requests made before giving up.
        attempts: u32,
        /// What the last attempt failed with.
        last_error: String,
    },
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// Instructions the model should follow.
    pub fn system(content: impl Into<String>) -> Self {
        Self::with_role("system", content)
    }

    /// Input from the user (data, for extraction).
    pub fn user(content: impl Into<String>) -> Self {
        Self::with_role("user", content)
    }

    /// A previous answer of the model, replayed when asking it to correct itself.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::with_role("assistant", content)
    }

    fn with_role(role: &str, content: impl Into<String>) -> Self {
        ChatMessage {
            role: role.to_string(),
            content: content.into(),
        }
    }
}

/// A JSON schema the answer must follow (OpenAI "structured outputs").
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchema {
    /// A short identifier for the schema.
    pub name: String,
    /// The schema itself.
    pub schema: serde_json::Value,
}

/// What to ask the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// Structured output, when the answer must be JSON of a given shape.
    pub json_schema: Option<JsonSchema>,
    /// Sampling temperature; extraction uses 0 for repeatable answers.
    pub temperature: Option<f64>,
    /// Cap on the answer's length.
    pub max_tokens: Option<u32>,
    /// End of the decision's time budget, shared by several calls of one decision;
    /// `None` starts a fresh budget for this call.
    pub deadline: Option<Instant>,
}

/// What one call cost and how it went: the orchestrator records it as an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The model that answered (as reported by the server, else as configured).
    pub model: String,
    /// Wall time of the call, retries and waits included.
    pub latency_ms: u64,
    /// Prompt tokens from `usage`, when reported.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens from `usage`, when reported.
    pub completion_tokens: Option<u64>,
    /// HTTP requests made.
    pub attempts: u32,
    /// Why the call failed, if it did.
    pub error: Option<String>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The assistant message's text.
    pub content: String,
    /// The call's record.
    pub record: CallRecord,
}

/// The chat-completions client. Cheap to share by reference; holds a connection pool.
pub struct ChatClient {
    config: LlmConfig,
    agent: ureq::Agent,
    jitter_state: AtomicU64,
}

impl fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatClient")
            .field("config", &self.config)
            .finish()
    }
}

/// The outcome of one HTTP attempt.
enum Attempt {
    Done(ChatResponse),
    /// Worth retrying, after the server's `Retry-After` if it gave one.
    Retry(LlmError, Option<Duration>),
    Fatal(LlmError),
}

const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(8);
const BODY_EXCERPT_CHARS: usize = 300;
/// A prefix of the key this long that ends an excerpt is redacted too.
const KEY_PREFIX_MIN_CHARS: usize = 8;
/// Longest single HTTP attempt: the HTTP client adds the timeout to the clock, so an
/// absurd configured timeout (or an unbounded budget) must not reach it as is.
const ATTEMPT_TIMEOUT_CAP: Duration = Duration::from_secs(365 * 24 * 60 * 60);

impl ChatClient {
    /// A client for `config`.
    pub fn new(config: LlmConfig) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64);
        ChatClient {
            config,
            agent,
            jitter_state: AtomicU64::new(seed),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// Sends `request`, retrying transient failures, and returns the answer's text.
    pub fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.chat_recorded(request).1
    }

    /// Like [`ChatClient::chat`] but also returns the record when the call failed, so
    /// failed calls are logged too.
    pub fn chat_recorded(
        &self,
        request: &ChatRequest,
    ) -> (CallRecord, Result<ChatResponse, LlmError>) {
        let started = Instant::now();
        // `None`: a budget too large to add to the clock, which is no limit at all.
        let deadline = request
            .deadline
            .or_else(|| started.checked_add(self.config.total_budget));
        let body = self.body(request).to_string();
        let mut attempts = 0;
        let result = loop {
            let now = Instant::now();
            let remaining = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
            if remaining.is_zero() {
                break Err(self.exhausted(attempts, "no time left before the first attempt".into()));
            }
            attempts += 1;
            let timeout = self.config.timeout.min(remaining).min(ATTEMPT_TIMEOUT_CAP);
            match self.attempt(&body, timeout, started) {
                Attempt::Done(mut response) => {
                    response.record.attempts = attempts;
                    response.record.latency_ms = millis(started.elapsed());
                    break Ok(response);
                }
                Attempt::Fatal(e) => break Err(e),
                Attempt::Retry(e, retry_after) => {
                    if attempts > self.config.max_retries {
                        break Err(e);
                    }
                    let wait = retry_after.unwrap_or_else(|| self.backoff(attempts));
                    // Waiting and then sending again must fit the budget; otherwise stop
                    // now rather than fail later. A wait past the end of the clock (a
                    // huge `Retry-After`) never fits.
                    let fits = match (Instant::now().checked_add(wait), deadline) {
                        (Some(resume), Some(deadline)) => resume < deadline,
                        (Some(_), None) => true,
                        (None, _) => false,
                    };
                    if !fits {
                        break Err(self.exhausted(attempts, e.to_string()));
                    }
                    std::thread::sleep(wait);
                }
            }
        };
        let record = match &result {
            Ok(r) => r.record.clone(),
            Err(e) => CallRecord {
                model: self.config.model.clone(),
                latency_ms: millis(started.elapsed()),
                prompt_tokens: None,
                completion_tokens: None,
                attempts,
                error: Some(e.to_string()),
            },
        };
        (record, result)
    }

    fn exhausted(&self, attempts: u32, last_error: String) -> LlmError {
        LlmError::BudgetExhausted {
            budget_ms: millis(self.config.total_budget),
            attempts,
            last_error: self.redact(&last_error),
        }
    }

    fn body(&self, request: &ChatRequest) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": self.config.model,
            "messages": request.messages,
        });
        if let Some(t) = request.temperature {
            body["temperature"] = serde_json::json!(t);
        }
        if let Some(m) = request.max_tokens {
            body["max_tokens"] = serde_json::json!(m);
        }
        if let Some(schema) = &request.json_schema {
            body["response_format"] = serde_json::json!({
                "type": "json_schema",
                "json_schema": {"name": schema.name, "strict": true, "schema": schema.schema},
            });
        }
        body
    }

    fn attempt(&self, body: &str, timeout: Duration, started: Instant) -> Attempt {
        let mut req = self
            .agent
            .post(self.config.endpoint())
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("content-type", "application/json");
        if let Some(key) = &self.config.api_key {
            req = match self.config.azure_api_version {
                Some(_) => req.header("api-key", key.as_str()),
                None => req.header("authorization", format!("Bearer {key}")),
            };
        }
        let mut response = match req.send(body) {
            Ok(r) => r,
            Err(e) => return self.transport_failure(e, timeout),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let text = match response.body_mut().read_to_string() {
            Ok(t) => t,
            Err(e) => return self.transport_failure(e, timeout),
        };
        if (200..300).contains(&status) {
            return match self.parse(&text, started) {
                Ok(r) => Attempt::Done(r),
                Err(e) => Attempt::Fatal(e),
            };
        }
        let error = LlmError::Http {
            status,
            body: self.redacted_excerpt(&text),
        };
        if status == 429 || status >= 500 {
            Attempt::Retry(error, retry_after)
        } else {
            Attempt::Fatal(error)
        }
    }

    fn transport_failure(&self, e: ureq::Error, timeout: Duration) -> Attempt {
        match e {
            ureq::Error::Timeout(_) => Attempt::Retry(
                LlmError::Timeout {
                    timeout_ms: millis(timeout),
                },
                None,
            ),
            ureq::Error::Io(ref io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                Attempt::Retry(
                    LlmError::Timeout {
                        timeout_ms: millis(timeout),
                    },
                    None,
                )
            }
            ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_) => {
                Attempt::Retry(LlmError::Transport(self.redact(&e.to_string())), None)
            }
            other => Attempt::Fatal(LlmError::Transport(self.redact(&other.to_string()))),
        }
    }

    fn parse(&self, text: &str, started: Instant) -> Result<ChatResponse, LlmError> {
        #[derive(Deserialize)]
        struct Completion {
            model: Option<String>,
            choices: Vec<Choice>,
            usage: Option<Usage>,
        }
        #[derive(Deserialize)]
        struct Choice {
            message: Message,
        }
        #[derive(Deserialize)]
        struct Message {
            content: Option<String>,
            refusal: Option<String>,
        }
        #[derive(Deserialize)]
        struct Usage {
            prompt_tokens: Option<u64>,
            completion_tokens: Option<u64>,
        }
        let completion: Completion = serde_json::from_str(text).map_err(|e| {
            LlmError::BadResponse(self.redact(&format!(
                "not a chat completion ({e}): {}",
                self.redacted_excerpt(text)
            )))
        })?;
        let message = completion
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| LlmError::BadResponse("the completion has no choices".into()))?
            .message;
        let content = match (message.content, message.refusal) {
            (Some(c), _) if !c.trim().is_empty() => c,
            (_, Some(r)) => {
                return Err(LlmError::BadResponse(format!(
                    "the model refused: {}",
                    self.redacted_excerpt(&r)
                )));
            }
            _ => return Err(LlmError::BadResponse("the answer is empty".into())),
        };
        Ok(ChatResponse {
            content,
            record: CallRecord {
                model: completion
                    .model
                    .unwrap_or_else(|| self.config.model.clone()),
                latency_ms: millis(started.elapsed()),
                prompt_tokens: completion.usage.as_ref().and_then(|u| u.prompt_tokens),
                completion_tokens: completion.usage.as_ref().and_then(|u| u.completion_tokens),
                attempts: 1,
                error: None,
            },
        })
    }

    /// Exponential backoff with "equal jitter": half the step fixed, half random, so
    /// clients that failed together do not retry together.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = BACKOFF_BASE
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(BACKOFF_CAP);
        let half = step / 2;
        let r = self.next_random();
        half + Duration::from_secs_f64(half.as_secs_f64() * (r as f64 / u64::MAX as f64))
    }

    /// splitmix64 over an atomic state seeded from the clock: enough randomness for
    /// jitter without a `rand` dependency.
    fn next_random(&self) -> u64 {
        let mut z = self
            .jitter_state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Removes the API key from text that may echo it (a proxy's error page).
    fn redact(&self, text: &str) -> String {
        match &self.config.api_key {
            Some(key) if !key.is_empty() => text.replace(key.as_str(), "<redacted>"),
            _ => text.to_string(),
        }
    }

    /// The start of `text` for an error message, without the key. The whole text is
    /// redacted before it is cut, so the cut cannot split the key and leave its first
    /// characters readable; a key prefix that still ends the excerpt (a proxy that
    /// truncated its echo) is redacted as well.
    fn redacted_excerpt(&self, text: &str) -> String {
        let redacted = self.redact(text);
        let mut out: String = redacted.chars().take(BODY_EXCERPT_CHARS).collect();
        let cut = out.len() < redacted.len();
        if let Some(key) = self.config.api_key.as_deref()
            && let Some(prefix) = trailing_key_prefix(&out, key)
        {
            out.truncate(out.len() - prefix);
            out.push_str("<redacted>");
        }
        if cut {
            out.push('…');
        }
        out
    }
}

/// The length in bytes of the longest prefix of `key`, of at least
/// [`KEY_PREFIX_MIN_CHARS`] characters, that `text` ends with.
fn trailing_key_prefix(text: &str, key: &str) -> Option<usize> {
    let ends: Vec<usize> = key
        .char_indices()
        .map(|(i, _)| i)
        .chain([key.len()])
        .skip(KEY_PREFIX_MIN_CHARS)
        .collect();
    ends.into_iter()
        .rev()
        .find(|&end| text.ends_with(&key[..end]))
}

/// The wait a `Retry-After` value asks for: delay-seconds (fractions accepted) or an
/// HTTP date, relative to `now` (a date in the past means no wait). A delay too large
/// for a [`Duration`] saturates, so the budget check stops the call instead of
/// panicking. `None` (use the normal backoff) when the value is neither.
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        SystemTime::from(date)
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn offline_when_nothing_is_configured() {
        assert_eq!(LlmConfig::from_lookup(lookup(&[])), None);
        assert_eq!(
            LlmConfig::from_lookup(lookup(&[("ATELIER_LLM_MODEL", "x")])),
            None
        );
    }

    #[test]
    fn key_alone_means_openai_and_local_needs_no_key() {
        let c = LlmConfig::from_lookup(lookup(&[("OPENAI_API_KEY", "sk-1")])).unwrap();
        assert_eq!(c.endpoint(), "https://api.openai.com/v1/chat/completions");
        assert_eq!(c.api_key.as_deref(), Some("sk-1"));
        let c = LlmConfig::from_lookup(lookup(&[
            ("ATELIER_LLM_BASE_URL", "http://localhost:11434/v1/"),
            ("ATELIER_LLM_MODEL", "llama3.1"),
            ("ATELIER_LLM_TIMEOUT_SECS", "2.5"),
        ]))
        .unwrap();
        assert_eq!(c.endpoint(), "http://localhost:11434/v1/chat/completions");
        assert_eq!(c.api_key, None);
        assert_eq!(c.timeout, Duration::from_millis(2500));
        assert_eq!(c.model, "llama3.1");
    }

    #[test]
    fn atelier_key_wins_and_azure_adds_the_version() {
        let c = LlmConfig::from_lookup(lookup(&[
            ("ATELIER_LLM_API_KEY", "a"),
            ("OPENAI_API_KEY", "b"),
            (
                "ATELIER_LLM_BASE_URL",
                "https://x.openai.azure.com/openai/deployments/d",
            ),
            ("ATELIER_LLM_AZURE_API_VERSION", "2024-10-21"),
        ]))
        .unwrap();
        assert_eq!(c.api_key.as_deref(), Some("a"));
        assert_eq!(
            c.endpoint(),
            "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"
        );
    }

    #[test]
    fn huge_env_durations_keep_the_default_instead_of_panicking() {
        // 1e20 s does not fit a Duration: like any unusable number, the default stays.
        let c = LlmConfig::from_lookup(lookup(&[
            ("ATELIER_LLM_BASE_URL", "http://h/v1"),
            ("ATELIER_LLM_TIMEOUT_SECS", "1e20"),
            ("ATELIER_LLM_BUDGET_SECS", "100000000000000000000"),
        ]))
        .unwrap();
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.total_budget, Duration::from_secs(90));
    }

    #[test]
    fn a_budget_too_large_for_the_clock_does_not_panic() {
        // 1e19 s fits a Duration but not `Instant::now() + budget`.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let c = LlmConfig::from_lookup(lookup(&[
            (
                "ATELIER_LLM_BASE_URL",
                &format!("http://127.0.0.1:{port}/v1"),
            ),
            ("ATELIER_LLM_TIMEOUT_SECS", "1e19"),
            ("ATELIER_LLM_BUDGET_SECS", "1e19"),
            ("ATELIER_LLM_MAX_RETRIES", "0"),
        ]))
        .unwrap();
        assert_eq!(
            c.total_budget,
            Duration::from_secs(10_000_000_000_000_000_000)
        );
        let err = ChatClient::new(c)
            .chat(&ChatRequest {
                messages: vec![ChatMessage::user("hi")],
                ..ChatRequest::default()
            })
            .expect_err("nothing listens");
        assert!(matches!(err, LlmError::Transport(_)), "{err}");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_and_saturates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 2015-10-21 07:26:40 UTC
        assert_eq!(retry_after(" 1.5 ", now), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after("1e20", now), Some(Duration::MAX));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(80))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:20:00 GMT", now),
            Some(Duration::ZERO)
        );
        for unusable in ["", "soon", "-1", "NaN", "inf"] {
            assert_eq!(retry_after(unusable, now), None, "{unusable:?}");
        }
    }

    #[test]
    fn excerpts_never_show_the_start_of_the_key() {
        let key = "sk-abcdefghijklmnopqrstuvwxyz";
        let mut c = LlmConfig::new("http://h", "m");
        c.api_key = Some(key.into());
        let client = ChatClient::new(c);
        for at in 250..=BODY_EXCERPT_CHARS {
            let shown = client.redacted_excerpt(&format!("{}{key} tail", "é".repeat(at)));
            assert!(
                !shown.contains(&key[..KEY_PREFIX_MIN_CHARS]),
                "{at}: {shown}"
            );
        }
        // A short shared start is ordinary text, not a key.
        assert_eq!(client.redacted_excerpt("code sk-abc"), "code sk-abc");
        assert_eq!(
            client.redacted_excerpt("echo sk-abcdefgh"),
            "echo <redacted>"
        );
    }

    #[test]
    fn debug_redacts_the_key() {
        let mut c = LlmConfig::new("http://h", "m");
        c.api_key = Some("sk-secret-123".into());
        let client = ChatClient::new(c.clone());
        assert!(!format!("{c:?}").contains("sk-secret-123"));
        assert!(!format!("{client:?}").contains("sk-secret-123"));
        assert!(format!("{c:?}").contains("<redacted>"));
    }

    #[test]
    fn backoff_grows_and_stays_jittered_within_bounds() {
        let client = ChatClient::new(LlmConfig::new("http://h", "m"));
        for attempt in 1..=6 {
            let step = BACKOFF_BASE
                .saturating_mul(1 << (attempt - 1))
                .min(BACKOFF_CAP);
            let b = client.backoff(attempt);
            assert!(b >= step / 2 && b <= step, "attempt {attempt}: {b:?}");
        }
    }
}

//! The server's configuration: where the event store lives, who may call it (tokens
//! and roles), how big a request may be, and the WebSocket stream's limits.
//!
//! Tokens come from the config file or from `ATELIER_TOKENS`; they are compared in
//! full and never logged or echoed. The model, if any, comes from the caller
//! (`atelier serve` reads `ATELIER_LLM_*`), never from the config file.

use atelier_llm::LlmConfig;
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a caller may do. Approving money decisions and planning are kept apart so
/// that the person who sizes an order is not the one who signs it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every resource and streams events.
    Viewer,
    /// A viewer who also creates workflows, uploads data and actuals, re-forecasts.
    Planner,
    /// A viewer who also answers approvals.
    Approver,
}

impl Role {
    /// The role's name as written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Planner => "planner",
            Role::Approver => "approver",
        }
    }

    /// Parses a role name as written in `ATELIER_TOKENS`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "viewer" => Some(Role::Viewer),
            "planner" => Some(Role::Planner),
            "approver" => Some(Role::Approver),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One caller's credentials. `Debug` hides the secret so that a logged config never
/// leaks it.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// Who the token belongs to; recorded as `by` on the approvals it answers.
    pub name: String,
    /// The bearer secret.
    pub token: String,
    /// What it may do.
    pub role: Role,
}

impl fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("role", &self.role)
            .finish()
    }
}

/// Limits of the live stream; tests shrink them to make lag observable.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Encoded events kept in memory per workflow for fan-out (older ones are read
    /// from the store on demand).
    pub ring_capacity: usize,
    /// Live events a client may fall behind before it is told `lagged` and closed.
    pub max_backlog: u64,
    /// Longest a single send may block before the client counts as lagged.
    pub send_timeout: Duration,
    /// Interval of the server's pings.
    pub ping_interval: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            ring_capacity: 1024,
            max_backlog: 1024,
            send_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(15),
        }
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The SQLite event store; uploaded data sets live beside it in `<db>.datasets/`.
    pub db_path: PathBuf,
    /// Known callers; empty means open access, allowed on loopback only.
    pub tokens: Vec<TokenEntry>,
    /// Largest request body accepted (bytes); bigger ones get 413.
    pub max_body_bytes: usize,
    /// How often waiting workflows are checked for expired approvals.
    pub expiry_check_interval: Duration,
    /// Live stream limits.
    pub stream: StreamConfig,
    /// How long a graceful shutdown waits for requests in flight and open
    /// connections (a client may hold a half-sent body forever) before the server
    /// returns anyway. Each engine step is one transaction, and a write already
    /// started runs to its end on the blocking pool, so stopping loses no
    /// acknowledged work.
    pub shutdown_grace: Duration,
    /// The model for explanations and `POST /api/parameters/extract`; `None` (the
    /// default, and what tests get) means the offline templates and the rule-based
    /// extractor. `atelier serve` sets it from `LlmConfig::from_env()`, as the CLI
    /// does; its `Debug` hides the key.
    pub llm: Option<LlmConfig>,
}

/// Default request body limit: 10 MiB, enough for a few years of daily sales.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Default [`ServerConfig::shutdown_grace`]: 30 s.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

impl ServerConfig {
    /// A configuration with defaults for everything but the database.
    pub fn new(db_path: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            db_path: db_path.into(),
            tokens: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            expiry_check_interval: Duration::from_secs(5),
            stream: StreamConfig::default(),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            llm: None,
        }
    }

    /// Applies a JSON config file: `{"tokens": [...], "max_body_bytes": N}`.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        self.apply_json(&text)
            .map_err(|reason| ConfigError::Invalid {
                source_name: path.display().to_string(),
                reason,
            })
    }

    /// Applies a config document's text; the error names what is wrong.
    pub fn apply_json(&mut self, text: &str) -> Result<(), String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            tokens: Vec<TokenEntry>,
            max_body_bytes: Option<usize>,
        }
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for t in &file.tokens {
            check_entry(t)?;
        }
        self.tokens.extend(file.tokens);
        if let Some(max) = file.max_body_bytes {
            self.max_body_bytes = max;
        }
        Ok(())
    }

    /// Applies `ATELIER_TOKENS="name:role:token,..."`.
    pub fn apply_env_tokens(&mut self, value: &str) -> Result<(), ConfigError> {
        for (i, item) in value.split(',').map(str::trim).enumerate() {
            if item.is_empty() {
                continue;
            }
            let invalid = |reason: &str| ConfigError::Invalid {
                source_name: "ATELIER_TOKENS".into(),
                reason: format!("entry {}: {reason}", i + 1),
            };
            let mut parts = item.splitn(3, ':');
            let (Some(name), Some(role), Some(token)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid("expected name:role:token"));
            };
            let role = Role::parse(role)
                .ok_or_else(|| invalid("role must be viewer, planner or approver"))?;
            let entry = TokenEntry {
                name: name.to_string(),
                token: token.to_string(),
                role,
            };
            check_entry(&entry).map_err(|r| invalid(&r))?;
            self.tokens.push(entry);
        }
        Ok(())
    }

    /// Whether access is open (no tokens configured).
    pub fn is_open(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Refuses an open server on anything but loopback: with no tokens, anyone who
    /// can reach the port could approve a manufacturing order.
    pub fn check_bind(&self, addr: &SocketAddr) -> Result<(), ConfigError> {
        if self.is_open() && !addr.ip().is_loopback() {
            return Err(ConfigError::OpenOnNetwork(addr.to_string()));
        }
        Ok(())
    }
}

fn check_entry(t: &TokenEntry) -> Result<(), String> {
    if t.name.trim().is_empty() {
        return Err("a token entry has an empty name".into());
    }
    if t.token.len() < 8 {
        return Err(format!(
            "the token of '{}' is shorter than 8 characters",
            t.name
        ));
    }
    Ok(())
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The config is malformed.
    #[error("invalid config {source_name}: {reason}")]
    Invalid {
        /// File name or variable.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// No tokens, yet a non-loopback address.
    #[error(
        "refusing to listen on {0} without access tokens: configure tokens (--config or ATELIER_TOKENS) or bind a loopback address"
    )]
    OpenOnNetwork(String),
}

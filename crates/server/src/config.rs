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

/// One caller's credentials: a name, a role, and the SHA-256 of the bearer token
/// (the token itself is never kept). A token is a long random secret, so a plain
/// hash is enough to make a leaked config useless for calling the server.
#[derive(Clone)]
pub struct TokenEntry {
    /// Who the token belongs to; recorded with the role as `by` on the approvals
    /// it answers.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 of the token.
    pub token_sha256: [u8; 32],
}

impl TokenEntry {
    /// An entry for a plain token (hashed here).
    pub fn from_plain(name: &str, role: Role, token: &str) -> TokenEntry {
        TokenEntry {
            name: name.to_string(),
            role,
            token_sha256: sha256(token),
        }
    }
}

/// SHA-256 of a token's bytes.
pub fn sha256(token: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).into()
}

/// Parses 64 hex digits.
fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

impl fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A token entry as the config file writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFileEntry {
    name: String,
    role: Role,
    /// 64 hex digits: `printf %s "$TOKEN" | sha256sum`.
    token_sha256: Option<String>,
    /// Refused with a message saying how to hash it.
    token: Option<String>,
}

/// What a connection may take before it is closed, and how large a request may
/// be before it is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Seconds a connection has to send a request's head, counted from when it
    /// opens or from the first byte of its next request.
    #[serde(with = "secs")]
    pub header_read_timeout: Duration,
    /// Seconds a keep-alive connection may wait, with nothing in flight, for its
    /// next request after an answer.
    #[serde(with = "secs")]
    pub idle_timeout: Duration,
    /// Seconds a request has to send its whole body once its handler reads it
    /// (408 after).
    #[serde(with = "secs")]
    pub body_read_timeout: Duration,
    /// Connections served at once, WebSocket streams included; one more is
    /// closed as soon as it is accepted.
    pub max_connections: usize,
    /// Connections from one address at once (0: no limit), so one client cannot
    /// take every place; trusted proxies are exempt (cap them at the proxy).
    pub max_connections_per_address: usize,
    /// Longest request target (path and query), bytes (414 above).
    pub max_uri_bytes: usize,
    /// Largest header section, bytes (431 above).
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_address: default_per_address(),
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
        }
    }
}

/// How fast one caller may go (0 turns a rate off), and the back-off on failed
/// authentication.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Requests per second from one address, sustained.
    pub per_address_per_sec: u32,
    /// Requests one address may send at once above its rate.
    pub per_address_burst: u32,
    /// Requests per second with one token, sustained.
    pub per_token_per_sec: u32,
    /// Requests one token may send at once above its rate.
    pub per_token_burst: u32,
    /// Failed authentications an address may make before it is blocked.
    pub auth_failures_free: u32,
    /// Longest block after failed authentications, seconds (the blocks double
    /// up to it: 1 s, 2 s, 4 s, ...).
    #[serde(with = "secs")]
    pub auth_backoff_max: Duration,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_address_per_sec: 200,
            per_address_burst: 400,
            per_token_per_sec: 100,
            per_token_burst: 200,
            auth_failures_free: 5,
            auth_backoff_max: Duration::from_secs(300),
        }
    }
}

/// Durations written as seconds in the config file.
mod secs {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
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
    /// Largest request body accepted (bytes); bigger ones get 413, from their
    /// `Content-Length` before they are read. (JSON bodies are held to at most
    /// 64 KiB as well.)
    pub max_body_bytes: usize,
    /// Connection and request-size limits.
    pub limits: Limits,
    /// Rate limits and authentication back-off.
    pub rate_limits: RateLimits,
    /// Uploaded data sets that no workflow uses and that have not been current
    /// for this long are removed (checked hourly); `None` keeps them all.
    pub dataset_retention: Option<Duration>,
    /// After a sweep round that left work due (it failed, or another server
    /// held the sweep's lock), how long before the next try.
    pub sweep_retry: Duration,
    /// The longest the sweep sleeps without a deadline or a write waking it: a
    /// safety net for a notice lost with a connection, or a clock moved by hand.
    pub sweep_max_sleep: Duration,
    /// How long a workflow may sit in a running state, or a committed step's
    /// decisions wait for their words, before the sweep takes it for left by a
    /// dead process and finishes it (a step takes milliseconds; a model's
    /// retries some seconds: keep it above the model's time budget).
    pub orphan_grace: Duration,
    /// The reverse proxies whose `X-Forwarded-Proto` and `X-Forwarded-Host` are
    /// believed (addresses or CIDR blocks): the stream URL a creation answers is
    /// built from them, since the proxy's `Host` may lack the port and the client
    /// may have come over TLS. Forwarded headers from anyone else are ignored.
    pub trusted_proxies: Vec<ProxyNet>,
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

/// Default [`ServerConfig::dataset_retention`]: 30 days.
pub const DEFAULT_DATASET_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Default [`ServerConfig::shutdown_grace`]: 30 s.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

impl ServerConfig {
    /// A configuration with defaults for everything but the database.
    pub fn new(db_path: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            db_path: db_path.into(),
            tokens: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            limits: Limits::default(),
            rate_limits: RateLimits::default(),
            dataset_retention: Some(DEFAULT_DATASET_RETENTION),
            sweep_retry: Duration::from_secs(5),
            sweep_max_sleep: Duration::from_secs(60),
            orphan_grace: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
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
            tokens: Vec<TokenFileEntry>,
            max_body_bytes: Option<usize>,
            limits: Option<Limits>,
            rate_limits: Option<RateLimits>,
            /// Days; 0 keeps every data set.
            dataset_retention_days: Option<f64>,
            #[serde(default)]
            trusted_proxies: Vec<String>,
            /// Seconds.
            orphan_grace_secs: Option<f64>,
        }
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for t in file.tokens {
            let hash = match (&t.token_sha256, &t.token) {
                (Some(hex), None) => parse_hex32(hex).ok_or_else(|| {
                    format!("the token_sha256 of '{}' is not 64 hex digits", t.name)
                })?,
                (None, Some(_)) => {
                    return Err(format!(
                        "the token of '{}' is written in plain text; write its hash instead: \"token_sha256\": the output of printf %s \"$TOKEN\" | sha256sum",
                        t.name
                    ));
                }
                _ => {
                    return Err(format!(
                        "the entry of '{}' needs token_sha256 (and no token)",
                        t.name
                    ));
                }
            };
            self.add_token(TokenEntry {
                name: t.name,
                role: t.role,
                token_sha256: hash,
            })?;
        }
        if let Some(max) = file.max_body_bytes {
            self.max_body_bytes = max;
        }
        if let Some(limits) = file.limits {
            self.limits = limits;
        }
        if let Some(rate) = file.rate_limits {
            self.rate_limits = rate;
        }
        for net in &file.trusted_proxies {
            self.trusted_proxies
                .push(ProxyNet::parse(net).ok_or_else(|| {
                    format!("trusted_proxies: '{net}' is not an address or a CIDR block")
                })?);
        }
        if let Some(secs) = file.orphan_grace_secs {
            self.orphan_grace =
                Duration::try_from_secs_f64(secs).map_err(|e| format!("orphan_grace_secs: {e}"))?;
        }
        if let Some(days) = file.dataset_retention_days {
            self.dataset_retention = match days {
                0.0 => None,
                d => Some(
                    Duration::try_from_secs_f64(d * 86_400.0)
                        .map_err(|e| format!("dataset_retention_days: {e}"))?,
                ),
            };
        }
        Ok(())
    }

    /// Applies `ATELIER_TOKENS="name:role:token,..."`: plain tokens, for
    /// development (the config file holds hashes).
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
            if token.len() < 8 {
                return Err(invalid(&format!(
                    "the token of '{name}' is shorter than 8 characters"
                )));
            }
            self.add_token(TokenEntry::from_plain(name, role, token))
                .map_err(|r| invalid(&r))?;
        }
        Ok(())
    }

    /// Adds a token, refusing an empty name, a token listed twice, and a name
    /// listed with two roles (the first entry would otherwise win silently).
    fn add_token(&mut self, entry: TokenEntry) -> Result<(), String> {
        if entry.name.trim().is_empty() {
            return Err("a token entry has an empty name".into());
        }
        for t in &self.tokens {
            if t.token_sha256 == entry.token_sha256 {
                return Err(format!(
                    "the same token is listed twice ('{}' and '{}')",
                    t.name, entry.name
                ));
            }
            if t.name == entry.name && t.role != entry.role {
                return Err(format!(
                    "'{}' is listed with two roles ({} and {})",
                    t.name, t.role, entry.role
                ));
            }
        }
        self.tokens.push(entry);
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

/// An address or a block of them (`10.0.0.5`, `10.0.0.0/24`, `::1`), as
/// `trusted_proxies` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    /// The block's first address.
    pub addr: std::net::IpAddr,
    /// Leading bits that must match.
    pub prefix: u8,
}

impl ProxyNet {
    /// Reads `addr` or `addr/prefix`; `None` when it is neither.
    pub fn parse(text: &str) -> Option<ProxyNet> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let addr: std::net::IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(ProxyNet { addr, prefix })
    }

    /// Whether `ip` is in the block.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (std::net::IpAddr::V4(net), std::net::IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (std::net::IpAddr::V6(net), std::net::IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Default [`Limits::max_connections_per_address`]: an eighth of the default
/// cap, plenty for one planner's browser tabs and tools.
fn default_per_address() -> usize {
    128
}

#[cfg(test)]
mod proxy_net_tests {
    use super::ProxyNet;

    #[test]
    fn blocks_contain_their_addresses_only() {
        let net = ProxyNet::parse("10.0.0.0/24").expect("block");
        assert!(net.contains("10.0.0.7".parse().expect("ip")));
        assert!(!net.contains("10.0.1.7".parse().expect("ip")));
        assert!(net.contains("::ffff:10.0.0.9".parse().expect("ip")));
        let one = ProxyNet::parse("127.0.0.1").expect("address");
        assert!(one.contains("127.0.0.1".parse().expect("ip")));
        assert!(!one.contains("127.0.0.2".parse().expect("ip")));
        assert!(
            ProxyNet::parse("::1")
                .expect("v6")
                .contains("::1".parse().expect("ip"))
        );
        assert!(ProxyNet::parse("10.0.0.0/33").is_none());
        assert!(ProxyNet::parse("proxy.local").is_none());
    }
}

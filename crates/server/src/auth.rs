//! Who is calling, and may they. A bearer token maps to a name and a role; the
//! stream also accepts `?token=` because browsers cannot set headers on a
//! WebSocket. With no tokens configured the server is open (and loopback-only).

use crate::config::{Role, TokenEntry, sha256};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::marker::PhantomData;
use std::net::SocketAddr;

/// What a call needs: reads, planning work, or approvals. Each is a type, so a
/// handler states what it needs in its signature ([`Authorized`]) and the check
/// runs before its body is read.
pub trait Permission: Send + Sync + 'static {
    /// What the permission allows, as a 403 names it.
    const ACTION: &'static str;

    /// Whether `role` has the permission.
    fn granted_to(role: Role) -> bool;
}

/// Read resources and stream events (every role).
pub struct Read;

/// Create workflows, upload data and actuals, re-forecast, play scenarios.
pub struct Plan;

/// Answer approvals.
pub struct Approve;

impl Permission for Read {
    const ACTION: &'static str = "read";

    fn granted_to(_: Role) -> bool {
        true
    }
}

impl Permission for Plan {
    const ACTION: &'static str = "plan (create workflows, upload data or actuals)";

    fn granted_to(role: Role) -> bool {
        role == Role::Planner
    }
}

impl Permission for Approve {
    const ACTION: &'static str = "answer approvals";

    fn granted_to(role: Role) -> bool {
        role == Role::Approver
    }
}

/// The authenticated caller; `role` is `None` on an open server (every permission).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's name (`anonymous` on an open server); approvals record it.
    pub name: String,
    /// The role, if access control is on.
    pub role: Option<Role>,
}

impl Caller {
    /// Refuses with 403 unless the caller's role grants `P`.
    pub fn require<P: Permission>(&self) -> Result<(), ApiError> {
        match self.role {
            Some(role) if !P::granted_to(role) => Err(ApiError::Forbidden {
                role: role.to_string(),
                action: P::ACTION,
            }),
            _ => Ok(()),
        }
    }

    /// Who answered, as an approval records it: the token's name and its role
    /// (`ann (approver)`), or `anonymous` on an open server.
    pub fn signature(&self) -> String {
        match self.role {
            Some(role) => format!("{} ({role})", self.name),
            None => self.name.clone(),
        }
    }
}

/// A caller whose role grants `P`: 401 without a known token, 403 without the
/// permission. As an extractor it runs before the body is read, so a caller
/// without the right is told so whatever the body.
pub struct Authorized<P: Permission> {
    /// Who is calling.
    pub caller: Caller,
    permission: PhantomData<P>,
}

/// Any authenticated caller.
pub type Viewer = Authorized<Read>;
/// A caller who may plan.
pub type Planner = Authorized<Plan>;
/// A caller who may answer approvals.
pub type Approver = Authorized<Approve>;

impl<P: Permission> FromRequestParts<AppState> for Authorized<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require::<P>()?;
        Ok(Authorized {
            caller,
            permission: PhantomData,
        })
    }
}

/// Finds the token's entry: the given token's SHA-256 is compared with every
/// entry's in constant time, and every entry is looked at, so the timing says
/// nothing of the token's length, prefix or position.
fn lookup<'a>(tokens: &'a [TokenEntry], given: &str) -> Option<&'a TokenEntry> {
    use subtle::ConstantTimeEq;
    let digest = sha256(given);
    let mut found = None;
    for t in tokens {
        if bool::from(t.token_sha256.ct_eq(&digest)) && found.is_none() {
            found = Some(t);
        }
    }
    found
}

/// The name of the token a request's bearer header presents (`anonymous` on an
/// open server), or `None` when it presents none or an unknown one; no back-off
/// or rate limit is counted, since the handler's own check counts them. Scopes
/// an idempotency key to its caller.
pub fn token_name(state: &AppState, headers: &axum::http::HeaderMap) -> Option<String> {
    let tokens = state.tokens();
    if tokens.is_empty() {
        return Some("anonymous".into());
    }
    let given = bearer_of(headers)?;
    lookup(tokens, given).map(|entry| entry.name.clone())
}

fn bearer(parts: &Parts) -> Option<&str> {
    bearer_of(&parts.headers)
}

fn bearer_of(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The token a request presents: its bearer header, else `?token=` on the
/// stream route. What the back-off keys a blocked address's requests by.
pub fn presented_token(headers: &axum::http::HeaderMap, uri: &axum::http::Uri) -> Option<String> {
    match bearer_of(headers) {
        Some(t) => Some(t.to_string()),
        None => query_token_of(uri),
    }
}

/// The stream route's `?token=`, read only there (tokens in URLs end up in logs).
fn query_token(parts: &Parts) -> Option<String> {
    query_token_of(&parts.uri)
}

fn query_token_of(uri: &axum::http::Uri) -> Option<String> {
    if !is_stream_route(uri.path()) {
        return None;
    }
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "token").then(|| percent_decode(v))
    })
}

/// Whether `path` is the stream route, `/api/workflows/{id}/stream`, and no
/// other path that merely ends in `/stream`.
fn is_stream_route(path: &str) -> bool {
    path.strip_prefix("/api/workflows/")
        .and_then(|rest| rest.strip_suffix("/stream"))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let tokens = state.tokens();
        if tokens.is_empty() {
            return Ok(Caller {
                name: "anonymous".into(),
                role: None,
            });
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let given = match bearer(parts) {
            Some(t) => Some(t.to_string()),
            None => query_token(parts),
        };
        let Some(given) = given else {
            return Err(ApiError::Unauthorized);
        };
        let Some(entry) = lookup(tokens, &given) else {
            if let Some(ip) = peer {
                state.throttle().auth_failed(ip);
            }
            tracing::info!(peer = ?peer, "unknown token refused");
            return Err(ApiError::Unauthorized);
        };
        if let Some(ip) = peer {
            state.throttle().auth_succeeded(ip, sha256(&given));
        }
        tracing::Span::current().record("token", entry.name.as_str());
        state.throttle().admit_token(&entry.name)?;
        Ok(Caller {
            name: entry.name.clone(),
            role: Some(entry.role),
        })
    }
}

/// On an open server (no tokens), refuses with 403 a request a web page may have
/// sent: one whose `Origin` is present and not a loopback origin
/// (`http://127.0.0.1[:port]`, `http://localhost[:port]`, `http://[::1][:port]`),
/// or whose `Host` is not a loopback name or address (a page on a DNS-rebound
/// name). WebSocket upgrades included. With tokens configured both are left alone:
/// a browser never sends the bearer token by itself.
pub async fn same_machine_only(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if state.config().is_open()
        && let Err(e) = check_same_machine(req.headers(), req.uri())
    {
        return e.into_response();
    }
    next.run(req).await
}

/// The checks of [`same_machine_only`]: every `Origin` and every `Host` the
/// request carries (a duplicate cannot hide a foreign one behind a loopback
/// one), and the authority of an absolute-form request target.
fn check_same_machine(
    headers: &axum::http::HeaderMap,
    uri: &axum::http::Uri,
) -> Result<(), ApiError> {
    use axum::http::header::{HOST, ORIGIN};
    for origin in headers.get_all(ORIGIN) {
        let text = String::from_utf8_lossy(origin.as_bytes());
        if !is_loopback_origin(&text) {
            return Err(ApiError::ForbiddenSite(format!(
                "refused: Origin '{text}' is not this machine; without access tokens the server answers pages served from loopback only"
            )));
        }
    }
    // HTTP/1.1 sends `Host`; an absolute-form target (and HTTP/2) the URI's
    // authority. Browsers always send one.
    let hosts = headers
        .get_all(HOST)
        .iter()
        .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
        .chain(uri.authority().map(|a| a.as_str().to_string()));
    for host in hosts {
        if !is_loopback_authority(&host) {
            return Err(ApiError::ForbiddenSite(format!(
                "refused: Host '{host}' is not a loopback name; without access tokens the server answers requests to localhost, 127.0.0.1 or [::1] only"
            )));
        }
    }
    Ok(())
}

/// `http://` and a loopback authority, nothing else (no path; `null` refused).
fn is_loopback_origin(origin: &str) -> bool {
    let origin = origin.trim();
    match origin.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("http://") => {
            is_loopback_authority(&origin[7..])
        }
        _ => false,
    }
}

/// `host[:port]` whose host is `localhost` or a loopback address (IPv6 in brackets).
fn is_loopback_authority(authority: &str) -> bool {
    let authority = authority.trim();
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        match after {
            "" => (inside, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (inside, Some(port)),
                None => return false,
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    if authority.starts_with('[') {
        return host
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    }
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_token_is_read_on_the_stream_route_only() {
        assert!(is_stream_route("/api/workflows/wf_1/stream"));
        for other in [
            "/stream",
            "/api/workflows/stream",
            "/api/workflows//stream",
            "/api/workflows/wf_1/events/stream",
            "/metrics/stream",
            "/api/stores/stream",
        ] {
            assert!(!is_stream_route(other), "{other}");
        }
    }

    #[test]
    fn roles_grant_what_the_issue_says() {
        let c = |role| Caller {
            name: "x".into(),
            role: Some(role),
        };
        let table = [
            (Role::Viewer, [true, false, false]),
            (Role::Planner, [true, true, false]),
            (Role::Approver, [true, false, true]),
        ];
        for (role, expect) in table {
            let got = [
                c(role).require::<Read>().is_ok(),
                c(role).require::<Plan>().is_ok(),
                c(role).require::<Approve>().is_ok(),
            ];
            assert_eq!(got, expect, "{role}");
        }
        assert_eq!(c(Role::Approver).signature(), "x (approver)");
    }

    #[test]
    fn only_loopback_origins_and_hosts_pass() {
        for ok in [
            "http://127.0.0.1",
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "HTTP://LocalHost",
            "http://[::1]:8080",
            "http://[::1]",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "null",
            "https://evil.example",
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://127.0.0.1:80/path",
            "http://127.0.0.1:",
            "http://[::2]",
            "http://[::1]x",
            "http://10.0.0.1",
            "file://",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
        for ok in ["127.0.0.1:8080", "localhost", "[::1]:1", "127.1.2.3"] {
            assert!(is_loopback_authority(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:8080",
            "0.0.0.0:80",
            "::1",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }

    #[test]
    fn percent_decoding_handles_escapes_and_stray_percent() {
        assert_eq!(percent_decode("a%2Bb"), "a+b");
        assert_eq!(percent_decode("abc%"), "abc%");
        assert_eq!(percent_decode("a%zz"), "a%zz");
    }
}

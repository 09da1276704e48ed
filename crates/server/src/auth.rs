//! Who is calling, and may they. A bearer token maps to a name and a role; the
//! stream also accepts `?token=` because browsers cannot set headers on a
//! WebSocket. With no tokens configured the server is open (and loopback-only).

use crate::config::{Role, TokenEntry};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// What a call needs: reads, planning work, or approvals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read resources and stream events.
    Read,
    /// Create workflows, upload data and actuals, re-forecast, play scenarios.
    Plan,
    /// Answer approvals.
    Approve,
}

impl Permission {
    fn action(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Plan => "plan (create workflows, upload data or actuals)",
            Permission::Approve => "answer approvals",
        }
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
    /// Refuses with 403 unless the caller's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        let Some(role) = self.role else {
            return Ok(());
        };
        let allowed = match permission {
            Permission::Read => true,
            Permission::Plan => role == Role::Planner,
            Permission::Approve => role == Role::Approver,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                role: role.to_string(),
                action: permission.action(),
            })
        }
    }
}

/// Finds the token's entry, comparing every byte so timing says nothing of the prefix.
fn lookup<'a>(tokens: &'a [TokenEntry], given: &str) -> Option<&'a TokenEntry> {
    tokens
        .iter()
        .find(|t| constant_time_eq(t.token.as_bytes(), given.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The stream route's `?token=`, read only there (tokens in URLs end up in logs).
fn query_token(parts: &Parts) -> Option<String> {
    if !parts.uri.path().ends_with("/stream") {
        return None;
    }
    parts.uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "token").then(|| percent_decode(v))
    })
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
        let given = match bearer(parts) {
            Some(t) => Some(t.to_string()),
            None => query_token(parts),
        };
        let entry = given
            .as_deref()
            .and_then(|g| lookup(tokens, g))
            .ok_or(ApiError::Unauthorized)?;
        Ok(Caller {
            name: entry.name.clone(),
            role: Some(entry.role),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let got = [Permission::Read, Permission::Plan, Permission::Approve]
                .map(|p| c(role).require(p).is_ok());
            assert_eq!(got, expect, "{role}");
        }
    }

    #[test]
    fn percent_decoding_handles_escapes_and_stray_percent() {
        assert_eq!(percent_decode("a%2Bb"), "a+b");
        assert_eq!(percent_decode("abc%"), "abc%");
        assert_eq!(percent_decode("a%zz"), "a%zz");
    }
}

//! How fast one caller may go: a rate limit per address and per token (429 with
//! `Retry-After`), and an exponential back-off on failed authentication per
//! address, so that guessing tokens costs more with every wrong one.
//!
//! The limits are token buckets (`governor`'s GCRA): a sustained rate plus a
//! burst. The back-off lets a few failures pass (a typo), then blocks the
//! address for 1 s, 2 s, 4 s, ... up to a cap. A block is keyed by address and
//! the token presented: it refuses every request from the address except those
//! presenting a token that authenticated from it before, so the other callers
//! behind one proxy keep working. A success clears nothing (only time does): a
//! holder of one valid token cannot reset the back-off between guesses.

use crate::config::RateLimits;
use crate::error::ApiError;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A keyed token bucket.
type Limiter<K> = RateLimiter<K, HashMapStateStore<K>, DefaultClock>;

/// Keys kept before stale ones are dropped (each is a few dozen bytes).
const MAX_KEYS: usize = 10_000;
/// Tokens remembered per address (the callers behind one proxy).
const MAX_TOKENS_PER_ADDRESS: usize = 256;
/// How long a token that authenticated from an address passes its blocks.
const KNOWN_FOR: Duration = Duration::from_secs(24 * 3600);

/// An address's failed authentications.
struct Failures {
    count: u32,
    blocked_until: Option<Instant>,
    last: Instant,
}

/// The server's rate limits and authentication back-off.
pub struct Throttle {
    per_address: Option<Limiter<IpAddr>>,
    per_token: Option<Limiter<String>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
    /// Per address, the tokens (SHA-256) that authenticated from it, and when
    /// last: they pass its block.
    known: Mutex<HashMap<IpAddr, HashMap<[u8; 32], Instant>>>,
    config: RateLimits,
    clock: DefaultClock,
}

fn limiter<K: Hash + Eq + Clone>(per_second: u32, burst: u32) -> Option<Limiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
    Some(RateLimiter::hashmap(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

/// Whole seconds to wait, at least one (what `Retry-After` says).
fn whole_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl Throttle {
    /// Limits as configured; a rate of 0 turns that limit off.
    pub fn new(config: RateLimits) -> Throttle {
        Throttle {
            per_address: limiter(config.per_address_per_sec, config.per_address_burst),
            per_token: limiter(config.per_token_per_sec, config.per_token_burst),
            failures: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
            config,
            clock: DefaultClock::default(),
        }
    }

    fn check<K: Hash + Eq + Clone>(
        &self,
        limiter: Option<&Limiter<K>>,
        key: &K,
        what: &str,
    ) -> Result<(), ApiError> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        if limiter.len() > MAX_KEYS {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let secs = whole_secs(not_until.wait_time_from(self.clock.now())).max(1);
            ApiError::TooManyRequests {
                message: format!("too many requests {what}; retry after {secs} s"),
                retry_after_secs: secs,
            }
        })
    }

    /// Admits a request from `addr` presenting the token whose SHA-256 is
    /// `presented` (if any): within the address's rate, and not blocked by failed
    /// authentications unless the token authenticated from this address before.
    pub fn admit_address(&self, addr: IpAddr, presented: Option<[u8; 32]>) -> Result<(), ApiError> {
        if let Some(until) = self.blocked_until(addr)
            && !presented.is_some_and(|digest| self.is_known(addr, &digest))
        {
            let secs = whole_secs(until.saturating_duration_since(Instant::now())).max(1);
            return Err(ApiError::TooManyRequests {
                message: format!(
                    "too many failed authentications from this address; retry after {secs} s"
                ),
                retry_after_secs: secs,
            });
        }
        self.check(self.per_address.as_ref(), &addr, "from this address")
    }

    /// Admits a request by the token named `name`, within the token's rate.
    pub fn admit_token(&self, name: &str) -> Result<(), ApiError> {
        self.check(
            self.per_token.as_ref(),
            &name.to_string(),
            "with this token",
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Failures>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn blocked_until(&self, addr: IpAddr) -> Option<Instant> {
        let now = Instant::now();
        self.lock()
            .get(&addr)
            .and_then(|f| f.blocked_until)
            .filter(|until| *until > now)
    }

    /// Records a failed authentication from `addr`; past the free ones, the
    /// address is blocked for twice as long as the time before.
    pub fn auth_failed(&self, addr: IpAddr) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() > MAX_KEYS {
            let horizon = self.config.auth_backoff_max;
            map.retain(|_, f| now.duration_since(f.last) < horizon);
        }
        let entry = map.entry(addr).or_insert(Failures {
            count: 0,
            blocked_until: None,
            last: now,
        });
        // A record older than the longest block starts over.
        if now.duration_since(entry.last) > self.config.auth_backoff_max {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        if let Some(delay) = backoff(entry.count, &self.config) {
            entry.blocked_until = Some(now + delay);
        }
    }

    /// Records that the token whose SHA-256 is `digest` authenticated from
    /// `addr`: it passes the address's blocks from now on. The address's failures
    /// stay as they are.
    pub fn auth_succeeded(&self, addr: IpAddr, digest: [u8; 32]) {
        let now = Instant::now();
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.len() > MAX_KEYS {
            let horizon = self.config.auth_backoff_max.max(KNOWN_FOR);
            known.retain(|_, tokens| {
                tokens.retain(|_, at| now.duration_since(*at) < horizon);
                !tokens.is_empty()
            });
        }
        let tokens = known.entry(addr).or_default();
        if tokens.len() >= MAX_TOKENS_PER_ADDRESS && !tokens.contains_key(&digest) {
            return;
        }
        tokens.insert(digest, now);
    }

    fn is_known(&self, addr: IpAddr, digest: &[u8; 32]) -> bool {
        let now = Instant::now();
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&addr)
            .and_then(|tokens| tokens.get(digest))
            .is_some_and(|at| now.duration_since(*at) < KNOWN_FOR)
    }
}

/// The block after the `count`-th failure: none for the free ones, then 1 s,
/// 2 s, 4 s, ... up to the cap.
fn backoff(count: u32, config: &RateLimits) -> Option<Duration> {
    let over = count.checked_sub(config.auth_failures_free)?;
    if over == 0 {
        return None;
    }
    let secs = 1u64.checked_shl(over - 1).unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(config.auth_backoff_max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_after_the_free_failures_up_to_the_cap() {
        let config = RateLimits {
            auth_failures_free: 3,
            auth_backoff_max: Duration::from_secs(60),
            ..RateLimits::default()
        };
        let delays: Vec<Option<u64>> = (1..=11)
            .map(|n| backoff(n, &config).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            delays,
            [
                None,
                None,
                None,
                Some(1),
                Some(2),
                Some(4),
                Some(8),
                Some(16),
                Some(32),
                Some(60),
                Some(60)
            ]
        );
        assert_eq!(backoff(u32::MAX, &config), Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_block_spares_tokens_known_from_the_address_and_a_success_clears_nothing() {
        let throttle = Throttle::new(RateLimits {
            auth_failures_free: 2,
            ..RateLimits::default()
        });
        let addr: IpAddr = [127, 0, 0, 9].into();
        let ann = [1u8; 32];
        let guess = [2u8; 32];
        throttle.auth_succeeded(addr, ann);
        for _ in 0..2 {
            throttle.auth_failed(addr);
            assert!(throttle.admit_address(addr, Some(guess)).is_ok());
        }
        throttle.auth_failed(addr);
        match throttle.admit_address(addr, Some(guess)) {
            Err(ApiError::TooManyRequests {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
        assert!(throttle.admit_address(addr, None).is_err());
        // Ann, behind the same address, keeps working through the block...
        assert!(throttle.admit_address(addr, Some(ann)).is_ok());
        // ...and her success does not lift it for the guesser.
        throttle.auth_succeeded(addr, ann);
        assert!(throttle.admit_address(addr, Some(guess)).is_err());
        // Another address is not concerned.
        assert!(
            throttle
                .admit_address([127, 0, 0, 10].into(), Some(guess))
                .is_ok()
        );
    }

    #[test]
    fn a_flood_past_the_burst_is_refused() {
        let throttle = Throttle::new(RateLimits {
            per_token_per_sec: 1,
            per_token_burst: 5,
            ..RateLimits::default()
        });
        let admitted = (0..20)
            .filter(|_| throttle.admit_token("pat").is_ok())
            .count();
        assert_eq!(admitted, 5);
        assert!(
            throttle.admit_token("ann").is_ok(),
            "another token has its own"
        );
    }
}

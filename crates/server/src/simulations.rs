//! The simulations a server keeps for completed seasons: the what-if's prepared
//! draws (with what the season's own settings earned on them) and `tune`'s
//! reports. Preparing a what-if plays the season's settings on every draw; a
//! planner then tries settings one after another on the same draws, and each
//! answer must come in under a second, so the preparation is done once.
//!
//! A cache, not state: a completed season's log no longer changes, and the key
//! holds its last event's number, so an entry can only be what recomputing it
//! would give. Only the last few used are kept ([`KEPT`] of each kind).

use atelier_engine::tune::{TuneOptions, TuneReport};
use atelier_engine::what_if::WhatIfBasis;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

/// Entries kept of each kind: a few planners on a few seasons. A basis of 200
/// draws of 50 stores over 12 weeks is under 1 MB.
pub const KEPT: usize = 8;

/// What a simulation of a completed season depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationKey {
    /// The season.
    pub workflow_id: String,
    /// Its last event: the log the simulation read.
    pub last_seq: u64,
    /// Seasons drawn.
    pub draws: usize,
    /// Their seed.
    pub seed: u64,
}

impl SimulationKey {
    /// The key of a season at `last_seq` simulated with `options`.
    pub fn new(workflow_id: &str, last_seq: u64, options: TuneOptions) -> SimulationKey {
        SimulationKey {
            workflow_id: workflow_id.to_string(),
            last_seq,
            draws: options.draws,
            seed: options.seed,
        }
    }
}

/// The last few values used, most recent first.
struct Recent<V> {
    entries: VecDeque<(SimulationKey, Arc<V>)>,
}

impl<V> Recent<V> {
    fn new() -> Self {
        Recent {
            entries: VecDeque::with_capacity(KEPT),
        }
    }

    fn get(&mut self, key: &SimulationKey) -> Option<Arc<V>> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(at)?;
        let value = entry.1.clone();
        self.entries.push_front(entry);
        Some(value)
    }

    fn put(&mut self, key: SimulationKey, value: Arc<V>) {
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push_front((key, value));
        self.entries.truncate(KEPT);
    }
}

/// The server's kept simulations.
pub struct Simulations {
    bases: Mutex<Recent<WhatIfBasis>>,
    tunes: Mutex<Recent<TuneReport>>,
}

impl Default for Simulations {
    fn default() -> Self {
        Simulations {
            bases: Mutex::new(Recent::new()),
            tunes: Mutex::new(Recent::new()),
        }
    }
}

impl Simulations {
    /// The what-if basis for `key`, prepared by `prepare` unless kept.
    pub fn basis<E>(
        &self,
        key: SimulationKey,
        prepare: impl FnOnce() -> Result<WhatIfBasis, E>,
    ) -> Result<Arc<WhatIfBasis>, E> {
        kept_or(&self.bases, key, prepare)
    }

    /// The tune report for `key`, computed by `tune` unless kept.
    pub fn tune<E>(
        &self,
        key: SimulationKey,
        tune: impl FnOnce() -> Result<TuneReport, E>,
    ) -> Result<Arc<TuneReport>, E> {
        kept_or(&self.tunes, key, tune)
    }
}

/// The value kept under `key`, or `make`'s (kept when it succeeds). The lock is
/// not held while `make` runs: requests are already one at a time per kind.
fn kept_or<V, E>(
    recent: &Mutex<Recent<V>>,
    key: SimulationKey,
    make: impl FnOnce() -> Result<V, E>,
) -> Result<Arc<V>, E> {
    if let Some(v) = recent
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(v);
    }
    let value = Arc::new(make()?);
    recent
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .put(key, value.clone());
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, seq: u64) -> SimulationKey {
        SimulationKey::new(id, seq, TuneOptions { draws: 4, seed: 1 })
    }

    #[test]
    fn a_value_is_made_once_per_key_and_only_the_last_few_are_kept() {
        let recent: Mutex<Recent<u64>> = Mutex::new(Recent::new());
        let mut made = 0;
        let mut get = |k: SimulationKey, v: u64| {
            *kept_or(&recent, k, || -> Result<u64, ()> {
                made += 1;
                Ok(v)
            })
            .expect("made")
        };
        assert_eq!(get(key("a", 5), 1), 1);
        assert_eq!(get(key("a", 5), 2), 1, "kept");
        // Another last event, draw count or seed is another simulation.
        assert_eq!(get(key("a", 6), 3), 3);
        assert_eq!(
            get(
                SimulationKey::new("a", 6, TuneOptions { draws: 5, seed: 1 }),
                4
            ),
            4
        );
        for i in 0..KEPT as u64 {
            get(key("b", i), 10 + i);
        }
        // "a"'s entries were used least recently and are gone.
        assert_eq!(get(key("a", 5), 20), 20);
        assert_eq!(made, 3 + KEPT + 1, "three, then the b's, then a again");
        assert_eq!(recent.lock().unwrap().entries.len(), KEPT);
        // A failure keeps nothing.
        let failed: Result<Arc<u64>, &str> = kept_or(&recent, key("c", 1), || Err("no"));
        assert!(failed.is_err());
        assert!(recent.lock().unwrap().get(&key("c", 1)).is_none());
    }
}

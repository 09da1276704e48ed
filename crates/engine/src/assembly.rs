//! How an engine is put together, once for every front end: the CLI and the server
//! both open their orchestrator here, and draw workflow ids from one generator.

use crate::agents::AgentRegistry;
use crate::catalog::DataCatalog;
use crate::clock::Clock;
use crate::orchestrator::Orchestrator;
use crate::reasoning::{LlmReasoner, OfflineReasoner, Reasoner};
use crate::store::EventStore;
use atelier_llm::{ChatClient, LlmConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The reasoner for a configuration: the model when one is configured, else the
/// offline templates.
pub fn reasoner_for(llm: Option<&LlmConfig>) -> Arc<dyn Reasoner> {
    match llm {
        Some(config) => Arc::new(LlmReasoner::new(ChatClient::new(config.clone()))),
        None => Arc::new(OfflineReasoner),
    }
}

impl Orchestrator {
    /// The orchestrator every front end uses: the real agents over `store` and
    /// `catalog`, explained by the model when `llm` is configured.
    pub fn open(
        store: Arc<dyn EventStore>,
        catalog: Arc<dyn DataCatalog>,
        llm: Option<&LlmConfig>,
        clock: Arc<dyn Clock>,
    ) -> Orchestrator {
        Orchestrator::new(
            store,
            AgentRegistry::default(),
            reasoner_for(llm),
            clock,
            catalog,
        )
    }
}

/// A fresh workflow id (`wf_` and 12 hex digits): the time, the process and a
/// counter mixed, so two calls in one process or two processes never collide.
pub fn new_workflow_id() -> String {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut x =
        nanos ^ (u64::from(std::process::id()) << 32) ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    format!("wf_{:012x}", x & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_well_formed_and_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_workflow_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 15
            && id.starts_with("wf_")
            && id[3..].chars().all(|c| c.is_ascii_hexdigit())));
    }
}

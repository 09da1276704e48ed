//! Shared fixtures for the steps' unit tests: a created workflow's view and a step
//! context over the sample data, with neither a store nor a model.

use crate::agents::{AgentRegistry, SeasonData};
use crate::clock::{Clock, ManualClock};
use crate::event::{ActualsMeaning, DataSource, Event, ExpiryAction};
use crate::orchestrator::step::StepContext;
use crate::view::WorkflowView;
use atelier_core::sample;
use chrono::{TimeZone, Utc};
use std::sync::{Arc, OnceLock};

/// The sample data, parsed once per test binary.
pub fn data() -> Arc<SeasonData> {
    static DATA: OnceLock<Arc<SeasonData>> = OnceLock::new();
    DATA.get_or_init(|| {
        let stores = sample::stores().expect("sample stores");
        let history = sample::history(&stores).expect("sample history");
        Arc::new(SeasonData { stores, history })
    })
    .clone()
}

/// A fixed clock.
pub fn clock() -> &'static ManualClock {
    static CLOCK: OnceLock<ManualClock> = OnceLock::new();
    CLOCK.get_or_init(|| ManualClock::new(Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap()))
}

/// The default agents.
pub fn agents() -> &'static AgentRegistry {
    static AGENTS: OnceLock<AgentRegistry> = OnceLock::new();
    AGENTS.get_or_init(AgentRegistry::default)
}

/// A context over the sample data with no failed attempts.
pub fn context(data: &SeasonData) -> StepContext<'_> {
    StepContext {
        data: Some(data),
        agents: agents(),
        now: clock().now(),
        failures: &[],
    }
}

/// The view of a workflow just created with a shipped parameter set, under the
/// `seed` policy (domain.md's worked examples).
pub fn created(set: &str) -> WorkflowView {
    created_under(set, atelier_core::Policy::Seed)
}

/// The view of a workflow just created with a shipped parameter set and `policy`.
pub fn created_under(set: &str, policy: atelier_core::Policy) -> WorkflowView {
    let mut config = sample::parameter_set(set)
        .expect("parameter set")
        .expect("known set");
    config.tunables.policy = policy;
    WorkflowView::created(
        &format!("test-{set}"),
        &Event::WorkflowCreated {
            category: "Women's Dresses".into(),
            parameters: config.parameters,
            tunables: config.tunables,
            data: DataSource::Sample,
            actuals_meaning: ActualsMeaning::Demand,
            actuals_source: None,
            approval_timeout_secs: None,
            approval_expiry: ExpiryAction::Fail,
            world: Some(atelier_core::world::World::standard()),
        },
    )
    .expect("created")
}

//! Shared helpers for the engine's integration tests: an orchestrator over a fresh
//! SQLite file, a manual clock, the sample data, and a season player.

#![allow(dead_code)]

use atelier_core::data::WeekActuals;
use atelier_core::params::SeasonConfig;
use atelier_core::sample;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::catalog::FileCatalog;
use atelier_engine::clock::ManualClock;
use atelier_engine::event::{ActualsMeaning, DataSource, Event, ExpiryAction, StoredEvent};
use atelier_engine::play::{Approvals, play};
use atelier_engine::reasoning::OfflineReasoner;
use atelier_engine::store::{EventStore, SqliteStore};
use atelier_engine::{DataCatalog, EngineError, NewWorkflow, Orchestrator, WorkflowView};
use chrono::{TimeZone, Utc};
use std::sync::{Arc, OnceLock};

pub struct Harness {
    pub orchestrator: Orchestrator,
    pub clock: Arc<ManualClock>,
    pub store: Arc<SqliteStore>,
    pub _dir: tempfile::TempDir,
}

/// One catalog for every test in the binary: the sample is parsed once.
pub fn catalog() -> Arc<FileCatalog> {
    static CATALOG: OnceLock<Arc<FileCatalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(FileCatalog::default()))
        .clone()
}

pub fn harness_with(agents: AgentRegistry) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("events.db")).unwrap());
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap(),
    ));
    let orchestrator = Orchestrator::new(
        store.clone(),
        agents,
        Arc::new(OfflineReasoner),
        clock.clone(),
        catalog(),
    );
    Harness {
        orchestrator,
        clock,
        store,
        _dir: dir,
    }
}

pub fn harness() -> Harness {
    harness_with(AgentRegistry::default())
}

/// A shipped parameter set under the `seed` policy: the rules domain.md's worked
/// examples are written in (the margin policy has its own tests).
pub fn params(name: &str) -> SeasonConfig {
    let mut config = sample::parameter_set(name).unwrap().unwrap();
    config.tunables.policy = atelier_core::Policy::Seed;
    config
}

/// A shipped parameter set under the `margin` policy (the product's default).
pub fn margin_params(name: &str) -> SeasonConfig {
    sample::parameter_set(name).unwrap().unwrap()
}

/// A parameter file's JSON under the `seed` policy.
pub fn config_json(json: &str) -> SeasonConfig {
    let mut config = SeasonConfig::from_json(json).unwrap();
    config.tunables.policy = atelier_core::Policy::Seed;
    config
}

pub fn new_workflow(id: &str, config: SeasonConfig) -> NewWorkflow {
    NewWorkflow {
        workflow_id: id.to_string(),
        category: "Women's Dresses".to_string(),
        config,
        data: DataSource::Sample,
        actuals_meaning: ActualsMeaning::Demand,
        actuals_source: None,
        approval_timeout_secs: None,
        approval_expiry: ExpiryAction::Fail,
        extraction: None,
        world: None,
    }
}

pub fn scenario(name: &str) -> Vec<WeekActuals> {
    let data = catalog().load(&DataSource::Sample).unwrap();
    sample::scenario(name, &data.stores).unwrap().unwrap()
}

/// Plays a season with every approval accepted, as far as the weeks go.
pub fn play_auto(h: &Harness, id: &str, weeks: &[WeekActuals]) -> WorkflowView {
    let weeks = |week: u32| Ok::<_, EngineError>(weeks.get(week as usize - 1).cloned());
    play(
        &h.orchestrator,
        id,
        weeks,
        Approvals::Accept("test"),
        None,
        |_| {},
    )
    .expect("the season plays")
    .0
}

pub fn events(h: &Harness, id: &str) -> Vec<StoredEvent> {
    h.store.load(id, 0, None).unwrap()
}

pub fn kinds(events: &[StoredEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.event.kind()).collect()
}

pub fn count(events: &[StoredEvent], kind: &str) -> usize {
    events.iter().filter(|e| e.event.kind() == kind).count()
}

pub fn replenishment_weeks(events: &[StoredEvent]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::ReplenishmentShipped { week, .. } => Some(*week),
            _ => None,
        })
        .collect()
}

pub fn assert_contiguous(events: &[StoredEvent]) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(
            e.seq,
            i as u64 + 1,
            "event numbers must run 1..n without gaps"
        );
    }
}

/// A new workflow played in the world a log written before worlds was played in:
/// demand lifted by the policy's own assumed response (the seed's linear 1.5 per
/// point, `margin`'s saturating one), and no chase, which did not exist yet.
pub fn legacy_workflow(id: &str, mut config: SeasonConfig) -> NewWorkflow {
    let t = &config.tunables;
    let curve = match t.policy {
        atelier_core::Policy::Margin => atelier_core::world::LiftCurve::from_response(
            t.markdown_demand_lift_per_pct,
            Some(t.markdown_lift_saturation_pct),
        ),
        _ => atelier_core::world::LiftCurve::from_response(t.markdown_demand_lift_per_pct, None),
    };
    config.tunables.chase = atelier_core::params::Chase::None;
    NewWorkflow {
        world: Some(atelier_core::world::World {
            markdown_lift: curve,
            supply: None,
        }),
        ..new_workflow(id, config)
    }
}

/// A Demand agent that fails while `down` is set: an agent going down and coming
/// back at moments a test chooses.
pub struct Switchable {
    pub down: Arc<std::sync::atomic::AtomicBool>,
}

impl atelier_engine::agents::Agent for Switchable {
    fn name(&self) -> atelier_engine::agents::AgentName {
        atelier_engine::agents::AgentName::Demand
    }
    fn instructions(&self) -> &'static str {
        "demand that can be switched off"
    }
    fn handle(
        &self,
        handoff: &atelier_engine::agents::Handoff,
        ctx: &atelier_engine::agents::AgentContext<'_>,
    ) -> Result<atelier_engine::agents::AgentResult, atelier_engine::agents::AgentError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(atelier_engine::agents::AgentError::Failed(
                "demand is down".into(),
            ));
        }
        atelier_engine::agents::DemandAgent.handle(handoff, ctx)
    }
}

/// A week with every row's units scaled to `percent` of what they were.
pub fn scaled_week(week: &WeekActuals, percent: u64) -> WeekActuals {
    let mut out = week.clone();
    for row in &mut out.rows {
        row.quantity_sold = (u64::from(row.quantity_sold) * percent / 100) as u32;
    }
    out
}

/// A second orchestrator over `h`'s store, with a cache of its own (empty): what
/// another process reading the same log would fold.
pub fn another_process(h: &Harness) -> Orchestrator {
    Orchestrator::new(
        h.store.clone(),
        AgentRegistry::default(),
        Arc::new(OfflineReasoner),
        h.clock.clone(),
        catalog(),
    )
}

/// An orchestrator over `h`'s store seen through an [`OutageStore`] (which can
/// fail on demand and counts commits), answering with `reasoner`.
pub fn behind_outage(
    h: &Harness,
    reasoner: Arc<dyn atelier_engine::reasoning::Reasoner>,
) -> (Arc<atelier_engine::store::OutageStore>, Orchestrator) {
    let outage = Arc::new(atelier_engine::store::OutageStore::new(h.store.clone()));
    let orchestrator = Orchestrator::new(
        outage.clone(),
        AgentRegistry::default(),
        reasoner,
        h.clock.clone(),
        catalog(),
    );
    (outage, orchestrator)
}

/// The offline templates' words, given as a model gives them: after the step's
/// commit, in a transaction of their own (`is_instant` is false), for tests of
/// what happens between the two.
pub struct WordsAfterCommit;

impl atelier_engine::reasoning::Reasoner for WordsAfterCommit {
    fn explain(&self, decision: &atelier_engine::reasoning::Decision) -> Vec<Event> {
        atelier_engine::reasoning::Reasoner::explain(&OfflineReasoner, decision)
    }
}

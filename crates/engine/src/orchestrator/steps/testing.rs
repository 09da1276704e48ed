//! Shared fixtures for the steps' unit tests: a created workflow's view, a step
//! context over the sample data, a [`Season`] driven through its steps to the state
//! a test needs, and matchers over a step's effects ([`effects`]), with neither a
//! store nor a model.

use crate::agents::{AgentRegistry, SeasonData};
use crate::clock::{Clock, ManualClock};
use crate::event::{ActualsMeaning, DataSource, Event, ExpiryAction, Resolution};
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::{self, approvals, week};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::data::WeekActuals;
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

/// A season driven through its steps for a test, with neither a store nor a
/// model: each step's view adopted, approvals accepted until the season reaches
/// the state a test asks for, weeks played from the shipped normal season with
/// each store's units scaled.
pub struct Season {
    data: Arc<SeasonData>,
    /// The view after the last step taken.
    pub view: WorkflowView,
    /// Every event the steps taken so far emitted, in order.
    pub log: Vec<Event>,
}

/// How each store's units of the shipped normal season are scaled: store index
/// (network order) and store count to a factor.
pub type Demand = fn(usize, usize) -> f64;

/// Every store at the scenario's own units.
pub fn on_plan(_: usize, _: usize) -> f64 {
    1.0
}

impl Season {
    /// A season just created with a shipped parameter set under `policy`.
    pub fn new(set: &str, policy: atelier_core::Policy) -> Season {
        Season {
            data: data(),
            view: created_under(set, policy),
            log: Vec::new(),
        }
    }

    /// The context a step of this season reads.
    pub fn ctx(&self) -> StepContext<'_> {
        context(&self.data)
    }

    /// Runs `f` on the season's view as a step and returns its result, without
    /// adopting it.
    pub fn try_step(
        &self,
        f: impl FnOnce(&StepContext<'_>, &WorkflowView) -> Result<Step, StepError>,
    ) -> Result<Step, StepError> {
        f(&self.ctx(), &self.view)
    }

    /// Runs `f` as a step that must succeed, without adopting it.
    pub fn step(
        &self,
        f: impl FnOnce(&StepContext<'_>, &WorkflowView) -> Result<Step, StepError>,
    ) -> Step {
        match self.try_step(f) {
            Ok(step) => step,
            Err(e) => panic!("the step failed in {}: {e:?}", self.view.state),
        }
    }

    /// Adopts a step's view.
    pub fn adopt(&mut self, step: Step) -> &mut Season {
        self.log.extend(step.events());
        self.view = step.view;
        self
    }

    /// Answers the pending approval with `resolution`.
    pub fn answer(&mut self, resolution: Resolution) -> &mut Season {
        let pending = self
            .view
            .pending_approval
            .clone()
            .expect("a pending approval");
        let step = approvals::resolve(&self.view, &pending, resolution, "test").expect("answered");
        self.adopt(step)
    }

    /// Takes the steps that need no outside input, accepting approvals, until the
    /// season waits for a week's actuals or ends.
    pub fn launch(mut self) -> Season {
        self.until(on_plan, |v| v.state == WorkflowState::Phase3Monitoring);
        self
    }

    /// The shipped normal season's actuals for `week` (parsed once for all tests:
    /// every season here has the shipped stores).
    pub fn actuals(&self, week: u32) -> WeekActuals {
        static WEEKS: OnceLock<Vec<WeekActuals>> = OnceLock::new();
        WEEKS.get_or_init(|| {
            sample::scenario("normal_season", &self.data.stores)
                .expect("shipped scenario")
                .expect("scenario parses")
        })[week as usize - 1]
            .clone()
    }

    /// Week `week`'s units per store: the normal season's, scaled by `demand`.
    pub fn units(&self, week: u32, demand: Demand) -> Vec<u64> {
        let stores = &self.data.stores;
        let n = stores.len();
        self.actuals(week)
            .units_by_store(stores)
            .iter()
            .enumerate()
            .map(|(i, u)| (*u as f64 * demand(i, n)).round() as u64)
            .collect()
    }

    /// The step that plays the next week at `demand`, not adopted.
    pub fn week(&self, demand: Demand) -> Step {
        let week = self.view.next_week();
        let units = self.units(week, demand);
        self.step(|ctx, view| {
            week::play(
                ctx,
                std::borrow::Cow::Borrowed(view),
                week,
                &units,
                format!("week-{week}"),
            )
        })
    }

    /// Plays weeks at `demand`, taking every step between them and accepting
    /// every approval, until `done` holds of the view (checked before each move).
    pub fn until(&mut self, demand: Demand, done: impl Fn(&WorkflowView) -> bool) -> &mut Season {
        while !done(&self.view) {
            let Some(step) = self.next_move(demand) else {
                panic!(
                    "the season stopped in {} short of the test's state",
                    self.view.state
                );
            };
            self.adopt(step);
        }
        self
    }

    /// Plays on as [`until`](Self::until) does until a step (a week or a step
    /// after one) satisfies `found`, and returns that step without adopting it:
    /// the season's view is the one it started from.
    pub fn until_step(&mut self, demand: Demand, found: impl Fn(&Step) -> bool) -> Step {
        loop {
            let Some(step) = self.next_move(demand) else {
                panic!("the season ended in {} without the step", self.view.state);
            };
            if found(&step) {
                return step;
            }
            self.adopt(step);
        }
    }

    /// Plays the whole season at `demand`, accepting every approval.
    pub fn play_out(&mut self, demand: Demand) -> &mut Season {
        while let Some(step) = self.next_move(demand) {
            self.adopt(step);
        }
        self
    }

    /// The next move of a season played at `demand`: the pending approval
    /// accepted, the next step, or the next week; `None` once it has ended.
    fn next_move(&self, demand: Demand) -> Option<Step> {
        if let Some(pending) = &self.view.pending_approval {
            let step = approvals::resolve(&self.view, pending, Resolution::Accept, "test");
            return Some(step.expect("accepted"));
        }
        if let Some(next) = steps::next(&self.ctx(), &self.view) {
            return Some(next.expect("step"));
        }
        (self.view.state == WorkflowState::Phase3Monitoring).then(|| self.week(demand))
    }

    /// Plays weeks at `demand` until `weeks` weeks are recorded and nothing waits.
    pub fn through_week(&mut self, weeks: u32, demand: Demand) -> &mut Season {
        self.until(demand, |v| {
            v.weeks.len() as u32 >= weeks && v.state == WorkflowState::Phase3Monitoring
        })
    }
}

/// Matchers over a step's effects, so that a test reads as the rule it checks.
pub mod effects {
    use crate::event::{ApprovalKind, ApprovalProposal, Event};
    use crate::orchestrator::EngineError;
    use crate::orchestrator::step::{Effect, Step, StepError};
    use crate::reasoning::Decision;
    use crate::state::WorkflowState;

    /// The kinds of the events a step emits, in order.
    pub fn kinds(step: &Step) -> Vec<&'static str> {
        step.events().iter().map(Event::kind).collect()
    }

    /// Whether the step emits an event of `kind`.
    pub fn emits(step: &Step, kind: &str) -> bool {
        kinds(step).contains(&kind)
    }

    /// Whether the step emits events of each of `expected` kinds in that order
    /// (others may come between).
    pub fn emits_in_order(step: &Step, expected: &[&str]) -> bool {
        let kinds = kinds(step);
        let mut rest = kinds.iter();
        expected.iter().all(|k| rest.any(|e| e == k))
    }

    /// Every value `pick` finds in the step's events, in order.
    pub fn all<T>(step: &Step, pick: impl Fn(&Event) -> Option<T>) -> Vec<T> {
        step.events().iter().filter_map(pick).collect()
    }

    /// The one value `pick` finds in the step's events (panics, naming the kinds
    /// emitted, when there is none or more than one).
    pub fn one<T>(step: &Step, pick: impl Fn(&Event) -> Option<T>) -> T {
        let mut found = all(step, pick);
        assert_eq!(found.len(), 1, "expected one match among {:?}", kinds(step));
        found.remove(0)
    }

    /// The phases the step starts, with their weeks.
    pub fn phases(step: &Step) -> Vec<(WorkflowState, u32)> {
        all(step, |e| match e {
            Event::PhaseStarted { phase, week } => Some((*phase, *week)),
            _ => None,
        })
    }

    /// The approval the step asks for: its id, kind and proposal.
    pub fn requested(step: &Step) -> Option<(String, ApprovalKind, ApprovalProposal)> {
        all(step, |e| match e {
            Event::ApprovalRequested {
                approval_id,
                kind,
                data,
                ..
            } => Some((approval_id.clone(), *kind, data.clone())),
            _ => None,
        })
        .pop()
    }

    /// The decision explained at `point`, if the step explains one.
    pub fn explained(step: &Step, point: &str) -> Option<Decision> {
        step.items.iter().find_map(|i| match i {
            Effect::Explain(d) if d.point == point => Some(d.clone()),
            _ => None,
        })
    }

    /// The engine's refusal (a step that ends in a refusal emits nothing: it
    /// returns no step at all).
    pub fn refusal(result: Result<Step, StepError>) -> EngineError {
        match result {
            Err(StepError::Engine(e)) => e,
            Err(StepError::AgentFailed(f)) => panic!("an agent failed: {}", f.error),
            Ok(step) => panic!("not refused; emitted {:?}", kinds(&step)),
        }
    }
}

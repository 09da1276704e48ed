//! Seasons played in memory with the orchestrator's own steps and policies: no event
//! store, no reasoner, no second implementation of the rules. The pre-season (the
//! forecast, the order, the clusters and the allocation) depends only on the
//! parameters and the history, so it is computed once and every draw of demand
//! starts from a copy of it. Approvals are accepted as proposed, as `--approve auto`
//! does, except a first buy fixed in units ([`SeasonSimulator::prepare_with_order`]),
//! which answers the order approval the way a planner modifying it would.

use crate::agents::{AgentRegistry, SeasonData};
use crate::clock::{Clock, ManualClock};
use crate::event::{
    ActualsMeaning, ApprovalProposal, DataSource, Event, ExpiryAction, Modification, Resolution,
};
use crate::orchestrator::steps;
use crate::orchestrator::{EngineError, Step, StepContext, StepError};
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::params::SeasonConfig;
use chrono::{TimeZone, Utc};
use std::borrow::Cow;
use std::sync::Arc;

/// A season ready to be played many times: the pre-season done once.
pub struct SeasonSimulator {
    data: Arc<SeasonData>,
    agents: AgentRegistry,
    clock: ManualClock,
    /// A first buy fixed in units: the order approval is modified to it.
    order_units: Option<u64>,
    /// The workflow at the start of week 1, with the order approved and allocated.
    launched: WorkflowView,
}

/// Why a simulated season could not be played.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// The engine refused or failed (an unplannable season, a broken invariant).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An agent failed; simulated seasons do not retry.
    #[error("the {agent} agent failed: {error}")]
    Agent {
        /// The agent.
        agent: crate::agents::AgentName,
        /// What it said.
        error: String,
    },
    /// The draw does not have a week the season needs, or has the wrong store count.
    #[error(
        "the demand draw has {weeks} week(s) of {stores} store(s); the season needs {horizon} weeks of {expected} stores"
    )]
    DrawShape {
        /// Weeks in the draw.
        weeks: usize,
        /// Stores in the draw's first week.
        stores: usize,
        /// Weeks the season needs.
        horizon: u32,
        /// Stores in the network.
        expected: usize,
    },
}

impl From<StepError> for SimulationError {
    fn from(e: StepError) -> Self {
        match e {
            StepError::Engine(e) => SimulationError::Engine(e),
            StepError::AgentFailed(f) => SimulationError::Agent {
                agent: f.handoff.agent,
                error: f.error,
            },
        }
    }
}

impl From<crate::view::TransitionError> for SimulationError {
    fn from(e: crate::view::TransitionError) -> Self {
        SimulationError::Engine(e.into())
    }
}

impl SeasonSimulator {
    /// Plans the season `category` under `config` on `data` and launches it: the
    /// same steps `atelier run --approve auto` takes up to the start of week 1.
    pub fn prepare(
        category: &str,
        config: &SeasonConfig,
        data: Arc<SeasonData>,
    ) -> Result<SeasonSimulator, SimulationError> {
        Self::prepare_as(category, config, data, ActualsMeaning::Demand)
    }

    /// As [`prepare`](Self::prepare), with the weeks played as `meaning` (recorded
    /// sales are kept whole and carry no assumed lift).
    pub fn prepare_as(
        category: &str,
        config: &SeasonConfig,
        data: Arc<SeasonData>,
        meaning: ActualsMeaning,
    ) -> Result<SeasonSimulator, SimulationError> {
        Self::prepare_order(category, config, data, meaning, None)
    }

    /// As [`prepare`](Self::prepare), with the first buy fixed at `order_units`
    /// when given: the order approval is answered with that quantity, as a planner
    /// modifying it would (and checked as theirs is), then accepted as revised.
    pub fn prepare_with_order(
        category: &str,
        config: &SeasonConfig,
        data: Arc<SeasonData>,
        order_units: Option<u64>,
    ) -> Result<SeasonSimulator, SimulationError> {
        Self::prepare_order(category, config, data, ActualsMeaning::Demand, order_units)
    }

    fn prepare_order(
        category: &str,
        config: &SeasonConfig,
        data: Arc<SeasonData>,
        meaning: ActualsMeaning,
        order_units: Option<u64>,
    ) -> Result<SeasonSimulator, SimulationError> {
        let sales = atelier_core::plan::category_sales(&data.history, category)
            .map_err(|e| EngineError::InvalidSeason(e.to_string()))?;
        atelier_core::plan::check_season(sales, category, &config.parameters)
            .map_err(|e| EngineError::InvalidSeason(e.to_string()))?;
        let mut sim = SeasonSimulator {
            data,
            agents: AgentRegistry::default(),
            clock: ManualClock::new(
                Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
                    .single()
                    .unwrap_or_default(),
            ),
            order_units,
            launched: WorkflowView::created(
                "simulated",
                &Event::WorkflowCreated {
                    category: category.to_string(),
                    parameters: config.parameters.clone(),
                    tunables: config.tunables.clone(),
                    data: DataSource::Sample,
                    actuals_meaning: meaning,
                    actuals_source: None,
                    approval_timeout_secs: None,
                    approval_expiry: ExpiryAction::Accept,
                    world: match meaning {
                        ActualsMeaning::Demand => Some(atelier_core::world::World::standard()),
                        ActualsMeaning::Sales => None,
                    },
                },
            )?,
        };
        sim.launched = sim.settle(sim.launched.clone())?;
        Ok(sim)
    }

    /// The launched season (week 1 next), for its order and allocation.
    pub fn launched(&self) -> &WorkflowView {
        &self.launched
    }

    /// Gross margin of each draw (`[draw][week][store]`) played in `world`, in
    /// draw order: what the what-ifs compare settings by.
    pub fn margins(
        &self,
        draws: &[Vec<Vec<u64>>],
        world: &atelier_core::world::World,
    ) -> Result<Vec<f64>, SimulationError> {
        draws
            .iter()
            .map(|d| {
                let v = self.play_in(d, world)?;
                Ok(v.report.as_ref().map_or(0.0, |r| r.gross_margin))
            })
            .collect()
    }

    /// Plays one season from weekly demand per store (`weeks[w][s]`: units store `s`
    /// was asked for in week `w + 1`, network order) and returns the completed view.
    pub fn play(&self, weeks: &[Vec<u64>]) -> Result<WorkflowView, SimulationError> {
        self.play_with(weeks, None)
    }

    /// As [`play`](Self::play), in `world` (how demand answers a markdown, when
    /// supply falters) instead of the standard one: the world belongs to the draw,
    /// and every policy compared is played in the same one.
    pub fn play_in(
        &self,
        weeks: &[Vec<u64>],
        world: &atelier_core::world::World,
    ) -> Result<WorkflowView, SimulationError> {
        self.play_with(weeks, Some(world))
    }

    fn play_with(
        &self,
        weeks: &[Vec<u64>],
        world: Option<&atelier_core::world::World>,
    ) -> Result<WorkflowView, SimulationError> {
        let horizon = self.launched.horizon();
        let stores = self.launched.stock.len();
        if weeks.len() < horizon as usize || weeks.iter().any(|w| w.len() != stores) {
            return Err(SimulationError::DrawShape {
                weeks: weeks.len(),
                stores: weeks.first().map_or(0, Vec::len),
                horizon,
                expected: stores,
            });
        }
        let mut view = self.launched.clone();
        if let Some(world) = world
            && view.world.is_some()
        {
            view.world = Some(world.clone());
        }
        while view.state == WorkflowState::Phase3Monitoring {
            let week = view.next_week();
            let units = &weeks[week as usize - 1];
            let step = steps::week::play(
                &self.context(),
                Cow::Owned(view),
                week,
                units,
                String::new(),
            )?;
            view = self.settle(step.view)?;
        }
        Ok(view)
    }

    fn context(&self) -> StepContext<'_> {
        StepContext {
            data: Some(&self.data),
            agents: &self.agents,
            now: self.clock.now(),
            failures: &[],
        }
    }

    /// Takes every step that needs no demand, answering each approval as
    /// [`answer`](Self::answer) does.
    fn settle(&self, mut view: WorkflowView) -> Result<WorkflowView, SimulationError> {
        loop {
            if let Some(pending) = view.pending_approval.clone() {
                let answer = self.answer(&view, &pending.data);
                let step = steps::approvals::resolve(&view, &pending, answer, "simulation")?;
                view = step.view;
                continue;
            }
            let Some(next) = steps::next(&self.context(), &view) else {
                return Ok(view);
            };
            let step: Step = next?;
            view = step.view;
        }
    }
}

impl SeasonSimulator {
    /// The answer to a proposal: the first order proposed, when it is not the
    /// fixed first buy, is modified to it (the forecast step then proposes the
    /// revision, which is accepted: one modification at most, so settling ends);
    /// everything else is accepted as proposed.
    fn answer(&self, view: &WorkflowView, proposal: &ApprovalProposal) -> Resolution {
        let first_order = view.manufacturing_approvals <= 1;
        match (proposal, self.order_units.filter(|_| first_order)) {
            (
                ApprovalProposal::Manufacturing {
                    manufacturing_qty, ..
                },
                Some(units),
            ) if *manufacturing_qty != units => Resolution::Modify {
                modifications: Modification {
                    manufacturing_qty: Some(units),
                    safety_stock_pct: None,
                    markdown_pct: None,
                    transfer_units: None,
                    reorder_units: None,
                },
            },
            _ => Resolution::Accept,
        }
    }
}

/// One season to play: weekly demand per store (`weeks[w][s]`) and the world it
/// is played in.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Units each store is asked for, week by week.
    pub weeks: Vec<Vec<u64>>,
    /// How that demand answers a markdown, when supply falters.
    pub world: atelier_core::world::World,
}

/// Plays every draw on `threads` workers (at least one), in draw order, calling
/// `progress` after each season; the reports of the completed seasons.
pub fn play_many(
    sim: &SeasonSimulator,
    draws: &[Draw],
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<atelier_core::season::SeasonReport>, SimulationError> {
    let chunk = draws.len().div_ceil(threads.clamp(1, 64)).max(1);
    let parts: Vec<Result<Vec<_>, SimulationError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = draws
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|draw| {
                            let view = sim.play_in(&draw.weeks, &draw.world)?;
                            progress();
                            view.report.ok_or_else(|| {
                                SimulationError::Engine(EngineError::Internal(
                                    "a simulated season ended without a report".into(),
                                ))
                            })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(SimulationError::Engine(EngineError::Internal(
                        "a simulation worker panicked".into(),
                    )))
                })
            })
            .collect()
    });
    let mut all = Vec::with_capacity(draws.len());
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::steps::testing;

    fn config(set: &str) -> SeasonConfig {
        atelier_core::sample::parameter_set(set).unwrap().unwrap()
    }

    fn scenario_units(name: &str, data: &SeasonData) -> Vec<Vec<u64>> {
        atelier_core::sample::scenario(name, &data.stores)
            .unwrap()
            .unwrap()
            .iter()
            .map(|w| w.units_by_store(&data.stores))
            .collect()
    }

    #[test]
    fn a_simulated_season_completes_and_conserves_units() {
        let data = testing::data();
        let sim =
            SeasonSimulator::prepare("Women's Dresses", &config("standard_retail"), data.clone())
                .unwrap();
        assert_eq!(sim.launched().state, WorkflowState::Phase3Monitoring);
        let view = sim.play(&scenario_units("normal_season", &data)).unwrap();
        assert_eq!(view.state, WorkflowState::Completed);
        let report = view.report.unwrap();
        let ordered = view.allocation.unwrap().manufacturing_qty;
        assert_eq!(report.units_sold + report.leftover_units, ordered);
    }

    #[test]
    fn a_short_draw_is_refused() {
        let data = testing::data();
        let sim = SeasonSimulator::prepare("Women's Dresses", &config("zara"), data).unwrap();
        let err = sim.play(&[vec![1; 50]]).unwrap_err();
        assert!(matches!(
            err,
            SimulationError::DrawShape {
                weeks: 1,
                horizon: 12,
                ..
            }
        ));
    }
}

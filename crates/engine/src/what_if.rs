//! What-if in the planner's cockpit: the planner types a value for a knob (policy,
//! safety stock or a first buy in units, holdback, checkpoint week, markdown cap)
//! and sees the spread of gross margin (p10, p50, p90) those settings earn on
//! seasons like this one, beside what this season's own settings earn on the same
//! seasons.
//!
//! - **The same machinery as `tune`.** The seasons are [`tune`](crate::tune)'s
//!   draws: the same seed, the demand the season saw with the markdown's lift
//!   divided out, centred by [`centred_draws`]; each is played by the
//!   [`SeasonSimulator`] with the orchestrator's own steps, in the season's world.
//!   There is no second simulator.
//! - **Prepared once.** [`WhatIfBasis::prepare`] makes the draws and plays this
//!   season's settings on them; every later question plays only the planner's
//!   settings on the same draws ([`WhatIfBasis::ask`]). A completed season's log
//!   does not change, so a server may keep a basis for the season's last event.
//! - **Paired.** Both settings meet the same draws, so their difference per draw
//!   gives the gain and its 90% interval, as `tune` reports it.

use crate::agents::SeasonData;
use crate::event::StoredEvent;
use crate::orchestrator::EngineError;
use crate::orchestrator::limits;
use crate::simulate::{SeasonSimulator, SimulationError};
use crate::tune::{TuneOptions, completed_config, demand_before_lift, replay_world};
use crate::view::WorkflowView;
use atelier_core::params::{Policy, SeasonConfig};
use atelier_core::policy::rules::Rules;
use atelier_core::tune::{
    DrawSpread, Knob, MarginSpread, PairedGain, Setting, WhatIf, centred_draws, current,
};
use atelier_core::world::World;
use serde::Serialize;
use std::sync::Arc;

/// Why a what-if has no answer.
#[derive(Debug, thiserror::Error)]
pub enum WhatIfFailure {
    /// The planner's values cannot be played (the field and value are named).
    #[error(transparent)]
    Settings(#[from] atelier_core::tune::WhatIfError),
    /// The season cannot be simulated (not completed, no data, an engine fault).
    #[error(transparent)]
    Simulation(#[from] SimulationError),
}

/// The settings a what-if played, as a planner reads them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettingsPlayed {
    /// The rules that decided.
    pub policy: Policy,
    /// Safety stock as [`Knob::SafetyStock`] reads it under that policy.
    pub safety_stock: f64,
    /// The tunable it sets (`tunables.safety_stock_pct` or
    /// `tunables.season_level_sd`): what the number means.
    pub safety_stock_field: &'static str,
    /// The first buy, units: the policy's order, or the planner's fixed one.
    pub order_units: u64,
    /// Whether the first buy was fixed by the planner.
    pub order_fixed: bool,
    /// Share of the order held at the DC at launch.
    pub holdback: f64,
    /// The markdown checkpoint week; `None`: no markdown.
    pub checkpoint_week: Option<u32>,
    /// The deepest markdown.
    pub markdown_cap: f64,
    /// The mean actual ÷ forecast of the seasons the order is calibrated on (1:
    /// none), so a planner sees the order centre tune may recommend played.
    pub order_centre: f64,
}

/// One set of settings and the gross margin it earned over the draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    /// The settings.
    pub settings: SettingsPlayed,
    /// Gross margin over the draws: p10, p50, p90 (each with its 90% interval)
    /// and the mean, money.
    pub margin: MarginSpread,
}

/// The answer to a what-if.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhatIfReport {
    /// The season the draws are centred on.
    pub workflow_id: String,
    /// Seasons drawn (both settings meet the same ones).
    pub draws: usize,
    /// Their seed (`tune`'s with the same draws and seed meets the same seasons).
    pub seed: u64,
    /// The demand the draws are centred on, units: the season's, the markdown's
    /// lift divided out.
    pub demand_centre: u64,
    /// The currency of the money figures.
    pub currency: String,
    /// This season's settings.
    pub current: Outcome,
    /// The planner's settings.
    pub planned: Outcome,
    /// The planner's settings less this season's, per draw: the mean and its 90%
    /// interval, money.
    pub gain: PairedGain,
}

/// Checks the planner's values against the completed season `view` without
/// playing anything: a refusal costs no simulation.
pub fn check(view: &WorkflowView, what: &WhatIf) -> Result<(), WhatIfFailure> {
    let config = completed_config(view, "a what-if needs")?;
    what.apply(&config, max_order_units(view))?;
    Ok(())
}

/// The largest first buy a what-if may fix for `view`: what the order approval
/// takes.
fn max_order_units(view: &WorkflowView) -> u64 {
    limits::max_order_units(view.order.map_or(0, |o| o.forecast_units))
}

/// A completed season's draws and what its own settings earned on them: what
/// every question about it starts from.
pub struct WhatIfBasis {
    workflow_id: String,
    category: String,
    config: SeasonConfig,
    world: World,
    data: Arc<SeasonData>,
    draws: Vec<Vec<Vec<u64>>>,
    options: TuneOptions,
    demand_centre: u64,
    max_order_units: u64,
    current: Outcome,
    current_margins: Vec<f64>,
}

impl WhatIfBasis {
    /// Draws `options.draws` seasons around the completed season `view` (folded
    /// from `events`) and plays its own settings on them.
    pub fn prepare(
        view: &WorkflowView,
        events: &[StoredEvent],
        data: Arc<SeasonData>,
        options: TuneOptions,
    ) -> Result<WhatIfBasis, SimulationError> {
        let config = completed_config(view, "a what-if needs")?;
        let world = replay_world(view);
        let base = demand_before_lift(events, &world);
        let demand_centre: u64 = base.iter().flatten().sum();
        let draws = centred_draws(&base, options.draws, options.seed, DrawSpread::default());
        let sim = SeasonSimulator::prepare(&view.category, &config, data.clone())?;
        let current_margins = sim.margins(&draws, &world)?;
        let current = Outcome {
            settings: played(&config, &sim, false),
            margin: spread(&current_margins)?,
        };
        Ok(WhatIfBasis {
            workflow_id: view.workflow_id.clone(),
            category: view.category.clone(),
            config,
            world,
            data,
            draws,
            options,
            demand_centre,
            max_order_units: max_order_units(view),
            current,
            current_margins,
        })
    }

    /// The draws and seed the basis was prepared with.
    pub fn options(&self) -> TuneOptions {
        self.options
    }

    /// The largest first buy a what-if may fix: what the order approval takes.
    pub fn max_order_units(&self) -> u64 {
        self.max_order_units
    }

    /// Plays the planner's settings on the basis's draws, beside this season's.
    pub fn ask(&self, what: &WhatIf) -> Result<WhatIfReport, WhatIfFailure> {
        let config = what.apply(&self.config, self.max_order_units)?;
        let (planned, margins) = if what.is_empty() {
            (self.current.clone(), self.current_margins.clone())
        } else {
            let sim = SeasonSimulator::prepare_with_order(
                &self.category,
                &config,
                self.data.clone(),
                what.order_units,
            )?;
            let margins = sim.margins(&self.draws, &self.world)?;
            let outcome = Outcome {
                settings: played(&config, &sim, what.order_units.is_some()),
                margin: spread(&margins)?,
            };
            (outcome, margins)
        };
        Ok(WhatIfReport {
            workflow_id: self.workflow_id.clone(),
            draws: self.draws.len(),
            seed: self.options.seed,
            demand_centre: self.demand_centre,
            currency: self.config.tunables.currency.clone(),
            current: self.current.clone(),
            gain: PairedGain::of(&self.current_margins, &margins),
            planned,
        })
    }
}

/// The settings `config` plays with, the first buy as the launched season made it.
fn played(config: &SeasonConfig, sim: &SeasonSimulator, order_fixed: bool) -> SettingsPlayed {
    let fraction = |knob| match current(config, knob) {
        Setting::Fraction(x) => x,
        Setting::Week(_) => 0.0,
    };
    SettingsPlayed {
        policy: config.tunables.policy,
        safety_stock: fraction(Knob::SafetyStock),
        safety_stock_field: Knob::SafetyStock.field(Rules::of(&config.tunables).order),
        order_units: sim.launched().order.map_or(0, |o| o.manufacturing_qty),
        order_fixed,
        holdback: config.parameters.dc_holdback_percentage,
        checkpoint_week: config.parameters.markdown_checkpoint_week,
        markdown_cap: config.tunables.markdown_cap_pct,
        order_centre: fraction(Knob::OrderCentre),
    }
}

fn spread(margins: &[f64]) -> Result<MarginSpread, SimulationError> {
    MarginSpread::of(margins).ok_or_else(|| {
        SimulationError::Engine(EngineError::Internal(
            "a what-if without a margin to spread".into(),
        ))
    })
}

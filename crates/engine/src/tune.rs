//! `atelier tune`: next season's safety stock, holdback, checkpoint week, markdown
//! cap and order centre, tried on draws of demand centred on what the finished
//! season saw, with the same steps and policy as a real season
//! ([`SeasonSimulator`]). A change is recommended only when simulation supports it
//! in sample and again on held-out draws (see `atelier_core::tune`).
//!
//! - **No double-counted lift.** The weeks a markdown was in force are divided by
//!   the lift the season's world gave it before the draws are made, and the draws
//!   are played in that same world, so a replayed markdown lifts demand once.
//! - **Held out.** Each knob's best supported value is played again on fresh draws
//!   (another seed) against the current settings; it is recommended only when the
//!   whole 90% interval of that gain is above zero.
//! - **Together.** The knobs recommended alone are played together on the held-out
//!   draws; the combination is recommended only when it, too, gains with
//!   confidence, so advice given together has been measured together.

use crate::agents::SeasonData;
use crate::event::{Event, StoredEvent};
use crate::simulate::{SeasonSimulator, SimulationError};
use crate::view::WorkflowView;
use crate::{EngineError, WorkflowState};
use atelier_core::params::{Policy, SeasonConfig};
use atelier_core::tune::{
    DrawSpread, Knob, PairedGain, Setting, best, candidates, centred_draws, current, with_setting,
};
use atelier_core::world::World;
use serde::Serialize;
use std::sync::Arc;

/// Mixed into the seed for the held-out draws, so they never repeat the tuning's.
pub const HELD_OUT_SALT: u64 = 0x0004_E1D0_u64;

/// How many draws, from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TuneOptions {
    /// Seasons drawn around the observed one (the held-out check draws as many).
    pub draws: usize,
    /// The same seed gives the same draws and the same answer.
    pub seed: u64,
}

/// One candidate value and what it earned against the current setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tried {
    /// The value tried.
    pub setting: Setting,
    /// Its mean gross margin over the draws, money.
    pub margin_mean: f64,
    /// Its paired gain over the current setting.
    pub gain: PairedGain,
}

/// A knob: its current value, every value tried, and the recommendation if any.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KnobAdvice {
    /// The knob.
    pub knob: Knob,
    /// Its name in a parameter file.
    pub field: &'static str,
    /// Its value this season.
    pub current: Setting,
    /// The values tried.
    pub tried: Vec<Tried>,
    /// The best value the tuning draws support, before the held-out check.
    pub best_in_sample: Option<Tried>,
    /// That value's paired gain on the held-out draws.
    pub held_out: Option<PairedGain>,
    /// The value recommended: supported in sample and on held-out draws; `None`
    /// keeps the current one.
    pub recommended: Option<Tried>,
}

/// The knobs recommended alone, played together on the held-out draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Together {
    /// Each knob and its recommended value.
    pub settings: Vec<(Knob, Setting)>,
    /// Their joint paired gain over the current settings on the held-out draws.
    pub gain: PairedGain,
    /// Whether the combination gains with confidence and at least as much as the
    /// best knob alone (else apply that one only).
    pub supported: bool,
    /// The recommended knob with the largest held-out gain alone.
    pub best_alone: (Knob, Setting),
}

/// The what-if for next season.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TuneReport {
    /// The season tuned.
    pub workflow_id: String,
    /// Its policy (kept for next season).
    pub policy: Policy,
    /// Draws per setting.
    pub draws: usize,
    /// Their seed.
    pub seed: u64,
    /// The held-out draws' seed.
    pub held_out_seed: u64,
    /// The observed season's demand, units (markdown lift included).
    pub observed_demand: u64,
    /// The same weeks without the lift the world gave the markdown, units: what
    /// the draws are centred on.
    pub demand_before_lift: u64,
    /// That demand ÷ the season's forecast: the order-centre knob's candidate
    /// (none without a forecast).
    pub season_ratio: Option<f64>,
    /// Mean gross margin of this season's settings over the draws, money.
    pub current_margin_mean: f64,
    /// The currency of the money figures.
    pub currency: String,
    /// Each knob.
    pub knobs: Vec<KnobAdvice>,
    /// The recommended knobs together, when more than one is.
    pub together: Option<Together>,
}

/// Each week's demand per store (`[week][store]`) as the season recorded it.
pub fn observed_demand(events: &[StoredEvent]) -> Vec<Vec<u64>> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Event::WeekRecorded { sales } => Some(sales.demand.clone()),
            _ => None,
        })
        .collect()
}

/// Each week's demand per store as the season would have seen it without the
/// markdown in force that week: divided by the lift `world` gives its depth.
pub fn demand_before_lift(events: &[StoredEvent], world: &World) -> Vec<Vec<u64>> {
    // The markdown in force is the last one applied (the fold's `markdown_in_force`).
    let mut in_force = 0.0;
    let mut weeks = Vec::new();
    for stored in events {
        match &stored.event {
            Event::WeekRecorded { sales } => {
                let lift = 1.0 + world.lift_at(in_force);
                weeks.push(
                    sales
                        .demand
                        .iter()
                        .map(|u| (*u as f64 / lift).round() as u64)
                        .collect(),
                );
            }
            Event::MarkdownApplied { markdown_pct, .. } => in_force = *markdown_pct,
            _ => {}
        }
    }
    weeks
}

/// A completed season's demand before the markdown's lift ÷ its forecast (the
/// world it was played in, or the standard one): what a later season's order may
/// be calibrated on (`tunables.prior_seasons`). `None` without a forecast or a
/// recorded week.
pub fn season_ratio(view: &WorkflowView, events: &[StoredEvent]) -> Option<f64> {
    let demand: u64 = demand_before_lift(events, &replay_world(view))
        .iter()
        .flatten()
        .sum();
    ratio_to_forecast(view, demand)
}

/// The world a season's weeks are de-lifted and replayed in: its own, or the
/// standard one for a season recorded before worlds or from real sales.
pub(crate) fn replay_world(view: &WorkflowView) -> World {
    view.world.clone().unwrap_or_else(World::standard)
}

/// `demand` ÷ the season's forecast; `None` without either.
fn ratio_to_forecast(view: &WorkflowView, demand: u64) -> Option<f64> {
    let forecast = view.forecast.as_ref()?.total_season_demand;
    (forecast > 0 && demand > 0).then(|| demand as f64 / forecast as f64)
}

/// The ratios ([`season_ratio`]) of every completed season of `category` in the
/// orchestrator's store, oldest first: the seasons a planner's next order learns
/// its centre from (`atelier run --learn-from-store`).
pub fn completed_season_ratios(
    orchestrator: &crate::Orchestrator,
    category: &str,
) -> Result<Vec<f64>, EngineError> {
    let mut seasons: Vec<_> = orchestrator
        .store()
        .list()?
        .into_iter()
        .filter(|s| s.state == WorkflowState::Completed && s.category == category)
        .collect();
    seasons.sort_by_key(|s| s.created_at);
    let mut ratios = Vec::new();
    for s in seasons {
        // One read of the log: the view is folded from the events it holds.
        let events = orchestrator.events(&s.workflow_id, 0, None)?;
        let view = WorkflowView::fold(&events)?;
        ratios.extend(season_ratio(&view, &events));
    }
    Ok(ratios)
}

/// The settings a completed season was played with; a season not completed is
/// refused (`what` names the request in the message): its demand is not whole.
pub(crate) fn completed_config(
    view: &WorkflowView,
    what: &str,
) -> Result<SeasonConfig, SimulationError> {
    if view.state != WorkflowState::Completed {
        return Err(EngineError::InvalidSeason(format!(
            "workflow {} is {} after {} of {} weeks: {what} a completed season",
            view.workflow_id,
            view.state,
            view.weeks.len(),
            view.horizon()
        ))
        .into());
    }
    Ok(SeasonConfig {
        parameters: view.parameters.clone(),
        tunables: view.tunables.clone(),
    })
}

/// Tunes a completed season (`view`, folded from `events`) on its data.
pub fn tune(
    view: &WorkflowView,
    events: &[StoredEvent],
    data: Arc<SeasonData>,
    options: TuneOptions,
) -> Result<TuneReport, SimulationError> {
    let config = completed_config(view, "tune")?;
    let world = replay_world(view);
    let observed = observed_demand(events);
    let base = demand_before_lift(events, &world);
    let base_total: u64 = base.iter().flatten().sum();
    let season_ratio = ratio_to_forecast(view, base_total);
    let held_out_seed = options.seed ^ HELD_OUT_SALT;
    let draws = centred_draws(&base, options.draws, options.seed, DrawSpread::default());
    let held = centred_draws(&base, options.draws, held_out_seed, DrawSpread::default());
    let margins = |c: &SeasonConfig, on: &[Vec<Vec<u64>>]| -> Result<Vec<f64>, SimulationError> {
        SeasonSimulator::prepare(&view.category, c, data.clone())?.margins(on, &world)
    };
    let current_margins = margins(&config, &draws)?;
    let current_held = margins(&config, &held)?;
    let order_rule = view.rules().order;
    let mut knobs = Vec::new();
    for knob in Knob::ALL {
        let mut tried = Vec::new();
        for setting in candidates(&config, knob, season_ratio) {
            let m = margins(&with_setting(&config, knob, setting), &draws)?;
            tried.push(Tried {
                setting,
                margin_mean: mean(&m),
                gain: PairedGain::of(&current_margins, &m),
            });
        }
        let pairs: Vec<(Setting, PairedGain)> = tried.iter().map(|t| (t.setting, t.gain)).collect();
        let best_in_sample = best(&pairs)
            .and_then(|(s, _)| tried.iter().find(|t| t.setting == *s))
            .copied();
        let held_out = match &best_in_sample {
            Some(t) => Some(PairedGain::of(
                &current_held,
                &margins(&with_setting(&config, knob, t.setting), &held)?,
            )),
            None => None,
        };
        let recommended = best_in_sample.filter(|_| held_out.is_some_and(|g| g.supports()));
        knobs.push(KnobAdvice {
            knob,
            field: knob.field(order_rule),
            current: current(&config, knob),
            tried,
            best_in_sample,
            held_out,
            recommended,
        });
    }
    let together = together(&knobs, |chosen| {
        let joint = chosen
            .iter()
            .fold(config.clone(), |c, (k, s)| with_setting(&c, *k, *s));
        Ok(PairedGain::of(&current_held, &margins(&joint, &held)?))
    })?;
    Ok(TuneReport {
        workflow_id: view.workflow_id.clone(),
        policy: config.tunables.policy,
        draws: options.draws,
        seed: options.seed,
        held_out_seed,
        observed_demand: observed.iter().flatten().sum(),
        demand_before_lift: base_total,
        season_ratio,
        current_margin_mean: mean(&current_margins),
        currency: config.tunables.currency.clone(),
        knobs,
        together,
    })
}

/// The recommended knobs played together (`joint_gain` plays them on the held-out
/// draws), beside the best one alone: supported only if together they gain at
/// least as much as it does. None with fewer than two recommended.
fn together(
    knobs: &[KnobAdvice],
    joint_gain: impl FnOnce(&[(Knob, Setting)]) -> Result<PairedGain, SimulationError>,
) -> Result<Option<Together>, SimulationError> {
    let chosen: Vec<(Knob, Setting)> = knobs
        .iter()
        .filter_map(|k| k.recommended.map(|t| (k.knob, t.setting)))
        .collect();
    if chosen.len() < 2 {
        return Ok(None);
    }
    let gain = joint_gain(&chosen)?;
    let alone = knobs
        .iter()
        .filter_map(|k| Some((k.knob, k.recommended?.setting, k.held_out?.mean)))
        .max_by(|a, b| a.2.total_cmp(&b.2));
    Ok(alone.map(|(knob, setting, alone_gain)| Together {
        settings: chosen,
        supported: gain.supports() && gain.mean >= alone_gain,
        gain,
        best_alone: (knob, setting),
    }))
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

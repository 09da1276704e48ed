//! `atelier tune`: next season's safety stock, holdback, checkpoint week and
//! markdown cap, each tried one at a time on draws of demand centred on what the
//! finished season saw, with the same steps and policy as a real season
//! ([`SeasonSimulator`]). A change is recommended only when simulation supports it
//! (see `atelier_core::tune`).

use crate::agents::SeasonData;
use crate::event::{Event, StoredEvent};
use crate::simulate::{SeasonSimulator, SimulationError};
use crate::view::WorkflowView;
use crate::{EngineError, WorkflowState};
use atelier_core::params::{Policy, SeasonConfig};
use atelier_core::tune::{
    DrawSpread, Knob, PairedGain, Setting, best, candidates, centred_draws, current, with_setting,
};
use serde::Serialize;
use std::sync::Arc;

/// How many draws, from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TuneOptions {
    /// Seasons drawn around the observed one.
    pub draws: usize,
    /// The same seed gives the same draws and the same answer.
    pub seed: u64,
}

/// One candidate value and what it earned against the current setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
pub struct KnobAdvice {
    /// The knob.
    pub knob: Knob,
    /// Its name in a parameter file.
    pub field: &'static str,
    /// Its value this season.
    pub current: Setting,
    /// The values tried.
    pub tried: Vec<Tried>,
    /// The best value simulation supports; `None` keeps the current one.
    pub recommended: Option<Tried>,
}

/// The what-if for next season.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TuneReport {
    /// The season tuned.
    pub workflow_id: String,
    /// Its policy (kept for next season).
    pub policy: Policy,
    /// Draws per setting.
    pub draws: usize,
    /// Their seed.
    pub seed: u64,
    /// The observed season's demand, units.
    pub observed_demand: u64,
    /// Mean gross margin of this season's settings over the draws, money.
    pub current_margin_mean: f64,
    /// The currency of the money figures.
    pub currency: String,
    /// Each knob.
    pub knobs: Vec<KnobAdvice>,
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

/// Tunes a completed season (`view`, folded from `events`) on its data.
pub fn tune(
    view: &WorkflowView,
    events: &[StoredEvent],
    data: Arc<SeasonData>,
    options: TuneOptions,
) -> Result<TuneReport, SimulationError> {
    if view.state != Some(WorkflowState::Completed) {
        return Err(EngineError::InvalidSeason(format!(
            "workflow {} is {} after {} of {} weeks: tune a completed season",
            view.workflow_id,
            view.state.map_or("empty".into(), |s| s.to_string()),
            view.weeks.len(),
            view.horizon()
        ))
        .into());
    }
    let parameters = view
        .parameters
        .clone()
        .ok_or_else(|| EngineError::Internal("a completed season without parameters".into()))?;
    let config = SeasonConfig {
        parameters,
        tunables: view.tunables.clone(),
    };
    let observed = observed_demand(events);
    let draws = centred_draws(
        &observed,
        options.draws,
        options.seed,
        DrawSpread::default(),
    );
    let margins = |c: &SeasonConfig| -> Result<Vec<f64>, SimulationError> {
        let sim = SeasonSimulator::prepare(&view.category, c, data.clone())?;
        draws
            .iter()
            .map(|d| {
                let v = sim.play(d)?;
                Ok(v.report.as_ref().map_or(0.0, |r| r.gross_margin))
            })
            .collect()
    };
    let base = margins(&config)?;
    let mut knobs = Vec::new();
    for knob in Knob::ALL {
        let mut tried = Vec::new();
        for setting in candidates(&config, knob) {
            let m = margins(&with_setting(&config, knob, setting))?;
            tried.push(Tried {
                setting,
                margin_mean: mean(&m),
                gain: PairedGain::of(&base, &m),
            });
        }
        let pairs: Vec<(Setting, PairedGain)> = tried.iter().map(|t| (t.setting, t.gain)).collect();
        let recommended = best(&pairs).and_then(|(s, _)| tried.iter().find(|t| t.setting == *s));
        knobs.push(KnobAdvice {
            knob,
            field: knob.field(config.tunables.policy),
            current: current(&config, knob),
            recommended: recommended.copied(),
            tried,
        });
    }
    Ok(TuneReport {
        workflow_id: view.workflow_id.clone(),
        policy: config.tunables.policy,
        draws: options.draws,
        seed: options.seed,
        observed_demand: observed.iter().flatten().sum(),
        current_margin_mean: mean(&base),
        currency: config.tunables.currency.clone(),
        knobs,
    })
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

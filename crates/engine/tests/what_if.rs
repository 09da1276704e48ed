//! What-if in the cockpit (`engine::what_if`): the planner's settings played on
//! `tune`'s draws of a completed season beside the season's own settings, paired
//! draw by draw; a first buy fixed in units is the order every draw plays; values
//! out of range are refused naming their field; a running season has no what-if.

mod support;

use atelier_core::Policy;
use atelier_core::SeasonConfig;
use atelier_core::tune::{
    DrawSpread, Knob, MarginSpread, PairedGain, Setting, WhatIf, centred_draws, with_setting,
};
use atelier_core::world::World;
use atelier_engine::DataCatalog;
use atelier_engine::WorkflowView;
use atelier_engine::event::DataSource;
use atelier_engine::simulate::SeasonSimulator;
use atelier_engine::tune::{TuneOptions, demand_before_lift};
use atelier_engine::what_if::{WhatIfBasis, WhatIfFailure};
use support::*;

/// A standard-retail season of the normal scenario under `margin`, completed.
fn completed(h: &Harness) -> (WorkflowView, Vec<atelier_engine::event::StoredEvent>) {
    h.orchestrator
        .create(new_workflow("done", margin_params("standard_retail")))
        .unwrap();
    let view = play_auto(h, "done", &scenario("normal_season"));
    assert_eq!(view.state, atelier_engine::WorkflowState::Completed);
    (view, events(h, "done"))
}

#[test]
fn the_planners_settings_are_played_on_tunes_draws_beside_the_seasons_own() {
    let h = harness();
    let (view, events) = completed(&h);
    let data = catalog().load(&DataSource::Sample).unwrap();
    let options = TuneOptions { draws: 6, seed: 7 };
    let basis = WhatIfBasis::prepare(&view, &events, data.clone(), options).expect("basis");

    // Nothing asked: the season's own settings, a gain of exactly nothing.
    let same = basis.ask(&WhatIf::default()).expect("answer");
    assert_eq!(same.planned, same.current);
    assert_eq!(same.gain.mean, 0.0);
    assert_eq!((same.draws, same.seed), (6, 7));
    assert_eq!(same.currency, "USD");
    let now = &same.current.settings;
    assert_eq!(now.policy, Policy::Margin);
    assert_eq!(now.checkpoint_week, Some(6));
    assert_eq!(now.holdback, 0.45);
    assert_eq!(now.safety_stock_field, "tunables.season_level_sd");
    assert_eq!(now.order_units, view.order.unwrap().manufacturing_qty);
    assert!(!now.order_fixed);
    let m = same.current.margin;
    assert!(
        m.p10.value <= m.p50.value && m.p50.value <= m.p90.value,
        "{m:?}"
    );
    assert!(m.p50.value > 0.0);

    // The draws are tune's: the season's demand without the markdown's lift,
    // centred with the same seed.
    let world = view.world.clone().unwrap_or_else(World::standard);
    let base = demand_before_lift(&events, &world);
    assert_eq!(same.demand_centre, base.iter().flatten().sum::<u64>());
    let draws = centred_draws(&base, 6, 7, DrawSpread::default());

    // The seed's rules with no markdown, played on those draws: the spread is
    // theirs, the gain the paired difference with the season's settings.
    let asked = WhatIf {
        policy: Some(Policy::Seed),
        checkpoint_week: Some(None),
        ..WhatIf::default()
    };
    let r = basis.ask(&asked).expect("answer");
    assert_eq!(r.planned.settings.policy, Policy::Seed);
    assert_eq!(r.planned.settings.checkpoint_week, None);
    assert_eq!(
        r.planned.settings.safety_stock_field,
        "tunables.safety_stock_pct"
    );
    let season = SeasonConfig {
        parameters: view.parameters.clone(),
        tunables: view.tunables.clone(),
    };
    let margins = |c: &SeasonConfig| {
        SeasonSimulator::prepare(&view.category, c, data.clone())
            .unwrap()
            .margins(&draws, &world)
            .unwrap()
    };
    let mut seed = season.clone();
    seed.tunables.policy = Policy::Seed;
    let seed = with_setting(&seed, Knob::CheckpointWeek, Setting::Week(None));
    let theirs = margins(&seed);
    assert_eq!(r.planned.margin, MarginSpread::of(&theirs).unwrap());
    assert_eq!(r.gain, PairedGain::of(&margins(&season), &theirs));
    assert_ne!(r.gain.mean, 0.0);
}

#[test]
fn a_first_buy_fixed_in_units_is_the_order_every_draw_plays() {
    let h = harness();
    let (view, events) = completed(&h);
    let data = catalog().load(&DataSource::Sample).unwrap();
    let basis = WhatIfBasis::prepare(&view, &events, data, TuneOptions { draws: 3, seed: 1 })
        .expect("basis");
    // Under the seed's rules (no second buy to make up for it), a first buy of a
    // tenth of the demand sells out early: the median season earns less than
    // with the order the rules would place.
    let seed = WhatIf {
        policy: Some(Policy::Seed),
        ..WhatIf::default()
    };
    let own = basis.ask(&seed).expect("answer");
    assert!(!own.planned.settings.order_fixed);
    let fixed = own.demand_centre / 10;
    let tenth = basis
        .ask(&WhatIf {
            order_units: Some(fixed),
            ..seed.clone()
        })
        .expect("answer");
    assert_eq!(tenth.planned.settings.order_units, fixed);
    assert!(tenth.planned.settings.order_fixed);
    assert!(
        tenth.planned.margin.p50.value < own.planned.margin.p50.value,
        "{tenth:?}"
    );
    // This season's settings are the same in both answers.
    assert_eq!(tenth.current, own.current);
    // Out of range, or beside a safety stock: named, and nothing is played.
    for (what, field) in [
        (
            WhatIf {
                order_units: Some(basis.max_order_units() + 1),
                ..WhatIf::default()
            },
            "order_units",
        ),
        (
            WhatIf {
                holdback: Some(-0.5),
                ..WhatIf::default()
            },
            "holdback",
        ),
        (
            WhatIf {
                checkpoint_week: Some(Some(13)),
                ..WhatIf::default()
            },
            "checkpoint_week",
        ),
    ] {
        match basis.ask(&what) {
            Err(WhatIfFailure::Settings(e)) => assert_eq!(e.field(), field, "{e}"),
            other => panic!("{what:?}: {other:?}"),
        }
    }
}

#[test]
fn a_season_not_completed_has_no_what_if() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("open", margin_params("standard_retail")))
        .unwrap();
    let view = play_auto(&h, "open", &scenario("normal_season")[..3]);
    let data = catalog().load(&DataSource::Sample).unwrap();
    let e = WhatIfBasis::prepare(
        &view,
        &events(&h, "open"),
        data,
        TuneOptions { draws: 2, seed: 1 },
    )
    .err()
    .expect("refused");
    assert!(
        e.to_string()
            .contains("after 3 of 12 weeks: a what-if needs a completed season"),
        "{e}"
    );
}

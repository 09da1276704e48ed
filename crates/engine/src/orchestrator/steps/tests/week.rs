//! A week's effects: the sales recorded store by store, the variance measured, a
//! re-forecast (and an emergency alert) only when the week drifts, the markdown
//! check at the checkpoint, and actuals that do not cover the week refused before
//! anything is recorded.

use super::{play, run};
use crate::event::{Event, ReforecastReason};
use crate::orchestrator::EngineError;
use crate::orchestrator::steps::testing::effects::{
    emits, emits_in_order, explained, one, phases, refusal,
};
use crate::orchestrator::steps::testing::{Season, on_plan};
use crate::state::WorkflowState;
use atelier_core::Policy;
use atelier_core::data::WeekActuals;
use std::borrow::Cow;

fn hot(_: usize, _: usize) -> f64 {
    3.0
}

fn launched(set: &str) -> Season {
    Season::new(set, Policy::Seed).launch()
}

#[test]
fn a_week_on_plan_is_recorded_measured_and_the_next_one_begins() {
    let s = launched("zara");
    let units = s.units(1, on_plan);
    let step = s.step(|ctx, v| play(ctx, Cow::Borrowed(v), 1, &units, "h1".into()));
    let sales = one(&step, |e| match e {
        Event::WeekRecorded { sales } => Some(sales.clone()),
        _ => None,
    });
    assert_eq!(sales.week, 1);
    assert_eq!(sales.content_hash, "h1");
    assert_eq!(
        sales.demand, units,
        "demand is the file's units, store by store"
    );
    assert!(sales.sold.iter().zip(&units).all(|(s, u)| s <= u));
    let (check, triggered) = one(&step, |e| match e {
        Event::VarianceMeasured {
            check,
            reforecast_triggered,
        } => Some((*check, *reforecast_triggered)),
        _ => None,
    });
    assert_eq!(check.week, 1);
    assert_eq!(check.actual, sales.sold.iter().sum::<u64>());
    assert_eq!(triggered, check.threshold_exceeded);
    assert!(!triggered, "a week on plan is within the threshold");
    assert!(!emits(&step, "reforecast_applied"));
    assert!(explained(&step, "variance").is_some());
    assert_eq!(
        phases(&step).last(),
        Some(&(WorkflowState::Phase3Monitoring, 2))
    );
}

#[test]
fn a_week_far_above_plan_re_forecasts_the_weeks_left() {
    let s = launched("zara");
    let step = s.week(hot);
    let (check, triggered) = one(&step, |e| match e {
        Event::VarianceMeasured {
            check,
            reforecast_triggered,
        } => Some((*check, *reforecast_triggered)),
        _ => None,
    });
    assert!(check.threshold_exceeded && triggered, "{check:?}");
    assert!(emits_in_order(
        &step,
        &[
            "week_recorded",
            "variance_measured",
            "phase_started",
            "reforecast_applied"
        ]
    ));
    assert!(phases(&step).contains(&(WorkflowState::Phase5Reforecast, 1)));
    let (after, reason, remaining) = one(&step, |e| match e {
        Event::ReforecastApplied {
            after_week,
            reason,
            remaining,
            ..
        } => Some((*after_week, *reason, remaining.len())),
        _ => None,
    });
    assert_eq!((after, reason), (1, ReforecastReason::Variance));
    assert_eq!(remaining, 11, "weeks 2..=12 re-forecast");
}

#[test]
fn demand_the_stock_cannot_cover_raises_the_emergency_alert() {
    // Zara holds nothing at the DC: a week at three times the plan leaves the
    // re-forecast weeks short of the stock in stores.
    let s = launched("zara");
    let step = s.week(hot);
    let (week, shortfall) = one(&step, |e| match e {
        Event::EmergencyReorderAlert {
            week,
            shortfall_units,
            ..
        } => Some((*week, *shortfall_units)),
        _ => None,
    });
    assert_eq!(week, 1);
    assert!(shortfall > 0);
    let words = explained(&step, "emergency_reorder").unwrap().offline_text;
    assert!(
        words.contains(&format!("about {shortfall} units")),
        "{words}"
    );
    // A week on plan raises none.
    assert!(!emits(&s.week(on_plan), "emergency_reorder_alert"));
}

#[test]
fn the_checkpoint_week_checks_the_markdown() {
    let mut s = launched("standard_retail");
    s.through_week(5, on_plan);
    let step = s.week(on_plan);
    assert!(phases(&step).contains(&(WorkflowState::Phase4MarkdownCheck, 6)));
    let week = one(&step, |e| match e {
        Event::MarkdownProposed { week, .. } => Some(*week),
        _ => None,
    });
    assert_eq!(week, 6);
    // Luxury has no checkpoint: its week 6 checks nothing.
    let mut luxury = launched("luxury");
    luxury.through_week(5, on_plan);
    assert!(!emits(&luxury.week(on_plan), "markdown_proposed"));
}

#[test]
fn the_last_week_writes_the_report() {
    let mut s = launched("zara");
    s.through_week(11, on_plan);
    let step = s.week(on_plan);
    assert!(emits(&step, "workflow_completed"));
    assert!(
        !phases(&step).contains(&(WorkflowState::Phase3Monitoring, 13)),
        "no week after the last"
    );
    assert_eq!(step.view.state, WorkflowState::Completed);
}

#[test]
fn actuals_dated_in_another_week_are_refused_naming_the_week_and_date() {
    let s = launched("zara");
    let week_2 = s.actuals(2);
    let e = refusal(s.try_step(|ctx, v| run(ctx, v, 1, &week_2, "h".into())));
    let EngineError::ActualsOutsideWeek {
        week,
        date,
        from,
        to,
    } = e
    else {
        panic!("{e:?}");
    };
    assert_eq!(week, 1);
    assert!(
        date > to && from == s.view.parameters.season_start_date,
        "{date} {from}..{to}"
    );
}

#[test]
fn a_week_missing_a_day_or_a_store_is_refused() {
    let s = launched("zara");
    let full = s.actuals(1);
    let last_day = full.rows.iter().map(|r| r.date).max().unwrap();
    let short = WeekActuals {
        rows: full
            .rows
            .iter()
            .filter(|r| r.date != last_day)
            .cloned()
            .collect(),
    };
    let e = refusal(s.try_step(|ctx, v| run(ctx, v, 1, &short, "h".into())));
    assert!(
        matches!(&e, EngineError::IncompleteWeek { week: 1, missing } if missing == &vec![last_day]),
        "{e:?}"
    );
    let first_store = full.rows[0].store_id.clone();
    let one_store_less = WeekActuals {
        rows: full
            .rows
            .iter()
            .filter(|r| r.store_id != first_store)
            .cloned()
            .collect(),
    };
    let e = refusal(s.try_step(|ctx, v| run(ctx, v, 1, &one_store_less, "h".into())));
    let EngineError::IncompleteStores { stores_missing, .. } = e else {
        panic!("{e:?}");
    };
    assert_eq!(stores_missing.len(), 1);
    assert_eq!(stores_missing[0].0, first_store);
    assert_eq!(stores_missing[0].1.len(), 7);
}

#[test]
fn units_for_another_network_are_refused() {
    let s = launched("zara");
    let mut units = s.units(1, on_plan);
    units.pop();
    let e = refusal(s.try_step(|ctx, v| play(ctx, Cow::Borrowed(v), 1, &units, "h".into())));
    assert!(matches!(e, EngineError::StoreCountChanged { .. }), "{e:?}");
}

//! Phase 3's top-ups: stores topped up from the DC when the cadence says so (never
//! more than the DC holds), and nothing when replenishment is off or not due.

use super::if_due;
use crate::event::Event;
use crate::orchestrator::step::Step;
use crate::orchestrator::steps::testing::effects::{all, emits, kinds, phases};
use crate::orchestrator::steps::testing::{Season, on_plan};
use crate::state::WorkflowState;
use atelier_core::Policy;

/// The top-up `if_due` ships after `week`, with the step.
fn top_up(s: &Season, week: u32) -> (Step, Vec<Vec<u64>>) {
    let mut step = Step::begin(&s.view);
    if_due(&s.ctx(), &mut step, week).unwrap();
    let shipped = all(&step, |e| match e {
        Event::ReplenishmentShipped { week: w, units } => {
            assert_eq!(*w, week);
            Some(units.clone())
        }
        _ => None,
    });
    (step, shipped)
}

#[test]
fn weekly_replenishment_tops_stores_up_from_the_dc() {
    for policy in [Policy::Seed, Policy::Margin] {
        let mut s = Season::new("standard_retail", policy).launch();
        s.through_week(1, on_plan);
        // Played through week 1 the top-up already ran; weigh week 2's from here.
        let dc = s.view.dc_stock;
        let (step, shipped) = top_up(&s, 2);
        assert_eq!(shipped.len(), 1, "{policy:?}: {:?}", kinds(&step));
        assert_eq!(shipped[0].len(), s.view.stock.len());
        let units: u64 = shipped[0].iter().sum();
        assert!(units <= dc, "{policy:?}: {units} shipped from a DC of {dc}");
        assert_eq!(step.view.dc_stock, dc - units);
        assert_eq!(phases(&step), vec![(WorkflowState::Phase3Replenishment, 2)]);
    }
}

#[test]
fn no_replenishment_ships_nothing() {
    let s = Season::new("zara", Policy::Seed).launch();
    let (step, shipped) = top_up(&s, 1);
    assert!(shipped.is_empty());
    assert!(kinds(&step).is_empty(), "{:?}", kinds(&step));
}

#[test]
fn bi_weekly_replenishment_skips_the_weeks_between() {
    let s = Season::new("conservative", Policy::Seed).launch();
    let due: Vec<u32> = (1..12)
        .filter(|w| emits(&top_up(&s, *w).0, "replenishment_shipped"))
        .collect();
    let strategy = s.view.parameters.replenishment_strategy;
    let expected: Vec<u32> = (1..12)
        .filter(|w| strategy.replenishes_after(*w, 12))
        .collect();
    assert_eq!(due, expected);
    assert!(due.len() < 11 && !due.is_empty(), "{due:?}");
}

//! A store's own page (`engine::store_season`): its plan, each week's sales beside
//! its share of the forecast the week was played against, its stock, the DC's
//! replenishment and the markdown it sold under, folded from the log; an unknown
//! store and a season not yet allocated are refused, naming why.
//! (Transfers between stores: `transfers.rs`.)

mod support;

use atelier_engine::event::Event;
use atelier_engine::store_season::{StoreSeasonError, store_season};
use support::*;

#[test]
fn a_store_sees_its_plan_its_weeks_against_its_share_of_the_forecast_and_the_markdown() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("std", params("standard_retail")))
        .unwrap();
    let view = play_auto(&h, "std", &scenario("normal_season"));
    let log = events(&h, "std");
    let allocation = view.allocation.clone().unwrap();
    let markdown = view
        .markdown
        .clone()
        .expect("the seed marks down at week 6");
    assert!(markdown.applied);
    let forecasts: Vec<Vec<u64>> = {
        // The forecast in force as each week was played, read from the log.
        let mut w = atelier_engine::view::Workflow::Empty;
        let mut out = Vec::new();
        for e in &log {
            if let (Event::WeekRecorded { .. }, Some(v)) = (&e.event, w.season()) {
                out.push(v.forecast_weekly.clone());
            }
            w.apply(e).unwrap();
        }
        out
    };
    let mut network_forecast = [0.0; 12];
    let mut replenished = 0;
    for (i, planned) in allocation.stores.iter().enumerate() {
        let s = store_season(&log, &planned.store_id).expect("store");
        assert_eq!(s.cluster, planned.cluster_id);
        assert_eq!(s.planned_allocation, planned.season_allocation);
        assert_eq!(s.initial_shipment, planned.initial);
        assert_eq!(s.season_allocation, view.stock[i].season_allocation);
        assert_eq!(s.on_hand, view.stock[i].on_hand);
        assert_eq!(s.markdown_pct, markdown.markdown_pct);
        assert_eq!(s.weeks.len(), 12);
        for w in &s.weeks {
            let k = w.week as usize - 1;
            assert!(
                (w.forecast - planned.share * forecasts[k][k] as f64).abs() < 1e-9,
                "{} week {}",
                planned.store_id,
                w.week
            );
            network_forecast[k] += w.forecast;
            // Sold under the markdown only after the checkpoint week.
            let under = if w.week > markdown.week {
                markdown.markdown_pct
            } else {
                0.0
            };
            assert_eq!(w.markdown_pct, under, "week {}", w.week);
            // Demand above stock is a stockout: it sold what it had.
            assert_eq!(w.stockout, w.sold < w.demand, "week {}", w.week);
        }
        replenished += s.weeks.iter().map(|w| w.replenished).sum::<u64>();
        assert_eq!(
            s.shipped_so_far,
            s.initial_shipment + s.weeks.iter().map(|w| w.replenished).sum::<u64>()
        );
        assert!(s.transfers.is_empty(), "the seed rules never transfer");
    }
    // Shares sum to one: the stores' shares of each week make the week's forecast.
    for (k, total) in network_forecast.iter().enumerate() {
        assert!(
            (total - forecasts[k][k] as f64).abs() < 1e-6,
            "week {}",
            k + 1
        );
    }
    // Weekly replenishment reached the stores, and the page counts every unit.
    let shipped: u64 = log
        .iter()
        .filter_map(|e| match &e.event {
            Event::ReplenishmentShipped { units, .. } => Some(units.iter().sum::<u64>()),
            _ => None,
        })
        .sum();
    assert!(shipped > 0);
    assert_eq!(replenished, shipped);
}

#[test]
fn an_unknown_store_and_a_season_not_allocated_are_refused_naming_why() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("early", params("zara")))
        .unwrap();
    let view = h.orchestrator.advance("early").unwrap();
    assert!(view.allocation.is_none());
    match store_season(&events(&h, "early"), "S001") {
        Err(e @ StoreSeasonError::NotAllocated { .. }) => {
            assert!(
                e.to_string()
                    .contains("workflow early has no allocation yet (state waiting_mfg_approval)"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    let view = play_auto(&h, "early", &scenario("normal_season")[..1]);
    assert_eq!(view.weeks.len(), 1);
    match store_season(&events(&h, "early"), "S999") {
        Err(e @ StoreSeasonError::UnknownStore { .. }) => {
            assert_eq!(
                e.to_string(),
                "workflow early has no store 'S999' among its 50 stores"
            );
        }
        other => panic!("{other:?}"),
    }
    let one = store_season(&events(&h, "early"), "S001").expect("S001");
    assert_eq!(one.weeks.len(), 1);
}

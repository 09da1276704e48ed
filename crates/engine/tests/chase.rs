//! The second buy under `margin`, driven through the durable orchestrator: a season
//! running well above its first buy gets a reorder proposed (`reorder-N`), which
//! lands at the DC its lead time later and is shipped to stores; units and money
//! reconcile with it; a planner may cut it or decline it (0); `"chase": "none"` and
//! the fixed rules never reorder.

mod support;

use atelier_core::data::WeekActuals;
use atelier_core::economics::{UnitsLedger, reconcile_units};
use atelier_core::params::SeasonConfig;
use atelier_engine::event::{ApprovalKind, ApprovalProposal, Event, Modification, Resolution};
use atelier_engine::{EngineError, WorkflowState, WorkflowView};
use support::*;

/// Zara's set (everything shipped at launch, no replenishment) under `margin`, with
/// the given tunables.
fn zara(tunables: &str) -> SeasonConfig {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/params/zara.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["tunables"] = serde_json::from_str(tunables).unwrap();
    SeasonConfig::from_json(&json.to_string()).unwrap()
}

/// The normal season with every store selling 1.6× its units: far above the plan.
fn hot_season() -> Vec<WeekActuals> {
    scenario("normal_season")
        .into_iter()
        .map(|mut w| {
            for r in &mut w.rows {
                r.quantity_sold = (f64::from(r.quantity_sold) * 1.6).round() as u32;
            }
            w
        })
        .collect()
}

fn reorder_events(h: &Harness, id: &str) -> Vec<Event> {
    events(h, id)
        .into_iter()
        .map(|e| e.event)
        .filter(|e| {
            matches!(
                e,
                Event::ReorderPlaced { .. }
                    | Event::ReorderArrived { .. }
                    | Event::ReorderDeclined { .. }
            )
        })
        .collect()
}

/// Plays until the first reorder approval.
fn until_reorder(h: &Harness, id: &str, config: SeasonConfig) -> WorkflowView {
    let o = &h.orchestrator;
    o.create(new_workflow(id, config)).unwrap();
    let weeks = hot_season();
    let mut view = o.advance(id).unwrap();
    loop {
        match view.state {
            WorkflowState::WaitingReorderApproval => return view,
            s if s.is_waiting() => view = o.approve(id, None, Resolution::Accept, "test").unwrap(),
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                view = o.record_week(id, week, &weeks[week as usize - 1]).unwrap();
            }
            other => panic!("no reorder approval: the season ended in {other}"),
        }
    }
}

fn finish(h: &Harness, id: &str) -> WorkflowView {
    play_auto(h, id, &hot_season())
}

fn reorder_units(units: u64) -> Resolution {
    Resolution::Modify {
        modifications: Modification {
            manufacturing_qty: None,
            safety_stock_pct: None,
            markdown_pct: None,
            transfer_units: None,
            reorder_units: Some(units),
        },
    }
}

#[test]
fn a_hot_season_reorders_and_the_reorder_lands_sells_and_reconciles() {
    let h = harness();
    let view = until_reorder(&h, "hot", zara("{}"));
    let pending = view.pending_approval.clone().unwrap();
    assert_eq!(pending.kind, ApprovalKind::Reorder);
    assert_eq!(pending.approval_id, "reorder-1");
    let ApprovalProposal::Reorder { plan, currency } = &pending.data else {
        panic!("not a reorder: {:?}", pending.data);
    };
    assert_eq!(currency, "USD");
    let first_buy = view.allocation.as_ref().unwrap().manufacturing_qty;
    assert!(plan.units >= 500, "{plan:?}");
    assert_eq!(plan.arrival_week, plan.week + 3);
    assert!(plan.week >= 2 && plan.week <= 7, "{plan:?}");
    // 15% over the first buy's unit cost.
    let price = view.unit_price;
    assert!(
        (plan.unit_cost - 0.4 * price * 1.15).abs() < 1e-9,
        "{plan:?}"
    );
    assert!((plan.cost - plan.units as f64 * plan.unit_cost).abs() < 1e-6);
    assert!(plan.expected_gain > 0.0);
    // Nothing is ordered while it waits.
    assert!(view.reorders.is_empty());

    let done = {
        h.orchestrator
            .approve("hot", None, Resolution::Accept, "planner")
            .unwrap();
        finish(&h, "hot")
    };
    assert_eq!(done.state, WorkflowState::Completed);
    let evs = reorder_events(&h, "hot");
    assert!(matches!(&evs[0], Event::ReorderPlaced { plan: p } if p.units == plan.units));
    // Each reorder lands whole at its arrival week (a later one may follow once
    // the first has landed).
    let arrivals: Vec<(u32, u64)> = evs
        .iter()
        .filter_map(|e| match e {
            Event::ReorderArrived { week, units } => Some((*week, *units)),
            _ => None,
        })
        .collect();
    assert_eq!(arrivals[0], (plan.arrival_week, plan.units));
    let placed: Vec<(u32, u64)> = done
        .reorders
        .iter()
        .map(|p| (p.arrival_week, p.units))
        .collect();
    assert_eq!(arrivals, placed);
    let r = done.report.as_ref().unwrap();
    let ordered = first_buy + done.reorders.iter().map(|p| p.units).sum::<u64>();
    assert_eq!(done.units_ordered(), ordered);
    assert_eq!(r.units_reordered, ordered - first_buy);
    reconcile_units(&UnitsLedger {
        ordered,
        stock_adjustments: r.stock_adjustments,
        sold: r.units_sold,
        leftover_in_stores: r.leftover_in_stores,
        leftover_at_dc: r.leftover_at_dc,
    })
    .unwrap();
    // Money: cost of goods = units × c plus the reorders' premium.
    let c = 0.4 * price;
    let premium: f64 = done
        .reorders
        .iter()
        .map(|p| p.units as f64 * 0.15 * c)
        .sum();
    assert!(
        (r.cost_of_goods - (ordered as f64 * c + premium)).abs() < 1e-3,
        "{} vs {}",
        r.cost_of_goods,
        ordered as f64 * c + premium
    );
    assert!((r.reorder_cost - done.reorders.iter().map(|p| p.cost).sum::<f64>()).abs() < 1e-6);

    // The same season without a chase sells less and earns less.
    let h2 = harness();
    h2.orchestrator
        .create(new_workflow("none", zara(r#"{"chase": "none"}"#)))
        .unwrap();
    let without = play_auto(&h2, "none", &hot_season());
    assert!(reorder_events(&h2, "none").is_empty());
    let w = without.report.as_ref().unwrap();
    assert!(
        r.units_sold > w.units_sold,
        "{} vs {}",
        r.units_sold,
        w.units_sold
    );
    assert!(
        r.gross_margin > w.gross_margin,
        "{} vs {}",
        r.gross_margin,
        w.gross_margin
    );
}

#[test]
fn a_planner_cuts_or_declines_a_reorder() {
    let h = harness();
    let o = &h.orchestrator;
    let view = until_reorder(&h, "cut", zara("{}"));
    // A transfer size is not an answer to a reorder.
    let wrong = Resolution::Modify {
        modifications: Modification {
            manufacturing_qty: None,
            safety_stock_pct: None,
            markdown_pct: None,
            transfer_units: Some(3),
            reorder_units: None,
        },
    };
    let err = o.approve("cut", None, wrong, "test").unwrap_err();
    assert!(matches!(err, EngineError::InvalidModification(_)), "{err}");
    let week = view.next_week() - 1;
    let after = o
        .approve("cut", None, reorder_units(700), "planner")
        .unwrap();
    assert_eq!(after.reorders.len(), 1);
    assert_eq!(after.reorders[0].units, 700);
    assert!((after.reorders[0].cost - 700.0 * after.reorders[0].unit_cost).abs() < 1e-6);
    assert_eq!(after.units_on_order(), 700);
    assert_eq!(after.state, WorkflowState::Phase3Monitoring);
    assert_eq!(after.next_week(), week + 1);

    let h = harness();
    let o = &h.orchestrator;
    until_reorder(&h, "no", zara("{}"));
    let after = o.approve("no", None, reorder_units(0), "planner").unwrap();
    assert!(after.reorders.is_empty());
    assert!(after.reorder_proposal.is_none());
    assert!(matches!(
        reorder_events(&h, "no").as_slice(),
        [Event::ReorderDeclined { .. }]
    ));
    assert_eq!(after.state, WorkflowState::Phase3Monitoring);
}

#[test]
fn fixed_rules_and_a_season_without_a_chase_never_reorder() {
    for (id, config) in [
        ("rule", {
            let mut c = zara("{}");
            c.tunables.policy = atelier_core::Policy::Rule;
            c
        }),
        ("seed", {
            let mut c = zara("{}");
            c.tunables.policy = atelier_core::Policy::Seed;
            c
        }),
        ("none", zara(r#"{"chase": "none"}"#)),
    ] {
        let h = harness();
        h.orchestrator.create(new_workflow(id, config)).unwrap();
        let view = play_auto(&h, id, &hot_season());
        assert_eq!(view.state, WorkflowState::Completed, "{id}");
        assert!(reorder_events(&h, id).is_empty(), "{id}");
        assert_eq!(view.report.as_ref().unwrap().units_reordered, 0);
    }
}

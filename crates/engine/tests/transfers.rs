//! Store-to-store transfers under the `margin` policy, driven through the durable
//! orchestrator: a season whose stores sell unevenly, with nothing held at the DC,
//! moves stock from the slow stores to the ones running out; it earns more than the
//! same season without transfers; large batches wait for a planner, who may cut them.

mod support;

use atelier_core::data::WeekActuals;
use atelier_core::economics::{UnitsLedger, reconcile_units};
use atelier_core::params::SeasonConfig;
use atelier_engine::event::{
    ApprovalKind, ApprovalProposal, Event, ExpiryAction, Modification, Resolution, TransferBatch,
};
use atelier_engine::{EngineError, WorkflowState, WorkflowView};
use support::*;

/// Zara's set (nothing held at the DC, no replenishment) under `margin`, with the
/// given tunables on top.
fn zara(tunables: &str) -> SeasonConfig {
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample_params("zara")).unwrap()).unwrap();
    json["tunables"] = serde_json::from_str(tunables).unwrap();
    SeasonConfig::from_json(&json.to_string()).unwrap()
}

fn sample_params(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/params")
        .join(format!("{name}.json"))
}

/// The normal season with demand moved between stores: the first third of the
/// network sells 1.8× its units, the rest 0.6×.
fn uneven_season() -> Vec<WeekActuals> {
    let weeks = scenario("normal_season");
    let mut ids: Vec<String> = weeks[0].rows.iter().map(|r| r.store_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let hot: Vec<String> = ids.iter().take(ids.len() / 3).cloned().collect();
    weeks
        .into_iter()
        .map(|mut w| {
            for r in &mut w.rows {
                let factor = if hot.contains(&r.store_id) { 1.8 } else { 0.6 };
                r.quantity_sold = (f64::from(r.quantity_sold) * factor).round() as u32;
            }
            w
        })
        .collect()
}

fn batches(h: &Harness, id: &str) -> Vec<TransferBatch> {
    events(h, id)
        .into_iter()
        .filter_map(|e| match e.event {
            Event::TransfersShipped { batch } => Some(batch),
            _ => None,
        })
        .collect()
}

fn play(h: &Harness, id: &str, config: SeasonConfig) -> WorkflowView {
    h.orchestrator.create(new_workflow(id, config)).unwrap();
    play_auto(h, id, &uneven_season())
}

#[test]
fn stock_moves_from_slow_stores_to_stores_running_out_and_earns_more() {
    let h = harness();
    let with = play(&h, "with", zara("{}"));
    let without = play(
        &h,
        "without",
        zara(r#"{"transfer_cost_per_unit": 1000000}"#),
    );
    assert_eq!(with.state, WorkflowState::Completed);
    assert_eq!(without.state, WorkflowState::Completed);

    let shipped = batches(&h, "with");
    assert!(!shipped.is_empty(), "no transfers in an uneven season");
    assert!(batches(&h, "without").is_empty());
    let mut moved = 0;
    for b in &shipped {
        assert_eq!(
            b.units,
            b.transfers.iter().map(|t| t.figures.units).sum::<u64>()
        );
        for t in &b.transfers {
            assert!(t.figures.receiver_weeks_of_cover < 1.0, "{t:?}");
            assert!(t.figures.expected_gain > t.figures.cost, "{t:?}");
            assert!(
                t.figures.donor_weeks_of_cover.is_none_or(|d| d > 1.0),
                "{t:?}"
            );
            assert!((t.figures.cost - 2.0 * t.figures.units as f64).abs() < 1e-9);
        }
        moved += b.units;
    }
    assert_eq!(with.transferred_units, moved);

    let r = with.report.as_ref().unwrap();
    assert!((r.transfer_cost - 2.0 * moved as f64).abs() < 1e-6);
    reconcile_units(&UnitsLedger {
        ordered: with.allocation.as_ref().unwrap().manufacturing_qty,
        stock_adjustments: r.stock_adjustments,
        sold: r.units_sold,
        leftover_in_stores: r.leftover_in_stores,
        leftover_at_dc: r.leftover_at_dc,
    })
    .unwrap();
    let base = without.report.as_ref().unwrap();
    assert!(
        r.lost_sales < base.lost_sales,
        "lost {} with transfers, {} without",
        r.lost_sales,
        base.lost_sales
    );
    assert!(
        r.gross_margin > base.gross_margin,
        "margin {} with transfers, {} without",
        r.gross_margin,
        base.gross_margin
    );
    // The seed rules never move stock between stores.
    let mut seed = zara("{}");
    seed.tunables.policy = atelier_core::Policy::Seed;
    play(&h, "seed", seed);
    assert!(batches(&h, "seed").is_empty());
}

/// Plays until the first transfer approval and returns its view.
fn until_transfer_approval(h: &Harness, id: &str, config: SeasonConfig) -> WorkflowView {
    let o = &h.orchestrator;
    let mut w = new_workflow(id, config);
    w.approval_timeout_secs = Some(600);
    w.approval_expiry = ExpiryAction::Fail;
    o.create(w).unwrap();
    let weeks = uneven_season();
    let mut view = o.advance(id).unwrap();
    loop {
        match view.state {
            WorkflowState::WaitingTransferApproval => return view,
            s if s.is_waiting() => view = o.approve(id, None, Resolution::Accept, "test").unwrap(),
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                view = o.record_week(id, week, &weeks[week as usize - 1]).unwrap();
            }
            other => panic!("no transfer approval: the season ended in {other}"),
        }
    }
}

fn cut(units: u64) -> Resolution {
    Resolution::Modify {
        modifications: Modification {
            manufacturing_qty: None,
            safety_stock_pct: None,
            markdown_pct: None,
            transfer_units: Some(units),
            reorder_units: None,
        },
    }
}

#[test]
fn a_large_batch_waits_and_a_cut_ships_only_that_many() {
    let h = harness();
    let o = &h.orchestrator;
    let view = until_transfer_approval(&h, "cut", zara(r#"{"transfer_approval_units": 40}"#));
    let pending = view.pending_approval.clone().unwrap();
    assert_eq!(pending.kind, ApprovalKind::Transfer);
    assert_eq!(pending.approval_id, "transfer-1");
    let ApprovalProposal::Transfers {
        batch,
        approval_units,
        currency,
    } = &pending.data
    else {
        panic!("not a transfer proposal: {:?}", pending.data);
    };
    assert_eq!(*approval_units, 40);
    assert_eq!(currency, "USD");
    assert!(batch.units > 40, "{}", batch.units);
    // Nothing has moved while it waits.
    assert_eq!(view.transferred_units, 0);
    let stock_before: u64 = view.stock.iter().map(|s| s.on_hand).sum();

    // A markdown depth is not an answer to a transfer approval.
    let wrong = Resolution::Modify {
        modifications: Modification {
            markdown_pct: Some(0.1),
            ..Modification {
                manufacturing_qty: None,
                safety_stock_pct: None,
                markdown_pct: None,
                transfer_units: None,
                reorder_units: None,
            }
        },
    };
    let err = o.approve("cut", None, wrong, "test").unwrap_err();
    assert!(matches!(err, EngineError::InvalidModification(_)), "{err}");

    let after = o.approve("cut", None, cut(25), "planner").unwrap();
    let shipped = batches(&h, "cut");
    assert_eq!(shipped.len(), 1);
    assert_eq!(shipped[0].units, 25);
    assert_eq!(shipped[0].week, batch.week);
    // The most urgent moves are kept, in order.
    assert_eq!(
        shipped[0].transfers[0].to_store,
        batch.transfers[0].to_store
    );
    assert_eq!(after.transferred_units, 25);
    assert_eq!(
        after.stock.iter().map(|s| s.on_hand).sum::<u64>(),
        stock_before,
        "a transfer moves stock, it neither makes nor loses any"
    );
    assert_eq!(after.state, WorkflowState::Phase3Monitoring);
    assert_eq!(after.next_week(), batch.week + 1);

    // Cutting a later batch to zero ships nothing and the season goes on.
    let later = until_next_transfer_approval(&h, "cut");
    let after = o.approve("cut", None, cut(0), "planner").unwrap();
    assert_eq!(batches(&h, "cut").len(), 1);
    assert_eq!(after.transferred_units, 25);
    assert_eq!(after.next_week(), later + 1);
}

/// Plays on to the next transfer approval; returns its week.
fn until_next_transfer_approval(h: &Harness, id: &str) -> u32 {
    let o = &h.orchestrator;
    let weeks = uneven_season();
    let mut view = o.view(id).unwrap();
    loop {
        match view.state {
            WorkflowState::WaitingTransferApproval => {
                return view.transfer_proposal.as_ref().unwrap().week;
            }
            s if s.is_waiting() => view = o.approve(id, None, Resolution::Accept, "test").unwrap(),
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                view = o.record_week(id, week, &weeks[week as usize - 1]).unwrap();
            }
            other => panic!("no second transfer approval: the season ended in {other}"),
        }
    }
}

#[test]
fn an_expired_transfer_approval_set_to_fail_is_asked_again_on_resume() {
    let h = harness();
    let o = &h.orchestrator;
    let view = until_transfer_approval(&h, "exp", zara(r#"{"transfer_approval_units": 40}"#));
    let asked = view.transfer_proposal.clone().unwrap();
    h.clock.advance(std::time::Duration::from_secs(601));
    let failed = o.advance("exp").unwrap();
    assert_eq!(failed.state, WorkflowState::Error);
    assert!(failed.error.unwrap().contains("transfer-1 expired"));
    assert_eq!(failed.transferred_units, 0);
    let again = o.resume("exp").unwrap();
    assert_eq!(again.state, WorkflowState::WaitingTransferApproval);
    let pending = again.pending_approval.unwrap();
    assert_eq!(pending.approval_id, "transfer-2");
    assert_eq!(again.transfer_proposal.as_ref(), Some(&asked));
    let done = o
        .approve("exp", None, Resolution::Accept, "planner")
        .unwrap();
    assert_eq!(done.transferred_units, asked.units);
    assert_eq!(batches(&h, "exp"), vec![asked]);
}

/// Every transfer proposal put up for approval in the log, in order.
fn proposals(h: &Harness, id: &str) -> Vec<TransferBatch> {
    events(h, id)
        .into_iter()
        .filter_map(|e| match e.event {
            Event::ApprovalRequested {
                data: ApprovalProposal::Transfers { batch, .. },
                ..
            } => Some(batch),
            _ => None,
        })
        .collect()
}

/// A cut is an answer to one batch: the batches accepted after it ship whole
/// (docs/policies.md), and a cut to none does not stop the next accepted batch.
#[test]
fn a_cut_applies_to_its_batch_only_and_later_accepted_batches_ship_whole() {
    for first_cut in [25, 0] {
        let h = harness();
        let o = &h.orchestrator;
        let id = format!("cut-{first_cut}");
        until_transfer_approval(&h, &id, zara(r#"{"transfer_approval_units": 40}"#));
        o.approve(&id, None, cut(first_cut), "planner").unwrap();
        let weeks = uneven_season();
        let mut view = o.view(&id).unwrap();
        while !view.state.is_terminal() {
            view = match view.state {
                s if s.is_waiting() => o.approve(&id, None, Resolution::Accept, "test").unwrap(),
                WorkflowState::Phase3Monitoring => {
                    let week = view.next_week();
                    o.record_week(&id, week, &weeks[week as usize - 1]).unwrap()
                }
                other => panic!("the season stopped in {other}"),
            };
        }
        let asked = proposals(&h, &id);
        assert!(
            asked.len() >= 3,
            "{first_cut}: only {} transfer approvals; the test needs several batches after the cut",
            asked.len()
        );
        let shipped = batches(&h, &id);
        let in_week = |week: u32| shipped.iter().find(|b| b.week == week);
        let first = in_week(asked[0].week).map(|b| b.units);
        let first_expected = (first_cut > 0).then_some(first_cut);
        assert_eq!(first, first_expected, "the cut batch");
        for proposal in &asked[1..] {
            let got = in_week(proposal.week).map(|b| b.units);
            assert_eq!(
                got,
                Some(proposal.units),
                "after a cut to {first_cut}: week {}'s accepted batch of {} units",
                proposal.week,
                proposal.units
            );
            assert_eq!(in_week(proposal.week), Some(proposal));
        }
    }
}

/// A store's page (`engine::store_season`) in a season with transfers: its moves
/// in and out, each week's stock reconciling with the week before, and the end
/// agreeing with the season's stock table.
#[test]
fn a_stores_season_shows_its_transfers_and_its_stock_reconciles_week_by_week() {
    let h = harness();
    let view = play(&h, "moves", zara("{}"));
    let log = events(&h, "moves");
    let shipped = batches(&h, "moves");
    let receiver = shipped[0].transfers[0].to_store.clone();
    let donor = shipped[0].transfers[0].from_store.clone();
    for id in [&receiver, &donor] {
        let s = atelier_engine::store_season::store_season(&log, id).expect("store");
        let i = view
            .allocation
            .as_ref()
            .unwrap()
            .stores
            .iter()
            .position(|st| &st.store_id == id)
            .unwrap();
        assert_eq!(s.weeks.len(), 12);
        // Every move of the store, and no other.
        let moves: Vec<(u32, u64)> = shipped
            .iter()
            .flat_map(|b| {
                b.transfers
                    .iter()
                    .filter(|t| &t.to_store == id || &t.from_store == id)
                    .map(|t| (b.week, t.figures.units))
            })
            .collect();
        assert_eq!(
            s.transfers
                .iter()
                .map(|m| (m.week, m.units))
                .collect::<Vec<_>>(),
            moves
        );
        // Week by week: last week's stock, less sales, plus what came in, less
        // what went out.
        let mut on_hand = s.initial_shipment;
        for w in &s.weeks {
            on_hand = on_hand - w.sold + w.replenished + w.transferred_in - w.transferred_out;
            assert_eq!(w.on_hand, on_hand, "{id} week {}", w.week);
        }
        assert_eq!(s.on_hand, view.stock[i].on_hand);
        assert_eq!(s.shipped_so_far, view.stock[i].shipped_so_far);
    }
    let r = atelier_engine::store_season::store_season(&log, &receiver).unwrap();
    assert!(r.weeks.iter().map(|w| w.transferred_in).sum::<u64>() > 0);
    let d = atelier_engine::store_season::store_season(&log, &donor).unwrap();
    assert!(d.weeks.iter().map(|w| w.transferred_out).sum::<u64>() > 0);
    assert!(d.transfers.iter().all(|m| m.direction
        == atelier_engine::store_season::MoveDirection::Out
        || m.other_store != receiver));
}

//! The orchestrator end to end over the real agents, the sample data and a SQLite
//! file: every shipped parameter set on every shipped scenario, phase skips,
//! re-forecasts, markdowns, approvals, timeouts, retries and idempotent actuals.

mod support;

use atelier_core::sample::SCENARIOS;
use atelier_engine::event::{
    ApprovalKind, Event, ExpiryAction, Modification, ReforecastReason, Resolution,
};
use atelier_engine::{EngineError, WorkflowState};
use support::*;

#[test]
fn zara_skips_replenishment_and_ships_everything_at_week_zero() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("zara", params("zara")))
        .unwrap();
    let view = play_auto(&h, "zara", &scenario("normal_season"));
    assert_eq!(view.state, WorkflowState::Completed);
    let order = view.order.unwrap();
    assert_eq!(order.safety_stock_pct, 0.25);
    assert_eq!(
        order.manufacturing_qty,
        (order.forecast_units as f64 * 1.25).round() as u64
    );
    let a = view.allocation.as_ref().unwrap();
    assert_eq!(a.initial_shipped, order.manufacturing_qty);
    assert_eq!(a.dc_holdback, 0);
    assert!(
        view.phases_skipped
            .iter()
            .any(|(p, r)| *p == WorkflowState::Phase3Replenishment
                && r.contains("Replenishment strategy is 'none'. DC holdback is 0%."))
    );
    let log = events(&h, "zara");
    assert_contiguous(&log);
    assert_eq!(count(&log, "replenishment_shipped"), 0);
    assert_eq!(count(&log, "week_recorded"), 12);
    assert!(view.report.is_some());
}

#[test]
fn standard_retail_holds_45_pct_and_replenishes_every_week() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("std", params("standard_retail")))
        .unwrap();
    let view = play_auto(&h, "std", &scenario("normal_season"));
    assert_eq!(view.state, WorkflowState::Completed);
    let order = view.order.unwrap();
    assert_eq!(order.safety_stock_pct, 0.20);
    let a = view.allocation.as_ref().unwrap();
    assert_eq!(
        a.dc_holdback,
        (order.manufacturing_qty as f64 * 0.45).round() as u64
    );
    assert_eq!(a.initial_shipped + a.dc_holdback, order.manufacturing_qty);
    assert!(view.phases_skipped.is_empty());
    assert_eq!(
        replenishment_weeks(&events(&h, "std")),
        (1..=11).collect::<Vec<_>>()
    );
}

#[test]
fn luxury_skips_the_markdown_phase() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("lux", params("luxury")))
        .unwrap();
    let view = play_auto(&h, "lux", &scenario("normal_season"));
    assert_eq!(view.state, WorkflowState::Completed);
    assert!(
        view.phases_skipped
            .iter()
            .any(|(p, r)| *p == WorkflowState::Phase4MarkdownCheck
                && r == "No markdown checkpoint configured. Skip phase 4.")
    );
    let log = events(&h, "lux");
    assert_eq!(count(&log, "markdown_proposed"), 0);
    assert_eq!(
        count(&log, "approval_requested"),
        1,
        "only the manufacturing order is approved"
    );
}

#[test]
fn bi_weekly_replenishes_on_alternate_weeks_only() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("bi", params("conservative")))
        .unwrap();
    let view = play_auto(&h, "bi", &scenario("normal_season"));
    assert_eq!(view.state, WorkflowState::Completed);
    assert_eq!(replenishment_weeks(&events(&h, "bi")), vec![2, 4, 6, 8, 10]);
}

#[test]
fn every_twelve_week_parameter_set_completes_on_every_scenario() {
    let h = harness();
    for set in ["zara", "standard_retail", "luxury", "conservative"] {
        for (scenario_name, _) in SCENARIOS {
            let id = format!("{set}-{scenario_name}");
            h.orchestrator
                .create(new_workflow(&id, params(set)))
                .unwrap();
            let view = play_auto(&h, &id, &scenario(scenario_name));
            assert_eq!(view.state, WorkflowState::Completed, "{id}");
            let report = view.report.as_ref().unwrap();
            let a = view.allocation.as_ref().unwrap();
            // Units are conserved: made = sold + left in stores + left at the DC.
            assert_eq!(
                report.units_sold + report.leftover_units,
                a.manufacturing_qty,
                "{id}"
            );
            assert_contiguous(&events(&h, &id));
        }
    }
}

#[test]
fn a_26_week_season_waits_for_week_13_on_a_12_week_scenario() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("furn", params("furniture")))
        .unwrap();
    let view = play_auto(&h, "furn", &scenario("normal_season"));
    assert_eq!(view.state, WorkflowState::Phase3Monitoring);
    assert_eq!(view.next_week(), 13);
    assert_eq!(
        replenishment_weeks(&events(&h, "furn")),
        vec![2, 4, 6, 8, 10, 12]
    );
}

#[test]
fn variance_above_threshold_reforecasts_and_below_changes_nothing() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("var", params("luxury")))
        .unwrap();
    let initial = {
        let v = h.orchestrator.advance("var").unwrap();
        v.forecast_weekly.clone()
    };
    let view = play_auto(&h, "var", &scenario("normal_season"));
    let log = events(&h, "var");
    let mut reforecasts_after = Vec::new();
    for e in &log {
        if let Event::ReforecastApplied {
            after_week,
            reason,
            previous,
            remaining,
            ..
        } = &e.event
        {
            assert_eq!(*reason, ReforecastReason::Variance);
            assert_ne!(
                previous, remaining,
                "a re-forecast after week {after_week} must change the remaining weeks"
            );
            reforecasts_after.push(*after_week);
        }
    }
    let mut expected = Vec::new();
    for w in &view.weeks {
        assert_eq!(
            w.reforecast,
            w.threshold_exceeded && w.week < 12,
            "week {}",
            w.week
        );
        if w.reforecast {
            expected.push(w.week);
        }
    }
    assert_eq!(reforecasts_after, expected);
    assert!(
        !expected.is_empty(),
        "normal_season has weeks above 20% against this forecast"
    );
    // Weeks before the first re-forecast keep the initial forecast; the forecast in
    // force when a week was played differs from the initial one only after a re-forecast.
    let first = expected[0] as usize;
    for w in &view.weeks[..first] {
        assert_eq!(w.forecast, initial[w.week as usize - 1]);
    }
    assert_ne!(view.weeks[first].forecast, initial[first]);
}

#[test]
fn a_markdown_below_target_is_proposed_approved_and_lifts_demand() {
    let h = harness();
    h.orchestrator
        .create(new_workflow("md", params("zara")))
        .unwrap();
    let weeks = scenario("normal_season");
    let view = play_auto(&h, "md", &weeks);
    let md = view.markdown.as_ref().unwrap();
    assert_eq!(md.week, 6);
    assert!(md.sell_through < 0.60);
    assert!(md.applied);
    assert!(md.markdown_pct > 0.0 && md.markdown_pct <= 0.40);
    // The seed's own belief: 1.5 points of demand per point off.
    assert!((md.expected_demand_lift_pct - md.markdown_pct * 1.5).abs() < 1e-12);
    // The world's answer, not the policy's: week 7's demand is the file's demand
    // lifted by the standard world's curve, store by store.
    let lift = atelier_core::world::World::standard().lift_at(md.markdown_pct);
    assert!(lift < md.expected_demand_lift_pct);
    let file_total = weeks[6].total_units() as f64;
    let demand = view.weeks[6].demand as f64;
    assert!(
        (demand - file_total * (1.0 + lift)).abs() <= 50.0,
        "{demand} vs {file_total} x {}",
        1.0 + lift
    );
    // Weeks up to the checkpoint are unlifted.
    assert_eq!(view.weeks[5].demand, weeks[5].total_units());
    let log = events(&h, "md");
    assert!(log.iter().any(|e| matches!(
        &e.event,
        Event::ReforecastApplied {
            reason: ReforecastReason::Markdown,
            after_week: 6,
            ..
        }
    )));
    assert!(view.report.unwrap().markdown_cost > 0.0);
}

#[test]
fn no_markdown_is_proposed_above_target() {
    let h = harness();
    let config = config_json(
        r#"{"forecast_horizon_weeks": 12, "season_start_date": "2025-02-17",
        "replenishment_strategy": "none", "dc_holdback_percentage": 0.0,
        "markdown_checkpoint_week": 6, "markdown_threshold": 0.2}"#,
    );
    h.orchestrator.create(new_workflow("nomd", config)).unwrap();
    let view = play_auto(&h, "nomd", &scenario("normal_season"));
    let md = view.markdown.as_ref().unwrap();
    assert!(md.sell_through > 0.2);
    assert_eq!(md.markdown_pct, 0.0);
    assert!(!md.applied);
    let log = events(&h, "nomd");
    assert_eq!(count(&log, "approval_requested"), 1);
    assert_eq!(count(&log, "markdown_applied"), 0);
}

#[test]
fn modify_reruns_the_agent_and_asks_again() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("mod", params("zara"))).unwrap();
    let view = o.advance("mod").unwrap();
    assert_eq!(
        view.pending_approval.as_ref().unwrap().approval_id,
        "manufacturing-1"
    );
    let m = Modification {
        manufacturing_qty: Some(300_000),
        safety_stock_pct: None,
        markdown_pct: None,
        transfer_units: None,
        reorder_units: None,
    };
    let view = o
        .approve(
            "mod",
            Some("manufacturing-1"),
            Resolution::Modify { modifications: m },
            "test",
        )
        .unwrap();
    let pending = view.pending_approval.clone().unwrap();
    assert_eq!(pending.approval_id, "manufacturing-2");
    assert_eq!(
        serde_json::to_value(&pending.data).unwrap()["manufacturing_qty"],
        300_000
    );
    let m = Modification {
        manufacturing_qty: None,
        safety_stock_pct: Some(0.10),
        markdown_pct: None,
        transfer_units: None,
        reorder_units: None,
    };
    let view = o
        .approve("mod", None, Resolution::Modify { modifications: m }, "test")
        .unwrap();
    let order = view.order.unwrap();
    assert_eq!(
        order.manufacturing_qty,
        (order.forecast_units as f64 * 1.10).round() as u64
    );
    let view = o
        .approve("mod", Some("manufacturing-3"), Resolution::Accept, "test")
        .unwrap();
    assert_eq!(
        view.allocation.as_ref().unwrap().manufacturing_qty,
        order.manufacturing_qty
    );
    assert_eq!(view.state, WorkflowState::Phase3Monitoring);

    // Markdown modify: play to the checkpoint, ask for 10% instead.
    let weeks = scenario("normal_season");
    let mut view = view;
    while view.state == WorkflowState::Phase3Monitoring {
        let w = view.next_week();
        view = o.record_week("mod", w, &weeks[w as usize - 1]).unwrap();
    }
    assert_eq!(view.state, WorkflowState::WaitingMarkdownApproval);
    let m = Modification {
        manufacturing_qty: None,
        safety_stock_pct: None,
        markdown_pct: Some(0.10),
        transfer_units: None,
        reorder_units: None,
    };
    let view = o
        .approve("mod", None, Resolution::Modify { modifications: m }, "test")
        .unwrap();
    assert_eq!(
        view.pending_approval.as_ref().unwrap().kind,
        ApprovalKind::Markdown
    );
    let view = o.approve("mod", None, Resolution::Accept, "test").unwrap();
    let md = view.markdown.unwrap();
    assert_eq!(md.markdown_pct, 0.10);
    assert!((view.lift_pct - 0.15).abs() < 1e-12);
}

#[test]
fn bad_modifications_and_wrong_approvals_change_nothing() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("bad", params("zara"))).unwrap();
    o.advance("bad").unwrap();
    let before = events(&h, "bad").len();
    let markdown_on_order = Modification {
        manufacturing_qty: None,
        safety_stock_pct: None,
        markdown_pct: Some(0.1),
        transfer_units: None,
        reorder_units: None,
    };
    assert!(matches!(
        o.approve(
            "bad",
            None,
            Resolution::Modify {
                modifications: markdown_on_order
            },
            "t"
        ),
        Err(EngineError::InvalidModification(_))
    ));
    let nothing = Modification {
        manufacturing_qty: None,
        safety_stock_pct: None,
        markdown_pct: None,
        transfer_units: None,
        reorder_units: None,
    };
    assert!(matches!(
        o.approve(
            "bad",
            None,
            Resolution::Modify {
                modifications: nothing
            },
            "t"
        ),
        Err(EngineError::InvalidModification(_))
    ));
    assert!(matches!(
        o.approve("bad", Some("markdown-1"), Resolution::Accept, "t"),
        Err(EngineError::WrongApproval { .. })
    ));
    let week = &scenario("normal_season")[0];
    assert!(matches!(
        o.record_week("bad", 1, week),
        Err(EngineError::NotAcceptingActuals { .. })
    ));
    assert!(matches!(
        o.approve("nope", None, Resolution::Accept, "t"),
        Err(EngineError::Store(_))
    ));
    assert_eq!(events(&h, "bad").len(), before);
    // Accepted, then a second accept is refused: nothing is waiting.
    o.approve("bad", None, Resolution::Accept, "t").unwrap();
    let before = events(&h, "bad").len();
    assert!(matches!(
        o.approve("bad", None, Resolution::Accept, "t"),
        Err(EngineError::NotWaiting { .. })
    ));
    assert_eq!(events(&h, "bad").len(), before);
}

#[test]
fn recording_a_week_twice_is_idempotent_and_a_different_week_is_refused() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("idem", params("standard_retail")))
        .unwrap();
    o.advance("idem").unwrap();
    o.approve("idem", None, Resolution::Accept, "t").unwrap();
    let weeks = scenario("normal_season");
    o.record_week("idem", 1, &weeks[0]).unwrap();
    let n = events(&h, "idem").len();
    // Same content, rows in another order: a no-op.
    let mut shuffled = weeks[0].clone();
    shuffled.rows.reverse();
    o.record_week("idem", 1, &shuffled).unwrap();
    assert_eq!(events(&h, "idem").len(), n);
    // Different content for a recorded week: refused.
    let mut changed = weeks[0].clone();
    changed.rows[0].quantity_sold += 1;
    assert!(matches!(
        o.record_week("idem", 1, &changed),
        Err(EngineError::ActualsConflict { week: 1 })
    ));
    // Skipping ahead or sending another week's dates: refused.
    assert!(matches!(
        o.record_week("idem", 3, &weeks[2]),
        Err(EngineError::WeekOutOfOrder { week: 3, next: 2 })
    ));
    assert!(matches!(
        o.record_week("idem", 2, &weeks[2]),
        Err(EngineError::ActualsOutsideWeek { week: 2, .. })
    ));
    assert_eq!(events(&h, "idem").len(), n);
}

#[test]
fn an_expired_approval_is_accepted_when_configured() {
    let h = harness();
    let o = &h.orchestrator;
    let mut w = new_workflow("exp", params("zara"));
    w.approval_timeout_secs = Some(3600);
    w.approval_expiry = ExpiryAction::Accept;
    o.create(w).unwrap();
    let view = o.advance("exp").unwrap();
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    h.clock.advance(std::time::Duration::from_secs(1800));
    assert_eq!(
        o.advance("exp").unwrap().state,
        WorkflowState::WaitingMfgApproval
    );
    h.clock.advance(std::time::Duration::from_secs(1801));
    let view = o.advance("exp").unwrap();
    assert_eq!(view.state, WorkflowState::Phase3Monitoring);
    assert!(events(&h, "exp").iter().any(|e| matches!(
        &e.event,
        Event::ApprovalExpired {
            action: ExpiryAction::Accept,
            ..
        }
    )));
}

#[test]
fn an_expired_approval_fails_when_configured_and_resume_asks_again() {
    let h = harness();
    let o = &h.orchestrator;
    let mut w = new_workflow("expf", params("zara"));
    w.approval_timeout_secs = Some(60);
    o.create(w).unwrap();
    o.advance("expf").unwrap();
    h.clock.advance(std::time::Duration::from_secs(61));
    let view = o.advance("expf").unwrap();
    assert_eq!(view.state, WorkflowState::Error);
    assert!(view.error.unwrap().contains("manufacturing-1 expired"));
    let view = o.resume("expf").unwrap();
    assert_eq!(view.state, WorkflowState::WaitingMfgApproval);
    assert_eq!(
        view.pending_approval.unwrap().approval_id,
        "manufacturing-2"
    );
}

#[test]
fn a_season_the_history_cannot_forecast_is_refused_at_creation() {
    let h = harness();
    let config = config_json(
        r#"{"forecast_horizon_weeks": 12, "season_start_date": "2024-02-17",
        "replenishment_strategy": "none", "dc_holdback_percentage": 0.0}"#,
    );
    let err = h
        .orchestrator
        .create(new_workflow("early", config))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("before the history's last complete week ends"),
        "{err}"
    );
    use atelier_engine::store::EventStore;
    assert!(!h.store.exists("early").unwrap(), "nothing is written");
}

#[test]
fn declining_a_markdown_keeps_full_price_and_says_so() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("dec", params("zara"))).unwrap();
    o.advance("dec").unwrap();
    o.approve("dec", None, Resolution::Accept, "t").unwrap();
    let weeks = scenario("normal_season");
    for w in 1..=6 {
        o.record_week("dec", w, &weeks[w as usize - 1]).unwrap();
    }
    let m = Modification {
        manufacturing_qty: None,
        safety_stock_pct: None,
        markdown_pct: Some(0.0),
        transfer_units: None,
        reorder_units: None,
    };
    let view = o
        .approve(
            "dec",
            Some("markdown-1"),
            Resolution::Modify { modifications: m },
            "t",
        )
        .unwrap();
    assert_eq!(view.state, WorkflowState::Phase3Monitoring);
    assert_eq!(view.lift_pct, 0.0);
    let log = events(&h, "dec");
    let last_reason = log.iter().rev().find_map(|e| match &e.event {
        Event::ReasoningRecorded { reasoning } if reasoning.decision_point == "markdown" => {
            Some(reasoning.text.clone())
        }
        _ => None,
    });
    assert!(
        last_reason
            .unwrap()
            .contains("The planner declined the proposed")
    );
    let view = play_auto(&h, "dec", &weeks);
    assert_eq!(
        view.weeks[6].demand,
        weeks[6].total_units(),
        "no lift after a declined markdown"
    );
    assert_eq!(view.report.unwrap().markdown_cost, 0.0);
}

#[test]
fn an_answer_after_the_deadline_is_refused_with_the_expiry_named() {
    let h = harness();
    let o = &h.orchestrator;
    let mut w = new_workflow("late", params("zara"));
    w.approval_timeout_secs = Some(60);
    o.create(w).unwrap();
    o.advance("late").unwrap();
    h.clock.advance(std::time::Duration::from_secs(120));
    let err = o
        .approve("late", None, Resolution::Accept, "t")
        .unwrap_err();
    assert!(
        err.to_string().contains("approval manufacturing-1 expired"),
        "{err}"
    );
    assert_eq!(o.view("late").unwrap().state, WorkflowState::Error);
}

#[test]
fn successive_reforecasts_do_not_compound() {
    // Sales run steadily at 60% of the initial forecast: the re-forecast settles near
    // that level instead of cutting the remaining weeks again after every week.
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("comp", params("luxury"))).unwrap();
    let initial = o.advance("comp").unwrap().forecast_weekly.clone();
    o.approve("comp", None, Resolution::Accept, "t").unwrap();
    let weeks = scenario("normal_season");
    for w in 1..=8u32 {
        let file = &weeks[w as usize - 1];
        let factor = 0.6 * initial[w as usize - 1] as f64 / file.total_units() as f64;
        let mut scaled = file.clone();
        for r in &mut scaled.rows {
            r.quantity_sold = (r.quantity_sold as f64 * factor).round() as u32;
        }
        o.record_week("comp", w, &scaled).unwrap();
    }
    let view = o.view("comp").unwrap();
    assert!(view.weeks.iter().any(|w| w.reforecast));
    for week in 9..=12usize {
        let ratio = view.forecast_weekly[week - 1] as f64 / initial[week - 1] as f64;
        assert!(
            (0.55..=0.80).contains(&ratio),
            "week {week}: {ratio:.3} of the initial forecast"
        );
    }
}

#[test]
fn a_week_missing_days_is_refused_whole() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("part", params("zara"))).unwrap();
    o.advance("part").unwrap();
    o.approve("part", None, Resolution::Accept, "t").unwrap();
    let mut partial = scenario("normal_season")[0].clone();
    let last_day = partial.rows.iter().map(|r| r.date).max().unwrap();
    partial.rows.retain(|r| r.date != last_day);
    let before = events(&h, "part").len();
    let err = o.record_week("part", 1, &partial).unwrap_err();
    assert!(
        matches!(&err, EngineError::IncompleteWeek { week: 1, missing } if missing == &vec![last_day]),
        "{err}"
    );
    assert_eq!(events(&h, "part").len(), before);
}

/// A file with one store of fifty (every day present) was recorded as the week's
/// actual and set off a re-forecast; now it is refused naming the stores it lacks,
/// and so is a file that leaves one store out on one day.
#[test]
fn a_week_missing_stores_is_refused_naming_them() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("stores", params("zara"))).unwrap();
    o.advance("stores").unwrap();
    o.approve("stores", None, Resolution::Accept, "t").unwrap();
    let whole = scenario("normal_season")[0].clone();
    let first_store = whole.rows[0].store_id.clone();
    let before = events(&h, "stores").len();

    let mut one_store = whole.clone();
    one_store.rows.retain(|r| r.store_id == first_store);
    let err = o.record_week("stores", 1, &one_store).unwrap_err();
    let EngineError::IncompleteStores {
        week: 1,
        stores_missing,
        missing_store_days,
    } = &err
    else {
        panic!("not refused for its stores: {err}");
    };
    assert_eq!(stores_missing.len(), 49, "{err}");
    assert_eq!(*missing_store_days, 49 * 7);
    assert!(
        stores_missing
            .iter()
            .all(|(s, days)| *s != first_store && days.len() == 7)
    );
    assert!(err.to_string().contains("(every day)"), "{err}");
    assert!(err.to_string().contains("and 39 more stores"), "{err}");

    let mut one_gap = whole.clone();
    let gap = one_gap
        .rows
        .iter()
        .position(|r| r.store_id != first_store)
        .unwrap();
    let gone = one_gap.rows.remove(gap);
    let err = o.record_week("stores", 1, &one_gap).unwrap_err();
    assert!(
        matches!(&err, EngineError::IncompleteStores { stores_missing, missing_store_days: 1, .. }
            if stores_missing == &vec![(gone.store_id.clone(), vec![gone.date])]),
        "{err}"
    );
    assert_eq!(events(&h, "stores").len(), before, "nothing half-written");
    let view = o.record_week("stores", 1, &whole).unwrap();
    assert_eq!(view.weeks.len(), 1);
}

#[test]
fn absurd_timeouts_and_far_future_seasons_are_refused_at_creation() {
    use atelier_engine::store::EventStore;
    let h = harness();
    let mut w = new_workflow("t", params("zara"));
    w.approval_timeout_secs = Some(u64::MAX);
    assert!(
        h.orchestrator
            .create(w)
            .unwrap_err()
            .to_string()
            .contains("outside 1..=31536000")
    );
    let far = config_json(
        r#"{"forecast_horizon_weeks": 12, "season_start_date": "2031-02-17",
        "replenishment_strategy": "none", "dc_holdback_percentage": 0.0}"#,
    );
    let err = h.orchestrator.create(new_workflow("far", far)).unwrap_err();
    assert!(
        err.to_string()
            .contains("at most 104 weeks can be forecast through"),
        "{err}"
    );
    assert!(!h.store.exists("t").unwrap() && !h.store.exists("far").unwrap());
}

#[test]
fn resuming_after_an_expired_revised_order_asks_for_the_revision_again() {
    let h = harness();
    let o = &h.orchestrator;
    let mut w = new_workflow("rev", params("zara"));
    w.approval_timeout_secs = Some(60);
    o.create(w).unwrap();
    o.advance("rev").unwrap();
    let m = Modification {
        manufacturing_qty: Some(250_000),
        safety_stock_pct: None,
        markdown_pct: None,
        transfer_units: None,
        reorder_units: None,
    };
    o.approve("rev", None, Resolution::Modify { modifications: m }, "t")
        .unwrap();
    h.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(o.advance("rev").unwrap().state, WorkflowState::Error);
    let view = o.resume("rev").unwrap();
    let pending = view.pending_approval.unwrap();
    assert_eq!(pending.approval_id, "manufacturing-3");
    assert_eq!(
        serde_json::to_value(&pending.data).unwrap()["manufacturing_qty"],
        250_000,
        "the planner's revision stands"
    );
    assert_eq!(
        count(&events(&h, "rev"), "forecast_produced"),
        1,
        "no second forecast"
    );
}

#[test]
fn recorded_sales_above_book_stock_are_kept_and_flagged() {
    use atelier_engine::event::ActualsMeaning;
    let h = harness();
    let o = &h.orchestrator;
    let mut w = new_workflow("pos", params("zara"));
    w.actuals_meaning = ActualsMeaning::Sales;
    o.create(w).unwrap();
    o.advance("pos").unwrap();
    let view = o.approve("pos", None, Resolution::Accept, "t").unwrap();
    let s001 = view.stock[0].on_hand;
    let mut week = scenario("normal_season")[0].clone();
    let row = week.rows.iter_mut().find(|r| r.store_id == "S001").unwrap();
    row.quantity_sold = u32::try_from(s001).unwrap() + 500;
    let total = week.total_units();
    let view = o.record_week("pos", 1, &week).unwrap();
    assert_eq!(
        view.weeks[0].actual, total,
        "the till's figures are kept whole"
    );
    assert_eq!(view.stock[0].on_hand, 0);
    let log = events(&h, "pos");
    let recorded = log
        .iter()
        .find_map(|e| match &e.event {
            Event::WeekRecorded { sales } => Some(sales.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(recorded.stock_adjusted_stores, vec!["S001".to_string()]);
    assert!(recorded.stockout_stores.contains(&"S001".to_string()));
    // The log folds back to the same view.
    assert_eq!(o.view("pos").unwrap().stock, view.stock);
}

#[test]
fn an_absurd_order_quantity_is_refused_and_nothing_is_recorded() {
    let h = harness();
    let o = &h.orchestrator;
    o.create(new_workflow("huge", params("zara"))).unwrap();
    let view = o.advance("huge").unwrap();
    let forecast = view.order.unwrap().forecast_units;
    let before = events(&h, "huge").len();
    for qty in [u64::MAX, forecast * 10 + 1] {
        let m = Modification {
            manufacturing_qty: Some(qty),
            safety_stock_pct: None,
            markdown_pct: None,
            transfer_units: None,
            reorder_units: None,
        };
        let err = o
            .approve("huge", None, Resolution::Modify { modifications: m }, "t")
            .unwrap_err();
        assert!(
            err.to_string().contains("more than 10 times the forecast"),
            "{err}"
        );
    }
    assert_eq!(events(&h, "huge").len(), before);
    // Ten times the forecast is still a (large) order the season can run with.
    let m = Modification {
        manufacturing_qty: Some(forecast * 10),
        safety_stock_pct: None,
        markdown_pct: None,
        transfer_units: None,
        reorder_units: None,
    };
    o.approve("huge", None, Resolution::Modify { modifications: m }, "t")
        .unwrap();
    let view = o.approve("huge", None, Resolution::Accept, "t").unwrap();
    assert_eq!(view.allocation.unwrap().manufacturing_qty, forecast * 10);
}

#[test]
fn run_and_simulate_give_identical_reports() {
    use atelier_engine::DataCatalog;
    use atelier_engine::simulate::SeasonSimulator;
    let data = catalog()
        .load(&atelier_engine::event::DataSource::Sample)
        .unwrap();
    for (set, scenario_name) in [
        ("standard_retail", "normal_season"),
        ("zara", "low_demand"),
        ("conservative", "underperform"),
    ] {
        let h = harness();
        let id = format!("{set}-{scenario_name}");
        h.orchestrator
            .create(new_workflow(&id, params(set)))
            .unwrap();
        let weeks = scenario(scenario_name);
        let run = play_auto(&h, &id, &weeks);
        let units: Vec<Vec<u64>> = weeks
            .iter()
            .map(|w| w.units_by_store(&data.stores))
            .collect();
        let sim = SeasonSimulator::prepare("Women's Dresses", &params(set), data.clone()).unwrap();
        let simulated = sim.play(&units).unwrap();
        assert_eq!(run.report, simulated.report, "{id}");
        assert_eq!(run.stock, simulated.stock, "{id}");
        assert_eq!(
            run.weeks,
            simulated
                .weeks
                .iter()
                .cloned()
                .map(|mut w| {
                    w.content_hash = run.weeks[w.week as usize - 1].content_hash.clone();
                    w
                })
                .collect::<Vec<_>>(),
            "{id}"
        );
    }
}

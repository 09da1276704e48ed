//! The view the orchestrator keeps is the fold of the log it stored: whatever a
//! planner, a clock and a failing agent do, in any order, the cached view after each
//! command equals `WorkflowView::fold` of the stored events. Commands are drawn at
//! random (proptest): weeks of sales scaled up or down, approvals accepted or
//! modified, time passing past deadlines, an agent going down and coming back,
//! resumes and manual re-forecasts, under both policies and every shipped set.

mod support;

use atelier_engine::agents::AgentRegistry;
use atelier_engine::event::{ExpiryAction, Modification, Resolution};
use atelier_engine::{WorkflowState, WorkflowView};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use support::*;

/// What a planner, the clock or the world does next.
#[derive(Debug, Clone)]
enum Command {
    /// Runs whatever needs no input.
    Advance,
    /// Records the next week, each store's sales scaled by the factor (percent).
    Week(u32),
    /// Accepts the pending approval.
    Accept,
    /// Modifies the pending approval (each field read by its own kind).
    Modify {
        safety_stock_pct: f64,
        markdown_pct: f64,
        units: u64,
    },
    /// Hours pass (a deadline may expire).
    Wait(u32),
    /// The Demand agent goes down or comes back.
    Demand(bool),
    /// Resumes after an error.
    Resume,
    /// A planner's re-forecast.
    Reforecast,
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        2 => Just(Command::Advance),
        8 => (40u32..180).prop_map(Command::Week),
        4 => Just(Command::Accept),
        2 => (0.0f64..0.6, 0.0f64..0.5, 0u64..40_000).prop_map(|(s, m, u)| Command::Modify {
            safety_stock_pct: s,
            markdown_pct: m,
            units: u,
        }),
        1 => (1u32..72).prop_map(Command::Wait),
        1 => any::<bool>().prop_map(Command::Demand),
        1 => Just(Command::Resume),
        1 => Just(Command::Reforecast),
    ]
}

/// Plays `commands` on a new workflow and checks the fold after each one.
fn play(set: &str, margin: bool, expiry: Option<ExpiryAction>, commands: &[Command]) {
    let down = Arc::new(AtomicBool::new(false));
    let agents = AgentRegistry::default().with_agent(Arc::new(Switchable { down: down.clone() }));
    let h = harness_with(agents);
    let config = if margin {
        margin_params(set)
    } else {
        params(set)
    };
    let mut request = new_workflow("f", config);
    if let Some(action) = expiry {
        request.approval_timeout_secs = Some(24 * 3600);
        request.approval_expiry = action;
    }
    h.orchestrator.create(request).expect("created");
    let weeks = scenario("normal_season");
    let o = &h.orchestrator;
    for (i, c) in commands.iter().enumerate() {
        // Refusals are part of the game (a week out of turn, no approval pending):
        // whatever the answer, the kept view must be the log's fold.
        let _ = match c {
            Command::Advance => o.advance("f"),
            Command::Week(percent) => {
                let view = o.view("f").expect("view");
                match weeks.get(view.next_week() as usize - 1) {
                    Some(w) => {
                        o.record_week("f", view.next_week(), &scaled_week(w, u64::from(*percent)))
                    }
                    None => Ok(view),
                }
            }
            Command::Accept => o.approve("f", None, Resolution::Accept, "prop"),
            Command::Modify {
                safety_stock_pct,
                markdown_pct,
                units,
            } => o.approve(
                "f",
                None,
                Resolution::Modify {
                    modifications: Modification {
                        manufacturing_qty: None,
                        safety_stock_pct: Some(*safety_stock_pct),
                        markdown_pct: Some(*markdown_pct),
                        transfer_units: Some(*units),
                        reorder_units: Some(*units),
                    },
                },
                "prop",
            ),
            Command::Wait(hours) => {
                h.clock
                    .advance(std::time::Duration::from_secs(u64::from(*hours) * 3600));
                o.advance("f")
            }
            Command::Demand(is_down) => {
                down.store(*is_down, Ordering::SeqCst);
                o.view("f")
            }
            Command::Resume => o.resume("f"),
            Command::Reforecast => o.manual_reforecast("f", "a planner's hunch"),
        };
        let kept = o.view("f").expect("the kept view");
        let folded = WorkflowView::fold(&events(&h, "f")).expect("the log folds");
        assert_eq!(kept, folded, "after command {i} ({c:?})");
    }
    // Another process's orchestrator on the same store, its cache empty, folds the
    // same season.
    assert_eq!(
        another_process(&h).view("f").expect("view"),
        o.view("f").expect("view"),
        "{commands:?}"
    );
    let end = o.view("f").expect("view");
    assert_ne!(
        end.state,
        WorkflowState::ParametersExtracted,
        "{commands:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_kept_view_is_the_fold_of_the_stored_log(
        set in prop::sample::select(vec!["zara", "standard_retail", "luxury", "conservative"]),
        margin in any::<bool>(),
        expiry in prop::option::of(prop::sample::select(vec![ExpiryAction::Accept, ExpiryAction::Fail])),
        commands in prop::collection::vec(command(), 1..40),
    ) {
        play(set, margin, expiry, &commands);
    }
}

/// A fixed sequence through every kind of command, so the property's ground is
/// covered even when the random draws are unlucky.
#[test]
fn a_season_with_every_kind_of_command_folds_after_each() {
    use Command::*;
    let mut commands = vec![
        Modify {
            safety_stock_pct: 0.1,
            markdown_pct: 0.1,
            units: 1_000,
        },
        Accept,
    ];
    for w in 0..12 {
        commands.push(Week(if w < 4 { 60 } else { 150 }));
        if w == 3 {
            commands.extend([Demand(true), Week(150), Resume, Demand(false), Resume]);
        }
        if w == 5 {
            commands.extend([Reforecast, Wait(30)]);
        }
        commands.extend([Accept, Advance]);
    }
    play("zara", true, Some(ExpiryAction::Accept), &commands);
    play(
        "standard_retail",
        false,
        Some(ExpiryAction::Fail),
        &commands,
    );
}

//! Which transitions of the state table the seasons take: a catalogue of seasons
//! (both policies, every shipped set, cold and hot and low demand, approvals
//! accepted, modified, expired to accept and to fail, an agent down, a manual
//! re-forecast) is played, each stored log is folded, and every move between
//! states is counted against `state::TRANSITIONS`. The report is written to
//! `target/tmp/transition-coverage.txt` (CI prints it); the test fails when a
//! transition of the table is never taken, unless it is listed below with the
//! reason no season can take it, and fails too when a listed one starts being taken
//! (so the list stays true).

mod support;

use atelier_core::data::WeekActuals;
use atelier_core::params::SeasonConfig;
use atelier_engine::WorkflowState;
use atelier_engine::agents::AgentRegistry;
use atelier_engine::event::{
    ApprovalKind, Event, ExpiryAction, Modification, Resolution, StoredEvent,
};
use atelier_engine::state::{TRANSITIONS, Trigger};
use atelier_engine::view::Workflow;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use support::*;

/// Transitions of the table no season takes, with why.
const NEVER_TAKEN: &[(WorkflowState, Trigger, WorkflowState, &str)] = &[(
    WorkflowState::Phase3Replenishment,
    Trigger::SeasonCompleted,
    WorkflowState::Completed,
    "nothing is shipped, moved or reordered after the last week (`replenishes_after` is \
     false at the horizon and the chase and transfers need weeks left to sell), so a season \
     never ends from replenishment",
)];

type Move = (WorkflowState, Trigger, WorkflowState);

/// The trigger an event fires, if it moves the state.
fn trigger(event: &Event) -> Option<Trigger> {
    Some(match event {
        Event::PhaseStarted { .. } => Trigger::PhaseStarted,
        Event::ApprovalRequested { .. } => Trigger::ApprovalRequested,
        Event::ApprovalResolved { resolution, .. } => match resolution {
            Resolution::Accept => Trigger::ApprovalAccepted,
            Resolution::Modify { .. } => Trigger::ApprovalModified,
        },
        Event::ApprovalExpired { action, .. } => match action {
            ExpiryAction::Accept => Trigger::ApprovalAccepted,
            ExpiryAction::Fail => Trigger::Failed,
        },
        Event::WorkflowCompleted { .. } => Trigger::SeasonCompleted,
        Event::WorkflowFailed { .. } => Trigger::Failed,
        Event::WorkflowResumed { .. } => Trigger::Resumed,
        _ => return None,
    })
}

/// Every move a log makes, from folding it event by event.
fn moves(log: &[StoredEvent]) -> Vec<Move> {
    let mut workflow = Workflow::Empty;
    let mut out = Vec::new();
    for stored in log {
        let before = workflow.season().map(|v| v.state);
        workflow.apply(stored).expect("the log folds");
        let after = workflow.season().map(|v| v.state).expect("created");
        if let (Some(from), Some(t)) = (before, trigger(&stored.event)) {
            out.push((from, t, after));
        }
    }
    out
}

/// How a season's approvals are answered.
#[derive(Clone, Copy, PartialEq)]
enum Answers {
    /// Every one accepted.
    Accept,
    /// The first of each kind modified, the rest accepted.
    ModifyFirst,
    /// The order accepted as proposed, then the first of each other kind modified.
    ModifyAfterOrder,
    /// Left to expire (the expiry rule decides).
    Expire(ExpiryAction),
}

/// What else happens in a season.
#[derive(Clone, Copy, PartialEq)]
enum Twist {
    None,
    /// Demand goes down after week 3 (a variance re-forecast then fails), the
    /// season is resumed once it is back.
    DemandDown,
    /// A planner re-forecasts after week 2.
    ManualReforecast,
}

fn scaled(weeks: &[WeekActuals], percent: u64) -> Vec<WeekActuals> {
    weeks.iter().map(|w| scaled_week(w, percent)).collect()
}

/// Demand moved between stores: the first third of the network sells 1.8× its
/// units, the rest 0.6× (stock ends up in the wrong stores: transfers).
fn uneven(weeks: &[WeekActuals]) -> Vec<WeekActuals> {
    let mut ids: Vec<String> = weeks[0].rows.iter().map(|r| r.store_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let hot: BTreeSet<String> = ids.iter().take(ids.len() / 3).cloned().collect();
    weeks
        .iter()
        .map(|w| {
            let mut w = w.clone();
            for r in &mut w.rows {
                let factor = if hot.contains(&r.store_id) { 1.8 } else { 0.6 };
                r.quantity_sold = (f64::from(r.quantity_sold) * factor).round() as u32;
            }
            w
        })
        .collect()
}

fn play(config: SeasonConfig, weeks: &[WeekActuals], answers: Answers, twist: Twist) -> Vec<Move> {
    let down = Arc::new(AtomicBool::new(false));
    let agents = AgentRegistry::default().with_agent(Arc::new(Switchable { down: down.clone() }));
    let h = harness_with(agents);
    let mut request = new_workflow("t", config);
    if let Answers::Expire(action) = answers {
        request.approval_timeout_secs = Some(3600);
        request.approval_expiry = action;
    }
    let o = &h.orchestrator;
    o.create(request).expect("created");
    let mut view = o.advance("t").expect("advanced");
    let mut modified: BTreeSet<String> = BTreeSet::new();
    for _ in 0..200 {
        view = match view.state {
            WorkflowState::Error => {
                down.store(false, Ordering::SeqCst);
                o.resume("t").expect("resumed")
            }
            s if s.is_waiting() => {
                let pending = view.pending_approval.clone().expect("pending");
                let kind = format!("{:?}", pending.kind);
                match answers {
                    Answers::Expire(_) => {
                        h.clock.advance(std::time::Duration::from_secs(7200));
                        o.advance("t").expect("expired")
                    }
                    Answers::ModifyAfterOrder if pending.kind == ApprovalKind::Manufacturing => o
                        .approve("t", None, Resolution::Accept, "test")
                        .expect("accepted"),
                    Answers::ModifyFirst | Answers::ModifyAfterOrder
                        if modified.insert(kind.clone()) =>
                    {
                        let modifications = match pending.kind {
                            ApprovalKind::Manufacturing => Modification {
                                safety_stock_pct: Some(0.05),
                                ..Modification::default()
                            },
                            ApprovalKind::Markdown => Modification {
                                markdown_pct: Some(0.05),
                                ..Modification::default()
                            },
                            ApprovalKind::Transfer => Modification {
                                transfer_units: Some(500),
                                ..Modification::default()
                            },
                            ApprovalKind::Reorder => Modification {
                                reorder_units: Some(0),
                                ..Modification::default()
                            },
                        };
                        o.approve("t", None, Resolution::Modify { modifications }, "test")
                            .expect("modified")
                    }
                    _ => o
                        .approve("t", None, Resolution::Accept, "test")
                        .expect("accepted"),
                }
            }
            WorkflowState::Phase3Monitoring => {
                let week = view.next_week();
                if twist == Twist::DemandDown && week == 4 {
                    down.store(true, Ordering::SeqCst);
                }
                if twist == Twist::ManualReforecast && week == 3 {
                    o.manual_reforecast("t", "a planner's hunch")
                        .expect("re-forecast");
                }
                match weeks.get(week as usize - 1) {
                    Some(w) => o.record_week("t", week, w).expect("week recorded"),
                    None => break,
                }
            }
            _ => break,
        };
    }
    moves(&events(&h, "t"))
}

#[test]
fn every_transition_of_the_table_is_taken_by_some_season() {
    let mut taken: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut failed_from: BTreeSet<String> = BTreeSet::new();
    let mut resumed_to: BTreeSet<String> = BTreeSet::new();
    let mut seasons = 0;
    let normal = scenario("normal_season");
    let worlds = [
        ("normal", normal.clone()),
        ("hot", scaled(&normal, 160)),
        ("cold", scaled(&normal, 55)),
        ("low_demand", scenario("low_demand")),
        ("uneven", uneven(&normal)),
    ];
    let mut plays: Vec<(SeasonConfig, &[WeekActuals], Answers, Twist)> = Vec::new();
    for set in ["zara", "standard_retail", "luxury", "conservative"] {
        for config in [params(set), margin_params(set)] {
            for (_, weeks) in &worlds {
                plays.push((config.clone(), weeks, Answers::Accept, Twist::None));
                plays.push((config.clone(), weeks, Answers::ModifyFirst, Twist::None));
            }
            plays.push((
                config.clone(),
                &worlds[4].1,
                Answers::ModifyAfterOrder,
                Twist::None,
            ));
        }
    }
    // A checkpoint in the last week: the season ends from the markdown check (none
    // taken) or from the re-forecast after it (one applied).
    for mut config in [params("zara"), margin_params("zara")] {
        config.parameters.markdown_checkpoint_week = Some(config.parameters.forecast_horizon_weeks);
        if config.parameters.markdown_threshold.is_none() {
            config.parameters.markdown_threshold = Some(0.6);
        }
        for (_, weeks) in &worlds {
            plays.push((config.clone(), weeks, Answers::Accept, Twist::None));
        }
    }
    for config in [params("zara"), margin_params("zara")] {
        for action in [ExpiryAction::Accept, ExpiryAction::Fail] {
            plays.push((
                config.clone(),
                &worlds[1].1,
                Answers::Expire(action),
                Twist::None,
            ));
            plays.push((
                config.clone(),
                &worlds[2].1,
                Answers::Expire(action),
                Twist::None,
            ));
        }
        plays.push((
            config.clone(),
            &worlds[1].1,
            Answers::Accept,
            Twist::DemandDown,
        ));
        plays.push((
            config.clone(),
            &worlds[0].1,
            Answers::Accept,
            Twist::ManualReforecast,
        ));
    }
    for (config, weeks, answers, twist) in plays {
        seasons += 1;
        for (from, t, to) in play(config, weeks, answers, twist) {
            match t {
                Trigger::Failed => {
                    failed_from.insert(from.to_string());
                }
                Trigger::Resumed => {
                    resumed_to.insert(to.to_string());
                }
                _ => {}
            }
            taken.insert((from.to_string(), t.as_str().to_string(), to.to_string()));
        }
    }

    let key = |(f, t, to): &Move| (f.to_string(), t.as_str().to_string(), to.to_string());
    let mut report = format!(
        "transition coverage over {seasons} seasons: {} of {} table transitions taken\n",
        TRANSITIONS
            .iter()
            .filter(|m| taken.contains(&key(m)))
            .count(),
        TRANSITIONS.len()
    );
    let mut untaken = Vec::new();
    for m in TRANSITIONS {
        let k = key(m);
        let mark = if taken.contains(&k) {
            "taken "
        } else {
            "NEVER "
        };
        report.push_str(&format!("  {mark} {} --{}--> {}\n", k.0, k.1, k.2));
        if !taken.contains(&k) {
            untaken.push(k);
        }
    }
    report.push_str(&format!(
        "failed from: {}\nresumed to: {}\n",
        failed_from.iter().cloned().collect::<Vec<_>>().join(", "),
        resumed_to.iter().cloned().collect::<Vec<_>>().join(", ")
    ));
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("transition-coverage.txt");
    std::fs::write(&path, &report).expect("the report is written");
    eprintln!("{report}");

    let excused: Vec<(String, String, String)> = NEVER_TAKEN
        .iter()
        .map(|(f, t, to, _)| key(&(*f, *t, *to)))
        .collect();
    let unexcused: Vec<_> = untaken.iter().filter(|k| !excused.contains(k)).collect();
    assert!(unexcused.is_empty(), "never taken: {unexcused:?}\n{report}");
    let stale: Vec<_> = excused.iter().filter(|k| taken.contains(*k)).collect();
    assert!(
        stale.is_empty(),
        "listed as never taken but taken: {stale:?}"
    );
    // Failures and resumes: the seasons above fail while waiting (an expiry set
    // to fail) and while running (an agent down), and resume to both.
    assert!(failed_from.len() >= 2, "{report}");
    assert!(resumed_to.len() >= 2, "{report}");
}

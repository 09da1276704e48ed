//! Phase 1: Demand forecasts the season and sizes the order (or re-sizes it after a
//! planner's modification), and the order is put up for approval.

use crate::agents::{ForecastCall, ReviseOrderCall};
use crate::event::{ApprovalKind, ApprovalProposal, Event};
use crate::orchestrator::step::{Step, StepContext, StepError};
use crate::orchestrator::steps::approvals;
use crate::reasoning;
use crate::state::WorkflowState;
use crate::view::WorkflowView;
use atelier_core::economics::Economics;
use atelier_core::plan::category_sales;

/// Forecasts (or revises) the order and asks for its approval.
pub fn run(ctx: &StepContext<'_>, view: &WorkflowView) -> Result<Step, StepError> {
    let mut step = Step::begin(view);
    let p = step.view.parameters.clone();
    let phase = WorkflowState::Phase1Forecasting;
    let order = match (&view.modification, &view.forecast, view.order) {
        // Back in phase 1 after an expired approval was resumed: the order on the
        // table (the planner's revision included) is asked again, not re-forecast.
        (None, Some(_), Some(order)) => order,
        (Some(m), Some(forecast), _) => {
            let call = ReviseOrderCall {
                forecast_units: forecast.total_season_demand,
                safety_stock_pct: m.safety_stock_pct,
                manufacturing_qty: m.manufacturing_qty,
            };
            let instruction =
                "Revise the manufacturing order with the planner's modification.".to_string();
            let order = ctx.hand_off(&mut step, phase, instruction, call)?;
            step.emit(Event::OrderRevised { order })?;
            order
        }
        _ => {
            let call = ForecastCall {
                category: view.category.clone(),
                season_start_date: p.season_start_date,
            };
            let instruction = format!(
                "Forecast demand for {} weeks. Replenishment strategy: {}. Adjust safety stock accordingly.",
                p.forecast_horizon_weeks, p.replenishment_strategy
            );
            let (forecast, order) = ctx.hand_off(&mut step, phase, instruction, call)?;
            step.emit(Event::ForecastProduced { forecast, order })?;
            order
        }
    };
    step.explain(reasoning::manufacturing_order(
        &order,
        p.replenishment_strategy,
    ));
    let interval = step.view.forecast.as_ref().map(|f| f.interval);
    // The money beside the order (issue 18): the category's price, cost and
    // currency, so an approver sees what the order costs and may earn. A history
    // that gives no price leaves them out, as before.
    let economics = ctx
        .data
        .and_then(|d| category_sales(&d.history, &view.category).ok())
        .and_then(|sales| Economics::for_category(&view.tunables, sales).ok());
    approvals::request(
        &mut step,
        ctx.now,
        ApprovalKind::Manufacturing,
        ApprovalProposal::Manufacturing {
            manufacturing_qty: order.manufacturing_qty,
            safety_stock_pct: order.safety_stock_pct,
            total_forecast: order.forecast_units,
            interval,
            unit_price: economics.as_ref().map(|e| e.unit_price),
            unit_cost: economics.as_ref().map(|e| e.unit_cost),
            currency: economics.map(|e| e.currency),
        },
    )?;
    Ok(step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::steps::{start, testing};

    #[test]
    fn zara_orders_the_forecast_plus_a_quarter_and_waits_for_approval() {
        let data = testing::data();
        let ctx = testing::context(&data);
        let view = start::run(&testing::created("zara")).unwrap().view;
        let step = run(&ctx, &view).unwrap();
        let order = step.view.order.unwrap();
        assert_eq!(order.safety_stock_pct, 0.25);
        assert_eq!(
            order.manufacturing_qty,
            (order.forecast_units as f64 * 1.25).round() as u64
        );
        assert_eq!(step.view.state, WorkflowState::WaitingMfgApproval);
        let pending = step.view.pending_approval.as_ref().unwrap();
        assert_eq!(pending.approval_id, "manufacturing-1");
        assert!(matches!(
            pending.data,
            ApprovalProposal::Manufacturing { manufacturing_qty, .. }
                if manufacturing_qty == order.manufacturing_qty
        ));
    }

    #[test]
    fn the_order_carries_its_price_cost_and_currency() {
        let data = testing::data();
        let ctx = testing::context(&data);
        let view = start::run(&testing::created("zara")).unwrap().view;
        let step = run(&ctx, &view).unwrap();
        let pending = step.view.pending_approval.as_ref().unwrap();
        let ApprovalProposal::Manufacturing {
            unit_price: Some(price),
            unit_cost: Some(cost),
            currency: Some(currency),
            ..
        } = &pending.data
        else {
            panic!("no money on the order: {:?}", pending.data);
        };
        assert!(*price > 0.0);
        assert!((cost - view.tunables.unit_cost_ratio * price).abs() < 1e-9);
        assert_eq!(currency, &view.tunables.currency);
    }

    mod effects {
        //! What phase 1 emits: a forecast and an order put up for approval; a
        //! planner's revision re-sized and asked again; after a resumed expiry, the
        //! order on the table asked again without a new forecast.

        use super::super::run;
        use crate::agents::AgentName;
        use crate::event::{ApprovalKind, ApprovalProposal, Event, Modification, Resolution};
        use crate::orchestrator::steps::testing::effects::{
            emits, emits_in_order, explained, kinds, one, requested,
        };
        use crate::orchestrator::steps::testing::{Season, on_plan};
        use crate::state::WorkflowState;
        use atelier_core::Policy;

        fn waiting() -> Season {
            let mut s = Season::new("standard_retail", Policy::Seed);
            s.until(on_plan, |v| v.state == WorkflowState::WaitingMfgApproval);
            s
        }

        #[test]
        fn demand_forecasts_and_the_order_is_asked_for() {
            let mut s = Season::new("standard_retail", Policy::Seed);
            s.until(on_plan, |v| v.state == WorkflowState::Phase1Forecasting);
            let step = s.step(run);
            assert!(emits_in_order(
                &step,
                &[
                    "handoff_sent",
                    "agent_completed",
                    "forecast_produced",
                    "approval_requested"
                ]
            ));
            let agent = one(&step, |e| match e {
                Event::HandoffSent { handoff } => Some(handoff.agent),
                _ => None,
            });
            assert_eq!(agent, AgentName::Demand);
            let order = one(&step, |e| match e {
                Event::ForecastProduced { order, .. } => Some(*order),
                _ => None,
            });
            let (id, kind, data) = requested(&step).unwrap();
            assert_eq!(
                (id.as_str(), kind),
                ("manufacturing-1", ApprovalKind::Manufacturing)
            );
            assert!(matches!(
                data,
                ApprovalProposal::Manufacturing { manufacturing_qty, total_forecast, .. }
                    if manufacturing_qty == order.manufacturing_qty
                        && total_forecast == order.forecast_units
            ));
            assert!(explained(&step, "manufacturing_order").is_some());
        }

        #[test]
        fn a_planners_quantity_is_re_sized_and_asked_again_without_a_new_forecast() {
            let mut s = waiting();
            s.answer(Resolution::Modify {
                modifications: Modification {
                    manufacturing_qty: Some(9_000),
                    ..Modification::default()
                },
            });
            let step = s.step(run);
            let revised = one(&step, |e| match e {
                Event::OrderRevised { order } => Some(*order),
                _ => None,
            });
            assert_eq!(revised.manufacturing_qty, 9_000);
            assert!(!emits(&step, "forecast_produced"));
            let (id, _, data) = requested(&step).unwrap();
            assert_eq!(id, "manufacturing-2");
            assert!(matches!(
                data,
                ApprovalProposal::Manufacturing {
                    manufacturing_qty: 9_000,
                    ..
                }
            ));
        }

        #[test]
        fn after_a_resumed_expiry_the_order_on_the_table_is_asked_again() {
            let mut s = waiting();
            let order = s.view.order.unwrap();
            s.answer(Resolution::Modify {
                modifications: Modification {
                    safety_stock_pct: Some(0.1),
                    ..Modification::default()
                },
            });
            // As a resumed expiry leaves it: back in phase 1 with no modification.
            s.view.modification = None;
            s.view.order = Some(order);
            let step = s.step(run);
            assert_eq!(kinds(&step), vec!["approval_requested"]);
            let (_, _, data) = requested(&step).unwrap();
            assert!(matches!(
                data,
                ApprovalProposal::Manufacturing { manufacturing_qty, .. }
                    if manufacturing_qty == order.manufacturing_qty
            ));
        }
    }
}

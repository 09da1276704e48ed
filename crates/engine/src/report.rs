//! The workflow document that the CLI prints and the server returns: one type,
//! built from the folded view, so every surface says the same thing; and the
//! figures it carries (progress, the order's money).

use crate::agents::AgentName;
use crate::event::ApprovalProposal;
use crate::state::WorkflowState;
use crate::view::{AnsweredApproval, MarkdownRow, PendingApproval, WeekRow, WorkflowView};
use atelier_core::demand::{ManufacturingOrder, TotalInterval};
use atelier_core::economics::Economics;
use atelier_core::inventory::ClusterName;
use atelier_core::order_value::{
    ChaseOption, DemandDistribution, OrderAlternative, OrderValue, order_alternatives,
    order_value_with,
};
use atelier_core::params::Policy;
use atelier_core::params::SeasonParameters;
use atelier_core::policy::rules::{OrderRule, ReorderRule, Rules};
use atelier_core::season::SeasonReport;
use serde::Serialize;

/// Share of the workflow done, 0..1: phases 1–2 count for 10%, the weeks for the rest.
pub fn progress(view: &WorkflowView) -> f64 {
    match view.state {
        WorkflowState::Completed => 1.0,
        WorkflowState::ParametersExtracted => 0.0,
        WorkflowState::Phase1Forecasting | WorkflowState::WaitingMfgApproval => 0.05,
        _ if view.allocation.is_none() => 0.08,
        _ => {
            let horizon = view.horizon().max(1) as f64;
            0.1 + 0.9 * view.weeks.len() as f64 / horizon
        }
    }
}

/// Season demand as the order sees it: the lognormal fitted to the forecast's
/// interval (`core::order_value::DemandDistribution::from_interval`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandSpread {
    /// The median, units.
    pub median_units: f64,
    /// The 10th percentile, units.
    pub p10_units: f64,
    /// The 90th percentile, units.
    pub p90_units: f64,
    /// Mean of ln D.
    pub mu: f64,
    /// Standard deviation of ln D.
    pub sigma: f64,
}

/// The money of the manufacturing order: what it costs, what it is expected to
/// earn, and a few other sizes beside it (`core::order_value`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderValuation {
    /// ISO 4217 code of every money figure here.
    pub currency: String,
    /// Full price of a unit.
    pub unit_price: f64,
    /// Cost of a unit.
    pub unit_cost: f64,
    /// What a unit left at the end fetches.
    pub salvage_value: f64,
    /// The season forecast, units.
    pub forecast_units: u64,
    /// The order on the table (or approved), units.
    pub order_units: u64,
    /// The demand distribution it is valued under.
    pub demand: DemandSpread,
    /// The order's expected money.
    pub proposed: OrderValue,
    /// Other sizes, smallest first (the proposal among them).
    pub alternatives: Vec<OrderAlternative>,
    /// The policy that proposed the order: `margin` weighs these figures, `seed`
    /// and `rule` order the forecast plus a safety stock without weighing them,
    /// and the dialog says which.
    pub policy: Policy,
    /// The chase the valuation counts on (`margin` with chase terms), so the
    /// table ranks sizes as the policy did; `None`: one buy.
    pub chase: Option<ChaseOption>,
}

/// The order's money, once a forecast, an order and a price are known: the price
/// comes with the manufacturing approval (or, for a log written before it did,
/// from the allocation). `None` before the forecast or without a price.
pub fn order_valuation(view: &WorkflowView) -> Option<OrderValuation> {
    let (forecast, order) = (view.forecast.as_ref()?, view.order?);
    let proposed_price = view.pending_approval.as_ref().and_then(|p| match &p.data {
        ApprovalProposal::Manufacturing { unit_price, .. } => *unit_price,
        _ => None,
    });
    let price = proposed_price.or((view.unit_price > 0.0).then_some(view.unit_price))?;
    let economics = Economics::new(&view.tunables, price, 1).ok()?;
    let i = forecast.interval;
    let demand = DemandDistribution::from_interval(i.low, i.high, i.level)
        .unwrap_or_else(|| DemandDistribution::certain(forecast.total_season_demand));
    // Valued as the deciding policy valued it: `margin` takes its first buy at a
    // lower ratio when a chase can make up a shortfall (agents::margin::order).
    let rules = Rules::of(&view.tunables);
    let chase = match (rules.order, rules.reorder, view.tunables.chase.terms()) {
        (OrderRule::Newsvendor, ReorderRule::Chase, Some(terms)) => {
            Some(ChaseOption::new(&forecast.weekly, terms, &economics))
        }
        _ => None,
    };
    Some(OrderValuation {
        currency: economics.currency.clone(),
        unit_price: economics.unit_price,
        unit_cost: economics.unit_cost,
        salvage_value: economics.salvage_value,
        forecast_units: order.forecast_units,
        order_units: order.manufacturing_qty,
        demand: DemandSpread {
            median_units: demand.median(),
            p10_units: demand.quantile(0.1),
            p90_units: demand.quantile(0.9),
            mu: demand.mu,
            sigma: demand.sigma,
        },
        proposed: order_value_with(order.manufacturing_qty, &demand, &economics, chase.as_ref()),
        alternatives: order_alternatives(
            order.manufacturing_qty,
            order.forecast_units,
            &demand,
            &economics,
            chase.as_ref(),
        ),
        policy: view.tunables.policy,
        chase,
    })
}

/// The workflow as every surface shows it: `atelier run --json`, `resume
/// --json` and `status --json` print it, and `GET /api/workflows/{id}` answers
/// it with what only a client of the server needs beside it. One type, so the
/// CLI and the server cannot say different things about a workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkflowDocument {
    /// The workflow.
    pub workflow_id: String,
    /// Its state.
    pub state: WorkflowState,
    /// The category planned.
    pub category: String,
    /// The seven parameters, validated.
    pub parameters: SeasonParameters,
    /// The agent working now, if any.
    pub current_agent: Option<AgentName>,
    /// Share done, 0..1: phases 1–2 count for a tenth, the weeks for the rest.
    pub progress: f64,
    /// The last event number (a client resumes the stream after it).
    pub last_event: u64,
    /// The order proposed or approved.
    pub manufacturing: Option<ManufacturingOrder>,
    /// The order's money (cost, expected revenue and margin, other sizes), once
    /// its price is known.
    pub order_value: Option<OrderValuation>,
    /// The forecast, as first made and as revised since.
    pub forecast: Option<ForecastSummary>,
    /// The split of the order, and the DC's stock now.
    pub allocation: Option<AllocationSummary>,
    /// Phases skipped and why.
    pub phases_skipped: Vec<PhaseSkipped>,
    /// Weeks played.
    pub weeks: Vec<WeekRow>,
    /// The markdown, if one was proposed.
    pub markdown: Option<MarkdownRow>,
    /// The approval awaited.
    pub pending_approval: Option<PendingApproval>,
    /// Every approval answered or expired, in order, with who answered.
    pub approvals: Vec<AnsweredApproval>,
    /// Emergency-reorder alerts raised.
    pub emergency_alerts: u32,
    /// The season report once completed.
    pub report: Option<SeasonReport>,
    /// The failure cause in state `error`.
    pub error: Option<String>,
}

/// The demand forecast as the workflow document shows it: the season total, the
/// weeks as first forecast, and the weeks now (re-forecasts revise those to come).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastSummary {
    /// Units over the season, as first forecast.
    pub total_season_demand: u64,
    /// Units per week as first forecast.
    pub weekly_initial: Vec<u64>,
    /// Units per week now.
    pub weekly_current: Vec<u64>,
    /// Interval for the season total.
    pub interval: TotalInterval,
}

/// The split of the order between stores and the DC, per cluster (the stores'
/// own parts are in the allocation view).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllocationSummary {
    /// The order split.
    pub manufacturing_qty: u64,
    /// Units shipped to stores at launch.
    pub initial_shipped: u64,
    /// Units held at the DC at launch.
    pub dc_holdback: u64,
    /// Units at the DC now.
    pub dc_stock_now: u64,
    /// Per cluster, fashion-forward first.
    pub clusters: Vec<ClusterUnits>,
}

/// One cluster's part of the allocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterUnits {
    /// The cluster.
    pub cluster_id: ClusterName,
    /// Stores in it.
    pub stores: usize,
    /// Units allocated to it for the season.
    pub units: u64,
}

/// A phase that did not run, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhaseSkipped {
    /// The phase.
    pub phase: WorkflowState,
    /// Why, in words.
    pub reason: String,
}

impl WorkflowDocument {
    /// The document of `view`.
    pub fn new(view: &WorkflowView) -> WorkflowDocument {
        WorkflowDocument {
            workflow_id: view.workflow_id.clone(),
            state: view.state,
            category: view.category.clone(),
            parameters: view.parameters.clone(),
            current_agent: view.current_agent,
            progress: progress(view),
            last_event: view.last_seq,
            manufacturing: view.order,
            order_value: order_valuation(view),
            forecast: view.forecast.as_ref().map(|f| ForecastSummary {
                total_season_demand: f.total_season_demand,
                weekly_initial: f.weekly.clone(),
                weekly_current: view.forecast_weekly.clone(),
                interval: f.interval,
            }),
            allocation: view.allocation.as_ref().map(|a| AllocationSummary {
                manufacturing_qty: a.manufacturing_qty,
                initial_shipped: a.initial_shipped,
                dc_holdback: a.dc_holdback,
                dc_stock_now: view.dc_stock,
                clusters: a
                    .clusters
                    .iter()
                    .map(|c| ClusterUnits {
                        cluster_id: c.cluster_id,
                        stores: c.stores,
                        units: c.units,
                    })
                    .collect(),
            }),
            phases_skipped: view
                .phases_skipped
                .iter()
                .map(|(phase, reason)| PhaseSkipped {
                    phase: *phase,
                    reason: reason.clone(),
                })
                .collect(),
            weeks: view.weeks.clone(),
            markdown: view.markdown.clone(),
            pending_approval: view.pending_approval.clone(),
            approvals: view.answered_approvals.clone(),
            emergency_alerts: view.emergency_alerts,
            report: view.report.clone(),
            error: view.error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atelier_core::demand::{DemandForecast, TotalInterval, manufacturing_order};

    fn view_with_order(unit_price: f64) -> WorkflowView {
        let mut view = crate::orchestrator::steps::testing::created("standard_retail");
        view.workflow_id = "wf_1".into();
        view.category = "Dresses".into();
        view.state = WorkflowState::Phase3Monitoring;
        view.unit_price = unit_price;
        view.forecast = Some(DemandForecast {
            season_start: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap_or_default(),
            weekly: vec![1_000; 8],
            total_season_demand: 8_000,
            members: Vec::new(),
            interval: TotalInterval {
                level: 0.8,
                low: 6_500,
                high: 9_800,
            },
        });
        view.order = Some(manufacturing_order(8_000, 0.2));
        view
    }

    #[test]
    fn the_order_is_valued_once_its_price_is_known() {
        assert_eq!(order_valuation(&view_with_order(0.0)), None);
        let view = view_with_order(50.0);
        let v = order_valuation(&view).expect("a price");
        assert_eq!(v.order_units, 9_600);
        assert!((v.unit_cost - 50.0 * view.tunables.unit_cost_ratio).abs() < 1e-9);
        assert!((v.proposed.cost - 9_600.0 * v.unit_cost).abs() < 1e-6);
        assert!(v.demand.p10_units >= 6_499.0 && v.demand.p10_units <= 6_501.0);
        assert!(v.demand.p90_units >= 9_799.0 && v.demand.p90_units <= 9_801.0);
        assert!(
            v.alternatives
                .iter()
                .any(|a| a.value.order_units == 9_600 && a.value == v.proposed)
        );
        let document = WorkflowDocument::new(&view_with_order(50.0));
        assert_eq!(document.order_value.map(|v| v.order_units), Some(9_600));
    }
}

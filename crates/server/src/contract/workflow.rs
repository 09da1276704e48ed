//! What the workflow resources answer: the workflow document built from the
//! folded view (the shape `atelier status --json` prints, plus what a client of
//! the server needs), the creation receipt, a page of the log, and a week's check.

use atelier_core::demand::{ManufacturingOrder, TotalInterval};
use atelier_core::inventory::ClusterName;
use atelier_core::params::SeasonParameters;
use atelier_core::season::SeasonReport;
use atelier_engine::agents::AgentName;
use atelier_engine::event::{ActualsMeaning, DataSource, StoredEvent};
use atelier_engine::report::{OrderValuation, order_valuation, progress};
use atelier_engine::view::{AnsweredApproval, MarkdownRow, PendingApproval, WeekRow};
use atelier_engine::{WorkflowState, WorkflowView};
use serde::Serialize;
use utoipa::ToSchema;

/// The path of a workflow's event stream.
pub fn stream_path(id: &str) -> String {
    format!("/api/workflows/{id}/stream")
}

/// The stream's URL for a client that reached the server at `base`
/// (`ws://host:port` or `wss://host`); relative (the path alone) when the
/// server cannot know how the client reached it.
pub fn websocket_url(base: Option<&str>, id: &str) -> String {
    match base {
        Some(base) => format!("{base}{}", stream_path(id)),
        None => stream_path(id),
    }
}

/// The order proposed or approved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManufacturingBody {
    /// Forecast season demand, units.
    pub forecast_units: u64,
    /// Safety stock as a fraction (0.25 = 25%).
    pub safety_stock_pct: f64,
    /// round(forecast × (1 + safety stock)).
    pub manufacturing_qty: u64,
}

impl From<&ManufacturingOrder> for ManufacturingBody {
    fn from(o: &ManufacturingOrder) -> Self {
        ManufacturingBody {
            forecast_units: o.forecast_units,
            safety_stock_pct: o.safety_stock_pct,
            manufacturing_qty: o.manufacturing_qty,
        }
    }
}

/// The demand forecast: as first made and as revised since.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastBody {
    /// Units over the season, as first forecast.
    pub total_season_demand: u64,
    /// Units per week as first forecast.
    pub weekly_initial: Vec<u64>,
    /// Units per week now (re-forecasts revise the weeks to come).
    pub weekly_current: Vec<u64>,
    /// Interval for the season total.
    pub interval: TotalInterval,
}

/// One cluster's part of the allocation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterUnits {
    /// The cluster.
    pub cluster_id: ClusterName,
    /// Stores in it.
    pub stores: usize,
    /// Units allocated to it for the season.
    pub units: u64,
}

/// The split of the order between stores and the DC.
#[derive(Debug, Serialize, ToSchema)]
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

/// A phase that did not run, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseSkipped {
    /// The phase.
    pub phase: WorkflowState,
    /// Why.
    pub reason: String,
}

/// The workflow as `atelier status --json` shows it, plus `next_week`, `data`,
/// `actuals_meaning` and `websocket_url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowBody {
    /// The workflow.
    pub workflow_id: String,
    /// Its state.
    pub state: WorkflowState,
    /// The category.
    pub category: String,
    /// The seven parameters, validated.
    pub parameters: SeasonParameters,
    /// The agent working now, if any.
    pub current_agent: Option<AgentName>,
    /// Share done, 0..1.
    pub progress: f64,
    /// The last event number (resume the stream after it).
    pub last_event: u64,
    /// The order proposed or approved.
    pub manufacturing: Option<ManufacturingBody>,
    /// The order's money (cost, expected revenue and margin, other sizes), once
    /// its price is known.
    pub order_value: Option<OrderValuation>,
    /// The forecast.
    pub forecast: Option<ForecastBody>,
    /// The allocation.
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
    /// The week whose actuals are awaited next.
    pub next_week: u32,
    /// Where its data came from.
    pub data: DataSource,
    /// What its weekly actuals mean.
    pub actuals_meaning: ActualsMeaning,
    /// Where to stream its events.
    pub websocket_url: String,
}

impl WorkflowBody {
    /// The document of `view`, whose stream a client that reached the server at
    /// `base` (`ws://host:port`, see [`websocket_url`]) dials.
    pub fn new(view: &WorkflowView, base: Option<&str>) -> WorkflowBody {
        WorkflowBody {
            workflow_id: view.workflow_id.clone(),
            state: view.state,
            category: view.category.clone(),
            parameters: view.parameters.clone(),
            current_agent: view.current_agent,
            progress: progress(view),
            last_event: view.last_seq,
            manufacturing: view.order.as_ref().map(ManufacturingBody::from),
            order_value: order_valuation(view),
            forecast: view.forecast.as_ref().map(|f| ForecastBody {
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
            next_week: view.next_week(),
            data: view.data.clone(),
            actuals_meaning: view.actuals_meaning,
            websocket_url: websocket_url(base, &view.workflow_id),
        }
    }
}

/// A created workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWorkflow {
    /// The new workflow's id.
    pub workflow_id: String,
    /// Its state after its first steps (usually `waiting_mfg_approval`).
    pub status: WorkflowState,
    /// Where to stream its events.
    pub websocket_url: String,
}

/// A page of the event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPage {
    /// Stored events: workflow_id, seq, recorded_at, event.
    pub events: Vec<StoredEvent>,
    /// Number of the last event in this page (ask `after=` it for the next).
    pub last_seq: Option<u64>,
    /// Whether more events follow.
    pub has_more: bool,
}

/// A recorded week's variance check.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekResult {
    /// The week recorded.
    pub week: u32,
    /// Forecast in force for the week.
    pub forecast: u64,
    /// Units sold.
    pub actual: u64,
    /// Variance in percent (30.8 for 30.8%); null against a zero forecast.
    pub variance_pct: Option<f64>,
    /// Above the threshold.
    pub threshold_exceeded: bool,
    /// The remaining weeks were re-forecast.
    pub reforecast_triggered: bool,
    /// The workflow's state after the week (e.g. `waiting_markdown_approval`).
    pub state: WorkflowState,
}

impl WeekResult {
    /// The check of `row`, with the workflow's state after it.
    pub fn new(row: &WeekRow, state: WorkflowState) -> WeekResult {
        WeekResult {
            week: row.week,
            forecast: row.forecast,
            actual: row.actual,
            variance_pct: row.variance_pct,
            threshold_exceeded: row.threshold_exceeded,
            reforecast_triggered: row.reforecast,
            state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atelier_engine::report::workflow_json;

    /// The server's document is the CLI's `status --json` plus four keys, so both
    /// surfaces say the same thing about a workflow.
    #[test]
    fn the_document_extends_the_cli_summary() {
        let config = atelier_core::sample::parameter_set("zara")
            .expect("shipped")
            .expect("valid");
        let created = atelier_engine::event::Event::WorkflowCreated {
            category: "Scarves".into(),
            parameters: config.parameters,
            tunables: config.tunables,
            data: DataSource::Sample,
            actuals_meaning: ActualsMeaning::Demand,
            actuals_source: None,
            approval_timeout_secs: None,
            approval_expiry: atelier_engine::event::ExpiryAction::Fail,
            world: None,
        };
        let mut view = WorkflowView::created("wf_1", &created).expect("created");
        view.state = WorkflowState::WaitingMfgApproval;
        view.last_seq = 7;
        view.phases_skipped
            .push((WorkflowState::Phase4MarkdownCheck, "off".into()));
        view.order = Some(atelier_core::demand::manufacturing_order(100, 0.2));
        let body =
            serde_json::to_value(WorkflowBody::new(&view, Some("ws://h:1"))).unwrap_or_default();
        let cli = workflow_json(&view);
        let mut without_extras = body.clone();
        if let Some(m) = without_extras.as_object_mut() {
            for key in ["next_week", "data", "actuals_meaning", "websocket_url"] {
                assert!(m.remove(key).is_some(), "{key}");
            }
        }
        assert_eq!(without_extras, cli);
        assert_eq!(body["websocket_url"], "ws://h:1/api/workflows/wf_1/stream");
        assert_eq!(body["next_week"], 1);
    }
}

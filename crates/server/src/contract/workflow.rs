//! What the workflow resources answer: the workflow document built from the
//! folded view (the shape `atelier status --json` prints, plus what a client of
//! the server needs), the creation receipt, a page of the log, and a week's check.

use atelier_engine::event::{ActualsMeaning, DataSource, StoredEvent};
use atelier_engine::report::WorkflowDocument;
use atelier_engine::view::WeekRow;
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

/// The workflow document: what `atelier status --json` prints (the engine's
/// `WorkflowDocument`, the same value), and beside it what a client of the
/// server needs: the week awaited, the data, what actuals mean, and where to
/// stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowBody {
    /// What every surface shows of the workflow.
    #[serde(flatten)]
    pub workflow: WorkflowDocument,
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
            workflow: WorkflowDocument::new(view),
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

    /// The server's document is the CLI's plus four keys, side by side in one
    /// object (the engine's document flattened, not nested).
    #[test]
    fn the_document_is_the_cli_document_and_four_keys() {
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
        let mut without_extras = body.clone();
        if let Some(m) = without_extras.as_object_mut() {
            for key in ["next_week", "data", "actuals_meaning", "websocket_url"] {
                assert!(m.remove(key).is_some(), "{key}");
            }
        }
        let cli = serde_json::to_value(WorkflowDocument::new(&view)).unwrap_or_default();
        assert_eq!(without_extras, cli);
        assert_eq!(body["websocket_url"], "ws://h:1/api/workflows/wf_1/stream");
        assert_eq!(body["next_week"], 1);
        assert_eq!(body["state"], "waiting_mfg_approval");
        assert_eq!(body["manufacturing"]["manufacturing_qty"], 120);
        assert_eq!(body["phases_skipped"][0]["phase"], "phase_4_markdown_check");
    }
}

//! Prometheus metrics, written by hand (the text format is simple and a client
//! library would be the largest dependency here): requests and latency per route
//! and status, workflows by state, events appended, WebSocket clients connected,
//! and on PostgreSQL the connection pool's use.

use atelier_engine::WorkflowState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tracing::Instrument;

/// Latency histogram bucket bounds, seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_secs: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    events_appended: AtomicU64,
    ws_clients: AtomicI64,
    ws_lagged: AtomicU64,
    connections_refused: AtomicU64,
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        let mut map = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let s = map
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum_secs += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    /// Counts events this process appended.
    pub fn events_appended(&self, n: u64) {
        self.events_appended.fetch_add(n, Ordering::Relaxed);
    }

    /// A WebSocket client connected (+1) or left (-1).
    pub fn ws_clients(&self, delta: i64) {
        self.ws_clients.fetch_add(delta, Ordering::Relaxed);
    }

    /// A connection was closed at once: the server held its cap.
    pub fn connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A client was closed for lagging.
    pub fn ws_lagged(&self) {
        self.ws_lagged.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, given the workflows per state (read from the store).
    pub fn render(&self, by_state: &BTreeMap<WorkflowState, u64>) -> String {
        let mut out = String::new();
        self.render_requests(&mut out);
        header(
            &mut out,
            "atelier_workflows",
            "gauge",
            "Workflows in the store by state.",
        );
        for state in WorkflowState::ALL {
            let n = by_state.get(&state).copied().unwrap_or(0);
            let _ = writeln!(out, "atelier_workflows{{state=\"{state}\"}} {n}");
        }
        for (name, kind, help, value) in [
            (
                "atelier_events_appended_total",
                "counter",
                "Events appended by this server process.",
                self.events_appended.load(Ordering::Relaxed).to_string(),
            ),
            (
                "atelier_websocket_clients",
                "gauge",
                "WebSocket clients connected now.",
                self.ws_clients.load(Ordering::Relaxed).to_string(),
            ),
            (
                "atelier_websocket_lagged_total",
                "counter",
                "WebSocket clients closed for falling behind.",
                self.ws_lagged.load(Ordering::Relaxed).to_string(),
            ),
            (
                "atelier_connections_refused_total",
                "counter",
                "Connections closed on arrival because the server held its connection cap.",
                self.connections_refused.load(Ordering::Relaxed).to_string(),
            ),
        ] {
            header(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }

    /// Requests by route and status: their count and latency histogram.
    fn render_requests(&self, out: &mut String) {
        let map = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        header(
            out,
            "atelier_http_requests_total",
            "counter",
            "HTTP requests by route and status.",
        );
        for ((method, route, status), s) in map.iter() {
            let _ = writeln!(
                out,
                "atelier_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                s.count
            );
        }
        let name = "atelier_http_request_duration_seconds";
        header(
            out,
            name,
            "histogram",
            "Request latency by route and status.",
        );
        for ((method, route, status), s) in map.iter() {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", s.sum_secs);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", s.count);
        }
    }
}

/// A metric's `# HELP` and `# TYPE` lines.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Appends whether the database answered while the metrics were read (1) or
/// not (0: the workflow counts are then missing).
pub fn render_db_up(out: &mut String, up: bool) {
    let _ = writeln!(
        out,
        "# HELP atelier_db_up Whether the database answered for this scrape."
    );
    let _ = writeln!(out, "# TYPE atelier_db_up gauge");
    let _ = writeln!(out, "atelier_db_up {}", u8::from(up));
}

/// Appends the PostgreSQL connection pool's use: connections lent out, idle, and
/// the most the pool opens.
pub fn render_pool(out: &mut String, pool: atelier_engine::store::PoolUse) {
    for (name, help, value) in [
        (
            "atelier_db_pool_connections_in_use",
            "PostgreSQL connections lent out to requests now.",
            pool.in_use,
        ),
        (
            "atelier_db_pool_connections_idle",
            "PostgreSQL connections open and idle in the pool.",
            pool.idle,
        ),
        (
            "atelier_db_pool_connections_max",
            "The most PostgreSQL connections the pool opens.",
            pool.max,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        let _ = writeln!(out, "{name} {value}");
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The method as a label: one of the standard ones, else `other`. Any token is a
/// valid method, and requests are counted before authentication, so labelling by
/// the raw method would let anyone grow the series without bound.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Middleware timing every request under its route template (`/api/workflows/{id}`),
/// so that ids do not explode the label set; unmatched paths count as `unmatched`.
/// Each request runs in a span (method, route, and the caller's token name once
/// authenticated, never the token) that ends with one line: status and latency.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let span = tracing::info_span!(
        "request",
        method,
        route = %route,
        token = tracing::field::Empty,
    );
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let secs = started.elapsed().as_secs_f64();
    metrics.observe(method, &route, status, secs);
    span.in_scope(|| {
        tracing::info!(status, latency_ms = secs * 1000.0, "request finished");
    });
    response
}

//! One place for the tests' plumbing: a fresh server per test on port 0 with a
//! temp database (as zero-to-production's `spawn_app`), a blocking HTTP client,
//! and a WebSocket client.

use atelier_core::sample;
use atelier_engine::clock::{Clock, SystemClock};
use atelier_engine::store::{OutageStore, SqliteStore};
use atelier_server::testing::BackgroundServer;
use atelier_server::{AppState, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Tokens of the access-controlled test servers.
pub const VIEWER: &str = "viewer-token-123";
pub const PLANNER: &str = "planner-token-123";
pub const APPROVER: &str = "approver-token-123";

/// A server under test and its database.
pub struct TestApp {
    pub server: Option<BackgroundServer>,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
    tweak: fn(&mut ServerConfig),
    clock: Option<Arc<dyn Clock>>,
    agent: ureq::Agent,
    /// Token sent by default (none on open servers).
    pub token: Option<&'static str>,
}

/// A fresh open server (no tokens) on a new database.
pub fn spawn_app() -> TestApp {
    spawn_app_with(|_| {})
}

/// A fresh server whose config `tweak` adjusts.
pub fn spawn_app_with(tweak: fn(&mut ServerConfig)) -> TestApp {
    spawn(tweak, None)
}

/// A fresh open server whose orchestrator reads `clock` (tests move time).
pub fn spawn_app_with_clock(clock: Arc<dyn Clock>) -> TestApp {
    spawn(|_| {}, Some(clock))
}

/// A fresh server reading `clock`, whose config `tweak` adjusts.
pub fn spawn_app_with_clock_and(clock: Arc<dyn Clock>, tweak: fn(&mut ServerConfig)) -> TestApp {
    spawn(tweak, Some(clock))
}

fn spawn(tweak: fn(&mut ServerConfig), clock: Option<Arc<dyn Clock>>) -> TestApp {
    let mut app = spawn_unstarted(tweak, clock);
    app.start();
    app
}

fn spawn_unstarted(tweak: fn(&mut ServerConfig), clock: Option<Arc<dyn Clock>>) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("atelier.db");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    TestApp {
        server: None,
        db,
        _dir: dir,
        tweak,
        clock,
        agent,
        token: None,
    }
}

/// A fresh open server on a new SQLite file behind an [`OutageStore`]: the test
/// loses the database at a chosen event (`arm`) and brings it back
/// (`restore`). A restart opens the file without it.
pub fn spawn_app_with_outage() -> (TestApp, Arc<OutageStore>) {
    outage_app(|_| {})
}

/// [`spawn_app_with_outage`] whose reasoner is a model nobody answers at: its
/// words (the templates, as its fallback) come after each step's commit, in a
/// transaction of their own, as a model's do (the offline templates' are
/// committed with the step).
pub fn spawn_app_with_outage_and_model() -> (TestApp, Arc<OutageStore>) {
    outage_app(|c| c.llm = Some(local_model("http://127.0.0.1:9/v1", "absent-model")))
}

fn outage_app(tweak: fn(&mut ServerConfig)) -> (TestApp, Arc<OutageStore>) {
    let mut app = spawn_unstarted(tweak, None);
    let sqlite = SqliteStore::open(&app.db).expect("the database opens");
    let outage = Arc::new(OutageStore::new(Arc::new(sqlite)));
    let state = AppState::open_with_store(app.config(), outage.clone(), Arc::new(SystemClock))
        .expect("state opens");
    app.server = Some(BackgroundServer::start_state(state).expect("server starts"));
    (app, outage)
}

/// A server with one token per role.
pub fn with_tokens(c: &mut ServerConfig) {
    c.apply_env_tokens(&format!(
        "vic:viewer:{VIEWER},pat:planner:{PLANNER},ann:approver:{APPROVER}"
    ))
    .expect("tokens");
}

/// An HTTP answer: status and body (JSON when it parses, else a string).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl TestApp {
    /// The test server's configuration: the database, a quick sweep, the tweak.
    fn config(&self) -> ServerConfig {
        let mut config = ServerConfig::new(&self.db);
        config.sweep_max_sleep = Duration::from_millis(200);
        config.sweep_retry = Duration::from_millis(200);
        (self.tweak)(&mut config);
        config
    }

    fn start(&mut self) {
        let config = self.config();
        let state = match &self.clock {
            Some(clock) => AppState::open_with_clock(config, clock.clone()),
            None => AppState::open(config),
        };
        self.server = Some(
            BackgroundServer::start_state(state.expect("state opens")).expect("server starts"),
        );
    }

    /// Stops the server (gracefully) and starts a new one on the same database.
    pub fn restart(&mut self) {
        self.server = None;
        self.start();
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        self.server.as_ref().expect("running").url()
    }

    /// Where the server listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.as_ref().expect("running").addr
    }

    /// Sends `request` as written (head and body; say `Connection: close`) and
    /// reads the answer to its end, or what came within 5 s of silence: status
    /// and body.
    pub fn raw(&self, request: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut tcp = std::net::TcpStream::connect(self.addr()).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        tcp.write_all(request.as_bytes()).expect("send");
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = tcp.read(&mut chunk) {
            bytes.extend_from_slice(&chunk[..n]);
        }
        let answer = String::from_utf8_lossy(&bytes);
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = answer
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// `ws://addr`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.server.as_ref().expect("running").addr)
    }

    fn finish(&self, r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut r = r.expect("request sent");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// GET with the default token.
    pub fn get(&self, path: &str) -> Answer {
        self.get_as(self.token, path)
    }

    /// GET with a given token.
    pub fn get_as(&self, token: Option<&str>, path: &str) -> Answer {
        // See `post_as`: a pooled connection closed after an early refusal is retried.
        let mut attempt = 0;
        loop {
            let mut req = self.agent.get(format!("{}{path}", self.url()));
            if let Some(t) = token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            match req.call() {
                Err(ureq::Error::Io(_) | ureq::Error::ConnectionFailed) if attempt < 2 => {
                    attempt += 1;
                }
                other => return self.finish(other),
            }
        }
    }

    /// POST JSON with the default token.
    pub fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.post_as(self.token, path, "application/json", body.to_string())
    }

    /// POST CSV text with the default token.
    pub fn post_csv(&self, path: &str, csv: &str) -> Answer {
        self.post_as(self.token, path, "text/csv", csv.to_string())
    }

    /// POST raw text with a given token and content type.
    pub fn post_as(
        &self,
        token: Option<&str>,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Answer {
        // A refusal sent before the body is read (415, 403) ends the connection; a
        // pooled connection can then be found closed by the next request. That is the
        // transport, not the answer under test, so such a request is sent again.
        let mut attempt = 0;
        loop {
            let mut req = self
                .agent
                .post(format!("{}{path}", self.url()))
                .content_type(content_type);
            if let Some(t) = token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            match req.send(body.clone()) {
                Err(ureq::Error::Io(_) | ureq::Error::ConnectionFailed) if attempt < 2 => {
                    attempt += 1;
                }
                other => return self.finish(other),
            }
        }
    }

    /// POST with an `Idempotency-Key` and the default token; the answer and
    /// whether it was a replay (`Idempotent-Replayed: true`).
    pub fn post_keyed(
        &self,
        key: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (Answer, bool) {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.url()))
            .content_type(content_type)
            .header("Idempotency-Key", key);
        if let Some(t) = self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let r = req.send(body.to_string());
        let replayed = r
            .as_ref()
            .ok()
            .and_then(|r| r.headers().get("idempotent-replayed"))
            .is_some();
        (self.finish(r), replayed)
    }

    /// Creates a Zara season on the default category; returns its id.
    pub fn create_zara(&self, scenario: Option<&str>) -> String {
        let a = self.post_json("/api/workflows", &create_body(scenario));
        assert_eq!(a.status, 201, "{:?}", a.body);
        a.body["workflow_id"].as_str().expect("id").to_string()
    }

    /// The workflow resource.
    pub fn workflow(&self, id: &str) -> Value {
        let a = self.get(&format!("/api/workflows/{id}"));
        assert_eq!(a.status, 200, "{:?}", a.body);
        a.body
    }

    /// Accepts whatever approval is pending.
    pub fn accept_pending(&self, id: &str) -> Value {
        let w = self.workflow(id);
        let approval = w["pending_approval"]["approval_id"]
            .as_str()
            .expect("an approval is pending");
        let a = self.post_json(
            &format!("/api/workflows/{id}/approvals/{approval}"),
            &json!({"action": "accept"}),
        );
        assert_eq!(a.status, 200, "{:?}", a.body);
        a.body
    }

    /// Uploads week `week` of the normal season; accepts whatever the week asks
    /// for (a markdown, transfers, a reorder), as `--approve auto` does.
    pub fn play_week(&self, id: &str, week: usize) -> Value {
        let a = self.post_csv(&format!("/api/workflows/{id}/actuals"), normal_week(week));
        assert_eq!(a.status, 200, "week {week}: {:?}", a.body);
        assert_eq!(a.body["week"], json!(week));
        let mut state = a.body["state"].as_str().unwrap_or_default().to_string();
        while state.starts_with("waiting_") {
            let answered = self.accept_pending(id);
            state = answered["state"].as_str().unwrap_or_default().to_string();
        }
        a.body
    }
}

/// The body creating a Zara season.
pub fn create_body(scenario: Option<&str>) -> Value {
    let zara = sample::PARAMETER_SETS
        .iter()
        .find(|(n, _)| *n == "zara")
        .map(|(_, json)| *json)
        .expect("zara parameters");
    let mut body = json!({
        "category": sample::DEFAULT_CATEGORY,
        "parameters": serde_json::from_str::<Value>(zara).expect("json"),
    });
    if let Some(s) = scenario {
        body["scenario"] = json!(s);
    }
    body
}

/// The shipped normal season's CSV for `week` (1-based).
pub fn normal_week(week: usize) -> &'static str {
    let (_, weeks) = sample::SCENARIOS
        .iter()
        .find(|(n, _)| *n == "normal_season")
        .expect("normal_season");
    weeks[week - 1]
}

/// A WebSocket client on a workflow's stream.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects to the stream after `after`.
pub async fn connect(
    app_ws: &str,
    id: &str,
    after: u64,
    token: Option<&str>,
) -> Result<Ws, String> {
    connect_with(app_ws, id, after, token, "").await
}

/// Connects to the stream after `after`, with more of the query (`&batch=true`).
pub async fn connect_with(
    app_ws: &str,
    id: &str,
    after: u64,
    token: Option<&str>,
    query: &str,
) -> Result<Ws, String> {
    let mut url = format!("{app_ws}/api/workflows/{id}/stream?after={after}{query}");
    if let Some(t) = token {
        url.push_str(&format!("&token={t}"));
    }
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(ws, _)| ws)
        .map_err(|e| e.to_string())
}

/// What a stream client gets next.
#[derive(Debug)]
pub enum Next {
    /// A JSON message.
    Message(Value),
    /// Nothing for the whole wait; the connection is still open.
    Silence,
    /// The server closed the connection (a close frame, the end of the stream or
    /// a broken connection).
    Closed,
}

/// The next JSON message, telling silence from a closed connection.
pub async fn next_message(ws: &mut Ws, wait: Duration) -> Next {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                return Next::Message(serde_json::from_str(t.as_str()).expect("JSON message"));
            }
            Ok(Some(Ok(Message::Ping(p)))) => {
                let _ = ws.send(Message::Pong(p)).await;
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return Next::Closed,
            Err(_) => return Next::Silence,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// The next JSON message, or `None` on close or after `wait` of silence.
pub async fn next_json(ws: &mut Ws, wait: Duration) -> Option<Value> {
    match next_message(ws, wait).await {
        Next::Message(m) => Some(m),
        Next::Silence | Next::Closed => None,
    }
}

/// Reads messages until one with `seq == last`, returning them all.
pub async fn read_until(ws: &mut Ws, last: u64) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(m) = next_json(ws, Duration::from_secs(10)).await {
        let seq = m["seq"].as_u64();
        out.push(m);
        if seq == Some(last) {
            break;
        }
    }
    out
}

/// The seq numbers of messages.
pub fn seqs(messages: &[Value]) -> Vec<u64> {
    messages.iter().filter_map(|m| m["seq"].as_u64()).collect()
}

/// A small runtime for the WebSocket side of blocking tests.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A local OpenAI-compatible model for the tests that configure one: serves `app`
/// on a free port in its own thread and stops when dropped.
pub struct ModelServer {
    /// Base URL to configure (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ModelServer {
    /// Starts serving `app` (which answers `/v1/chat/completions`).
    pub fn start(app: axum::Router) -> ModelServer {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            runtime().block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let _ = tx.send(listener.local_addr().expect("addr"));
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        let addr = rx.recv().expect("the model listens");
        ModelServer {
            url: format!("http://{addr}/v1"),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Client settings for a local test model: a short timeout, no retries.
pub fn local_model(url: &str, model: &str) -> atelier_llm::LlmConfig {
    let mut llm = atelier_llm::LlmConfig::new(url, model);
    llm.timeout = Duration::from_secs(5);
    llm.max_retries = 0;
    llm.total_budget = Duration::from_secs(10);
    llm
}

/// A sales history an upload accepts: the sample's three categories plus
/// `Scarves`, one row a day at store S001 over 105 complete weeks (2022-01-03 to
/// 2024-01-07), each day selling `units` (vary it to get a different data set).
pub fn history_csv(units: u32) -> String {
    let mut csv = String::from("date,store_id,category,quantity_sold,revenue\n");
    let first = chrono::NaiveDate::from_ymd_opt(2022, 1, 3).expect("date");
    for day in first.iter_days().take(105 * 7) {
        for category in ["Accessories", "Men's Shirts", "Women's Dresses", "Scarves"] {
            let revenue = f64::from(units) * 15.0;
            csv.push_str(&format!("{day},S001,{category},{units},{revenue}\n"));
        }
    }
    csv
}

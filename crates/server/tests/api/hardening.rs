//! What a review of the server found: a dropped request's write keeping its lock,
//! cross-site requests to an open server, the metrics' method label, the stream's
//! limits, `play` refusing before writing, and a shutdown that cannot hang.

use crate::helpers::*;
use atelier_engine::clock::ManualClock;
use atelier_server::ServerConfig;
use futures_util::SinkExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const MODEL_DELAY: Duration = Duration::from_millis(60);

/// A model that answers every request after `MODEL_DELAY`, so that a write asking
/// it for explanations takes a while.
fn slow_model() -> ModelServer {
    ModelServer::start(axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(|| async {
            tokio::time::sleep(MODEL_DELAY).await;
            axum::Json(json!({
                "id": "chatcmpl-slow", "object": "chat.completion", "model": "slow-model",
                "choices": [{"index": 0, "message": {"role": "assistant",
                    "content": "The figures follow from the parameters and history."},
                    "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
            }))
        }),
    ))
}

static SLOW_MODEL_URL: Mutex<String> = Mutex::new(String::new());

fn with_slow_model(c: &mut ServerConfig) {
    let url = SLOW_MODEL_URL.lock().map(|u| u.clone()).unwrap_or_default();
    c.llm = Some(local_model(&url, "slow-model"));
}

/// A write whose client disconnects runs on to its end, and keeps the workflow's
/// lock until then: the next write waits for it rather than finding the log
/// moved under it (a spurious 409). The model answers slowly, so the play
/// (which asks it to explain its re-forecasts) is still running when its client
/// leaves and the retry arrives.
#[test]
fn a_write_whose_client_left_still_holds_the_lock() {
    use std::io::Write;
    let model = slow_model();
    *SLOW_MODEL_URL.lock().expect("lock") = model.url.clone();
    let app = spawn_app_with(with_slow_model);
    let id = app.create_zara(Some("normal_season"));
    app.accept_pending(&id);
    let path = format!("/api/workflows/{id}/play");
    let mut tcp = std::net::TcpStream::connect(app.addr()).expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
        app.addr()
    );
    tcp.write_all(request.as_bytes()).expect("send");
    std::thread::sleep(Duration::from_millis(10));
    drop(tcp);
    let again = app.post_json(&path, &json!({}));
    assert_ne!(again.status, 409, "{:?}", again.body);
    assert_eq!(again.status, 200, "{:?}", again.body);
    // Whatever the order, the season played to the markdown approval.
    let w = app.workflow(&id);
    assert_eq!(w["state"], "waiting_markdown_approval", "{w}");
    drop(model);
}

/// `play` on a workflow without a scenario is a 409 that records nothing, even
/// when the workflow had something to settle (here an expired approval).
#[test]
fn play_without_a_scenario_changes_nothing() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    // The server's own expiry check must not settle the approval first.
    let app = spawn_app_with_clock_and(clock.clone(), |c| {
        c.sweep_max_sleep = Duration::from_secs(3600);
        c.sweep_retry = Duration::from_secs(3600);
    });
    let mut body = create_body(None);
    body["approval_timeout_secs"] = json!(60);
    body["on_expiry"] = json!("accept");
    let a = app.post_json("/api/workflows", &body);
    assert_eq!(a.status, 201, "{:?}", a.body);
    let id = a.body["workflow_id"].as_str().expect("id").to_string();
    clock.advance(Duration::from_secs(61));
    let before = app.workflow(&id);
    let played = app.post_json(&format!("/api/workflows/{id}/play"), &json!({}));
    assert_eq!(played.status, 409, "{:?}", played.body);
    let after = app.workflow(&id);
    assert_eq!(after["last_event"], before["last_event"], "the log changed");
    assert_eq!(after["state"], "waiting_mfg_approval");
}

/// JSON bodies must say so: a page can send `text/plain` to another site without
/// a preflight, not `application/json`.
#[test]
fn json_bodies_need_the_json_content_type() {
    let app = spawn_app();
    let id = app.create_zara(None);
    let body = create_body(None).to_string();
    let count = |app: &TestApp| {
        app.get("/api/workflows")
            .body
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = count(&app);
    let routes = [
        ("/api/workflows".to_string(), body.clone()),
        (
            format!("/api/workflows/{id}/approvals/manufacturing-1"),
            json!({"action": "accept"}).to_string(),
        ),
        (
            format!("/api/workflows/{id}/reforecast"),
            json!({"reason": "why not"}).to_string(),
        ),
        (
            "/api/parameters/extract".to_string(),
            json!({"text": "12 weeks"}).to_string(),
        ),
    ];
    for (path, body) in &routes {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonx",
        ] {
            let a = app.post_as(None, path, content_type, body.clone());
            assert_eq!(a.status, 415, "{content_type} on {path}: {:?}", a.body);
            let error = a.body["error"].as_str().unwrap_or_default();
            assert!(error.contains("application/json"), "{error}");
            assert!(error.contains(content_type), "{error}");
        }
        // None at all (written by hand: the client always sends one).
        let (status, answer) = app.raw(&format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            app.addr(),
            body.len()
        ));
        assert_eq!(status, 415, "no Content-Type on {path}: {answer}");
    }
    assert_eq!(count(&app), before, "a refused creation created");
    assert_eq!(app.workflow(&id)["state"], "waiting_mfg_approval");

    // Parameters and any case are fine.
    let a = app.post_as(
        None,
        "/api/workflows",
        "Application/JSON; charset=utf-8",
        body,
    );
    assert_eq!(a.status, 201, "{:?}", a.body);

    // The role is checked first: a viewer is told 403, whatever the body.
    let app = spawn_app_with(with_tokens);
    let a = app.post_as(
        Some(VIEWER),
        "/api/workflows",
        "text/plain",
        create_body(None).to_string(),
    );
    assert_eq!(a.status, 403, "{:?}", a.body);
}

/// A GET with extra header lines, written by hand: status and body.
fn get_with(app: &TestApp, path: &str, host: &str, extra: &str) -> (u16, String) {
    app.raw(&format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
    ))
}

/// A POST of a creation with extra header lines: status and body.
fn create_with(app: &TestApp, host: &str, extra: &str) -> (u16, String) {
    let body = create_body(None).to_string();
    app.raw(&format!(
        "POST /api/workflows HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
}

fn error_of(body: &str) -> String {
    serde_json::from_str::<Value>(body).expect("a JSON error")["error"]
        .as_str()
        .expect("error text")
        .to_string()
}

/// A stream handshake with an `Origin`: the HTTP status of a refusal, or 101.
async fn ws_status(app: &TestApp, id: &str, origin: &str, token: Option<&str>) -> u16 {
    let mut url = format!("{}/api/workflows/{id}/stream", app.ws_url());
    if let Some(t) = token {
        url.push_str(&format!("?token={t}"));
    }
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", origin.parse().expect("header"));
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("handshake: {e}"),
    }
}

/// An open server answers only its own machine's pages: a cross-site `Origin`
/// or a rebound `Host` is a 403, REST and WebSocket alike; with tokens neither is
/// looked at.
#[test]
fn an_open_server_refuses_other_sites() {
    let app = spawn_app();
    let rt = runtime();
    let local = app.addr().to_string();
    let port = app.addr().port();
    let id = app.create_zara(None);
    let count = |app: &TestApp| {
        app.get("/api/workflows")
            .body
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = count(&app);

    for origin in [
        "http://evil.example",
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
    ] {
        let (status, body) = create_with(&app, &local, &format!("Origin: {origin}\r\n"));
        assert_eq!(status, 403, "{origin}: {body}");
        assert!(error_of(&body).contains("Origin"), "{body}");
        let (status, _) = get_with(
            &app,
            "/api/workflows",
            &local,
            &format!("Origin: {origin}\r\n"),
        );
        assert_eq!(status, 403, "{origin}");
        assert_eq!(rt.block_on(ws_status(&app, &id, origin, None)), 403);
    }
    for host in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1.nip.io:{port}"),
    ] {
        let (status, body) = create_with(&app, &host, "");
        assert_eq!(status, 403, "{host}: {body}");
        assert!(error_of(&body).contains("Host"), "{body}");
        let (status, _) = get_with(&app, &format!("/api/workflows/{id}"), &host, "");
        assert_eq!(status, 403, "{host}");
    }
    assert_eq!(count(&app), before, "a refused request created a workflow");

    // The machine's own pages and names pass.
    for origin in [
        format!("http://127.0.0.1:{port}"),
        "http://localhost:3000".to_string(),
        "http://[::1]:8080".to_string(),
    ] {
        let (status, body) = create_with(&app, &local, &format!("Origin: {origin}\r\n"));
        assert_eq!(status, 201, "{origin}: {body}");
        assert_eq!(rt.block_on(ws_status(&app, &id, &origin, None)), 101);
    }
    for host in [format!("localhost:{port}"), format!("[::1]:{port}")] {
        let (status, body) = get_with(&app, "/api/workflows", &host, "");
        assert_eq!(status, 200, "{host}: {body}");
    }

    // With tokens, the token decides.
    let app = spawn_app_with(with_tokens);
    let (status, body) = get_with(
        &app,
        "/api/workflows",
        "evil.example",
        &format!("Origin: http://evil.example\r\nAuthorization: Bearer {VIEWER}\r\n"),
    );
    assert_eq!(status, 200, "{body}");
    let id = {
        let (status, body) = create_with(
            &app,
            "evil.example",
            &format!("Origin: http://evil.example\r\nAuthorization: Bearer {PLANNER}\r\n"),
        );
        assert_eq!(status, 201, "{body}");
        serde_json::from_str::<Value>(&body).expect("json")["workflow_id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    assert_eq!(
        rt.block_on(ws_status(&app, &id, "http://evil.example", Some(VIEWER))),
        101
    );
}

/// Any token is an HTTP method; the metrics count unknown ones as `other`, so
/// they cannot grow the series.
#[test]
fn unknown_methods_are_counted_as_other() {
    let app = spawn_app();
    assert_eq!(app.get("/healthz").status, 200);
    for i in 0..5 {
        let (status, _) = app.raw(&format!(
            "FOO{i} /healthz HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            app.addr()
        ));
        assert_ne!(status, 0);
    }
    let metrics = app.get("/metrics").body;
    let metrics = metrics.as_str().unwrap_or_default();
    assert!(!metrics.contains("FOO"), "{metrics}");
    assert!(
        metrics.contains("atelier_http_requests_total{method=\"other\","),
        "{metrics}"
    );
    assert!(metrics.contains("method=\"GET\""), "{metrics}");
}

/// Stream clients only answer pings: a big message closes the connection.
#[test]
fn a_stream_client_sending_a_big_message_is_closed() {
    let app = spawn_app();
    let id = app.create_zara(None);
    let rt = runtime();
    rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, 0, None)
            .await
            .expect("connects");
        // A small message is fine.
        ws.send(Message::text("x".repeat(100))).await.expect("sent");
        ws.send(Message::text("x".repeat(8 * 1024)))
            .await
            .expect("sent");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match next_message(&mut ws, Duration::from_secs(3)).await {
                Next::Closed => break,
                Next::Message(_) => {
                    assert!(Instant::now() < deadline, "never closed");
                }
                Next::Silence => panic!("the connection stayed open after 8 KiB"),
            }
        }
    });
}

/// `after` beyond the log would silently skip the events to come: a 400 naming it.
#[test]
fn a_stream_after_the_last_event_is_refused() {
    let app = spawn_app();
    let id = app.create_zara(None);
    let last = app.workflow(&id)["last_event"].as_u64().expect("last");
    let handshake = |after: u64| {
        app.raw(&format!(
            "GET /api/workflows/{id}/stream?after={after} HTTP/1.1\r\nHost: {}\r\n\
             Connection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            app.addr()
        ))
    };
    let (status, body) = handshake(last + 1);
    assert_eq!(status, 400, "{body}");
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error["field"], "after", "{error}");
    // Up to the last event is a resume point.
    let rt = runtime();
    rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, last, None)
            .await
            .expect("after = last connects");
        assert!(matches!(
            next_message(&mut ws, Duration::from_millis(300)).await,
            Next::Silence
        ));
    });
}

/// A client holding a half-sent body cannot keep a stopping server alive: after
/// the grace period it returns anyway.
#[test]
fn shutdown_does_not_wait_forever_for_a_half_sent_body() {
    use std::io::Write;
    let mut app = spawn_app_with(|c| c.shutdown_grace = Duration::from_secs(1));
    let mut tcp = std::net::TcpStream::connect(app.addr()).expect("connect");
    let request = format!(
        "POST /api/workflows HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{\"category\": ",
        app.addr()
    );
    tcp.write_all(request.as_bytes()).expect("send");
    std::thread::sleep(Duration::from_millis(100));
    let server = app.server.take().expect("running");
    let (done, stopped) = std::sync::mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        drop(server);
        let _ = done.send(());
    });
    assert!(
        stopped.recv_timeout(Duration::from_secs(20)).is_ok(),
        "the server still waits for the half-sent body"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    drop(tcp);
}

/// Sends `request` byte for byte and reads the whole answer (the server closes
/// after a refusal): status, head and body.
fn raw_bytes(app: &TestApp, request: &[u8]) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(app.addr()).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    tcp.write_all(request).expect("send");
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    while let Ok(n @ 1..) = tcp.read(&mut chunk) {
        bytes.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&bytes).to_string();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// Requests HTTP/1.1's parser refuses before any route runs (hyper answers them
/// itself) still get the JSON body every other refusal has, naming the problem:
/// a Content-Length that is not a number or given twice, over 100 headers, a
/// raw 0xFF in the path, a NUL in a header.
#[test]
fn refusals_from_the_http_parser_are_json_too() {
    let app = spawn_app();
    let many: String = (0..101).map(|i| format!("X-Header-{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "a Content-Length that is not a number",
            b"POST /api/workflows HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
        ),
        (
            "two different Content-Lengths",
            b"POST /api/workflows HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
                .to_vec(),
        ),
        (
            "over 100 headers",
            format!("GET /api/workflows HTTP/1.1\r\nHost: x\r\n{many}\r\n").into_bytes(),
        ),
        (
            "a raw 0xFF in the path",
            b"GET /api/\xffworkflows HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
        ),
        (
            "a NUL in a header",
            b"GET /api/workflows HTTP/1.1\r\nHost: x\r\nX-Note: a\0b\r\n\r\n".to_vec(),
        ),
    ];
    for (what, request) in cases {
        let (status, head, body) = raw_bytes(&app, &request);
        assert!(
            (400..500).contains(&status),
            "{what}: status {status}: {head}"
        );
        let lower = head.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/json"),
            "{what}: {head}"
        );
        let json: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{what}: the body is not JSON ({e}): {body:?}"));
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.len() > 10, "{what}: {body}");
        assert!(
            lower.contains(&format!("content-length: {}", body.len())),
            "{what}: {head}"
        );
    }
    // The server still answers afterwards.
    assert_eq!(app.get("/healthz").status, 200);
}

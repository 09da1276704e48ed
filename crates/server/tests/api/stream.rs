//! The WebSocket stream: message shapes, resume without gap or duplicate, two
//! clients seeing one sequence, lag, and the store path for far-behind clients.

use crate::helpers::*;
use serde_json::Value;
use std::time::Duration;

fn last_event(app: &TestApp, id: &str) -> u64 {
    app.workflow(id)["last_event"].as_u64().unwrap_or(0)
}

fn assert_contiguous(seqs: &[u64], from: u64, to: u64) {
    let expected: Vec<u64> = (from..=to).collect();
    assert_eq!(seqs, expected.as_slice(), "gap or duplicate in the stream");
}

#[test]
fn messages_carry_the_seed_types() {
    let app = spawn_app();
    let rt = runtime();
    let id = app.create_zara(None);
    let last = last_event(&app, &id);
    let messages = rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, 0, None).await.expect("connect");
        read_until(&mut ws, last).await
    });
    assert_contiguous(&seqs(&messages), 1, last);
    let types: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    for t in [
        "workflow_created",
        "agent_status",
        "agent_completed",
        "phase_skipped",
        "human_input_required",
    ] {
        assert!(types.contains(&t), "no {t} in {types:?}");
    }
    for m in &messages {
        assert_eq!(m["workflow_id"], Value::String(id.clone()));
        let ts = m["timestamp"].as_str().unwrap_or_default();
        assert!(
            ts.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(ts).is_ok(),
            "{ts}"
        );
    }
    let status = messages
        .iter()
        .find(|m| m["event"] == "handoff_sent")
        .expect("a handoff");
    assert_eq!(status["status"], "working");
    assert!(status["message"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(status["progress"].is_number());
    // Explanations are appended after the step they explain, so the approval request
    // is the last decision in the stream, followed only by reasoning.
    let ask = messages
        .iter()
        .rev()
        .find(|m| m["type"] != "reasoning_recorded")
        .expect("messages");
    assert_eq!(ask["type"], "human_input_required");
    assert_eq!(ask["approval_id"], "manufacturing-1");
    assert!(ask["options"].as_array().is_some_and(|o| o.len() == 2));
}

#[test]
fn a_reconnecting_client_misses_nothing_and_sees_nothing_twice() {
    let app = spawn_app();
    let rt = runtime();
    let id = app.create_zara(None);
    let mut seen = rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, 0, None).await.expect("connect");
        let mut got = Vec::new();
        for _ in 0..5 {
            got.push(
                next_json(&mut ws, Duration::from_secs(10))
                    .await
                    .expect("message"),
            );
        }
        got
        // The connection drops here.
    });
    // The season moves on while the client is away.
    app.accept_pending(&id);
    app.play_week(&id, 1);
    app.play_week(&id, 2);
    let last_seen = seqs(&seen).last().copied().unwrap_or(0);
    let mut ws = rt
        .block_on(connect(&app.ws_url(), &id, last_seen, None))
        .expect("reconnect");
    let last = last_event(&app, &id);
    seen.extend(rt.block_on(read_until(&mut ws, last)));
    assert_contiguous(&seqs(&seen), 1, last);

    // Live events follow on the same connection.
    let variance = app.play_week(&id, 3);
    let last = last_event(&app, &id);
    let live = rt.block_on(read_until(&mut ws, last));
    seen.extend(live.iter().cloned());
    assert_contiguous(&seqs(&seen), 1, last);
    let alert = live
        .iter()
        .find(|m| m["type"] == "variance_alert" || m["type"] == "variance_measured")
        .expect("the week's variance message");
    assert_eq!(alert["week"], 3);
    assert_eq!(
        alert["reforecast_triggered"],
        variance["reforecast_triggered"]
    );
}

/// With `batch=true` the events ready at once come as one JSON array: the same
/// objects, in the same order, as one event per message, and a live commit of
/// several events is one message.
#[test]
fn a_batched_client_gets_the_same_events_in_fewer_messages() {
    let app = spawn_app();
    let rt = runtime();
    let id = app.create_zara(None);
    // From the creation's last event on: only live commits are counted.
    let first = last_event(&app, &id);
    let (mut batched, mut single) = rt.block_on(async {
        let b = connect_with(&app.ws_url(), &id, first, None, "&batch=true")
            .await
            .expect("batched");
        let s = connect(&app.ws_url(), &id, first, None)
            .await
            .expect("single");
        (b, s)
    });
    app.accept_pending(&id);
    app.play_week(&id, 1);
    let last = last_event(&app, &id);
    let one_each = rt.block_on(read_until(&mut single, last));
    let (arrays, flat) = rt.block_on(async {
        let mut arrays = Vec::new();
        let mut flat: Vec<serde_json::Value> = Vec::new();
        while flat.last().and_then(|m| m["seq"].as_u64()) != Some(last) {
            let m = next_json(&mut batched, Duration::from_secs(10))
                .await
                .expect("a batch");
            let events = m.as_array().expect("a batched message is an array").clone();
            assert!(!events.is_empty(), "an empty batch");
            arrays.push(events.len());
            flat.extend(events);
        }
        (arrays, flat)
    });
    assert_contiguous(&seqs(&flat), first + 1, last);
    assert_eq!(
        flat, one_each,
        "batched and single clients saw different events"
    );
    assert!(
        arrays.len() < one_each.len() && arrays.iter().any(|&n| n > 1),
        "{} events came in {} messages ({arrays:?})",
        one_each.len(),
        arrays.len()
    );
}

/// With `status=true` the resource follows the events: once on connecting, and
/// after a commit's events, at least as new as they are and equal to what
/// `GET /api/workflows/{id}` answers then.
#[test]
fn a_client_asking_for_status_gets_the_resource_after_the_events() {
    let app = spawn_app();
    let rt = runtime();
    let id = app.create_zara(None);
    let first = last_event(&app, &id);
    let mut ws = rt
        .block_on(connect_with(
            &app.ws_url(),
            &id,
            first,
            None,
            "&batch=true&status=true",
        ))
        .expect("connect");
    let on_connect = rt
        .block_on(next_json(&mut ws, Duration::from_secs(10)))
        .expect("a status on connecting");
    assert_eq!(on_connect["type"], "status");
    assert_eq!(on_connect["workflow"]["last_event"], first);
    assert!(on_connect.get("seq").is_none(), "a status is no event");

    app.accept_pending(&id);
    let last = last_event(&app, &id);
    let (events, status) = rt.block_on(async {
        let mut events: Vec<Value> = Vec::new();
        loop {
            let m = next_json(&mut ws, Duration::from_secs(10))
                .await
                .expect("a message");
            if m["type"] == "status" {
                if events.last().and_then(|e| e["seq"].as_u64()) == Some(last) {
                    return (events, m);
                }
                continue;
            }
            events.extend(m.as_array().expect("a batch").iter().cloned());
        }
    });
    assert_contiguous(&seqs(&events), first + 1, last);
    let answer = app.get(&format!("/api/workflows/{id}"));
    assert_eq!(answer.status, 200);
    assert_eq!(
        status["workflow"], answer.body,
        "the stream's resource is the resource"
    );
    assert_eq!(status["workflow"]["last_event"], last);
}

/// Both clients start from 0 with a ring too small for the log, so the first
/// part of their replay comes from the store and the rest from the ring.
#[test]
fn two_clients_on_one_workflow_see_the_same_sequence() {
    let app = spawn_app_with(|c| c.stream.ring_capacity = 4);
    let rt = runtime();
    let id = app.create_zara(None);
    let (mut a, mut b) = rt.block_on(async {
        let a = connect(&app.ws_url(), &id, 0, None).await.expect("a");
        let b = connect(&app.ws_url(), &id, 0, None).await.expect("b");
        (a, b)
    });
    app.accept_pending(&id);
    app.play_week(&id, 1);
    let last = last_event(&app, &id);
    let (ma, mb) = rt.block_on(async {
        let ma = read_until(&mut a, last).await;
        let mb = read_until(&mut b, last).await;
        (ma, mb)
    });
    assert_contiguous(&seqs(&ma), 1, last);
    assert_eq!(ma, mb, "the two clients saw different messages");
}

#[test]
fn a_client_that_falls_behind_is_told_and_can_resume() {
    let app = spawn_app_with(|c| c.stream.max_backlog = 3);
    let rt = runtime();
    let id = app.create_zara(None);
    let first = last_event(&app, &id);
    let mut ws = rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, 0, None).await.expect("connect");
        // The replay itself is not lag: the client catches up.
        let got = read_until(&mut ws, first).await;
        assert_contiguous(&seqs(&got), 1, first);
        ws
    });
    // One approval appends far more than 3 events at once.
    app.accept_pending(&id);
    let lagged = rt.block_on(async {
        let m = next_json(&mut ws, Duration::from_secs(10))
            .await
            .expect("a message");
        // Generous: the close follows the lagged message at once, so only a
        // server that leaves the connection open waits this long.
        let after = next_message(&mut ws, Duration::from_secs(5)).await;
        (m, after)
    });
    assert_eq!(lagged.0["type"], "lagged", "{}", lagged.0);
    assert_eq!(lagged.0["last_seq"], first);
    // The server closes a lagged client (it resumes with after=last_seq): neither
    // more messages nor an open, silent connection.
    assert!(
        matches!(lagged.1, Next::Closed),
        "the server closes the connection after lagged, got {:?}",
        lagged.1
    );
    let last = last_event(&app, &id);
    let rest = rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, first, None)
            .await
            .expect("resume");
        read_until(&mut ws, last).await
    });
    assert_contiguous(&seqs(&rest), first + 1, last);
    let metrics = app.get("/metrics").body;
    assert!(
        metrics
            .as_str()
            .is_some_and(|m| m.contains("atelier_websocket_lagged_total 1"))
    );
}

#[test]
fn an_unknown_workflow_has_no_stream() {
    let app = spawn_app();
    let rt = runtime();
    let err = rt
        .block_on(connect(&app.ws_url(), "wf_nope", 0, None))
        .expect_err("refused");
    assert!(err.contains("404"), "{err}");
}

#[test]
fn events_written_by_another_process_reach_live_clients() {
    use atelier_engine::agents::AgentRegistry;
    use atelier_engine::catalog::FileCatalog;
    use atelier_engine::clock::SystemClock;
    use atelier_engine::event::Resolution;
    use atelier_engine::reasoning::OfflineReasoner;
    use atelier_engine::store::SqliteStore;
    use std::sync::Arc;

    let app = spawn_app();
    let rt = runtime();
    let id = app.create_zara(None);
    let last = last_event(&app, &id);
    let messages = rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, last, None)
            .await
            .expect("connect");
        // The CLI's way in: its own orchestrator on the same database file.
        let db = app.db.clone();
        let wid = id.clone();
        let after = tokio::task::spawn_blocking(move || {
            let cli = atelier_engine::Orchestrator::new(
                Arc::new(SqliteStore::open(&db).expect("open")),
                AgentRegistry::default(),
                Arc::new(OfflineReasoner),
                Arc::new(SystemClock),
                Arc::new(FileCatalog::default()),
            );
            cli.approve(&wid, None, Resolution::Accept, "cli")
                .expect("approve")
                .last_seq
        })
        .await
        .expect("outside write");
        assert!(after > last);
        read_until(&mut ws, after).await
    });
    let got = seqs(&messages);
    assert_eq!(
        got.first(),
        Some(&(last + 1)),
        "the outside write's first event arrives"
    );
    assert_contiguous(&got, last + 1, *got.last().unwrap_or(&0));
    assert!(
        messages
            .iter()
            .any(|m| m["event"] == "approval_resolved" || m["type"] == "approval_resolved")
    );
}

/// What a client gets after sending `message`: the close frame's code and reason,
/// or `None` when the connection ended without one.
async fn close_after(
    ws: &mut Ws,
    message: tokio_tungstenite::tungstenite::Message,
) -> Option<(u16, String)> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    ws.send(message).await.ok()?;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                return Some((u16::from(frame.code), frame.reason.to_string()));
            }
            Ok(Some(Ok(Message::Close(None)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => {
                return None;
            }
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// A message over the stated limit (4 KiB) is answered with a close frame, code
/// 1009 (message too big) and a reason naming the limit, then the close handshake
/// completes; a message at the limit is taken without a word.
#[test]
fn a_client_message_over_the_limit_gets_close_code_1009() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = spawn_app();
    let rt = runtime();
    let id = app.create_zara(None);
    let last = last_event(&app, &id);
    rt.block_on(async {
        let mut ws = connect(&app.ws_url(), &id, 0, None).await.expect("connect");
        assert_eq!(read_until(&mut ws, last).await.len() as u64, last);
        ws.send(Message::Text("x".repeat(4096).into()))
            .await
            .expect("sent");
        assert!(
            matches!(
                next_message(&mut ws, Duration::from_millis(500)).await,
                Next::Silence
            ),
            "a 4 KiB message closed the stream"
        );
        let (code, reason) = close_after(&mut ws, Message::Text("x".repeat(5 * 1024).into()))
            .await
            .expect("a close frame");
        assert_eq!(code, 1009);
        assert!(
            reason.contains("5120") && reason.contains("4096"),
            "{reason}"
        );
        // The client's close reply ends the connection cleanly.
        assert!(
            matches!(
                tokio::time::timeout(Duration::from_secs(5), ws.next()).await,
                Ok(None) | Ok(Some(Err(_)))
            ),
            "the connection stayed open"
        );

        // A binary message too, and one far over the limit.
        let mut ws = connect(&app.ws_url(), &id, last, None)
            .await
            .expect("connect");
        let (code, _) = close_after(&mut ws, Message::Binary(vec![0u8; 8 * 1024].into()))
            .await
            .expect("a close frame");
        assert_eq!(code, 1009);
        // Past what the WebSocket layer buffers at all, the frame is refused from
        // its header with the same code.
        let mut ws = connect(&app.ws_url(), &id, last, None)
            .await
            .expect("connect");
        let (code, reason) = close_after(&mut ws, Message::Binary(vec![0u8; 100 * 1024].into()))
            .await
            .expect("a close frame");
        assert_eq!(code, 1009);
        assert!(
            reason.contains("102400") && reason.contains("4096"),
            "{reason}"
        );
    });
}

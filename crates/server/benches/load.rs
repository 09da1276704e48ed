//! Load benchmarks of `atelier serve` (issue 4): a real server on port 0 with a
//! temporary SQLite file, driven by real clients in the same process.
//!
//! - (a) `GET /api/workflows/{id}` by C concurrent keep-alive clients, C = 1, 8, 32,
//!   for a few seconds each: requests/s, p50/p99 latency;
//! - (b) weekly actuals: many workflows past the manufacturing approval, weeks 1..k
//!   of `normal_season` uploaded across them concurrently: uploads/s, p50/p99;
//! - (c) WebSocket fan-out: N clients (100, then 1,000) on one workflow's stream
//!   after its last event, then one upload: per client, the time from just before
//!   the upload's request to the first new event; p50/p99/max, and how many got it.
//!
//! `cargo bench -p atelier-server --bench load` (release). Knobs, all optional:
//! `LOAD_SECS` (seconds per GET level, default 5), `LOAD_WORKFLOWS` (default 50),
//! `LOAD_WEEKS` (default 5), `LOAD_WS` (comma-separated client counts, default
//! `100,1000`). Clients and server share the machine, so on few cores the numbers
//! are a floor for the server alone. 1,000 WebSocket clients need ~2,100 open files
//! (both ends live in this process): `ulimit -n 4096` first if the limit is lower.

use atelier_core::sample;
use atelier_server::ServerConfig;
use atelier_server::testing::BackgroundServer;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// Sends a request and returns status and JSON body; panics on transport errors
/// (a benchmark with failing requests measures nothing).
fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    content_type: &str,
    body: Option<&str>,
) -> (u16, Value) {
    let result = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        (_, Some(b)) => agent.post(url).content_type(content_type).send(b),
        (_, None) => agent.post(url).send_empty(),
    };
    let mut r = result.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn zara_body() -> String {
    let zara = sample::PARAMETER_SETS
        .iter()
        .find(|(n, _)| *n == "zara")
        .map(|(_, j)| *j)
        .expect("zara parameters");
    json!({
        "category": sample::DEFAULT_CATEGORY,
        "parameters": serde_json::from_str::<Value>(zara).expect("zara JSON"),
    })
    .to_string()
}

fn normal_week(week: usize) -> &'static str {
    let (_, weeks) = sample::SCENARIOS
        .iter()
        .find(|(n, _)| *n == "normal_season")
        .expect("normal_season");
    weeks[week - 1]
}

/// Creates a Zara season (runs phases 1-2) and accepts its manufacturing order, so
/// it waits for week 1's actuals. Returns the id and the two calls' latencies.
fn ready_workflow(agent: &ureq::Agent, base: &str) -> (String, Duration, Duration) {
    let t = Instant::now();
    let (status, created) = send(
        agent,
        "POST",
        &format!("{base}/api/workflows"),
        "application/json",
        Some(&zara_body()),
    );
    let create = t.elapsed();
    assert_eq!(status, 201, "create: {created}");
    let id = created["workflow_id"].as_str().expect("id").to_string();
    let (_, w) = send(
        agent,
        "GET",
        &format!("{base}/api/workflows/{id}"),
        "",
        None,
    );
    let approval = w["pending_approval"]["approval_id"]
        .as_str()
        .expect("a pending approval")
        .to_string();
    let t = Instant::now();
    let (status, body) = send(
        agent,
        "POST",
        &format!("{base}/api/workflows/{id}/approvals/{approval}"),
        "application/json",
        Some(r#"{"action":"accept"}"#),
    );
    let approve = t.elapsed();
    assert_eq!(status, 200, "approve: {body}");
    (id, create, approve)
}

/// Latency summary of a sample (sorted in place).
struct Summary {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn summarise(sample: &mut [Duration]) -> Summary {
    sample.sort_unstable();
    let at = |q: f64| {
        if sample.is_empty() {
            Duration::ZERO
        } else {
            let i = ((sample.len() as f64 * q).ceil() as usize).clamp(1, sample.len()) - 1;
            sample[i]
        }
    };
    Summary {
        n: sample.len(),
        p50: at(0.50),
        p99: at(0.99),
        max: sample.last().copied().unwrap_or_default(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// (a) C clients, each its own keep-alive connection, GET the workflow for `secs`.
fn bench_get(base: &str, id: &str, secs: u64) {
    println!("\n(a) GET /api/workflows/{{id}}, {secs} s per level");
    println!(
        "{:>8} {:>10} {:>12} {:>12} {:>12} {:>12}",
        "clients", "requests", "req/s", "p50", "p99", "max"
    );
    for clients in [1usize, 8, 32] {
        let url = format!("{base}/api/workflows/{id}");
        let deadline = Instant::now() + Duration::from_secs(secs);
        let started = Instant::now();
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let agent = agent();
                    let mut lat = Vec::with_capacity(50_000);
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        let mut r = agent.get(&url).call().expect("GET");
                        let status = r.status().as_u16();
                        let _ = r.body_mut().read_to_vec();
                        lat.push(t.elapsed());
                        assert_eq!(status, 200);
                    }
                    lat
                })
            })
            .collect();
        let mut all: Vec<Duration> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect();
        let elapsed = started.elapsed().as_secs_f64();
        let s = summarise(&mut all);
        println!(
            "{:>8} {:>10} {:>12.0} {:>12} {:>12} {:>12}",
            clients,
            s.n,
            s.n as f64 / elapsed,
            ms(s.p50),
            ms(s.p99),
            ms(s.max)
        );
    }
}

/// (b) `workflows` seasons past approval; weeks 1..=`weeks` uploaded by `clients`
/// threads, each week's uploads spread over the workflows concurrently (a workflow's
/// weeks stay in order).
fn bench_uploads(base: &str, workflows: usize, weeks: usize, clients: usize) {
    println!(
        "\n(b) weekly actuals: {workflows} workflows, weeks 1..={weeks} of normal_season, {clients} concurrent clients"
    );
    let t = Instant::now();
    let base = base.to_string();
    let ids = Arc::new(parallel(workflows, clients.min(8), {
        let base = base.clone();
        move |_, agent| ready_workflow(agent, &base)
    }));
    let setup = t.elapsed();
    let mut creates: Vec<Duration> = ids.iter().map(|(_, c, _)| *c).collect();
    let mut approves: Vec<Duration> = ids.iter().map(|(_, _, a)| *a).collect();
    let c = summarise(&mut creates);
    let a = summarise(&mut approves);
    println!(
        "    setup {:.2} s: create (phases 1-2) p50 {} p99 {}; approve (+launch) p50 {} p99 {}",
        setup.as_secs_f64(),
        ms(c.p50),
        ms(c.p99),
        ms(a.p50),
        ms(a.p99)
    );
    let mut lat = Vec::new();
    let started = Instant::now();
    for week in 1..=weeks {
        let ids = ids.clone();
        let base = base.clone();
        lat.extend(parallel(workflows, clients, move |i, agent| {
            let id = &ids[i].0;
            let t = Instant::now();
            let (status, body) = send(
                agent,
                "POST",
                &format!("{base}/api/workflows/{id}/actuals"),
                "text/csv",
                Some(normal_week(week)),
            );
            let d = t.elapsed();
            assert_eq!(status, 200, "week {week} of {id}: {body}");
            d
        }));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let s = summarise(&mut lat);
    println!(
        "    {} uploads in {:.2} s: {:.1} uploads/s, p50 {}, p99 {}, max {}",
        s.n,
        elapsed,
        s.n as f64 / elapsed,
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
}

/// Runs `f(i)` for i in 0..n on `threads` threads (each with its own agent), in
/// index order of the results.
fn parallel<T: Send + 'static>(
    n: usize,
    threads: usize,
    f: impl Fn(usize, &ureq::Agent) -> T + Send + Sync + Clone + 'static,
) -> Vec<T> {
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let next = next.clone();
            let f = f.clone();
            std::thread::spawn(move || {
                let agent = agent();
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    out.push((i, f(i, &agent)));
                }
                out
            })
        })
        .collect();
    let mut all: Vec<(usize, T)> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("worker thread"))
        .collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// (c) `clients` WebSocket clients on one workflow's stream, then one write.
fn bench_fanout(base: &str, ws_base: &str, clients: usize, rt: &tokio::runtime::Runtime) {
    let agent = agent();
    let (id, _, _) = ready_workflow(&agent, base);
    let (_, w) = send(
        &agent,
        "GET",
        &format!("{base}/api/workflows/{id}"),
        "",
        None,
    );
    let last = w["last_event"].as_u64().expect("last_event");
    let url = format!("{ws_base}/api/workflows/{id}/stream?after={last}");

    // Connect everyone (64 handshakes in flight at a time, so the listen backlog
    // never overflows), then start each client's reader.
    let t = Instant::now();
    let sockets = rt.block_on(async {
        futures_util::stream::iter(0..clients)
            .map(|_| {
                let url = url.clone();
                async move {
                    tokio_tungstenite::connect_async(url)
                        .await
                        .map(|(ws, _)| ws)
                }
            })
            .buffer_unordered(64)
            .collect::<Vec<_>>()
            .await
    });
    let connect = t.elapsed();
    let failed = sockets.iter().filter(|s| s.is_err()).count();
    if let Some(Err(e)) = sockets.iter().find(|s| s.is_err()) {
        eprintln!("    first connection error: {e}");
    }
    let t0 = Arc::new(std::sync::OnceLock::<Instant>::new());
    let readers: Vec<_> = sockets
        .into_iter()
        .filter_map(Result::ok)
        .map(|mut ws| {
            let t0 = t0.clone();
            rt.spawn(async move {
                let deadline = Duration::from_secs(30);
                loop {
                    match tokio::time::timeout(deadline, ws.next()).await {
                        Ok(Some(Ok(Message::Text(text)))) => {
                            let arrived = Instant::now();
                            let seq = serde_json::from_str::<Value>(text.as_str())
                                .ok()
                                .and_then(|v| v["seq"].as_u64());
                            if seq.is_some_and(|s| s > last) {
                                let _ = ws.close(None).await;
                                return t0.get().map(|t0| arrived.saturating_duration_since(*t0));
                            }
                        }
                        Ok(Some(Ok(_))) => {}
                        _ => return None,
                    }
                }
            })
        })
        .collect();
    // Let the server finish subscribing everyone (a late subscriber still gets the
    // event from the ring, but its latency would include its own handshake).
    std::thread::sleep(Duration::from_millis(500));

    let _ = t0.set(Instant::now());
    let (status, body) = send(
        &agent,
        "POST",
        &format!("{base}/api/workflows/{id}/actuals"),
        "text/csv",
        Some(normal_week(1)),
    );
    let http = t0.get().map(Instant::elapsed).unwrap_or_default();
    assert_eq!(status, 200, "upload: {body}");
    let mut got: Vec<Duration> = rt.block_on(async {
        let mut out = Vec::new();
        for r in readers {
            if let Ok(Some(d)) = r.await {
                out.push(d);
            }
        }
        out
    });
    let s = summarise(&mut got);
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>11} {:>11} {:>11} {:>11}",
        clients,
        clients - failed,
        s.n,
        ms(connect),
        ms(http),
        ms(s.p50),
        ms(s.p99),
        ms(s.max)
    );
}

fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would run it too: skip
    // the long run there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load: run with `cargo bench -p atelier-server --bench load`");
        return;
    }
    let secs = env_num("LOAD_SECS", 5);
    let workflows = env_num("LOAD_WORKFLOWS", 50) as usize;
    let weeks = (env_num("LOAD_WEEKS", 5) as usize).clamp(1, 5);
    let ws_levels: Vec<usize> = std::env::var("LOAD_WS")
        .unwrap_or_else(|_| "100,1000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();

    let dir = tempfile::tempdir().expect("temp dir");
    // The bench measures what the server can serve, from one address: the per-address
    // and per-token rates (0 turns a rate off) would answer 429 after the first
    // burst and measure the limiter instead.
    let mut config = ServerConfig::new(dir.path().join("load.db"));
    config.rate_limits.per_address_per_sec = 0;
    config.rate_limits.per_token_per_sec = 0;
    let server = BackgroundServer::start(config).expect("server");
    let base = server.url();
    let ws_base = format!("ws://{}", server.addr);
    println!(
        "atelier-server load benchmark: server {base} (2 runtime workers), {} CPUs, open-file limit {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        open_files_limit().map_or("?".into(), |n| n.to_string())
    );

    let (id, _, _) = ready_workflow(&agent(), &base);
    bench_get(&base, &id, secs);

    for clients in [1, 4, 16] {
        bench_uploads(&base, workflows, weeks, clients);
    }

    println!(
        "\n(c) WebSocket fan-out: one upload, latency from just before its request to each client's first new event"
    );
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>11} {:>11} {:>11} {:>11}",
        "clients", "connected", "received", "connect", "upload", "p50", "p99", "max(all)"
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("client runtime");
    for clients in ws_levels {
        if let Some(limit) = open_files_limit()
            && limit < 2 * clients as u64 + 100
        {
            println!(
                "{clients:>8} skipped: open-file limit {limit} is below {} (run `ulimit -n 4096` first)",
                2 * clients + 100
            );
            continue;
        }
        bench_fanout(&base, &ws_base, clients, &rt);
    }
    drop(rt);
    drop(server);
}

//! Load figures for several servers on one PostgreSQL (issue 12): N seasons
//! played at once over HTTP, each by a client of its own that creates the
//! season, answers its approvals and uploads its twelve weeks of actuals (the
//! weekly uploads), against
//! - two server instances on one PostgreSQL (requests alternate between them, as
//!   behind a round-robin load balancer), and
//! - one instance on a SQLite file.
//!
//! For each N it prints seasons per minute, the p50/p99/max of every request,
//! and events appended per second (the seasons' events over the wall time).
//!
//! `cargo bench -p atelier-server --bench cluster_load` (release), or
//! `scripts/cluster_load.sh`. Knobs: `CLUSTER_LOAD_N` (comma-separated season
//! counts, default `10,100,500`), `CLUSTER_LOAD_STORES` (`postgres,sqlite`),
//! `ATELIER_BENCH_PG_URL` (a PostgreSQL server to use; else a throwaway cluster
//! is started with `scripts/pg_test_cluster.sh` and a fresh schema is used per
//! run). The instances run in this process (each its own runtime, pool, locks
//! and streams, as separate processes would have), so clients and servers share
//! the machine's cores: the figures are a floor for the servers alone.

use atelier_core::sample;
use atelier_server::ServerConfig;
use atelier_server::config::RateLimits;
use atelier_server::testing::BackgroundServer;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .new_agent()
}

/// The instances of one configuration, requests spread over them in turn.
struct Target {
    servers: Vec<BackgroundServer>,
    next: AtomicUsize,
}

impl Target {
    fn base(&self) -> String {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.servers.len();
        self.servers[i].url()
    }
}

/// A request's answer and its latency.
fn send(agent: &ureq::Agent, url: &str, body: Option<(&str, String)>) -> (u16, Value, Duration) {
    let t = Instant::now();
    let sent = match body {
        None => agent.get(url).call(),
        Some((content_type, b)) => agent.post(url).content_type(content_type).send(b),
    };
    let mut r = sent.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    let took = t.elapsed();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        took,
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
        "actuals_meaning": "demand",
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

/// What a request did, for latencies by kind.
const KINDS: [&str; 4] = ["create", "approval", "weekly upload", "read"];

/// Plays one season to its end; returns its request latencies (by index into
/// [`KINDS`]) and event count.
fn play(target: &Target, agent: &ureq::Agent) -> (Vec<(usize, Duration)>, u64) {
    let mut lat = Vec::new();
    let (status, created, took) = send(
        agent,
        &format!("{}/api/workflows", target.base()),
        Some(("application/json", zara_body())),
    );
    lat.push((0, took));
    assert_eq!(status, 201, "create: {created}");
    let id = created["workflow_id"].as_str().expect("id").to_string();
    let (status, mut w, took) = send(
        agent,
        &format!("{}/api/workflows/{id}", target.base()),
        None,
    );
    lat.push((3, took));
    assert_eq!(status, 200, "{w}");
    loop {
        let state = w["state"].as_str().unwrap_or_default().to_string();
        let kind = if state == "phase_3_monitoring" { 2 } else { 1 };
        let (status, answer, took) = match state.as_str() {
            "completed" => return (lat, w["last_event"].as_u64().unwrap_or(0)),
            s if s.starts_with("waiting_") && s.ends_with("_approval") => {
                let approval = w["pending_approval"]["approval_id"]
                    .as_str()
                    .expect("approval");
                send(
                    agent,
                    &format!("{}/api/workflows/{id}/approvals/{approval}", target.base()),
                    Some(("application/json", r#"{"action":"accept"}"#.to_string())),
                )
            }
            "phase_3_monitoring" => {
                let week = w["next_week"].as_u64().expect("next_week") as usize;
                send(
                    agent,
                    &format!("{}/api/workflows/{id}/actuals?week={week}", target.base()),
                    Some(("text/csv", normal_week(week).to_string())),
                )
            }
            other => panic!("season {id} rests in {other}: {w}"),
        };
        lat.push((kind, took));
        assert_eq!(status, 200, "season {id} in {state}: {answer}");
        // The answer of an upload is the week's check; read the workflow.
        let (status, now, took) = send(
            agent,
            &format!("{}/api/workflows/{id}", target.base()),
            None,
        );
        lat.push((3, took));
        assert_eq!(status, 200, "{now}");
        w = now;
    }
}

struct Figures {
    /// p50 and p99 of each of [`KINDS`].
    by_kind: Vec<(Duration, Duration)>,
    seasons_per_min: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    requests: usize,
    events_per_sec: f64,
    wall: Duration,
}

fn run(target: &Arc<Target>, n: usize) -> Figures {
    let started = Instant::now();
    let players: Vec<_> = (0..n)
        .map(|_| {
            let target = target.clone();
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || play(&target, &agent()))
                .expect("a client thread")
        })
        .collect();
    let mut lat = Vec::new();
    let mut events = 0;
    for p in players {
        let (l, e) = p.join().expect("a season's client");
        lat.extend(l);
        events += e;
    }
    let wall = started.elapsed();
    let by_kind = (0..KINDS.len())
        .map(|k| {
            let mut of: Vec<Duration> = lat
                .iter()
                .filter(|(i, _)| *i == k)
                .map(|(_, d)| *d)
                .collect();
            of.sort_unstable();
            (quantile(&of, 0.5), quantile(&of, 0.99))
        })
        .collect();
    let mut lat: Vec<Duration> = lat.into_iter().map(|(_, d)| d).collect();
    lat.sort_unstable();
    let at = |q: f64| quantile(&lat, q);
    Figures {
        by_kind,
        seasons_per_min: n as f64 / wall.as_secs_f64() * 60.0,
        p50: at(0.50),
        p99: at(0.99),
        max: lat[lat.len() - 1],
        requests: lat.len(),
        events_per_sec: events as f64 / wall.as_secs_f64(),
        wall,
    }
}

/// The `q` quantile of a sorted sample (zero when empty).
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn config(db: &str) -> ServerConfig {
    let mut config = ServerConfig::new(db);
    // One machine's clients from one address: the per-address limits are the
    // load balancer's business here.
    config.rate_limits = RateLimits {
        per_address_per_sec: 0,
        per_token_per_sec: 0,
        ..config.rate_limits
    };
    // A client alternates between the instances: its connection to one idles
    // while the other answers, which under the heaviest load takes longer than
    // the default 10 s a keep-alive connection may idle (the server would close
    // it, and the client's next request on it would be reset).
    config.limits.header_read_timeout = Duration::from_secs(300);
    config
}

/// A PostgreSQL URL with a fresh schema of its own.
fn postgres_url() -> String {
    let server = match std::env::var("ATELIER_BENCH_PG_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => {
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg_test_cluster.sh");
            let out = Command::new("bash")
                .arg(&script)
                .args(["start", "--owner", &std::process::id().to_string()])
                .output()
                .expect("the cluster script runs");
            assert!(
                out.status.success(),
                "PostgreSQL could not be started: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        }
    };
    let schema = format!(
        "bench{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp()
    );
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("schema");
    let sep = if server.contains('?') { '&' } else { '?' };
    format!("{server}{sep}options=-c%20search_path%3D{schema}")
}

fn main() {
    let counts: Vec<usize> = std::env::var("CLUSTER_LOAD_N")
        .unwrap_or_else(|_| "10,100,500".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let stores = std::env::var("CLUSTER_LOAD_STORES").unwrap_or_else(|_| "postgres,sqlite".into());
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "{:<22} {:>5} {:>9} {:>12} {:>9} {:>10} {:>10} {:>10} {:>10}",
        "store", "N", "wall s", "seasons/min", "requests", "p50", "p99", "max", "events/s"
    );
    for store in stores.split(',').map(str::trim) {
        for &n in &counts {
            // A fresh database per run, so each N starts from an empty log.
            let (label, servers) = match store {
                "postgres" => {
                    let url = postgres_url();
                    let servers = (0..2)
                        .map(|_| BackgroundServer::start(config(&url)).expect("server"))
                        .collect();
                    ("2 instances, PostgreSQL", servers)
                }
                "sqlite" => {
                    let db = dir.path().join(format!("load-{n}.db"));
                    let servers = vec![
                        BackgroundServer::start(config(&db.to_string_lossy())).expect("server"),
                    ];
                    ("1 instance, SQLite", servers)
                }
                other => panic!("unknown store '{other}': postgres or sqlite"),
            };
            let target = Arc::new(Target {
                servers,
                next: AtomicUsize::new(0),
            });
            let f = run(&target, n);
            let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
            println!(
                "{:<22} {:>5} {:>9.1} {:>12.1} {:>9} {:>10} {:>10} {:>10} {:>10.0}",
                label,
                n,
                f.wall.as_secs_f64(),
                f.seasons_per_min,
                f.requests,
                ms(f.p50),
                ms(f.p99),
                ms(f.max),
                f.events_per_sec
            );
            let kinds: Vec<String> = KINDS
                .iter()
                .zip(&f.by_kind)
                .map(|(k, (p50, p99))| format!("{k} {} / {}", ms(*p50), ms(*p99)))
                .collect();
            println!("    p50 / p99 by request: {}", kinds.join(", "));
        }
    }
}

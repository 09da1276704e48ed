//! PostgreSQL stopped under a running server: every request is answered within
//! two seconds (503 with `Retry-After`, saying nothing was changed), `/metrics`
//! still answers (`atelier_db_up 0`), and everything works again once the
//! database is back. A throwaway cluster of its own (`scripts/pg_test_cluster.sh`),
//! since the test stops it; never skipped.

use crate::helpers::*;
use atelier_server::ServerConfig;
use atelier_server::testing::BackgroundServer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Cluster {
    url: String,
    dir: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg_test_cluster.sh")
}

impl Cluster {
    fn start() -> Cluster {
        let out = Command::new("bash")
            .arg(script())
            .args(["start", "--owner", &std::process::id().to_string()])
            .output()
            .expect("the cluster script runs");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success() && !url.is_empty(),
            "PostgreSQL could not be started (apt-get install postgresql): {stderr}"
        );
        let dir = stderr
            .lines()
            .find_map(|l| l.strip_prefix("pg_test_cluster: cluster in "))
            .and_then(|rest| rest.split(", port").next())
            .map(PathBuf::from)
            .expect("the cluster's folder");
        Cluster { url, dir }
    }

    fn run(&self, verb: &str) {
        let out = Command::new("bash")
            .arg(script())
            .arg(verb)
            .arg(&self.dir)
            .output()
            .expect("the cluster script runs");
        assert!(
            out.status.success(),
            "{verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.run("stop");
    }
}

fn timed(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<String>,
) -> (u16, String, Duration) {
    let started = Instant::now();
    let answer = match body {
        Some(b) => agent.post(url).content_type("application/json").send(b),
        None if method == "GET" => agent.get(url).call(),
        None => agent.post(url).send_empty(),
    };
    let took = started.elapsed();
    let mut answer = answer.expect("an answer");
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().unwrap_or_default();
    (status, text, took)
}

#[test]
fn an_outage_is_answered_within_two_seconds_and_metrics_stay_up() {
    let cluster = Cluster::start();
    let server = BackgroundServer::start(ServerConfig::new(&cluster.url)).expect("server");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let base = server.url();
    let (status, created, _) = timed(
        &agent,
        "POST",
        &format!("{base}/api/workflows"),
        Some(create_body(None).to_string()),
    );
    assert_eq!(status, 201, "{created}");
    let id = serde_json::from_str::<serde_json::Value>(&created).expect("json")["workflow_id"]
        .as_str()
        .expect("id")
        .to_string();

    cluster.run("pause");
    let calls = [
        ("GET", format!("{base}/api/workflows/{id}"), None),
        (
            "POST",
            format!("{base}/api/workflows/{id}/approvals/manufacturing-1"),
            Some(r#"{"action":"accept"}"#.to_string()),
        ),
        (
            "POST",
            format!("{base}/api/workflows"),
            Some(create_body(None).to_string()),
        ),
        ("GET", format!("{base}/api/workflows"), None),
    ];
    for (method, url, body) in calls {
        let (status, text, took) = timed(&agent, method, &url, body);
        eprintln!("outage: {method} {url}: {status} in {took:?}");
        assert_eq!(status, 503, "{method} {url}: {text}");
        assert!(text.contains("nothing was changed"), "{text}");
        assert!(
            took < Duration::from_secs(2),
            "{method} {url} took {took:?}"
        );
    }
    let (status, text, took) = timed(&agent, "GET", &format!("{base}/metrics"), None);
    eprintln!("outage: GET /metrics: {status} in {took:?}");
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("atelier_db_up 0"), "{text}");
    assert!(text.contains("atelier_db_pool_connections_max"), "{text}");
    assert!(took < Duration::from_secs(2), "{took:?}");

    cluster.run("resume");
    let started = Instant::now();
    loop {
        let (status, _, _) = timed(&agent, "GET", &format!("{base}/api/workflows/{id}"), None);
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "still {status} after the database came back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, text, _) = timed(&agent, "GET", &format!("{base}/metrics"), None);
    assert_eq!(status, 200);
    assert!(text.contains("atelier_db_up 1"), "{text}");
    drop(server);
}

//! Three `atelier serve` processes on one PostgreSQL, with faults (issue 12).
//!
//! The test starts a throwaway PostgreSQL cluster of its own
//! (`scripts/pg_test_cluster.sh`: it stops and restarts that server, which it
//! must not do to a database other tests share), three real server processes on
//! it, and nginx in front of them with the configuration `docs/deploy.md` shows
//! (read from the document; only the addresses are this test's). Seasons are
//! driven through nginx over HTTP; each season is a client that sends a call
//! again when it got no answer or a 5xx. Meanwhile one instance is killed with
//! SIGKILL while requests are in flight on it, and PostgreSQL itself is stopped
//! (fast shutdown: every session cut) and started again. Afterwards, for every season:
//! - its log is numbered 1..N without a gap or a duplicate;
//! - its report equals the report of the same season played uninterrupted;
//! - each approval was answered once in the log.
//!
//! Beside it, one fault at a time, each with its own cluster:
//! - a creation nginx sends to a second instance after the first died mid-creation
//!   makes one workflow (the `Idempotency-Key` resolves it), finished and fully
//!   explained;
//! - PostgreSQL stopped mid-creation: the answer does not claim nothing changed,
//!   and the client's retry with the same key makes no second workflow;
//! - PostgreSQL stopped mid-approval and mid-upload: each answer says the
//!   request was recorded, and the retry with the same key applies it once;
//! - an instance killed between a step's commit and its words: with no client
//!   writing, another instance's sweep finishes the workflow and writes the words;
//! - a start with a wrong password names the cause and prints no password.
//!
//! The tests never skip: without PostgreSQL's server binaries or nginx (Debian's
//! `postgresql` and `nginx` packages, which `.ci/run` installs) it fails, saying
//! what to install.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The seasons played through the cluster (and one more each, uninterrupted).
const SEASONS: usize = 6;
/// The shipped scenarios the seasons cycle through.
const SCENARIOS: [&str; 3] = ["normal_season", "low_demand", "underperform"];
/// How long a client keeps retrying one call before the test fails.
const CALL_DEADLINE: Duration = Duration::from_secs(40);

/// A PostgreSQL cluster of this test's own, stopped when the test process ends.
struct Cluster {
    url: String,
    dir: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg_test_cluster.sh")
}

impl Cluster {
    fn start() -> Cluster {
        let advice = "This test needs PostgreSQL's server binaries and never skips: install \
                      Debian's `postgresql` package (apt-get install postgresql).";
        let out = Command::new("bash")
            .arg(script())
            .args(["start", "--owner", &std::process::id().to_string()])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}. {advice}", script().display()));
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success() && !url.is_empty(),
            "PostgreSQL could not be started: {stderr}. {advice}"
        );
        let dir = stderr
            .lines()
            .find_map(|l| l.strip_prefix("pg_test_cluster: cluster in "))
            .and_then(|rest| rest.split(", port").next())
            .map(PathBuf::from)
            .unwrap_or_else(|| panic!("the script did not say where the cluster is: {stderr}"));
        Cluster { url, dir }
    }

    fn run(&self, verb: &str) {
        self.run_with(verb, &[]);
    }

    fn run_with(&self, verb: &str, args: &[&str]) {
        let out = Command::new("bash")
            .arg(script())
            .arg(verb)
            .arg(&self.dir)
            .args(args)
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

/// One `atelier serve` process.
struct Instance {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// What an instance is started with besides its database.
#[derive(Default)]
struct Setup<'a> {
    /// Extra environment (a model to explain with).
    env: Vec<(&'static str, String)>,
    /// A config file (`--config`).
    config: Option<&'a Path>,
}

/// The `atelier serve` command on `db`, with no tokens and no model unless
/// `setup` gives one.
fn serve_command(db: &str, setup: &Setup<'_>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_atelier"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--db", db])
        .env_remove("ATELIER_TOKENS")
        .env_remove("ATELIER_LLM_API_KEY")
        .env_remove("ATELIER_LLM_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("PGPASSWORD")
        .env("RUST_LOG", "warn");
    if let Some(config) = setup.config {
        cmd.arg("--config").arg(config);
    }
    for (name, value) in &setup.env {
        cmd.env(name, value);
    }
    cmd
}

impl Instance {
    fn start(db: &str) -> Instance {
        Self::start_with(db, &Setup::default())
    }

    fn start_with(db: &str, setup: &Setup<'_>) -> Instance {
        let mut child = serve_command(db, setup)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("atelier serve starts");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let mut seen = Vec::new();
        let base = loop {
            let line = match lines.next() {
                Some(Ok(line)) => line,
                _ => panic!("atelier serve ended before listening: {seen:?}"),
            };
            if let Some(rest) = line.strip_prefix("atelier serving on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            seen.push(line);
        };
        let log = Arc::new(Mutex::new(seen));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().expect("log").push(line);
            }
        });
        Instance { child, base, log }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx in front of the instances, configured as `docs/deploy.md` says.
struct Nginx {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

/// The nginx configuration of `docs/deploy.md` (its one `nginx` block).
fn deploy_config() -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/deploy.md"))
            .expect("docs/deploy.md");
    let start = doc
        .find("```nginx\n")
        .expect("an nginx block in docs/deploy.md")
        + 9;
    let len = doc[start..].find("```").expect("the block's end");
    doc[start..start + len].to_string()
}

fn nginx_binary() -> PathBuf {
    for candidate in ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v nginx"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty());
    PathBuf::from(on_path.unwrap_or_else(|| {
        panic!(
            "this test needs nginx and never skips: install Debian's `nginx` package \
             (apt-get install nginx; .ci/run does)"
        )
    }))
}

/// docs/deploy.md's site with this test's instances as the upstream and a
/// loopback port to listen on.
fn site_config(upstreams: &[String], port: u16) -> String {
    let servers: String = upstreams
        .iter()
        .map(|u| {
            format!(
                "    server {} max_fails=1 fail_timeout=5s;\n",
                u.trim_start_matches("http://")
            )
        })
        .collect();
    let mut site = String::new();
    let mut replaced = false;
    for line in deploy_config().lines() {
        if line.trim_start().starts_with("server 10.0.0.") {
            if !replaced {
                site.push_str(&servers);
                replaced = true;
            }
        } else if line.trim() == "listen 80;" {
            site.push_str(&format!("    listen 127.0.0.1:{port};\n"));
        } else {
            site.push_str(line);
            site.push('\n');
        }
    }
    assert!(
        replaced,
        "the documented upstream lists no `server 10.0.0.x` line"
    );
    site
}

impl Nginx {
    fn start(upstreams: &[String]) -> Nginx {
        let dir = tempfile::tempdir().expect("temp dir");
        // Workers may run as another user: they write their temp files here.
        let mut perms = std::fs::metadata(dir.path()).expect("dir").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o777);
        std::fs::set_permissions(dir.path(), perms).expect("chmod");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let site = site_config(upstreams, port);
        let d = dir.path().display();
        let conf = format!(
            "error_log {d}/error.log warn;\npid {d}/nginx.pid;\nevents {{ worker_connections 1024; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             {site}}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).expect("write nginx.conf");
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, base, dir }
    }

    /// What nginx logged (warnings and errors: a dead upstream, a retry).
    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The instances as a client sees them: any may fail; a call goes to the next.
struct Balancer {
    bases: Vec<String>,
    next: AtomicUsize,
    agent: ureq::Agent,
    retried: AtomicUsize,
    /// Calls answered (the faults are timed by the seasons' progress).
    answered: AtomicUsize,
    /// The 5xx answers seen, by status.
    failures: Mutex<BTreeMap<u16, usize>>,
}

impl Balancer {
    fn new(bases: Vec<String>) -> Balancer {
        Balancer {
            bases,
            next: AtomicUsize::new(0),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(20)))
                .build()
                .new_agent(),
            retried: AtomicUsize::new(0),
            answered: AtomicUsize::new(0),
            failures: Mutex::new(BTreeMap::new()),
        }
    }

    /// Sends the call to the instances in turn until one answers with a status
    /// that is not a server failure (5xx) or the deadline passes.
    fn call(&self, method: &str, path: &str, body: Option<(&str, String)>) -> (u16, Value) {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < CALL_DEADLINE {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % self.bases.len();
            let url = format!("{}{path}", self.bases[i]);
            let sent = match (method, &body) {
                ("GET", _) => self.agent.get(&url).call(),
                (_, Some((content_type, b))) => self
                    .agent
                    .post(&url)
                    .content_type(*content_type)
                    .send(b.as_str()),
                (_, None) => self.agent.post(&url).send_empty(),
            };
            match sent {
                Ok(mut r) if r.status().as_u16() < 500 => {
                    self.answered.fetch_add(1, Ordering::Relaxed);
                    let status = r.status().as_u16();
                    let text = r.body_mut().read_to_string().unwrap_or_default();
                    return (
                        status,
                        serde_json::from_str(&text).unwrap_or(Value::String(text)),
                    );
                }
                Ok(mut r) => {
                    *self
                        .failures
                        .lock()
                        .expect("failures")
                        .entry(r.status().as_u16())
                        .or_default() += 1;
                    last = format!(
                        "{} {}",
                        r.status(),
                        r.body_mut().read_to_string().unwrap_or_default()
                    );
                }
                Err(e) => last = e.to_string(),
            }
            self.retried.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{method} {path}: no instance answered within {CALL_DEADLINE:?}; last: {last}");
    }

    fn get(&self, path: &str) -> Value {
        let (status, body) = self.call("GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }
}

fn zara() -> Value {
    let zara = atelier_core::sample::PARAMETER_SETS
        .iter()
        .find(|(n, _)| *n == "zara")
        .map(|(_, j)| *j)
        .expect("zara parameters");
    serde_json::from_str(zara).expect("zara JSON")
}

fn week_csv(scenario: &str, week: usize) -> &'static str {
    let (_, weeks) = atelier_core::sample::SCENARIOS
        .iter()
        .find(|(n, _)| *n == scenario)
        .expect("a shipped scenario");
    weeks[week - 1]
}

/// Creates a season (its first steps run) and returns its id.
fn create(lb: &Balancer) -> String {
    let body = json!({
        "category": atelier_core::sample::DEFAULT_CATEGORY,
        "parameters": zara(),
        // The scenarios' files are demand, as `atelier run` plays them.
        "actuals_meaning": "demand",
    });
    let (status, created) = lb.call(
        "POST",
        "/api/workflows",
        Some(("application/json", body.to_string())),
    );
    assert_eq!(status, 201, "create: {created}");
    created["workflow_id"].as_str().expect("id").to_string()
}

/// Plays a season to its end: accepts each approval, uploads each week's
/// actuals, and resumes a workflow left between steps (its server died
/// mid-step). Every call may land on any instance, and is retried elsewhere
/// when one fails; a 409 means the state moved (the lost answer of a call that
/// did succeed): the workflow is read again.
fn play(lb: &Balancer, id: &str, scenario: &str) {
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(50),
            "season {id} did not finish"
        );
        let w = lb.get(&format!("/api/workflows/{id}"));
        let state = w["state"].as_str().unwrap_or_default().to_string();
        let (status, answer) = match state.as_str() {
            "completed" => return,
            s if s.starts_with("waiting_") && s.ends_with("_approval") => {
                let approval = w["pending_approval"]["approval_id"]
                    .as_str()
                    .expect("a pending approval");
                lb.call(
                    "POST",
                    &format!("/api/workflows/{id}/approvals/{approval}"),
                    Some(("application/json", json!({"action": "accept"}).to_string())),
                )
            }
            "phase_3_monitoring" => {
                let week = w["next_week"].as_u64().expect("next_week") as usize;
                lb.call(
                    "POST",
                    &format!("/api/workflows/{id}/actuals?week={week}"),
                    Some(("text/csv", week_csv(scenario, week).to_string())),
                )
            }
            _ => lb.call("POST", &format!("/api/workflows/{id}/resume"), None),
        };
        assert!(
            status == 200 || status == 409,
            "season {id} in {state}: {status} {answer}"
        );
    }
}

/// Every event of the season, by number.
fn events(lb: &Balancer, id: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let page = lb.get(&format!(
            "/api/workflows/{id}/events?after={}&limit=1000",
            out.len()
        ));
        let batch = page["events"].as_array().cloned().unwrap_or_default();
        let more = page["has_more"].as_bool().unwrap_or(false);
        out.extend(batch);
        if !more {
            return out;
        }
    }
}

/// The report without what differs between two plays of one season: ids and
/// times.
fn comparable(mut report: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| {
                    k != "workflow_id"
                        && !k.ends_with("_at")
                        && k != "timestamp"
                        && k != "duration_ms"
                });
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut report);
    report
}

/// The checks on one season after the faults: its log numbered 1..N, each
/// approval answered once, its report that of the uninterrupted play.
fn check_season(survivor: &Balancer, id: &str, scenario: &str, reference: &Value) {
    let log = events(survivor, id);
    let numbers: Vec<u64> = log
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    let want: Vec<u64> = (1..=numbers.len() as u64).collect();
    assert_eq!(numbers, want, "season {id}: the log is not numbered 1..N");
    let last = survivor.get(&format!("/api/workflows/{id}"))["last_event"].as_u64();
    assert_eq!(last, Some(numbers.len() as u64), "season {id}: last_seq");

    let mut answered = BTreeSet::new();
    let mut requested = 0;
    for e in &log {
        match e["event"]["type"].as_str() {
            Some("approval_requested") => requested += 1,
            Some("approval_resolved") => {
                let approval = e["event"]["approval_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(
                    answered.insert(approval.clone()),
                    "season {id}: approval {approval} applied twice"
                );
            }
            _ => {}
        }
    }
    assert!(requested > 0, "season {id} asked for no approval: {log:?}");
    assert_eq!(answered.len(), requested, "season {id}: approvals answered");

    let report = survivor.get(&format!("/api/workflows/{id}/report"));
    assert_eq!(
        comparable(report),
        *reference,
        "season {id} ({scenario}) differs from its uninterrupted play"
    );
}

/// `/healthz` on `base` says the database cannot be reached.
fn assert_database_unavailable(base: &str) {
    let mut health = ureq::get(format!("{base}/healthz"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .expect("the instance answers without its database");
    let status = health.status().as_u16();
    let body: Value = serde_json::from_str(&health.body_mut().read_to_string().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["database"], "postgresql", "{body}");
    assert_eq!(body["status"], "unavailable", "{body}");
}

/// The reference: each scenario played uninterrupted through the instance at
/// `base`, its report as compared.
fn uninterrupted_reports(base: &str) -> BTreeMap<&'static str, Value> {
    let quiet = Balancer::new(vec![base.to_string()]);
    let mut reference = BTreeMap::new();
    for scenario in SCENARIOS {
        let id = create(&quiet);
        play(&quiet, &id, scenario);
        let report = quiet.get(&format!("/api/workflows/{id}/report"));
        reference.insert(scenario, comparable(report));
    }
    reference
}

/// Waits until the clients have had `n` answers in all.
fn wait_for_calls(lb: &Balancer, n: usize) {
    let started = Instant::now();
    while lb.answered.load(Ordering::Relaxed) < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the seasons made no progress"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn three_servers_on_one_postgres_survive_a_killed_server_and_a_database_restart() {
    let began = Instant::now();
    let cluster = Cluster::start();
    let mut instances: Vec<Instance> = (0..3).map(|_| Instance::start(&cluster.url)).collect();
    let nginx = Nginx::start(&instances.iter().map(|i| i.base.clone()).collect::<Vec<_>>());
    let lb = Arc::new(Balancer::new(vec![nginx.base.clone()]));

    let reference = uninterrupted_reports(&instances[0].base);

    // The seasons under faults, created first so that each has one log.
    let seasons: Vec<(String, &str)> = (0..SEASONS)
        .map(|i| (create(&lb), SCENARIOS[i % SCENARIOS.len()]))
        .collect();
    let finished = Arc::new(AtomicUsize::new(0));
    let players: Vec<_> = seasons
        .iter()
        .cloned()
        .map(|(id, scenario)| {
            let lb = lb.clone();
            let finished = finished.clone();
            std::thread::spawn(move || {
                play(&lb, &id, scenario);
                finished.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();

    // A server dies mid-step: requests are in flight on all three.
    wait_for_calls(&lb, 40);
    assert_eq!(
        finished.load(Ordering::Relaxed),
        0,
        "the seasons ended before the kill"
    );
    let victim = &mut instances[1];
    victim.child.kill().expect("SIGKILL");
    victim.child.wait().expect("reaped");
    // The database stops, then comes back, while the seasons run.
    wait_for_calls(&lb, 90);
    let running = SEASONS - finished.load(Ordering::Relaxed);
    cluster.run("pause");
    // Meanwhile the health check names the database and fails, so that a load
    // balancer sends no traffic to an instance that cannot reach it.
    assert_database_unavailable(&instances[0].base);
    std::thread::sleep(Duration::from_millis(500));
    cluster.run("resume");

    assert!(running > 0, "the seasons ended before the restart");
    for (player, (id, _)) in players.into_iter().zip(&seasons) {
        assert!(player.join().is_ok(), "season {id}'s client failed");
    }

    let survivor = Balancer::new(vec![nginx.base.clone()]);
    for (id, scenario) in &seasons {
        check_season(&survivor, id, scenario, &reference[scenario]);
    }
    let retried = lb.retried.load(Ordering::Relaxed);
    eprintln!(
        "{SEASONS} seasons through 3 servers, one killed, PostgreSQL restarted with \
         {running} still running: {retried} calls sent again; {:.1} s",
        began.elapsed().as_secs_f64()
    );
    assert!(
        retried > 0,
        "no call had to be sent again: the faults did not reach the clients"
    );
    // A database that cannot be reached is a 503 (send it again), never an
    // internal error; a dead instance is nginx's business (502/504 at worst).
    let failures = lb.failures.lock().expect("failures").clone();
    eprintln!("5xx answers seen by the clients: {failures:?}");
    assert!(
        failures.keys().all(|s| [502, 503, 504].contains(s)),
        "{failures:?}"
    );
    let logs: Vec<String> = instances
        .iter()
        .flat_map(|i| i.log.lock().map(|l| l.clone()).unwrap_or_default())
        .collect();
    assert!(
        !logs.iter().any(|l| l.contains("panicked")),
        "a server panicked: {logs:?}"
    );
}

/// A model endpoint that accepts connections and never answers: an instance
/// explaining with it waits out its model timeout in every explanation, between
/// a step's commit and the step's words, where the tests kill it or stop its
/// database. (No real model is ever called.)
struct SilentModel {
    _listener: std::net::TcpListener,
    url: String,
}

impl SilentModel {
    fn start() -> SilentModel {
        // Never accepted: the kernel completes the connections (the backlog)
        // and the requests wait for an answer that never comes.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
        SilentModel {
            _listener: listener,
            url,
        }
    }

    /// The environment of an instance explaining with this model, waiting
    /// `timeout_secs` for each answer before it falls back to the templates.
    fn env(&self, timeout_secs: u32) -> Vec<(&'static str, String)> {
        vec![
            ("ATELIER_LLM_BASE_URL", self.url.clone()),
            ("ATELIER_LLM_API_KEY", "test-key-not-real".into()),
            ("ATELIER_LLM_MODEL", "silent".into()),
            ("ATELIER_LLM_TIMEOUT_SECS", timeout_secs.to_string()),
            ("ATELIER_LLM_BUDGET_SECS", (timeout_secs + 1).to_string()),
            ("ATELIER_LLM_MAX_RETRIES", "0".into()),
        ]
    }
}

/// A config file making the sweep take a workflow (or a step's words) for left
/// by a dead process after one second instead of thirty.
fn quick_sweep_config(dir: &Path) -> PathBuf {
    let path = dir.join("atelier.json");
    std::fs::write(&path, r#"{"orphan_grace_secs": 1}"#).expect("config");
    path
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .new_agent()
}

/// A creation of the zara season, as JSON.
fn creation_body() -> String {
    json!({
        "category": atelier_core::sample::DEFAULT_CATEGORY,
        "parameters": zara(),
        "actuals_meaning": "demand",
    })
    .to_string()
}

/// POSTs a creation to `base` with `key` as its `Idempotency-Key`; `None` when
/// the connection failed.
fn create_keyed(base: &str, key: &str, timeout: Duration) -> Option<(u16, Value)> {
    post_keyed(
        base,
        "/api/workflows",
        key,
        ("application/json", creation_body()),
        timeout,
    )
}

/// POSTs `body` (content type, text) to `path` on `base` with `key` as its
/// `Idempotency-Key`; `None` when the connection failed.
fn post_keyed(
    base: &str,
    path: &str,
    key: &str,
    (content_type, body): (&str, String),
    timeout: Duration,
) -> Option<(u16, Value)> {
    let mut answer = agent(timeout)
        .post(format!("{base}{path}"))
        .header("Idempotency-Key", key)
        .content_type(content_type)
        .send(body)
        .ok()?;
    let status = answer.status().as_u16();
    let text = answer.body_mut().read_to_string().unwrap_or_default();
    Some((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// Sends the keyed POST to `base` until it is answered with less than a 5xx
/// (the database is coming back), within 40 s.
fn retry_keyed(base: &str, path: &str, key: &str, body: (&str, String)) -> (u16, Value) {
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the retry of {path} never succeeded"
        );
        match post_keyed(base, path, key, body.clone(), Duration::from_secs(30)) {
            Some((status, answer)) if status < 500 => return (status, answer),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// The types of workflow `id`'s events, as `base` reads them.
fn event_types(base: &str, id: &str) -> Vec<String> {
    let log = Balancer::new(vec![base.to_string()]);
    events(&log, id)
        .iter()
        .filter_map(|e| e["event"]["type"].as_str().map(String::from))
        .collect()
}

/// How many events of `kind` workflow `id` holds.
fn logged(base: &str, id: &str, kind: &str) -> usize {
    event_types(base, id).iter().filter(|t| *t == kind).count()
}

/// Whether a reasoning event follows the first event of `kind` in `types`: the
/// steps the request of that event unblocks are explained, so an instance
/// explaining with the silent model waits there.
fn words_follow(types: &[String], kind: &str) -> bool {
    types
        .iter()
        .skip_while(|t| *t != kind)
        .any(|t| t == "reasoning_recorded")
}

/// The 503 of a request recorded before PostgreSQL stopped: it says so, and
/// never that nothing was changed.
fn assert_recorded_not_finished(what: &str, status: u16, answer: &Value) {
    assert_eq!(status, 503, "{what}: {answer}");
    let said = answer["error"].as_str().unwrap_or_default();
    assert!(
        !said.contains("nothing was changed"),
        "{what} was recorded, yet the answer says: {said}"
    );
    assert!(
        said.contains("after this request was recorded"),
        "{what}: {said}"
    );
}

/// Every workflow as `base` lists it.
fn workflows(base: &str) -> Vec<Value> {
    let mut answer = agent(Duration::from_secs(10))
        .get(format!("{base}/api/workflows"))
        .call()
        .expect("the list answers");
    assert_eq!(answer.status().as_u16(), 200);
    let text = answer.body_mut().read_to_string().unwrap_or_default();
    serde_json::from_str::<Vec<Value>>(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Waits (at most `within`) for `done`; fails naming `what`.
fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the one workflow on the database has committed its first step
/// and waits for that step's words (its instance is in the silent model's
/// hands); returns its id.
fn wait_for_first_step(base: &str) -> String {
    let mut id = String::new();
    wait_until(
        "the creation's first step committed",
        Duration::from_secs(20),
        || match workflows(base).as_slice() {
            [w] if w["last_seq"].as_u64().unwrap_or(0) > 1 => {
                id = w["workflow_id"].as_str().unwrap_or_default().to_string();
                true
            }
            _ => false,
        },
    );
    let log = Balancer::new(vec![base.to_string()]);
    let kinds: Vec<String> = events(&log, &id)
        .iter()
        .filter_map(|e| e["event"]["type"].as_str().map(String::from))
        .collect();
    assert!(
        !kinds.iter().any(|k| k == "reasoning_recorded"),
        "the first step's words were written already: {kinds:?}"
    );
    id
}

/// The reasoning events of a workflow's log.
fn words(base: &str, id: &str) -> usize {
    let log = Balancer::new(vec![base.to_string()]);
    events(&log, id)
        .iter()
        .filter(|e| e["event"]["type"] == "reasoning_recorded")
        .count()
}

/// How many reasoning events a creation that nothing interrupts writes before
/// it waits for the order's approval (a season created through `base`, offline).
fn words_of_an_uninterrupted_creation(base: &str) -> usize {
    let lb = Balancer::new(vec![base.to_string()]);
    let id = create(&lb);
    let w = lb.get(&format!("/api/workflows/{id}"));
    assert_eq!(w["state"], "waiting_mfg_approval", "{w}");
    words(base, &id)
}

/// Waits until workflow `id` waits for its order's approval with `want` words,
/// its log numbered 1..N.
fn wait_finished_and_explained(base: &str, id: &str, want: usize) {
    let lb = Balancer::new(vec![base.to_string()]);
    let mut seen = (String::new(), 0);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        let state = lb.get(&format!("/api/workflows/{id}"))["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen = (state, words(base, id));
        if seen.0 == "waiting_mfg_approval" && seen.1 >= want {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        seen,
        ("waiting_mfg_approval".to_string(), want),
        "workflow {id}: (state, words) after the fault"
    );
    let numbers: Vec<u64> = events(&lb, id)
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
}

/// nginx sends a creation to the first instance, which dies between the
/// creation's first step and its words; nginx sends it again to the second
/// (docs/deploy.md's `proxy_next_upstream ... non_idempotent`), with the same
/// `Idempotency-Key`. One workflow results, under the key's id; the second
/// instance finishes it, and its sweep writes the words the first one owed.
#[test]
fn a_creation_retried_by_the_proxy_after_a_kill_makes_one_workflow() {
    let cluster = Cluster::start();
    let model = SilentModel::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = quick_sweep_config(dir.path());
    let mut first = Instance::start_with(
        &cluster.url,
        &Setup {
            env: model.env(60),
            config: Some(&config),
        },
    );
    let second = Instance::start_with(
        &cluster.url,
        &Setup {
            config: Some(&config),
            ..Setup::default()
        },
    );
    // A fresh nginx sends its first request to the first server listed.
    let nginx = Nginx::start(&[first.base.clone(), second.base.clone()]);
    let through = nginx.base.clone();
    let client = std::thread::spawn(move || {
        create_keyed(
            &through,
            "create-once-after-a-kill",
            Duration::from_secs(90),
        )
    });

    let id = wait_for_first_step(&second.base);
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    let (status, created) = client
        .join()
        .expect("the client")
        .expect("nginx answered the creation");
    assert!(
        nginx.error_log().contains("upstream prematurely closed"),
        "nginx did not send the creation again after the kill: {}",
        nginx.error_log()
    );
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["workflow_id"], id.as_str(), "{created}");
    let all = workflows(&second.base);
    assert_eq!(
        all.len(),
        1,
        "one creation made {} workflows: {all:?}",
        all.len()
    );

    let want = words_of_an_uninterrupted_creation(&second.base);
    wait_finished_and_explained(&second.base, &id, want);
}

/// PostgreSQL stops while a creation is between its first step and that step's
/// words. The answer is a 503 that does not say nothing changed (the workflow
/// is recorded); the client's retry with the same `Idempotency-Key`, once the
/// database is back, answers 201 with the same workflow and makes no second one.
#[test]
fn postgres_stopped_mid_creation_then_a_retry_with_the_same_key_makes_one_workflow() {
    let cluster = Cluster::start();
    let model = SilentModel::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = quick_sweep_config(dir.path());
    let slow = Instance::start_with(
        &cluster.url,
        &Setup {
            env: model.env(3),
            config: Some(&config),
        },
    );
    let other = Instance::start_with(
        &cluster.url,
        &Setup {
            config: Some(&config),
            ..Setup::default()
        },
    );
    const KEY: &str = "create-once-across-an-outage";
    let to = slow.base.clone();
    let client = std::thread::spawn(move || create_keyed(&to, KEY, Duration::from_secs(60)));
    let id = wait_for_first_step(&slow.base);
    cluster.run("pause");
    let (status, first_answer) = client
        .join()
        .expect("the client")
        .expect("the instance answered");
    cluster.run("resume");
    assert_eq!(status, 503, "{first_answer}");
    let said = first_answer["error"].as_str().unwrap_or_default();
    assert!(
        !said.contains("nothing was changed"),
        "the creation was recorded, yet the answer says: {said}"
    );

    // The client sends it again, with the same key, to whichever instance.
    let started = Instant::now();
    let (status, answer) = loop {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the retry never succeeded"
        );
        match create_keyed(&other.base, KEY, Duration::from_secs(30)) {
            Some((status, answer)) if status < 500 => break (status, answer),
            _ => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["workflow_id"], id.as_str(), "{answer}");
    let all = workflows(&other.base);
    assert_eq!(
        all.len(),
        1,
        "a retried creation made {} workflows: {all:?}",
        all.len()
    );

    let want = words_of_an_uninterrupted_creation(&other.base);
    wait_finished_and_explained(&other.base, &id, want);
}

/// PostgreSQL stops while an approval, then a week's upload, is between its own
/// commit and the words of the steps it sets off (its instance waits on a silent
/// model). Each answer is a 503 saying the request was recorded, not that
/// nothing changed; the client's retry with the same `Idempotency-Key`, through
/// the other instance once the database is back, answers as the uninterrupted
/// request does, and the log holds the approval and the week once.
#[test]
fn postgres_stopped_mid_approval_and_mid_upload_then_retries_with_the_same_keys_apply_each_once() {
    let cluster = Cluster::start();
    let model = SilentModel::start();
    let slow = Instance::start_with(
        &cluster.url,
        &Setup {
            env: model.env(3),
            config: None,
        },
    );
    let other = Instance::start(&cluster.url);
    let quiet = Balancer::new(vec![other.base.clone()]);
    let approval = |id: &str| format!("/api/workflows/{id}/approvals/manufacturing-1");
    let accept = || ("application/json", json!({"action": "accept"}).to_string());
    let actuals = |id: &str| format!("/api/workflows/{id}/actuals?week=1");
    let week_1 = || ("text/csv", week_csv("normal_season", 1).to_string());

    // The same season uninterrupted, through the other instance (offline words).
    let reference = create(&quiet);
    let (status, approved) = quiet.call("POST", &approval(&reference), Some(accept()));
    assert_eq!(status, 200, "{approved}");
    let (status, recorded) = quiet.call("POST", &actuals(&reference), Some(week_1()));
    assert_eq!(status, 200, "{recorded}");
    let types = event_types(&other.base, &reference);
    assert!(
        words_follow(&types, "approval_resolved") && words_follow(&types, "week_recorded"),
        "nothing is explained after the approval or the week, so no fault can fall there: {types:?}"
    );

    let id = create(&quiet);
    for (what, path, body, key, kind) in [
        (
            "the approval",
            approval(&id),
            accept(),
            "approve-across-an-outage",
            "approval_resolved",
        ),
        (
            "week 1",
            actuals(&id),
            week_1(),
            "week-1-across-an-outage",
            "week_recorded",
        ),
    ] {
        let (to, sent, sent_body) = (slow.base.clone(), path.clone(), body.clone());
        let first = std::thread::spawn(move || {
            post_keyed(&to, &sent, key, sent_body, Duration::from_secs(60))
        });
        wait_until(&format!("{what} recorded"), Duration::from_secs(20), || {
            logged(&other.base, &id, kind) == 1
        });
        cluster.run("pause");
        let (status, answer) = first
            .join()
            .expect("the client")
            .expect("the instance answered");
        cluster.run("resume");
        assert_recorded_not_finished(what, status, &answer);

        let (status, answer) = retry_keyed(&other.base, &path, key, body);
        assert_eq!(status, 200, "{what}, sent again: {answer}");
        assert_eq!(logged(&other.base, &id, kind), 1, "{what} applied twice");
        match kind {
            "approval_resolved" => assert_eq!(answer["state"], approved["state"], "{answer}"),
            _ => assert_eq!(answer, recorded, "week 1 answered otherwise"),
        }
    }
    let numbers: Vec<u64> = events(&quiet, &id)
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
    let logs = slow.log.lock().map(|l| l.join("\n")).unwrap_or_default();
    assert!(!logs.contains("panicked"), "{logs}");
}

/// An instance dies between a step's commit and the step's words, and no
/// client writes to the workflow again: another instance's sweep finds it left
/// in a running state with words owed, writes the words and carries it on to
/// its next wait, as the uninterrupted creation went.
#[test]
fn an_instance_killed_mid_step_is_finished_by_the_sweeper() {
    let cluster = Cluster::start();
    let model = SilentModel::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = quick_sweep_config(dir.path());
    let mut dying = Instance::start_with(
        &cluster.url,
        &Setup {
            env: model.env(60),
            config: Some(&config),
        },
    );
    let sweeper = Instance::start_with(
        &cluster.url,
        &Setup {
            config: Some(&config),
            ..Setup::default()
        },
    );
    let to = dying.base.clone();
    // Its answer is lost with the instance; the client never sends it again.
    let client =
        std::thread::spawn(move || create_keyed(&to, "never-retried", Duration::from_secs(90)));
    let id = wait_for_first_step(&sweeper.base);
    dying.child.kill().expect("SIGKILL");
    dying.child.wait().expect("reaped");
    assert!(
        client.join().expect("the client").is_none(),
        "the killed instance answered"
    );
    let want = words_of_an_uninterrupted_creation(&sweeper.base);
    wait_finished_and_explained(&sweeper.base, &id, want);
    let logs = sweeper.log.lock().map(|l| l.join("\n")).unwrap_or_default();
    assert!(!logs.contains("panicked"), "{logs}");
}

/// A start with a wrong password (in the URL, or in `PGPASSWORD`) fails naming
/// the cause, `authentication failed for user "atelier"`, and prints neither
/// password; the right one in `PGPASSWORD` starts.
#[test]
fn a_start_with_a_wrong_password_names_the_cause_and_prints_no_password() {
    let cluster = Cluster::start();
    cluster.run_with("password-role", &["atelier", "right-pw-5150"]);
    let port = cluster
        .url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .expect("the cluster's port")
        .to_string();
    let failed_start = |url: &str, pgpassword: Option<&str>, secret: &str| {
        let mut setup = Setup::default();
        if let Some(p) = pgpassword {
            setup.env.push(("PGPASSWORD", p.to_string()));
        }
        let out = serve_command(url, &setup)
            .output()
            .expect("atelier serve runs");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.status.success(),
            "started with a wrong password: {printed}"
        );
        assert!(
            printed.contains("authentication failed for user \"atelier\""),
            "the cause is not named: {printed}"
        );
        assert!(
            !printed.contains(secret),
            "the password was printed: {printed}"
        );
        assert!(!printed.contains("right-pw-5150"), "{printed}");
    };
    failed_start(
        &format!("postgres://atelier:wrong-pw-1234@127.0.0.1:{port}/postgres"),
        None,
        "wrong-pw-1234",
    );
    failed_start(
        &format!("postgres://atelier@127.0.0.1:{port}/postgres"),
        Some("wrong-pw-5678"),
        "wrong-pw-5678",
    );
    // The same start with the right password listens: the failure was the password.
    let started = Instance::start_with(
        &format!("postgres://atelier@127.0.0.1:{port}/postgres"),
        &Setup {
            env: vec![("PGPASSWORD", "right-pw-5150".into())],
            config: None,
        },
    );
    assert!(
        started.base.starts_with("http://127.0.0.1:"),
        "{}",
        started.base
    );
}

/// The rate limits that hold for the whole service are the proxy's
/// (docs/deploy.md, "Rate limits across instances"): with the instances' own
/// per-address limits off, as the document says behind a proxy, one address
/// sending as fast as it can through nginx gets at most the documented burst
/// plus rate across both instances together, and every refusal is a 429 in the
/// servers' JSON shape with `Retry-After`.
#[test]
fn the_proxy_holds_the_rate_limits_for_all_instances_together() {
    const CLIENTS: usize = 16;
    const EACH: usize = 200;
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("atelier.json");
    std::fs::write(&config, r#"{"rate_limits": {"per_address_per_sec": 0}}"#).expect("config");
    let setup = Setup {
        config: Some(&config),
        ..Setup::default()
    };
    let instances = [
        Instance::start_with(&cluster.url, &setup),
        Instance::start_with(&cluster.url, &setup),
    ];
    let nginx = Nginx::start(&instances.iter().map(|i| i.base.clone()).collect::<Vec<_>>());
    let url = format!("{}/api/session", nginx.base);
    let started = Instant::now();
    let answers: Vec<(u16, String, Option<String>)> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                s.spawn(|| {
                    let agent = agent(Duration::from_secs(20));
                    (0..EACH)
                        .map(|_| {
                            let mut r = agent.get(&url).call().expect("nginx answers");
                            let retry = r
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .map(String::from);
                            let status = r.status().as_u16();
                            (
                                status,
                                r.body_mut().read_to_string().unwrap_or_default(),
                                retry,
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        clients
            .into_iter()
            .flat_map(|c| c.join().expect("a client"))
            .collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let accepted = answers.iter().filter(|(s, _, _)| *s == 200).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s != 200).collect();
    // The documented zone: 200/s per address, bursts of 400.
    let allowed = 400.0 + 200.0 * secs + 1.0;
    assert!(
        ((CLIENTS * EACH) as f64) > allowed * 1.2,
        "the requests came too slowly ({secs:.1} s) to reach the limit"
    );
    assert!(
        (accepted as f64) <= allowed,
        "{accepted} requests accepted in {secs:.2} s through two instances; the proxy allows {allowed:.0}"
    );
    for (status, body, retry) in &refused {
        assert_eq!(*status, 429, "{body}");
        let json: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert!(
            json["error"]
                .as_str()
                .is_some_and(|e| e.contains("too many requests")),
            "{body}"
        );
        assert_eq!(retry.as_deref(), Some("1"), "{body}");
    }
    eprintln!(
        "{} requests in {secs:.2} s from one address: {accepted} accepted, {} refused by the proxy",
        CLIENTS * EACH,
        refused.len()
    );
}

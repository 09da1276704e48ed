//! `atelier serve`: the REST API and live WebSocket stream over the event store
//! (see the `atelier-server` crate). This module only reads flags and
//! configuration (the model from `ATELIER_LLM_*`, as the other subcommands), builds
//! the runtime, and waits for SIGINT/SIGTERM.

use anyhow::{Context, Result};
use atelier_server::{AppState, ServerConfig};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Flags of `atelier serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Without tokens only a loopback address is allowed.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Event store (SQLite file). Default: $ATELIER_DB or ./atelier.db.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Config file (JSON): {"tokens":[{"name","role","token_sha256"}],
    /// "max_body_bytes": N, "limits": {...}, "rate_limits": {...}} (docs/api.md).
    /// Plain tokens may also come from ATELIER_TOKENS="name:role:token,..." (for
    /// development).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Log lines as text (default) or as JSON objects, one per line. The level
    /// comes from RUST_LOG (default `info`).
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
}

/// How log lines are written.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Installs the log subscriber: level from RUST_LOG (default `info`), to stderr.
fn init_logs(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// `atelier serve`.
pub fn run(args: &ServeArgs) -> Result<()> {
    init_logs(args.log_format);
    let db = args
        .db
        .clone()
        .or_else(|| std::env::var_os("ATELIER_DB").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("atelier.db"));
    let mut config = ServerConfig::new(db);
    if let Some(file) = &args.config {
        config.apply_file(file)?;
    }
    if let Ok(tokens) = std::env::var("ATELIER_TOKENS") {
        config.apply_env_tokens(&tokens)?;
        if !tokens.trim().is_empty() {
            tracing::warn!(
                "ATELIER_TOKENS holds plain tokens: fine for development; in production list their SHA-256 in the config file (token_sha256)"
            );
        }
    }
    config.check_bind(&args.addr)?;
    // The same choice as every other subcommand: the model when ATELIER_LLM_*
    // configures one (explanations, POST /api/parameters/extract), else offline.
    config.llm = atelier_llm::LlmConfig::from_env();
    match &config.llm {
        Some(llm) => tracing::info!(
            "explanations and parameter extraction use the model {} at {}",
            llm.model,
            llm.base_url
        ),
        None => tracing::info!(
            "no model configured (ATELIER_LLM_*); explanations and parameter extraction are offline"
        ),
    }
    if config.is_open() {
        tracing::warn!(
            "warning: no access tokens configured; the server is open to anyone on this machine and listens on loopback only"
        );
    }
    let grace = config.shutdown_grace;
    // The port first: a start that cannot listen (the port is taken) leaves
    // nothing behind, no new database and no data set folder. Bound here, outside
    // the async runtime: opening a PostgreSQL store blocks on a runtime of the
    // driver's own, which may not run inside another.
    let listener = std::net::TcpListener::bind(args.addr)
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    listener
        .set_nonblocking(true)
        .context("cannot set the listener non-blocking")?;
    let state = AppState::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let banner = format!(
            "atelier serving on http://{} (OpenAPI at /api/openapi.json)",
            listener.local_addr()?
        );
        match args.log_format {
            // The line scripts wait for, as it always was.
            LogFormat::Text => eprintln!("{banner}"),
            LogFormat::Json => tracing::info!("{banner}"),
        }
        // Returns once requests in flight are done, or after `grace` at most: a
        // client holding a connection open cannot keep the process alive.
        atelier_server::serve(listener, state, shutdown_signal(grace)).await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal(grace: std::time::Duration) {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!(
        "shutting down (finishing in-flight requests, for at most {} s)",
        grace.as_secs()
    );
}

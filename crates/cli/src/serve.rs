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
    /// Config file (JSON): {"tokens":[{"name","token","role"}], "max_body_bytes": N}.
    /// Tokens may also come from ATELIER_TOKENS="name:role:token,...".
    #[arg(long)]
    config: Option<PathBuf>,
}

/// `atelier serve`.
pub fn run(args: &ServeArgs) -> Result<()> {
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
    }
    config.check_bind(&args.addr)?;
    // The same choice as every other subcommand: the model when ATELIER_LLM_*
    // configures one (explanations, POST /api/parameters/extract), else offline.
    config.llm = atelier_llm::LlmConfig::from_env();
    match &config.llm {
        Some(llm) => eprintln!(
            "atelier: explanations and parameter extraction use the model {} at {}",
            llm.model, llm.base_url
        ),
        None => eprintln!(
            "atelier: no model configured (ATELIER_LLM_*); explanations and parameter extraction are offline"
        ),
    }
    if config.is_open() {
        eprintln!(
            "warning: no access tokens configured; the server is open to anyone on this machine and listens on loopback only"
        );
    }
    let grace = config.shutdown_grace;
    let state = AppState::open(config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        eprintln!(
            "atelier serving on http://{} (OpenAPI at /api/openapi.json)",
            listener.local_addr()?
        );
        // Returns once requests in flight are done, or after `grace` at most: a
        // client holding a connection open cannot keep the process alive.
        atelier_server::serve(listener, state, shutdown_signal(grace)).await?;
        eprintln!("atelier: stopped");
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
    eprintln!(
        "atelier: shutting down (finishing in-flight requests, for at most {} s)",
        grace.as_secs()
    );
}

//! A server on a background thread with its own runtime, for tests and benchmarks
//! that drive it with blocking clients (one place, used by this crate's and the
//! CLI's integration tests).

use crate::config::ServerConfig;
use crate::state::{AppState, StartError};
use std::net::SocketAddr;
use std::thread::JoinHandle;

/// A running server; dropping it shuts it down gracefully and waits.
pub struct BackgroundServer {
    /// Where it listens (port chosen by the OS).
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundServer {
    /// Opens the state and serves it on `127.0.0.1:0`.
    pub fn start(config: ServerConfig) -> Result<BackgroundServer, StartError> {
        Self::start_state(AppState::open(config)?)
    }

    /// Serves an opened state on `127.0.0.1:0`.
    pub fn start_state(state: AppState) -> Result<BackgroundServer, StartError> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            runtime.block_on(async move {
                let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let addr = listener.local_addr().map_err(|e| e.to_string());
                let _ = ready_tx.send(addr);
                let shutdown = async {
                    let _ = stopped.await;
                };
                if let Err(e) = crate::serve(listener, state, shutdown).await {
                    tracing::error!("server stopped: {e}");
                }
            });
        });
        let addr = ready_rx
            .recv()
            .map_err(|e| e.to_string())
            .and_then(|r| r)
            .map_err(StartError::Listen)?;
        Ok(BackgroundServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://addr`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

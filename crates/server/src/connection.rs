//! One client connection: HTTP/1.1 (with upgrades, for the stream) under the
//! header read timeout, the peer's address put in every request's extensions,
//! and a graceful close when the server stops.

use crate::config::Limits;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tower::ServiceExt;

/// Read buffer above the request line and header limits that the router checks
/// (which answer 414 and 431 in JSON); past it hyper refuses on its own.
const READ_BUFFER_SLACK: usize = 16 * 1024;

/// Serves `tcp` until the client leaves, a timeout closes it, or `stopping`
/// turns true (then the request in flight is finished first). `permit` is the
/// connection's place under the cap, given back when this returns.
pub async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
    permit: OwnedSemaphorePermit,
) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        router.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(
            (limits.max_uri_bytes + limits.max_header_bytes + READ_BUFFER_SLACK).max(8192),
        );
    let connection = builder
        .serve_connection(TokioIo::new(tcp), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, "connection closed: {e}");
            }
        }
        _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
    drop(permit);
}

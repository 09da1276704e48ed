//! One client connection: HTTP/1.1 (with upgrades, for the stream) under the
//! header and idle timeouts, the peer's address put in every request's
//! extensions, and a graceful close when the server stops.
//!
//! The two timeouts are kept apart by watching the connection's bytes: a new
//! connection, and one whose next request has begun (a byte arrived after the
//! previous answer), has `header_read_timeout` to finish the request's head; a
//! keep-alive connection with nothing in flight may then wait `idle_timeout` for
//! the next request. While a request is served neither applies (the body has its
//! own timeout, a handler may take its time).

use crate::config::Limits;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// Read buffer above the request line and header limits that the router checks
/// (which answer 414 and 431 in JSON); past it hyper refuses on its own.
const READ_BUFFER_SLACK: usize = 16 * 1024;

/// Where a connection is between its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A request's head is expected: since the connection opened, or since the
    /// first byte after the previous answer.
    Head {
        /// When the head's time started.
        since: Instant,
    },
    /// A request is being served.
    Request,
    /// The previous answer is given; nothing has arrived since.
    Idle {
        /// The last byte sent or received.
        since: Instant,
    },
}

/// The connection's phase, shared by its bytes and its requests.
#[derive(Debug)]
struct Activity {
    phase: Mutex<Phase>,
    /// Woken when the phase changes (a deadline may have come closer).
    changed: Notify,
    header_timeout: Duration,
    idle_timeout: Duration,
}

impl Activity {
    fn new(limits: &Limits, now: Instant) -> Activity {
        Activity {
            phase: Mutex::new(Phase::Head { since: now }),
            changed: Notify::new(),
            header_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
        }
    }

    /// Changes the phase, waking the watch if it moved to another phase (within
    /// one phase a deadline only moves later, which the watch finds on waking).
    fn update(&self, change: impl FnOnce(&mut Phase)) {
        let moved = {
            let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
            let before = std::mem::discriminant(&*phase);
            change(&mut phase);
            before != std::mem::discriminant(&*phase)
        };
        if moved {
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: an idle connection starts its next request's head.
    fn received(&self, now: Instant) {
        self.update(|p| {
            if let Phase::Idle { .. } = p {
                *p = Phase::Head { since: now };
            }
        });
    }

    /// Bytes went out: an idle connection's wait starts again (a slow reader of a
    /// long answer is not idle).
    fn sent(&self, now: Instant) {
        self.update(|p| {
            if let Phase::Idle { since } = p {
                *since = now;
            }
        });
    }

    /// A request's head was read.
    fn request_started(&self) {
        self.update(|p| *p = Phase::Request);
    }

    /// Its answer is ready.
    fn answered(&self, now: Instant) {
        self.update(|p| *p = Phase::Idle { since: now });
    }

    /// When the connection is to be closed, if nothing happens before.
    fn deadline(&self) -> Option<Instant> {
        match *self.phase.lock().unwrap_or_else(PoisonError::into_inner) {
            Phase::Head { since } => Some(since + self.header_timeout),
            Phase::Idle { since } => Some(since + self.idle_timeout),
            Phase::Request => None,
        }
    }

    /// Completes when the deadline passes.
    async fn expired(&self) {
        loop {
            match self.deadline() {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// The TCP stream, telling the connection's [`Activity`] of every byte, and
/// giving hyper's own refusals the JSON body every other refusal has.
struct Watched {
    tcp: TcpStream,
    activity: Arc<Activity>,
    /// A refusal rewritten as JSON, still to be sent: (its bytes, how many are
    /// sent, how long hyper's original was).
    refusal: Option<(Vec<u8>, usize, usize)>,
}

impl Watched {
    /// Whether hyper is writing a response of its own: the connection expects a
    /// request's head (no request was handed to the router since the last
    /// answer), so an answer now is hyper refusing what it could not parse.
    fn refusing(&self) -> bool {
        matches!(
            *self
                .activity
                .phase
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            Phase::Head { .. }
        )
    }

    /// Sends the rewritten refusal; ready with the length of hyper's original
    /// once all of it is out.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let Some((bytes, sent, original)) = &mut self.refusal else {
                return Poll::Ready(Ok(0));
            };
            if *sent == bytes.len() {
                let original = *original;
                self.refusal = None;
                return Poll::Ready(Ok(original));
            }
            match Pin::new(&mut self.tcp).poll_write(cx, &bytes[*sent..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => *sent += n,
                other => return other,
            }
        }
    }
}

/// hyper's refusal `head` (`HTTP/1.1 400 Bad Request`, `content-length: 0`, no
/// body) with a JSON body saying what was refused; `None` for anything else.
/// hyper answers this way, before any route runs, a request its HTTP/1.1 parser
/// cannot read: a bad or repeated Content-Length, over 100 headers, bytes not
/// allowed in the request line or a header.
fn json_refusal(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line
        .strip_prefix("HTTP/1.1 ")?
        .get(..3)?
        .parse()
        .ok()?;
    let headers: Vec<&str> = lines.collect();
    let empty = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-length: 0"));
    let typed = headers
        .iter()
        .any(|h| h.to_ascii_lowercase().starts_with("content-type:"));
    if !(400..600).contains(&status) || !empty || typed || !rest.is_empty() {
        return None;
    }
    let error = match status {
        400 => {
            "the request is not valid HTTP/1.1: its request line, a header or its Content-Length could not be read (a Content-Length must be one number, given once; a path and header values may not hold control bytes or raw bytes above 0x7F)"
        }
        431 => "too many request headers (at most 100) or headers too large",
        414 => "the request's target is too long",
        505 => "only HTTP/1.1 (and 1.0) is served here",
        _ => "the request could not be read",
    };
    let body = serde_json::to_vec(&crate::error::ErrorBody {
        error: error.to_string(),
        field: None,
        line: None,
        fields: Vec::new(),
        missing_parameters: Vec::new(),
        partial: None,
        id: None,
    })
    .ok()?;
    let mut out = format!("{status_line}\r\n");
    for h in headers.iter().filter(|h| {
        let lower = h.to_ascii_lowercase();
        !lower.starts_with("content-length:") && !lower.starts_with("connection:")
    }) {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "connection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    Some(bytes)
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.received(Instant::now());
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.refusal.is_none()
            && self.refusing()
            && let Some(json) = json_refusal(data)
        {
            self.refusal = Some((json, 0, data.len()));
        }
        if self.refusal.is_some() {
            // hyper writes the same bytes again after a `Pending`.
            return self.poll_refusal(cx);
        }
        let result = Pin::new(&mut self.tcp).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.sent(Instant::now());
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.refusal.is_some() || self.refusing() {
            // A refusal is one short head: looked at (and sent) whole.
            let whole: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            return self.poll_write(cx, &whole);
        }
        let result = Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.sent(Instant::now());
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// A connection's place under the server's caps (the total, and its address's
/// share): held by the HTTP connection and, after an upgrade, by the WebSocket
/// that takes the socket over, so a stream counts as the connection it is. The
/// place is given back when the last holder drops it.
#[derive(Clone)]
pub struct ConnectionSlot {
    _held: Arc<SlotInner>,
}

struct SlotInner {
    _permit: OwnedSemaphorePermit,
    addr: std::net::IpAddr,
    per_address: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
}

impl Drop for SlotInner {
    fn drop(&mut self) {
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.addr) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.addr);
            }
        }
    }
}

/// The connections open now, in all and per address.
pub struct ConnectionCaps {
    permits: Arc<tokio::sync::Semaphore>,
    per_address: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    max_per_address: usize,
    exempt: Vec<crate::config::ProxyNet>,
}

/// Why a connection was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server's cap on connections is reached.
    Total,
    /// The address's share is reached.
    PerAddress,
}

impl ConnectionCaps {
    /// `max_total` connections at once, `max_per_address` of them from one
    /// address (0: no per-address cap) except from `exempt` (trusted proxies,
    /// through which every client comes).
    pub fn new(
        max_total: usize,
        max_per_address: usize,
        exempt: Vec<crate::config::ProxyNet>,
    ) -> Self {
        ConnectionCaps {
            permits: Arc::new(tokio::sync::Semaphore::new(max_total.max(1))),
            per_address: Arc::default(),
            max_per_address,
            exempt,
        }
    }

    /// A place for a connection from `addr`, or why not.
    pub fn admit(&self, addr: std::net::IpAddr) -> Result<ConnectionSlot, Refusal> {
        let permit = self
            .permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Total)?;
        let mut counts = self
            .per_address
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(addr).or_default();
        let capped = self.max_per_address > 0 && !self.exempt.iter().any(|net| net.contains(addr));
        if capped && *n >= self.max_per_address {
            return Err(Refusal::PerAddress);
        }
        *n += 1;
        drop(counts);
        Ok(ConnectionSlot {
            _held: Arc::new(SlotInner {
                _permit: permit,
                addr,
                per_address: self.per_address.clone(),
            }),
        })
    }
}

/// Serves `tcp` until the client leaves, a timeout closes it, or `stopping`
/// turns true (then the request in flight is finished first). `slot` is the
/// connection's place under the caps; each request carries a copy, which an
/// upgraded stream keeps for as long as it lives.
pub async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
    slot: ConnectionSlot,
) {
    let activity = Arc::new(Activity::new(&limits, Instant::now()));
    let requests = activity.clone();
    let request_slot = slot.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(request_slot.clone());
        requests.request_started();
        let answer = router.clone().oneshot(req);
        let activity = requests.clone();
        async move {
            let response = answer.await;
            activity.answered(Instant::now());
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // hyper counts this from the end of the previous answer; the watch above
        // applies the header and idle timeouts apart, this is only a backstop.
        .header_read_timeout(limits.header_read_timeout + limits.idle_timeout)
        .max_buf_size(
            (limits.max_uri_bytes + limits.max_header_bytes + READ_BUFFER_SLACK).max(8192),
        );
    let io = Watched {
        tcp,
        activity: activity.clone(),
        refusal: None,
    };
    let connection = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, "connection closed: {e}");
            }
        }
        () = activity.expired() => {
            tracing::debug!(%peer, "connection closed: header or idle timeout");
        }
        _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
    drop(slot);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(now: Instant) -> Activity {
        let limits = Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ..Limits::default()
        };
        Activity::new(&limits, now)
    }

    #[test]
    fn a_new_connection_has_the_header_timeout_and_an_idle_one_the_idle_timeout() {
        let t0 = Instant::now();
        let a = activity(t0);
        assert_eq!(a.deadline(), Some(t0 + Duration::from_secs(10)));
        a.received(t0 + Duration::from_secs(1));
        // Bytes of the head do not extend it.
        assert_eq!(a.deadline(), Some(t0 + Duration::from_secs(10)));
        a.request_started();
        assert_eq!(a.deadline(), None, "a request in flight has no deadline");
        let t1 = t0 + Duration::from_secs(30);
        a.answered(t1);
        assert_eq!(a.deadline(), Some(t1 + Duration::from_secs(60)));
        let t2 = t1 + Duration::from_secs(5);
        a.sent(t2);
        assert_eq!(a.deadline(), Some(t2 + Duration::from_secs(60)));
        // The next request's first byte starts its header time.
        let t3 = t2 + Duration::from_secs(50);
        a.received(t3);
        assert_eq!(a.deadline(), Some(t3 + Duration::from_secs(10)));
        // Sending while a head is expected does not extend it.
        a.sent(t3 + Duration::from_secs(3));
        assert_eq!(a.deadline(), Some(t3 + Duration::from_secs(10)));
    }
}

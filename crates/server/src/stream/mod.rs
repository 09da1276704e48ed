//! Live fan-out of a workflow's events to WebSocket clients.
//!
//! Design: the event store is the only queue. After every write the server
//! *publishes*: the workflow's [`Hub`] reads the new events from the store once,
//! encodes each once into its wire message, keeps the most recent ones in a ring,
//! and bumps a `tokio::sync::watch` to the new last number. A writer never waits for
//! a reader: `watch` keeps only the latest value. Each client task remembers the
//! last number it sent and, when woken, takes what follows from the ring (or, if it
//! is further behind than the ring reaches, from the store), so a reconnect with
//! `after=<last seen>` misses nothing and repeats nothing.
//!
//! A client that falls more than `max_backlog` live events behind, or whose send
//! blocks longer than `send_timeout`, is sent `{"type":"lagged","last_seq":N}` and
//! closed; it resumes with `after=N`.

use crate::config::StreamConfig;
use atelier_engine::store::{EventStore, StoreError};
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, close_code};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

mod message;
pub use message::{Encoder, message};

/// Events read from the store per page when catching up.
const PAGE: u64 = 256;

struct Ring {
    synced: bool,
    encoder: Encoder,
    entries: VecDeque<(u64, Utf8Bytes)>,
}

/// One workflow's fan-out point: the recent encoded events and the watch of the
/// last event number.
pub struct Hub {
    ring: Mutex<Ring>,
    tx: watch::Sender<u64>,
    capacity: usize,
    /// The last `status` message encoded, shared by the workflow's clients: fifty
    /// pages asking after one commit read and encode the resource once.
    status: Mutex<Option<EncodedStatus>>,
}

/// A `status` message as encoded at an event number, for a stream base.
struct EncodedStatus {
    last_event: u64,
    base: Option<String>,
    text: Utf8Bytes,
}

/// What a client can take next.
pub enum Next {
    /// These messages, in order (empty: caught up).
    Ready(Vec<(u64, Utf8Bytes)>),
    /// The ring no longer holds the next event: read it from the store.
    FromStore,
}

impl Hub {
    fn new(capacity: usize) -> Hub {
        Hub {
            ring: Mutex::new(Ring {
                synced: false,
                encoder: Encoder::default(),
                entries: VecDeque::new(),
            }),
            tx: watch::Sender::new(0),
            capacity: capacity.max(1),
            status: Mutex::new(None),
        }
    }

    /// The `status` message kept for `base` at the hub's last event, if any.
    pub fn status_at_last(&self, base: Option<&str>) -> Option<Utf8Bytes> {
        let last = self.last_seq();
        let kept = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref()
            .filter(|k| k.last_event == last && k.base.as_deref() == base)
            .map(|k| k.text.clone())
    }

    /// Keeps the `status` message encoded from the log up to `last_event`.
    pub fn keep_status(&self, last_event: u64, base: Option<String>, text: Utf8Bytes) {
        *self.status.lock().unwrap_or_else(PoisonError::into_inner) = Some(EncodedStatus {
            last_event,
            base,
            text,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads events appended since the last sync (blocking I/O) and wakes clients.
    /// Returns how many were new, and whether this was the hub's first sync.
    pub fn sync(
        &self,
        store: &dyn EventStore,
        workflow_id: &str,
    ) -> Result<(u64, bool), StoreError> {
        let mut ring = self.lock();
        let first = !ring.synced;
        let mut new = 0;
        loop {
            let after = ring.encoder.known;
            let events = match store.load(workflow_id, after, Some(PAGE)) {
                Ok(e) => e,
                Err(StoreError::UnknownWorkflow(_)) => Vec::new(),
                Err(e) => return Err(e),
            };
            let n = events.len() as u64;
            for e in &events {
                let text = ring.encoder.encode(e);
                ring.entries.push_back((e.seq, text));
                if ring.entries.len() > self.capacity {
                    ring.entries.pop_front();
                }
            }
            new += n;
            if n < PAGE {
                break;
            }
        }
        ring.synced = true;
        let known = ring.encoder.known;
        self.tx.send_if_modified(|v| {
            let changed = *v != known;
            *v = known;
            changed
        });
        Ok((new, first))
    }

    /// The number of the last event read from the store (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.lock().encoder.known
    }

    /// Whether the hub has read the store at least once.
    pub fn is_synced(&self) -> bool {
        self.lock().synced
    }

    /// Up to `max` messages after `last_sent`.
    pub fn next_after(&self, last_sent: u64, max: usize) -> Next {
        let ring = self.lock();
        if last_sent >= ring.encoder.known {
            return Next::Ready(Vec::new());
        }
        match ring.entries.front() {
            Some((first, _)) if *first <= last_sent + 1 => {
                let skip = (last_sent + 1 - first) as usize;
                Next::Ready(ring.entries.iter().skip(skip).take(max).cloned().collect())
            }
            _ => Next::FromStore,
        }
    }

    /// A receiver woken whenever the last event number moves.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }
}

/// Every workflow's hub, created on first use.
pub struct Hubs {
    map: Mutex<HashMap<String, Arc<Hub>>>,
    capacity: usize,
}

impl Hubs {
    /// Hubs whose rings keep `capacity` events each.
    pub fn new(capacity: usize) -> Hubs {
        Hubs {
            map: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The hubs that have connected clients, with their workflow ids.
    pub fn watched(&self) -> Vec<(String, Arc<Hub>)> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, hub)| hub.tx.receiver_count() > 0)
            .map(|(id, hub)| (id.clone(), hub.clone()))
            .collect()
    }

    /// The workflow's hub if a client is connected to it (another server's
    /// append matters only then).
    pub fn watched_hub(&self, workflow_id: &str) -> Option<Arc<Hub>> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(workflow_id)
            .filter(|hub| hub.tx.receiver_count() > 0)
            .cloned()
    }

    /// Drops the workflow's hub unless a client is connected to it (for ids that
    /// turned out to name no workflow).
    pub fn remove_unwatched(&self, workflow_id: &str) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map
            .get(workflow_id)
            .is_some_and(|hub| hub.tx.receiver_count() == 0)
        {
            map.remove(workflow_id);
        }
    }

    /// Number of hubs kept.
    pub fn count(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The workflow's hub.
    pub fn hub(&self, workflow_id: &str) -> Arc<Hub> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(workflow_id.to_string())
            .or_insert_with(|| Arc::new(Hub::new(self.capacity)))
            .clone()
    }
}

/// Reads a page of the log from the start of the client's own encoder (the ring
/// does not reach back far enough), for clients resuming far behind.
pub fn store_page(
    store: &dyn EventStore,
    workflow_id: &str,
    encoder: &mut Encoder,
    last_sent: u64,
) -> Result<Vec<(u64, Utf8Bytes)>, StoreError> {
    let mut out = Vec::new();
    while out.is_empty() {
        let events = store.load(workflow_id, encoder.known, Some(PAGE))?;
        if events.is_empty() {
            break;
        }
        for e in &events {
            let text = encoder.encode(e);
            if e.seq > last_sent {
                out.push((e.seq, text));
            }
        }
    }
    Ok(out)
}

/// Largest message a stream client may send (bytes). Clients need send nothing
/// but pongs and a close; a bigger message is answered with a close frame, code
/// 1009 (message too big) and a reason naming this limit.
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 4 * 1024;

/// Largest frame or message the WebSocket layer buffers at all (bytes), far below
/// axum's defaults (16 MiB frames, 64 MiB messages). Up to it, a message over
/// [`MAX_CLIENT_MESSAGE_BYTES`] is read whole and refused with a close handshake;
/// past it the frame is refused from its header, with the same close frame, but
/// its unread bytes may make the client's system drop that frame on its side.
pub const MAX_CLIENT_FRAME_BYTES: usize = 64 * 1024;

/// How long a refused client has to answer the server's close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How a client's session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The client closed or went away.
    ClientGone,
    /// The client sent a message over the limit, or one the protocol refuses, and
    /// was closed with a close frame saying so.
    Refused,
    /// The client fell behind and was told so.
    Lagged,
    /// The server is shutting down.
    Shutdown,
}

/// Whether a live client is too far behind: more unsent events than allowed.
pub fn is_lagging(latest: u64, last_sent: u64, max_backlog: u64) -> bool {
    latest.saturating_sub(last_sent) > max_backlog
}

/// Reads the workflow's resource for a `status` message, encoded: the stream
/// sends it after the events it follows, so a page need not ask for it after
/// each commit. `None` when it cannot be read now (the next commit tries again).
pub type StatusSource =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<Utf8Bytes>> + Send>> + Send + Sync>;

/// What a client asked for: where to start, whether events come in batches, and
/// whether the workflow's resource follows them.
pub struct Delivery {
    /// Send events numbered above this.
    pub after: u64,
    /// The events ready at once go as one message, a JSON array: a browser with
    /// many pages open pays per message, not per event.
    pub batched: bool,
    /// Once caught up (on connecting and after each commit's events), send the
    /// workflow's resource as read then.
    pub status: Option<StatusSource>,
}

/// The wire messages for `batch`: one per event, or, `batched`, one JSON array
/// of them all, in order, numbered by its last event. The events are encoded
/// once per workflow (the ring); an array only joins their texts.
pub fn frames(batch: Vec<(u64, Utf8Bytes)>, batched: bool) -> Vec<(u64, Utf8Bytes)> {
    if !batched || batch.is_empty() {
        return batch;
    }
    let last = batch[batch.len() - 1].0;
    let mut text = String::with_capacity(batch.iter().map(|(_, t)| t.len() + 1).sum::<usize>() + 1);
    text.push('[');
    for (i, (_, event)) in batch.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(event.as_str());
    }
    text.push(']');
    vec![(last, Utf8Bytes::from(text))]
}

/// Serves one client: replay after `delivery.after`, then live events, pings,
/// lag handling.
pub async fn run_client(
    mut socket: WebSocket,
    store: Arc<dyn EventStore>,
    hub: Arc<Hub>,
    workflow_id: String,
    delivery: Delivery,
    config: StreamConfig,
    mut shutdown: watch::Receiver<bool>,
) -> Ending {
    let mut rx = hub.subscribe();
    let mut last_sent = delivery.after;
    // The event number the last `status` message followed (none sent yet).
    let mut status_after: Option<u64> = None;
    let mut own: Option<Encoder> = None;
    let mut live = false;
    let mut ping = tokio::time::interval(config.ping_interval);
    ping.tick().await;
    loop {
        // Send everything available now.
        loop {
            let latest = *rx.borrow_and_update();
            if live && is_lagging(latest, last_sent, config.max_backlog) {
                return lagged(&mut socket, &workflow_id, last_sent, &config).await;
            }
            let batch = match hub.next_after(last_sent, 64) {
                Next::Ready(batch) => batch,
                Next::FromStore => {
                    match from_store(&store, &workflow_id, &mut own, last_sent).await {
                        Ok(page) => page,
                        Err(read_failed) => {
                            if read_failed {
                                let _ = socket.send(Message::Close(None)).await;
                            }
                            return Ending::ClientGone;
                        }
                    }
                }
            };
            if batch.is_empty() {
                break;
            }
            for (seq, text) in frames(batch, delivery.batched) {
                match send_within(&mut socket, Message::Text(text), &config).await {
                    Sent::Done => last_sent = seq,
                    Sent::Gone => return Ending::ClientGone,
                    Sent::Slow => {
                        return lagged(&mut socket, &workflow_id, last_sent, &config).await;
                    }
                }
            }
        }
        if let Some(source) = &delivery.status
            && status_after != Some(last_sent)
            && let Some(text) = source().await
        {
            match send_within(&mut socket, Message::Text(text), &config).await {
                Sent::Done => status_after = Some(last_sent),
                Sent::Gone => return Ending::ClientGone,
                Sent::Slow => return lagged(&mut socket, &workflow_id, last_sent, &config).await,
            }
        }
        if !live {
            // Caught up: from here on, falling behind counts as lag.
            live = true;
            own = None;
        }
        tokio::select! {
            changed = rx.changed() => {
                if changed.is_err() {
                    return Ending::Shutdown;
                }
            }
            incoming = socket.recv() => {
                if let Some(ending) = heard(&mut socket, incoming, &config).await {
                    return ending;
                }
            }
            _ = ping.tick() => {
                let ping = Message::Ping(axum::body::Bytes::from_static(b"atelier"));
                match send_within(&mut socket, ping, &config).await {
                    Sent::Done => {}
                    Sent::Gone => return Ending::ClientGone,
                    Sent::Slow => return lagged(&mut socket, &workflow_id, last_sent, &config).await,
                }
            }
            () = async { let _ = shutdown.wait_for(|stop| *stop).await; } => {
                let _ = tokio::time::timeout(config.send_timeout, socket.send(Message::Close(None))).await;
                return Ending::Shutdown;
            }
        }
    }
}
/// What a client sent: a close ends the stream, an unreadable or oversized
/// message is refused and ends it; anything else is ignored (the stream only
/// speaks).
async fn heard(
    socket: &mut WebSocket,
    incoming: Option<Result<Message, axum::Error>>,
    config: &StreamConfig,
) -> Option<Ending> {
    match incoming {
        None | Some(Ok(Message::Close(_))) => Some(Ending::ClientGone),
        Some(Err(e)) => Some(refuse_unreadable(socket, e, config).await),
        Some(Ok(m)) if client_message_len(&m) > MAX_CLIENT_MESSAGE_BYTES => {
            Some(refuse_too_big(socket, client_message_len(&m), config).await)
        }
        Some(Ok(_)) => None,
    }
}

/// How a send within `send_timeout` went.
enum Sent {
    /// Sent.
    Done,
    /// The client is gone.
    Gone,
    /// It did not finish in time: the client lags.
    Slow,
}

async fn send_within(socket: &mut WebSocket, message: Message, config: &StreamConfig) -> Sent {
    match tokio::time::timeout(config.send_timeout, socket.send(message)).await {
        Ok(Ok(())) => Sent::Done,
        Ok(Err(_)) => Sent::Gone,
        Err(_) => Sent::Slow,
    }
}

/// The events after `last_sent` read from the store, for a client further behind
/// than the ring reaches, encoded by the client's own encoder (kept in `own`
/// between pages). `Err(true)`: the store could not be read (logged; the client is
/// closed); `Err(false)`: the reading task was lost.
async fn from_store(
    store: &Arc<dyn EventStore>,
    workflow_id: &str,
    own: &mut Option<Encoder>,
    last_sent: u64,
) -> Result<Vec<(u64, Utf8Bytes)>, bool> {
    let mut encoder = own.take().unwrap_or_default();
    let store = store.clone();
    let id = workflow_id.to_string();
    let page = tokio::task::spawn_blocking(move || {
        let page = store_page(store.as_ref(), &id, &mut encoder, last_sent);
        (page, encoder)
    })
    .await;
    match page {
        Ok((Ok(page), encoder)) => {
            *own = Some(encoder);
            Ok(page)
        }
        Ok((Err(e), _)) => {
            tracing::error!(workflow_id = %workflow_id, "stream: {e}");
            Err(true)
        }
        Err(_) => Err(false),
    }
}

/// The payload size of a message a client sent.
fn client_message_len(message: &Message) -> usize {
    match message {
        Message::Text(t) => t.len(),
        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
        Message::Close(_) => 0,
    }
}

/// Sends a close frame with `code` and `reason`, then reads (and drops) what the
/// client still sends until it answers with its own close or [`CLOSE_WAIT`]
/// passes: closing a socket with unread bytes would reset the connection, and the
/// client could lose the close frame.
async fn close_with(socket: &mut WebSocket, code: u16, reason: String, config: &StreamConfig) {
    let frame = axum::extract::ws::CloseFrame {
        code,
        reason: reason.into(),
    };
    let sent = tokio::time::timeout(
        config.send_timeout,
        socket.send(Message::Close(Some(frame))),
    );
    if !matches!(sent.await, Ok(Ok(()))) {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Closes a client whose message is over [`MAX_CLIENT_MESSAGE_BYTES`]: code 1009.
async fn refuse_too_big(socket: &mut WebSocket, len: usize, config: &StreamConfig) -> Ending {
    let reason =
        format!("message of {len} bytes is over the limit of {MAX_CLIENT_MESSAGE_BYTES} bytes");
    close_with(socket, close_code::SIZE, reason, config).await;
    Ending::Refused
}

/// Closes a client whose frame the WebSocket layer refused: 1009 for one over
/// [`MAX_CLIENT_FRAME_BYTES`], 1007 for text that is not UTF-8, 1002 for anything
/// else that breaks the protocol. A connection already gone just ends.
async fn refuse_unreadable(
    socket: &mut WebSocket,
    e: axum::Error,
    config: &StreamConfig,
) -> Ending {
    use tungstenite::error::{CapacityError, Error as WsError};
    let (code, reason) = match e.into_inner().downcast::<WsError>().map(|e| *e) {
        Ok(WsError::Capacity(CapacityError::MessageTooLong { size, .. })) => (
            close_code::SIZE,
            format!(
                "message of {size} bytes is over the limit of {MAX_CLIENT_MESSAGE_BYTES} bytes"
            ),
        ),
        Ok(WsError::Capacity(c)) => (
            close_code::SIZE,
            format!("{c}; the limit is {MAX_CLIENT_MESSAGE_BYTES} bytes"),
        ),
        Ok(WsError::Utf8(_)) => (close_code::INVALID, "text message is not UTF-8".to_string()),
        Ok(WsError::Protocol(p)) => (close_code::PROTOCOL, p.to_string()),
        _ => return Ending::ClientGone,
    };
    // The refused frame's bytes are still unread, so no reply is waited for.
    let frame = axum::extract::ws::CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        config.send_timeout,
        socket.send(Message::Close(Some(frame))),
    )
    .await;
    Ending::Refused
}

async fn lagged(
    socket: &mut WebSocket,
    workflow_id: &str,
    last_seq: u64,
    config: &StreamConfig,
) -> Ending {
    let text = json!({
        "type": "lagged",
        "workflow_id": workflow_id,
        "last_seq": last_seq,
        "message": format!("this client fell behind; reconnect with after={last_seq}"),
    })
    .to_string();
    let _ = tokio::time::timeout(config.send_timeout, async {
        let _ = socket.send(Message::Text(text.into())).await;
        let _ = socket.send(Message::Close(None)).await;
    })
    .await;
    Ending::Lagged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_one_json_array_of_the_events_numbered_by_the_last() {
        let batch = vec![
            (4, Utf8Bytes::from(r#"{"seq":4}"#)),
            (5, Utf8Bytes::from(r#"{"seq":5,"a":[1]}"#)),
        ];
        assert_eq!(frames(batch.clone(), false), batch);
        let joined = frames(batch, true);
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].0, 5);
        assert_eq!(joined[0].1.as_str(), r#"[{"seq":4},{"seq":5,"a":[1]}]"#);
        let one = frames(vec![(7, Utf8Bytes::from(r#"{"seq":7}"#))], true);
        assert_eq!(
            one[0].1.as_str(),
            r#"[{"seq":7}]"#,
            "one event is still an array"
        );
        assert!(frames(Vec::new(), true).is_empty());
    }

    #[test]
    fn lag_is_measured_in_unsent_events() {
        assert!(!is_lagging(10, 10, 0));
        assert!(!is_lagging(13, 10, 3));
        assert!(is_lagging(14, 10, 3));
        assert!(
            !is_lagging(5, 10, 3),
            "a client ahead of the hub is not behind"
        );
    }
}

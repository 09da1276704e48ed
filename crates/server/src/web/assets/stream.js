// A workflow's live event stream. It keeps the last event number received and, after
// any drop (network, server restart, a `lagged` notice), reconnects with
// `after=<that number>`: the server then sends exactly the events that follow, so
// nothing is missed and nothing repeated. The counters it keeps (received,
// duplicates, gaps, reconnects) are shown on the connection indicator so a test or a
// curious planner can check that promise.

import { streamUrl } from './api.js';

export class SeasonStream {
  /**
   * @param {string} id workflow id
   * @param {(msgs: object[]) => void} onMessages called with each batch, in order
   * @param {(status: string, stream: SeasonStream) => void} onStatus
   * @param {(workflow: object) => void} onResource the workflow's resource, sent
   *   after the events it follows
   */
  constructor(id, onMessages, onStatus, onResource = () => {}) {
    this.id = id;
    this.onMessages = onMessages;
    this.onStatus = onStatus;
    this.onResource = onResource;
    this.lastSeq = 0;
    this.received = 0;
    this.duplicates = 0;
    this.gaps = 0;
    this.reconnects = 0;
    this.status = 'connecting';
    this.ws = null;
    this.stopped = false;
    this.delay = 250;
    this.queue = [];
    this.flushing = false;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, 'page left');
    this.ws = null;
  }

  setStatus(status) {
    this.status = status;
    this.onStatus(status, this);
  }

  open() {
    if (this.stopped) return;
    this.setStatus(this.reconnects ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(streamUrl(this.id, this.lastSeq));
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 250;
      this.setStatus('live');
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.reconnects += 1;
      this.setStatus('offline');
      this.timer = setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 4000);
    };
  }

  receive(text) {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    // The stream is asked for batches (streamUrl): the events of a commit come
    // as one array, one message for the browser to hand over, not one each.
    for (const msg of Array.isArray(parsed) ? parsed : [parsed]) {
      if (!this.take(msg)) break;
    }
  }

  /** Takes one event in order; false when the connection is being dropped. */
  take(msg) {
    if (!msg || typeof msg !== 'object') return true;
    if (msg.type === 'status') {
      // The resource as read after the events before it (it has no seq). It
      // waits for the events queued before it, then goes in the same batch.
      const resource = msg.workflow;
      if (this.flushing) queueMicrotask(() => this.onResource(resource));
      else this.onResource(resource);
      return true;
    }
    if (msg.type === 'lagged') {
      // The server closes us next; we resume from what we really have.
      return true;
    }
    if (typeof msg.seq !== 'number') return true;
    if (msg.seq <= this.lastSeq) {
      this.duplicates += 1;
      return true;
    }
    if (msg.seq !== this.lastSeq + 1) {
      // Never expected: resume from what we have rather than show a hole.
      this.gaps += 1;
      if (this.ws) this.ws.close(4000, 'gap');
      return false;
    }
    this.lastSeq = msg.seq;
    this.received += 1;
    this.queue.push(msg);
    if (!this.flushing) {
      this.flushing = true;
      // Batch a burst (a replayed log) into one update; a live event alone is
      // handed over in the same task, so it reaches the timeline at once.
      queueMicrotask(() => {
        const batch = this.queue;
        this.queue = [];
        this.flushing = false;
        this.onMessages(batch);
      });
    }
    return true;
  }
}

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
   */
  constructor(id, onMessages, onStatus) {
    this.id = id;
    this.onMessages = onMessages;
    this.onStatus = onStatus;
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
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === 'lagged') {
      // The server closes us next; we resume from what we really have.
      return;
    }
    if (typeof msg.seq !== 'number') return;
    if (msg.seq <= this.lastSeq) {
      this.duplicates += 1;
      return;
    }
    if (msg.seq !== this.lastSeq + 1) {
      // Never expected: resume from what we have rather than show a hole.
      this.gaps += 1;
      if (this.ws) this.ws.close(4000, 'gap');
      return;
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
  }
}

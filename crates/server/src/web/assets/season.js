// A season, live: the header with its state and actions, the tabs (overview and
// charts, stores, weeks and uploads, report, parameters), and the timeline of agent
// activity fed by the WebSocket stream. The stream is folded into a SeasonModel;
// the workflow resource (GET /api/workflows/{id}) gives the authoritative state:
// read on opening and after the page's own actions, and sent by the stream after
// each commit's events (stream?status=true), so viewers make no request per week.

import { clearToast, downloadBlob, h, mount, toast } from './dom.js';
import * as api from './api.js';
import { SeasonStream } from './stream.js';
import { SeasonModel } from './model.js';
import { row } from './timeline.js';
import { renderOverview } from './overview.js';
import { renderStores } from './stores.js';
import { renderStore } from './store.js';
import { renderWeeks } from './uploads.js';
import { renderReport } from './report.js';
import { ApprovalDialog } from './approvals.js';
import { renderWhatIf } from './whatif.js';
import { day, fieldLabel, money, pct, stateLabel, units, words } from './format.js';

const TABS = [
  ['overview', 'Overview'],
  ['stores', 'Stores'],
  ['weeks', 'Weeks & uploads'],
  ['report', 'Report'],
  ['parameters', 'Parameters'],
  ['whatif', 'What-if'],
];

/**
 * How long the stream must be quiet before the tab panel is redrawn for what it
 * brought, and the longest a change waits while events keep coming (see
 * SeasonPage.panelSoon). A week played alone shows its rows and the header at
 * once and its charts 1.2 s after its last event; a season played at a week a
 * second redraws its charts every 4 s. The charts are the page's dearest frames:
 * with fifty dashboards on one machine, every redraw is paid fifty times
 * (scripts/fifty_dashboards.mjs).
 */
export const PANEL_QUIET_MS = 1200;
/** How long a stream message waits for the others of its burst before they are drawn. */
export const BATCH_MS = 40;
export const PANEL_MAX_WAIT_MS = 4000;
/** The longest the panel's first draw waits for the stream's replay. */
export const CATCH_UP_WAIT_MS = 2000;
/** How long a window's width must hold still before the panel is drawn for it. */
export const RESIZE_PAUSE_MS = 150;
/**
 * The tab panel's share of the page's time while events stream in: after a
 * redraw that took d ms, the next waits at least d × PANEL_DUTY_GAP. On a
 * machine with time to spare (a redraw of ~10 ms) that is nothing; on one
 * shared by many dashboards, where a redraw takes ten times longer because
 * every page wants the cores at once, the charts redraw less often and the
 * timeline rows (drawn in their own cheap frames) keep their place.
 */
export const PANEL_DUTY_GAP = 12;
/** The longest a due redraw waits for the page to be idle (requestIdleCallback). */
export const PANEL_IDLE_WAIT_MS = 500;

export class SeasonPage {
  constructor(main, ctx, id, tab, storeId) {
    this.main = main;
    this.ctx = ctx;
    this.id = id;
    this.tab = TABS.some(([k]) => k === tab) ? tab : 'overview';
    // A store's own page, inside the Stores tab (#/season/ID/stores/STORE).
    this.storeId = this.tab === 'stores' && storeId ? storeId : null;
    this.model = new SeasonModel();
    this.status = null;
    this.busy = false;
    this.dismissed = new Set();
    this.frame = 0;
    this.inbox = [];
    // What the panel shows depends on: messages folded, the resource, the tab,
    // the width and the busy flag. A frame with none of them changed keeps it.
    this.applied = 0;
    this.statusText = '';
    this.statusVersion = 0;
    this.head = h('div', { class: 'season-head' });
    this.tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Season views' });
    this.panel = h('div', { class: 'tab-panel', role: 'tabpanel', id: 'season-panel' });
    this.conn = h('span', { class: 'conn', 'data-testid': 'connection-status', 'data-state': 'connecting', role: 'status' }, 'connecting');
    // tabindex: a scrolling list must be reachable (and scrolled) by keyboard.
    this.timeline = h('ol', { class: 'timeline', 'data-testid': 'event-timeline', 'aria-label': 'Agent activity, newest first', tabindex: 0 });
    this.dialog = new ApprovalDialog(document.getElementById('approval'), ctx, this);
    mount(main,
      h('div', { class: 'season' },
        this.head,
        h('div', { class: 'season-body' },
          h('div', { class: 'season-main' }, this.tabs, this.panel),
          h('aside', { class: 'timeline-wrap', 'aria-labelledby': 'tl-title' },
            h('div', { class: 'timeline-head' }, h('h2', { id: 'tl-title' }, 'Agent activity'), this.conn),
            this.timeline))));
    this.drawTabs();
    this.onResize = () => {
      this.resized = true;
      this.schedule();
    };
    window.addEventListener('resize', this.onResize);
    // A press on the panel holds its redraws until the release: a button
    // replaced between the two loses the click (an answer arriving as the
    // planner clicks, say).
    this.panel.addEventListener('pointerdown', () => { this.pressing = true; });
    this.onRelease = () => {
      if (!this.pressing) return;
      this.pressing = false;
      if (this.heldRender) {
        this.heldRender = false;
        setTimeout(() => this.render(), 0);
      }
    };
    window.addEventListener('pointerup', this.onRelease, true);
    window.addEventListener('pointercancel', this.onRelease, true);
    // A page nobody can see (a tab behind another, a minimised window) keeps its
    // timeline but leaves its charts until it is seen again.
    this.onVisible = () => {
      if (document.visibilityState === 'visible' && this.panelStale) {
        this.panelStale = false;
        this.render();
      }
    };
    document.addEventListener('visibilitychange', this.onVisible);
    this.stream = new SeasonStream(id, (msgs) => this.receive(msgs), (st, s) => this.connection(st, s), (w) => this.resource(w));
    this.load();
  }

  async load() {
    // The stream and the resource are asked for at once: the first chart needs the
    // events, not the resource.
    this.stream.start();
    try {
      this.setStatus(await api.get(`/api/workflows/${encodeURIComponent(this.id)}`));
    } catch (e) {
      this.stream.stop();
      this.gone = true;
      mount(this.main, h('h1', {}, 'Season not found'), h('p', { class: 'field-error' }, e.message), h('a', { href: '#/' }, 'Back to the seasons'));
      return;
    }
    // Should the stream's first resource never come (a stream that cannot
    // connect), the panel is drawn from what there is.
    this.catchUpTimer = setTimeout(() => {
      if (this.caughtUp) return;
      this.caughtUp = true;
      this.schedule();
    }, CATCH_UP_WAIT_MS);
    this.schedule();
  }

  leave() {
    clearToast();
    this.stream.stop();
    this.dialog.close();
    window.removeEventListener('resize', this.onResize);
    window.removeEventListener('pointerup', this.onRelease, true);
    window.removeEventListener('pointercancel', this.onRelease, true);
    document.removeEventListener('visibilitychange', this.onVisible);
    if (this.panelIdle) cancelIdleCallback(this.panelIdle);
    clearTimeout(this.batchTimer);
    clearTimeout(this.widthTimer);
    clearTimeout(this.catchUpTimer);
    clearTimeout(this.panelTimer);
    cancelAnimationFrame(this.frame);
    this.gone = true;
  }

  connection(state, s) {
    const text = { connecting: 'connecting…', live: 'live', offline: 'offline, reconnecting…', reconnecting: 'reconnecting…' }[state] || state;
    this.conn.textContent = text;
    // lastSeq is what the page shows (set when a frame adds its rows), not what
    // the socket has received.
    Object.assign(this.conn.dataset, {
      state, duplicates: s.duplicates, gaps: s.gaps, reconnects: s.reconnects,
    });
    this.conn.title = `last event #${s.lastSeq}, ${s.reconnects} reconnections`;
  }

  /**
   * Messages from the stream wait for the next animation frame: however many
   * arrive before it (a burst, a replayed log, fifty events a second), they are
   * folded and added to the timeline in that frame. The tab panel (charts,
   * tables) is redrawn once the burst is over, and only when something it
   * shows changed (see render and panelSoon).
   */
  receive(msgs) {
    this.inbox.push(...msgs);
    // A week's events arrive as several messages over some tens of
    // milliseconds: they wait BATCH_MS for each other, then share one frame
    // (each frame has a cost of its own, paid by every page open).
    if (!this.batchTimer && !this.frame) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = 0;
        this.schedule();
      }, BATCH_MS);
    }
  }

  /**
   * The workflow's resource, sent by the stream after the events it follows:
   * drawn in the frame of those events' rows (or a frame of its own when they
   * were drawn already), no request per commit.
   */
  resource(workflow) {
    if (this.gone || !workflow || workflow.workflow_id !== this.id) return;
    // The first one follows the log's replay: the panel can be drawn whole.
    const first = !this.caughtUp;
    this.caughtUp = true;
    if ((this.setStatus(workflow) || first) && !this.batchTimer) this.schedule();
  }

  /** Folds the messages waiting for this frame and adds their timeline rows. */
  drain() {
    if (!this.inbox.length) return;
    const msgs = this.inbox;
    this.inbox = [];
    const rows = document.createDocumentFragment();
    for (const m of msgs) {
      if (this.model.apply(m)) this.applied += 1;
      rows.prepend(row(m));
      if (m.event === 'approval_resolved' || m.event === 'approval_expired') this.dialog.resolved(m);
    }
    this.timeline.prepend(rows);
    const last = msgs[msgs.length - 1];
    Object.assign(this.conn.dataset, { lastSeq: last.seq, received: this.stream.received });
  }

  /**
   * Keeps the workflow resource, counting a change only when its content
   * changed; whether it did.
   */
  setStatus(status) {
    const text = JSON.stringify(status);
    const changed = text !== this.statusText;
    if (changed) {
      this.statusText = text;
      this.statusVersion += 1;
    }
    this.status = status;
    return changed;
  }

  async refresh() {
    try {
      // An unchanged resource has nothing to draw: no frame.
      if (this.setStatus(await api.get(`/api/workflows/${encodeURIComponent(this.id)}`))) this.schedule();
    } catch {
      // The stream says what happened; the next event retries.
    }
  }

  schedule() {
    if (this.frame || this.gone) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.drain();
      this.render({ frame: true });
    });
  }

  /**
   * Follows a link inside the season (#/season/ID/TAB[/STORE]) without leaving
   * the page: the stream, the timeline and what the tabs hold stay. A store's
   * page takes focus on its title once its figures arrive.
   */
  navigate(tab, storeId) {
    const key = TABS.some(([k]) => k === tab) ? tab : 'overview';
    const store = key === 'stores' && storeId ? storeId : null;
    if (key === this.tab && store === this.storeId) return;
    this.tab = key;
    this.storeId = store;
    this.focusStore = Boolean(store);
    this.drawTabs();
    this.render();
    if (!store && key === 'stores') {
      const table = this.panel.querySelector('[data-testid=stores-table]');
      const back = this.store && this.panel.querySelector(`[data-store="${CSS.escape(this.store.id)}"] a`);
      (back || table || this.tabs.querySelector('[data-tab=stores]')).focus({ preventScroll: true });
    }
  }

  /**
   * Redraws the tab panel once the stream has been quiet for PANEL_QUIET_MS,
   * and at the latest PANEL_MAX_WAIT_MS after the first change waiting: a
   * burst of events (a week played, a replayed log) redraws the charts once,
   * after its rows are on screen, and the frames that add rows stay cheap
   * (fifty dashboards on one machine share its cores: scripts/fifty_dashboards.mjs).
   * A panel never drawn is drawn at once.
   */
  panelSoon() {
    const now = performance.now();
    if (!this.panelAt) {
      // Never drawn: at once, but from the whole log (the stream's first
      // resource follows its replay), not from the part of it arrived so far.
      if (this.caughtUp) this.render();
      return;
    }
    if (document.visibilityState === 'hidden') {
      // Drawn when the page is seen again (onVisible).
      this.panelStale = true;
      return;
    }
    if (!this.panelWanted) this.panelWanted = now;
    clearTimeout(this.panelTimer);
    // Quiet, at the latest the maximum wait, and never sooner than the last
    // redraw's cost allows (PANEL_DUTY_GAP).
    const paced = this.panelAt + (this.panelCost || 0) * PANEL_DUTY_GAP;
    const due = Math.max(paced, Math.min(now + PANEL_QUIET_MS, this.panelWanted + PANEL_MAX_WAIT_MS));
    this.panelTimer = setTimeout(() => {
      this.panelTimer = 0;
      // Then when the page has a moment: rows and input first.
      if (this.panelIdle) return;
      const draw = () => {
        this.panelIdle = 0;
        this.render();
      };
      this.panelIdle = typeof requestIdleCallback === 'function' ? requestIdleCallback(draw, { timeout: PANEL_IDLE_WAIT_MS }) : (draw(), 0);
    }, Math.max(0, due - now));
  }

  /** Shows tab `key` (and moves focus to it when `focus`). */
  selectTab(key, focus) {
    this.tab = key;
    this.storeId = null;
    history.replaceState(null, '', `#/season/${encodeURIComponent(this.id)}/${key}`);
    this.drawTabs();
    this.render();
    if (focus) this.tabs.querySelector(`[data-tab=${key}]`).focus();
  }

  /** The tab list: one tab stop (the selected tab); arrows, Home and End move. */
  drawTabs() {
    const keys = TABS.map(([k]) => k);
    const onkeydown = (e) => {
      const at = keys.indexOf(this.tab);
      const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: keys.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      this.selectTab(keys[(next + keys.length) % keys.length], true);
    };
    this.panel.setAttribute('aria-labelledby', `tab-${this.tab}`);
    mount(this.tabs, TABS.map(([key, label]) => h('button', {
      type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === this.tab), 'aria-controls': 'season-panel', 'data-tab': key,
      tabindex: key === this.tab ? 0 : -1,
      onclick: () => this.selectTab(key, false),
      onkeydown,
    }, label)));
    // On a phone the tab strip scrolls sideways: the selected tab is kept in view.
    const chosen = this.tabs.querySelector('[aria-selected="true"]');
    if (chosen) {
      const c = chosen.getBoundingClientRect();
      const t = this.tabs.getBoundingClientRect();
      if (c.right > t.right) this.tabs.scrollLeft += c.right - t.right + 8;
      else if (c.left < t.left) this.tabs.scrollLeft -= t.left - c.left + 8;
    }
  }

  /** Runs an action (a POST), keeping the buttons disabled meanwhile. */
  async act(label, fn) {
    if (this.busy) return;
    const opener = document.activeElement;
    this.busy = true;
    this.render();
    try {
      await fn();
    } catch (e) {
      toast(`${label}: ${e.message}`, 'error');
    } finally {
      this.busy = false;
      await this.refresh();
      this.render();
      this.refocus(opener);
    }
  }

  actions() {
    const st = this.status || {};
    const m = this.model;
    const out = [];
    const path = `/api/workflows/${encodeURIComponent(this.id)}`;
    const monitoring = st.state === 'phase_3_monitoring';
    if (this.ctx.can('plan') && monitoring && m.scenario) {
      out.push(h('button', { type: 'button', 'data-testid': 'play-week', disabled: this.busy, onclick: () => this.act('Play', () => api.post(`${path}/play?until_week=${st.next_week}`)) }, `Play week ${st.next_week}`));
      out.push(h('button', { type: 'button', 'data-testid': 'play-all', disabled: this.busy, onclick: () => this.act('Play', () => api.post(`${path}/play`)) }, 'Play to the end'));
    }
    if (this.ctx.can('plan') && monitoring && st.next_week > 1) {
      out.push(h('button', { type: 'button', 'data-testid': 'reforecast-open', disabled: this.busy, onclick: () => this.reforecast() }, 'Re-forecast…'));
    }
    if (this.ctx.can('plan') && st.state === 'error') {
      out.push(h('button', { type: 'button', class: 'primary', 'data-testid': 'resume', disabled: this.busy, onclick: () => this.act('Resume', () => api.post(`${path}/resume`)) }, 'Resume'));
    }
    if (st.state) {
      out.push(h('button', { type: 'button', 'data-testid': 'export-xlsx', onclick: () => this.act('Download', () => this.download('export.xlsx', `season-${this.id}.xlsx`)) }, 'Download workbook (xlsx)'));
    }
    if (this.ctx.can('approve') && st.pending_approval) {
      out.push(h('button', { type: 'button', class: 'primary', 'data-testid': 'review-approval', onclick: () => this.openApproval(true) }, 'Review the approval'));
    }
    return out;
  }

  /**
   * Downloads one of the season's exports (`export.xlsx`, `export/weeks`, ...)
   * with the signed-in token: a plain link could not carry it.
   */
  async download(path, name) {
    const t = api.token();
    const res = await fetch(`/api/workflows/${encodeURIComponent(this.id)}/${path}`, { headers: t ? { Authorization: `Bearer ${t}` } : {} });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    downloadBlob(name, await res.blob());
  }

  /** Asks why in a dialog of the page (recorded in the log), then re-forecasts. */
  reforecast() {
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'rf-title', 'data-testid': 'reforecast-dialog' });
    const reason = h('textarea', { id: 'rf-reason', rows: 3, maxlength: 500, required: true, 'data-testid': 'reforecast-reason' });
    const err = h('p', { class: 'field-error', role: 'alert', id: 'rf-error' });
    const opener = document.activeElement;
    const done = () => {
      dialog.close();
      dialog.remove();
      this.refocus(opener);
    };
    mount(dialog, h('form', { onsubmit: (e) => {
      e.preventDefault();
      const why = reason.value.trim();
      if (!why) {
        err.textContent = 'Say why: the reason is recorded in the season\'s log.';
        reason.setAttribute('aria-invalid', 'true');
        reason.focus();
        return;
      }
      done();
      this.act('Re-forecast', () => api.post(`/api/workflows/${encodeURIComponent(this.id)}/reforecast`, { reason: why }));
    } },
    h('h2', { id: 'rf-title' }, 'Re-forecast the remaining weeks'),
    h('label', { for: 'rf-reason' }, 'Why now? (recorded in the log)'),
    reason, err,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: done }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'reforecast-send' }, 'Re-forecast'))));
    reason.setAttribute('aria-describedby', 'rf-error');
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(); });
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  }

  /**
   * Puts focus back after an action or a dialog: on `el` if it is still on the page,
   * else on its stand-in after a re-render (same data-testid, data-tab or id), else on
   * the season's title, never on <body>.
   */
  refocus(el) {
    if (this.gone) return;
    if (el && el.isConnected && el !== document.body && !el.disabled) {
      el.focus({ preventScroll: true });
      return;
    }
    const key = el && el.dataset ? (el.dataset.testid ? `[data-testid="${el.dataset.testid}"]` : el.dataset.tab ? `[data-tab="${el.dataset.tab}"]` : el.id ? `#${CSS.escape(el.id)}` : null) : null;
    const twin = key ? this.main.querySelector(key) : null;
    if (twin && !twin.disabled) twin.focus({ preventScroll: true });
    else {
      const title = this.head.querySelector('h1');
      if (title) title.focus({ preventScroll: true });
    }
  }

  openApproval(force) {
    const pending = this.model.pending;
    if (!pending || !this.ctx.can('approve')) return;
    if (!force && this.dismissed.has(pending.id)) return;
    this.dialog.open(pending, this.model, this.id);
  }

  renderHead() {
    const st = this.status || {};
    const p = st.parameters || this.model.parameters || {};
    const horizon = p.forecast_horizon_weeks || 0;
    const played = (st.weeks || []).length;
    const dates = p.season_start_date ? `${day(p.season_start_date)} to ${day(p.season_end_date || '')}` : '';
    // The head is redrawn only where what it shows changes. Its title stays
    // the same element (focus often rests on it: a rebuilt title lost focus and
    // put it back, a forced layout in every frame), and its buttons are
    // replaced only when what they offer changes: a button replaced between a
    // press and its release loses the click (events stream in while a planner
    // reaches for "Play").
    if (!this.headParts) {
      const title = h('h1', { tabindex: -1, 'data-testid': 'season-title' });
      const facts = h('span', { class: 'title-facts' });
      const error = h('div');
      const buttons = h('div', { class: 'actions' });
      mount(this.head,
        h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Seasons'), ' / ', h('span', { class: 'mono' }, this.id)),
        h('div', { class: 'title-row' }, title, facts),
        error,
        buttons);
      this.headParts = { title, facts, error, buttons };
      // What each part was last drawn for (redrawPart).
      this.partShows = new Map();
    }
    const parts = this.headParts;
    const name = st.category || this.model.category || 'Season';
    if (parts.title.textContent !== name) parts.title.textContent = name;
    this.redrawPart(parts.facts, [st.state, played, horizon, st.progress, st.current_agent, dates], () => [
        dates ? h('span', { class: 'muted', 'data-testid': 'season-dates' }, dates) : null,
        h('span', { class: `badge state-${st.state}`, 'data-testid': 'season-state', 'data-state': st.state || '' }, stateLabel(st.state)),
        h('span', { class: 'muted' }, horizon ? `week ${played} of ${horizon}` : ''),
        h('progress', { max: 100, value: Math.round((st.progress || 0) * 100), 'aria-label': 'Season progress' }),
        h('span', { class: 'muted small' }, pct(st.progress || 0)),
        st.current_agent ? h('span', { class: 'badge' }, `${words(st.current_agent)} working`) : null]);
    this.redrawPart(parts.error, [st.error || ''], () => (st.error ? h('p', { class: 'field-error', role: 'alert' }, st.error) : null));
    this.redrawPart(parts.buttons, [st.state, st.next_week, this.busy, Boolean(st.pending_approval), this.model.scenario, this.ctx.can('plan'), this.ctx.can('approve')], () => this.actions());
  }

  /** Puts build()'s nodes in `slot` unless what they show (`shows`) is what it holds. */
  redrawPart(slot, shows, build) {
    const key = JSON.stringify(shows);
    if (this.partShows.get(slot) === key) return;
    this.partShows.set(slot, key);
    mount(slot, build());
  }

  /**
   * Draws the head and the tab panel. A call from an animation frame (`frame`)
   * leaves the panel as it is when nothing it shows has changed (no message
   * folded, the same resource, tab, width and busy flag): rebuilding it would
   * cost a frame and drop what the planner was doing in it (a half-typed value,
   * an open table view, the scroll of a table). When something changed, the
   * frame only asks for the panel (panelSoon): the frame that adds timeline rows
   * stays cheap, and a burst of events redraws the charts once. A direct call
   * (a sort, a tab, an action, a what-if) always redraws, at once.
   */
  render({ frame = false } = {}) {
    if (this.gone) return;
    // Re-rendering replaces the buttons: the one that had focus gets it back.
    const had = document.activeElement;
    const inside = had && had !== document.body && (this.head.contains(had) || this.panel.contains(had));
    this.renderHead();
    // Reading the width lays the page out: a frame reads it only after a resize,
    // a redraw (which lays out anyway) always.
    if (!frame || this.resized || !this.width) {
      this.width = this.panel.clientWidth || 800;
      this.resized = false;
    }
    const width = this.width;
    const data = `${this.tab}|${this.storeId}|${this.storeVersion || 0}|${this.applied}|${this.statusVersion}|${this.busy}`;
    if (frame) {
      // The head may have been rebuilt: focus in it goes to its stand-in.
      if (inside && !had.isConnected) this.refocus(had);
      if (data !== this.panelData) this.panelSoon();
      else if (width !== this.panelWidth) {
        // A new width alone (a resized window, a phone turned) is no burst of
        // events to wait out: the panel is redrawn once the resizing pauses.
        clearTimeout(this.widthTimer);
        this.widthTimer = setTimeout(() => this.render(), RESIZE_PAUSE_MS);
      }
      if (this.model.pending && this.status && this.status.pending_approval) this.openApproval(false);
      return;
    }
    if (this.pressing) {
      this.heldRender = true;
      return;
    }
    clearTimeout(this.panelTimer);
    this.panelTimer = 0;
    if (this.panelIdle) cancelIdleCallback(this.panelIdle);
    this.panelIdle = 0;
    this.panelWanted = 0;
    this.panelStale = false;
    const started = performance.now();
    this.panelAt = started;
    this.panelData = data;
    this.panelWidth = width;
    this.panel.dataset.renders = String(Number(this.panel.dataset.renders || 0) + 1);
    const args = { model: this.model, status: this.status || {}, ctx: this.ctx, page: this, width };
    const views = { overview: renderOverview, stores: this.storeId ? renderStore : renderStores, weeks: renderWeeks, report: renderReport, parameters: renderParameters, whatif: renderWhatIf };
    const keepScroll = window.scrollY;
    mount(this.panel, views[this.tab](args));
    window.scrollTo(0, keepScroll);
    // What the redraw cost, its layout included (read once, here, where the
    // page is laid out anyway): it paces the next (PANEL_DUTY_GAP).
    void this.panel.offsetHeight;
    this.panelCost = performance.now() - started;
    if (inside && !had.isConnected) this.refocus(had);
    if (!this.charted && this.panel.querySelector('.chart svg')) {
      // For the benchmark (scripts/dashboard_bench.mjs): navigation to first chart.
      this.charted = true;
      performance.mark('atelier:first-chart');
    }
    if (this.model.pending && this.status && this.status.pending_approval) this.openApproval(false);
  }
}

/** A parameter's or tunable's value in words. */
function valueText(key, v, currency) {
  if (v === null || v === undefined) return key === 'markdown_checkpoint_week' || key === 'markdown_threshold' ? 'none (no markdown check)' : key === 'unit_price' ? 'from the history' : 'none';
  if (key.endsWith('_date')) return day(v);
  if (key === 'forecast_horizon_weeks') return `${v} weeks`;
  if (key === 'markdown_checkpoint_week') return `week ${v}`;
  if (key === 'replenishment_strategy') return { none: 'none (everything at launch)', weekly: 'weekly', 'bi-weekly': 'every two weeks' }[v] || String(v);
  if (key === 'policy') return { margin: 'margin (earns the most, measured)', seed: 'seed (the original rules)' }[v] || String(v);
  if (key === 'unit_price' || key === 'transfer_cost_per_unit') return money(v, currency, 2);
  if (key === 'markdown_elasticity' || key === 'markdown_demand_lift_per_pct') return String(v);
  if (key.endsWith('_units')) return `${units(v)} units`;
  if (typeof v === 'number') return /pct|percentage|threshold|ratio|_sd$/.test(key) ? pct(v, 1) : units(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${fieldLabel(k)}: ${valueText(k, x, currency)}`).join('; ');
  return words(String(v));
}

function renderParameters({ status, model }) {
  const p = status.parameters || model.parameters || {};
  const t = model.tunables || {};
  const cur = t.currency || model.money.currency;
  const rows = Object.entries(p).map(([k, v]) => [fieldLabel(k), valueText(k, v, cur)]);
  const trows = Object.entries(t).map(([k, v]) => [fieldLabel(k), valueText(k, v, cur)]);
  const data = status.data ? (status.data.kind === 'uploaded' ? `uploaded data set ${status.data.dataset_id}` : status.data.kind === 'sample' ? 'the shipped sample' : words(status.data.kind)) : '';
  return h('div', { class: 'grid2' },
    h('section', { class: 'card' }, h('h2', {}, 'The seven parameters'), h('dl', { class: 'pairs' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
    h('section', { class: 'card' }, h('h2', {}, 'Tunables and data'), h('dl', { class: 'pairs' },
      trows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      h('dt', {}, 'Data set'), h('dd', {}, data),
      h('dt', {}, 'Weekly actuals'), h('dd', {}, `${model.scenario ? `played from the scenario ${words(model.scenario).toLowerCase()}` : 'uploaded each week'} (${status.actuals_meaning === 'demand' ? 'read as demand' : 'recorded sales'})`))));
}

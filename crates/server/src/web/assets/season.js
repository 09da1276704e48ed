// A season, live: the header with its state and actions, the tabs (overview and
// charts, stores, weeks and uploads, report, parameters), and the timeline of agent
// activity fed by the WebSocket stream. The stream is folded into a SeasonModel;
// the workflow resource (GET /api/workflows/{id}) gives the authoritative state and
// is re-read shortly after events arrive.

import { h, mount, toast } from './dom.js';
import * as api from './api.js';
import { SeasonStream } from './stream.js';
import { SeasonModel } from './model.js';
import { row } from './timeline.js';
import { renderOverview } from './overview.js';
import { renderStores } from './stores.js';
import { renderWeeks } from './uploads.js';
import { renderReport } from './report.js';
import { ApprovalDialog } from './approvals.js';
import { pct, stateLabel, words } from './format.js';

const TABS = [
  ['overview', 'Overview'],
  ['stores', 'Stores'],
  ['weeks', 'Weeks & uploads'],
  ['report', 'Report'],
  ['parameters', 'Parameters'],
];

export class SeasonPage {
  constructor(main, ctx, id, tab) {
    this.main = main;
    this.ctx = ctx;
    this.id = id;
    this.tab = TABS.some(([k]) => k === tab) ? tab : 'overview';
    this.model = new SeasonModel();
    this.status = null;
    this.busy = false;
    this.dismissed = new Set();
    this.frame = 0;
    this.head = h('div', { class: 'season-head' });
    this.tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Season views' });
    this.panel = h('div', { class: 'tab-panel', role: 'tabpanel', id: 'season-panel' });
    this.conn = h('span', { class: 'conn', 'data-testid': 'connection-status', 'data-state': 'connecting', role: 'status' }, 'connecting');
    this.timeline = h('ol', { class: 'timeline', 'data-testid': 'event-timeline', 'aria-label': 'Agent activity, newest first' });
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
    this.onResize = () => this.schedule();
    window.addEventListener('resize', this.onResize);
    this.stream = new SeasonStream(id, (msgs) => this.receive(msgs), (st, s) => this.connection(st, s));
    this.load();
  }

  async load() {
    // The stream and the resource are asked for at once: the first chart needs the
    // events, not the resource.
    this.stream.start();
    try {
      this.status = await api.get(`/api/workflows/${encodeURIComponent(this.id)}`);
    } catch (e) {
      this.stream.stop();
      this.gone = true;
      mount(this.main, h('h1', {}, 'Season not found'), h('p', { class: 'field-error' }, e.message), h('a', { href: '#/' }, 'Back to the seasons'));
      return;
    }
    this.schedule();
  }

  leave() {
    this.stream.stop();
    this.dialog.close();
    window.removeEventListener('resize', this.onResize);
    clearTimeout(this.refreshTimer);
    cancelAnimationFrame(this.frame);
    this.gone = true;
  }

  connection(state, s) {
    const text = { connecting: 'connecting…', live: 'live', offline: 'offline, reconnecting…', reconnecting: 'reconnecting…' }[state] || state;
    this.conn.textContent = text;
    Object.assign(this.conn.dataset, {
      state, lastSeq: s.lastSeq, received: s.received, duplicates: s.duplicates, gaps: s.gaps, reconnects: s.reconnects,
    });
    this.conn.title = `last event #${s.lastSeq}, ${s.reconnects} reconnections`;
  }

  receive(msgs) {
    const rows = document.createDocumentFragment();
    for (const m of msgs) {
      this.model.apply(m);
      rows.prepend(row(m));
      if (m.event === 'approval_resolved' || m.event === 'approval_expired') this.dialog.resolved(m);
    }
    this.timeline.prepend(rows);
    Object.assign(this.conn.dataset, { lastSeq: this.stream.lastSeq, received: this.stream.received });
    this.schedule();
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => this.refresh(), 150);
  }

  async refresh() {
    try {
      this.status = await api.get(`/api/workflows/${encodeURIComponent(this.id)}`);
      this.schedule();
    } catch {
      // The stream says what happened; the next event retries.
    }
  }

  schedule() {
    if (this.frame || this.gone) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  drawTabs() {
    mount(this.tabs, TABS.map(([key, label]) => h('button', {
      type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === this.tab), 'aria-controls': 'season-panel', 'data-tab': key,
      onclick: () => {
        this.tab = key;
        history.replaceState(null, '', `#/season/${encodeURIComponent(this.id)}/${key}`);
        this.drawTabs();
        this.render();
      },
    }, label)));
  }

  /** Runs an action (a POST), keeping the buttons disabled meanwhile. */
  async act(label, fn) {
    if (this.busy) return;
    this.busy = true;
    this.render();
    try {
      await fn();
    } catch (e) {
      toast(`${label}: ${e.message}`, 'error');
    } finally {
      this.busy = false;
      this.refresh();
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
    if (this.ctx.can('approve') && st.pending_approval) {
      out.push(h('button', { type: 'button', class: 'primary', 'data-testid': 'review-approval', onclick: () => this.openApproval(true) }, 'Review the approval'));
    }
    return out;
  }

  reforecast() {
    const reason = window.prompt('Why re-forecast the remaining weeks now? (recorded in the log)');
    if (!reason || !reason.trim()) return;
    this.act('Re-forecast', () => api.post(`/api/workflows/${encodeURIComponent(this.id)}/reforecast`, { reason: reason.trim() }));
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
    mount(this.head,
      h('div', { class: 'crumbs' }, h('a', { href: '#/' }, 'Seasons'), ' / ', h('span', { class: 'mono' }, this.id)),
      h('div', { class: 'title-row' },
        h('h1', {}, st.category || this.model.category || 'Season'),
        h('span', { class: `badge state-${st.state}`, 'data-testid': 'season-state', 'data-state': st.state || '' }, stateLabel(st.state)),
        h('span', { class: 'muted' }, horizon ? `week ${played} of ${horizon}` : ''),
        h('progress', { max: 100, value: Math.round((st.progress || 0) * 100), 'aria-label': 'Season progress' }),
        h('span', { class: 'muted small' }, pct(st.progress || 0)),
        st.current_agent ? h('span', { class: 'badge' }, `${words(st.current_agent)} working`) : null),
      st.error ? h('p', { class: 'field-error', role: 'alert' }, st.error) : null,
      h('div', { class: 'actions' }, this.actions()));
  }

  render() {
    if (this.gone) return;
    this.renderHead();
    const width = this.panel.clientWidth || 800;
    const args = { model: this.model, status: this.status || {}, ctx: this.ctx, page: this, width };
    const views = { overview: renderOverview, stores: renderStores, weeks: renderWeeks, report: renderReport, parameters: renderParameters };
    const keepScroll = window.scrollY;
    mount(this.panel, views[this.tab](args));
    window.scrollTo(0, keepScroll);
    if (!this.charted && this.panel.querySelector('.chart svg')) {
      // For the benchmark (scripts/dashboard_bench.mjs): navigation to first chart.
      this.charted = true;
      performance.mark('atelier:first-chart');
    }
    if (this.model.pending && this.status && this.status.pending_approval) this.openApproval(false);
  }
}

function renderParameters({ status, model }) {
  const p = status.parameters || model.parameters || {};
  const t = model.tunables || {};
  const rows = Object.entries(p).map(([k, v]) => [words(k), v === null ? 'none' : k.endsWith('percentage') || k.endsWith('threshold') ? pct(v) : String(v)]);
  const trows = Object.entries(t).map(([k, v]) => [words(k), typeof v === 'number' && v < 1 && v > 0 ? pct(v, 1) : JSON.stringify(v)]);
  const data = status.data ? (status.data.kind === 'uploaded' ? `uploaded data set ${status.data.dataset_id}` : status.data.kind) : '';
  return h('div', { class: 'grid2' },
    h('section', { class: 'card' }, h('h2', {}, 'The seven parameters'), h('dl', { class: 'pairs' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
    h('section', { class: 'card' }, h('h2', {}, 'Tunables and data'), h('dl', { class: 'pairs' },
      trows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      h('dt', {}, 'Data set'), h('dd', {}, data),
      h('dt', {}, 'Weekly actuals'), h('dd', {}, model.scenario ? `scenario ${model.scenario} (${status.actuals_meaning})` : `uploads (${status.actuals_meaning})`))));
}

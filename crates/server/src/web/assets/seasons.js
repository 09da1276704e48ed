// The seasons list: each season's category, state, week, waiting approval and
// margin, filtered by state. The list comes from GET /api/workflows; each row's
// details from GET /api/workflows/{id}, a few at a time.

import { h, mount } from './dom.js';
import * as api from './api.js';
import { money, stateLabel, when } from './format.js';

const GROUPS = {
  all: () => true,
  running: (s) => !['completed', 'error'].includes(s) && !s.startsWith('waiting_'),
  waiting: (s) => s.startsWith('waiting_'),
  completed: (s) => s === 'completed',
  error: (s) => s === 'error',
};

/** The detail columns of one season. */
function detailCells(d) {
  if (!d) return [h('td', { class: 'muted' }, '…'), h('td', {}), h('td', {})];
  const horizon = d.parameters ? d.parameters.forecast_horizon_weeks : null;
  const played = (d.weeks || []).length;
  const week = horizon ? `${played} of ${horizon}` : '—';
  const pending = d.pending_approval;
  const r = d.report || {};
  const margin = r.gross_margin ?? null;
  return [
    h('td', { class: 'num' }, week),
    h('td', {}, pending ? h('span', { class: 'badge warn' }, `${pending.kind} (${pending.approval_id})`) : h('span', { class: 'muted' }, 'none')),
    h('td', { class: 'num' }, margin === null ? h('span', { class: 'muted', title: 'Known when the season report has money figures' }, '—') : money(margin, r.currency)),
  ];
}

export function renderSeasons(main, ctx) {
  let alive = true;
  let list = [];
  const details = new Map();
  const filter = h('select', { id: 'state-filter', 'data-testid': 'state-filter' },
    h('option', { value: 'all' }, 'All states'),
    h('option', { value: 'running' }, 'Running'),
    h('option', { value: 'waiting' }, 'Waiting for approval'),
    h('option', { value: 'completed' }, 'Completed'),
    h('option', { value: 'error' }, 'Error'));
  const body = h('tbody');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  filter.addEventListener('change', draw);

  function draw() {
    const keep = GROUPS[filter.value] || GROUPS.all;
    const rows = list.filter((w) => keep(w.state));
    count.textContent = `${rows.length} of ${list.length} seasons`;
    mount(body, rows.length ? rows.map((w) => h('tr', { 'data-workflow': w.workflow_id },
      h('td', {}, h('a', { href: `#/season/${encodeURIComponent(w.workflow_id)}` }, w.category), h('div', { class: 'muted small mono' }, w.workflow_id)),
      h('td', {}, h('span', { class: `badge state-${w.state}` }, stateLabel(w.state))),
      ...detailCells(details.get(w.workflow_id)),
      h('td', { class: 'muted small' }, when(w.updated_at)))) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, list.length ? 'No season in this state.' : 'No seasons yet.')));
  }

  async function load() {
    try {
      list = await api.get('/api/workflows');
    } catch (e) {
      mount(body, h('tr', {}, h('td', { colspan: 6, class: 'field-error' }, e.message)));
      return;
    }
    draw();
    // Details for the first hundred, four requests at a time.
    const queue = list.slice(0, 100).map((w) => w.workflow_id);
    const worker = async () => {
      while (alive && queue.length) {
        const id = queue.shift();
        try {
          details.set(id, await api.get(`/api/workflows/${encodeURIComponent(id)}`));
        } catch {
          details.set(id, { weeks: [] });
        }
        draw();
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  mount(main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Seasons'),
      h('div', { class: 'actions' },
        h('label', { for: 'state-filter' }, 'Show '), filter,
        ctx.can('plan') ? h('a', { class: 'button primary', href: '#/new' }, 'New season') : null)),
    count,
    h('div', { class: 'card scroll' }, h('table', { class: 'data', 'data-testid': 'seasons-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Season'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col', class: 'num' }, 'Week'),
        h('th', { scope: 'col' }, 'Waiting approval'), h('th', { scope: 'col', class: 'num' }, 'Margin'), h('th', { scope: 'col' }, 'Updated'))),
      body)));
  load();
  return { leave() { alive = false; } };
}

// The seasons list: each season's name (category and dates), policy, state, week,
// waiting approval and margin, filtered by state and searched by name, with the
// approvals waiting across seasons above it (an approver's inbox, deadline first).
// One request: GET /api/seasons.

import { h, mount } from './dom.js';
import * as api from './api.js';
import { day, money, stateLabel, when, words } from './format.js';

const GROUPS = {
  all: () => true,
  running: (s) => !['completed', 'error'].includes(s) && !s.startsWith('waiting_'),
  waiting: (s) => s.startsWith('waiting_'),
  completed: (s) => s === 'completed',
  error: (s) => s === 'error',
};

const KIND = { manufacturing: 'Manufacturing order', markdown: 'Markdown', transfer: 'Transfers', reorder: 'Reorder' };

/** A season's name in words: "Women's Dresses · 17 Feb 2025 – 11 May 2025". */
export function seasonName(s) {
  return s.season_start_date ? `${s.category} · ${day(s.season_start_date)} – ${day(s.season_end_date)}` : s.category;
}

function inbox(list, ctx) {
  const waiting = list.filter((s) => s.pending_approval)
    .sort((a, b) => String(a.pending_approval.expires_at || '9999').localeCompare(String(b.pending_approval.expires_at || '9999'))
      || String(a.pending_approval.asked_at).localeCompare(String(b.pending_approval.asked_at)));
  if (!waiting.length) return null;
  return h('section', { class: 'card pending', 'data-testid': 'approvals-inbox', 'aria-labelledby': 'inbox-title' },
    h('h2', { id: 'inbox-title' }, `Waiting for a decision (${waiting.length})`),
    h('ul', { class: 'inbox' }, waiting.map((s) => {
      const p = s.pending_approval;
      return h('li', { 'data-workflow': s.workflow_id },
        h('a', { href: `#/season/${encodeURIComponent(s.workflow_id)}` }, `${KIND[p.kind] || words(p.kind)}: ${seasonName(s)}`),
        h('span', { class: 'muted small' }, ` · asked ${when(p.asked_at)}${p.expires_at ? ` · due ${when(p.expires_at)}` : ' · no deadline'}`),
        ctx.can('approve') ? null : h('span', { class: 'muted small' }, ' · an approver answers it'));
    })));
}

export function renderSeasons(main, ctx) {
  let list = [];
  // Two seasons chosen for comparison, in the order they were ticked.
  const chosen = [];
  const compare = h('button', { type: 'button', 'data-testid': 'compare-chosen', disabled: true, onclick: () => ctx.go(`#/compare/${encodeURIComponent(chosen[0])}/${encodeURIComponent(chosen[1])}`) }, 'Compare the two ticked');
  const chosenText = h('span', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'compare-count' }, 'Tick two seasons to compare them side by side.');
  function tick(id, on) {
    const at = chosen.indexOf(id);
    if (on && at < 0) chosen.push(id);
    if (!on && at >= 0) chosen.splice(at, 1);
    // A third tick replaces the oldest: two seasons are compared.
    while (chosen.length > 2) chosen.shift();
    for (const box of body.querySelectorAll('input[data-compare]')) box.checked = chosen.includes(box.dataset.compare);
    compare.disabled = chosen.length !== 2;
    chosenText.textContent = chosen.length === 2 ? '2 seasons ticked' : `${chosen.length} of 2 seasons ticked`;
  }
  const filter = h('select', { id: 'state-filter', 'data-testid': 'state-filter' },
    h('option', { value: 'all' }, 'All states'),
    h('option', { value: 'running' }, 'Running'),
    h('option', { value: 'waiting' }, 'Waiting for approval'),
    h('option', { value: 'completed' }, 'Completed'),
    h('option', { value: 'error' }, 'Error'));
  const search = h('input', { id: 'season-search', type: 'search', placeholder: 'Category, date or id', 'data-testid': 'season-search' });
  const body = h('tbody');
  const top = h('div');
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  filter.addEventListener('change', draw);
  search.addEventListener('input', draw);

  function draw() {
    const keep = GROUPS[filter.value] || GROUPS.all;
    const words_ = search.value.trim().toLowerCase();
    const rows = list.filter((w) => keep(w.state) && (!words_ || `${seasonName(w)} ${w.workflow_id} ${w.policy}`.toLowerCase().includes(words_)));
    count.textContent = `${rows.length} of ${list.length} seasons`;
    mount(body, rows.length ? rows.map((w) => {
      const pending = w.pending_approval;
      return h('tr', { 'data-workflow': w.workflow_id },
        h('td', {}, h('div', { class: 'season-cell' },
          h('input', { type: 'checkbox', 'data-compare': w.workflow_id, 'data-testid': 'compare-tick', checked: chosen.includes(w.workflow_id), 'aria-label': `Compare ${seasonName(w)} (${w.workflow_id})`, onchange: (e) => tick(w.workflow_id, e.target.checked) }),
          h('div', {}, h('a', { href: `#/season/${encodeURIComponent(w.workflow_id)}`, 'data-testid': 'season-name' }, seasonName(w)), h('div', { class: 'muted small mono' }, w.workflow_id)))),
        h('td', {}, h('span', { class: `badge state-${w.state}` }, stateLabel(w.state))),
        h('td', {}, w.policy),
        h('td', { class: 'num' }, w.horizon_weeks ? `${w.weeks_played} of ${w.horizon_weeks}` : '—'),
        h('td', {}, pending ? h('span', { class: 'badge warn' }, KIND[pending.kind] || words(pending.kind)) : h('span', { class: 'muted' }, 'none')),
        h('td', { class: 'num' }, w.gross_margin === null || w.gross_margin === undefined ? h('span', { class: 'muted', title: 'Known when the season report has money figures' }, '—') : money(w.gross_margin, w.currency)),
        h('td', { class: 'muted small' }, when(w.updated_at)));
    }) : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, list.length ? 'No season matches.' : 'No seasons yet.')));
    mount(top, inbox(list, ctx));
  }

  async function load() {
    try {
      list = await api.get('/api/seasons');
    } catch (e) {
      mount(body, h('tr', {}, h('td', { colspan: 7, class: 'field-error' }, e.message)));
      return;
    }
    draw();
  }

  mount(main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Seasons'),
      h('div', { class: 'actions' },
        h('label', { for: 'season-search' }, 'Search '), search,
        h('label', { for: 'state-filter' }, 'Show '), filter,
        h('a', { class: 'button', href: '#/compare' }, 'Compare seasons'),
        ctx.can('plan') ? h('a', { class: 'button primary', href: '#/new' }, 'New season') : null)),
    top,
    h('div', { class: 'actions compare-bar' }, count, compare, chosenText),
    h('div', { class: 'card scroll', tabindex: 0, role: 'region', 'aria-label': 'Seasons' }, h('table', { class: 'data', 'data-testid': 'seasons-table' },
      h('caption', { class: 'visually-hidden' }, 'Seasons, the most recently changed first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Season'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Policy'), h('th', { scope: 'col', class: 'num' }, 'Week'),
        h('th', { scope: 'col' }, 'Waiting approval'), h('th', { scope: 'col', class: 'num' }, 'Margin'), h('th', { scope: 'col' }, 'Updated'))),
      body)));
  load();
  return null;
}

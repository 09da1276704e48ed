// Two seasons side by side (#/compare/A/B): their parameters, their money
// (revenue, gross margin, markdown cost, capture), service and stock (fill rate,
// sell-through, leftover), the order and the reorders, each with B − A, and
// their weekly sales on one chart. Both seasons are read from the workflow
// resource (GET /api/workflows/{id}), the one the season page reads; the pickers
// from GET /api/seasons.

import { h, mount } from './dom.js';
import * as api from './api.js';
import { weeklyChart } from './charts.js';
import { money, pct, stateLabel, units } from './format.js';
import { seasonName } from './seasons.js';

const demandKnown = (w) => w.actuals_meaning === 'demand';
const report = (w) => w.report || null;
const fromReport = (key) => (w) => (report(w) && report(w)[key] !== undefined ? report(w)[key] : null);

/**
 * The rows compared: label, value of a season (null when it has none yet),
 * kind (money, pct, units) and which way is better (1 higher, -1 lower, 0 neither).
 */
const ROWS = [
  { group: 'Money' },
  { key: 'revenue', label: 'Revenue', kind: 'money', better: 1, value: fromReport('revenue') },
  { key: 'gross_margin', label: 'Gross margin', kind: 'money', better: 1, value: fromReport('gross_margin') },
  { key: 'markdown_cost', label: 'Markdown cost', kind: 'money', better: -1, value: fromReport('markdown_cost') },
  { key: 'margin_capture', label: 'Margin captured (of perfect foresight)', kind: 'pct', better: 1, value: fromReport('margin_capture') },
  { group: 'Service and stock' },
  { key: 'fill_rate', label: 'Fill rate', kind: 'pct', better: 1, value: (w) => (demandKnown(w) ? fromReport('fill_rate')(w) : null), unknown: (w) => report(w) && !demandKnown(w) },
  { key: 'sell_through', label: 'Sell-through', kind: 'pct', better: 1, value: fromReport('sell_through') },
  { key: 'units_sold', label: 'Units sold', kind: 'units', better: 1, value: fromReport('units_sold') },
  { key: 'lost_sales', label: 'Lost sales (units)', kind: 'units', better: -1, value: (w) => (demandKnown(w) ? fromReport('lost_sales')(w) : null), unknown: (w) => report(w) && !demandKnown(w) },
  { key: 'leftover_units', label: 'Leftover (units)', kind: 'units', better: -1, value: fromReport('leftover_units') },
  { key: 'mape', label: 'Forecast error (MAPE)', kind: 'pct', better: -1, value: fromReport('mape') },
  { group: 'Buying' },
  { key: 'order', label: 'Manufacturing order (units)', kind: 'units', better: 0, value: (w) => (w.manufacturing ? w.manufacturing.manufacturing_qty : null) },
  { key: 'units_reordered', label: 'Reordered in season (units)', kind: 'units', better: 0, value: (w) => (report(w) ? report(w).units_reordered : null) },
  { key: 'reorder_cost', label: 'Reorder cost', kind: 'money', better: 0, value: fromReport('reorder_cost') },
  { key: 'reorders', label: 'Reorders placed', kind: 'units', better: 0, value: (w) => (w.state ? (w.approvals || []).filter((a) => a.kind === 'reorder' && !(a.resolution && a.resolution.action === 'modify' && a.resolution.modifications && a.resolution.modifications.reorder_units === 0)).length : null) },
];

function currency(w) {
  return (report(w) && report(w).currency) || (w.order_value && w.order_value.currency) || '';
}

function shown(kind, v, cur) {
  if (v === null || v === undefined) return '—';
  if (kind === 'money') return money(v, cur);
  if (kind === 'pct') return pct(v, 1);
  return units(v);
}

/** B − A in the row's unit: money, percentage points or units, with its sign. */
function difference(row, a, b, curA, curB) {
  if (a === null || a === undefined || b === null || b === undefined) return { text: '—', sign: 0 };
  if (row.kind === 'money' && curA !== curB) return { text: 'other currency', sign: 0 };
  const d = b - a;
  const sign = Math.abs(d) < 1e-9 ? 0 : Math.sign(d);
  const mark = sign > 0 ? '+' : sign < 0 ? '−' : '±';
  const text = row.kind === 'money' ? `${mark}${money(Math.abs(d), curA)}`
    : row.kind === 'pct' ? `${mark}${(Math.abs(d) * 100).toFixed(1)} pp`
      : `${mark}${units(Math.abs(d))}`;
  return { text, sign };
}

function parameterRows(a, b) {
  const p = (w) => w.parameters || {};
  const rep = { none: 'none', weekly: 'weekly', 'bi-weekly': 'every two weeks' };
  const rows = [
    ['Season', (w) => seasonName({ category: w.category, season_start_date: p(w).season_start_date, season_end_date: p(w).season_end_date })],
    ['State', (w) => `${stateLabel(w.state)}${p(w).forecast_horizon_weeks ? ` · week ${(w.weeks || []).length} of ${p(w).forecast_horizon_weeks}` : ''}`],
    ['Decision policy', (w) => w.policy || '—'],
    ['Replenishment', (w) => rep[p(w).replenishment_strategy] || '—'],
    ['Held back at the DC', (w) => pct(p(w).dc_holdback_percentage)],
    ['Markdown check', (w) => (p(w).markdown_checkpoint_week ? `week ${p(w).markdown_checkpoint_week} at ${pct(p(w).markdown_threshold)}` : 'none')],
    ['Actuals', (w) => (demandKnown(w) ? 'played demand' : 'recorded sales')],
  ];
  return rows.map(([label, f]) => {
    const va = f(a);
    const vb = f(b);
    return h('tr', { class: 'param-row' }, h('th', { scope: 'row' }, label), h('td', {}, va), h('td', {}, vb), h('td', { class: 'muted small' }, va === vb ? 'same' : 'differs'));
  });
}

function table(a, b) {
  const curA = currency(a);
  const curB = currency(b);
  const body = [];
  for (const row of ROWS) {
    if (row.group) {
      body.push(h('tr', { class: 'group' }, h('th', { scope: 'colgroup', colspan: 4 }, row.group)));
      continue;
    }
    const va = row.value(a);
    const vb = row.value(b);
    const d = difference(row, va, vb, curA, curB);
    const verdict = row.better && d.sign ? (d.sign === row.better ? 'better' : 'worse') : '';
    const cell = (w, v, cur) => h('td', { class: 'num' }, row.unknown && row.unknown(w) ? h('span', { class: 'muted', title: 'Demand was not recorded (recorded sales)' }, 'unknown') : shown(row.kind, v, cur));
    body.push(h('tr', { 'data-row': row.key },
      h('th', { scope: 'row' }, row.label),
      cell(a, va, curA),
      cell(b, vb, curB),
      h('td', { class: ['num', verdict && `diff-${verdict}`], 'data-testid': `diff-${row.key}` }, d.text, verdict ? h('span', { class: 'visually-hidden' }, ` (${verdict} for B)`) : null)));
  }
  const head = (tag, w) => h('th', { scope: 'col', class: 'num' }, `Season ${tag}`, h('div', { class: 'muted small mono' }, w.workflow_id));
  return h('div', { class: 'card scroll', tabindex: 0, role: 'region', 'aria-label': 'The two seasons compared, scrolls sideways' },
    h('table', { class: 'data compare', 'data-testid': 'compare-table' },
      h('caption', {}, `Season B against season A${curA && curA === curB ? ` (money in ${curA})` : ''}; the last column is B − A`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Measure'), head('A', a), head('B', b), h('th', { scope: 'col', class: 'num' }, 'B − A'))),
      h('tbody', {}, parameterRows(a, b), body)));
}

function chart(a, b, width) {
  const weeks = Math.max((a.parameters || {}).forecast_horizon_weeks || 0, (b.parameters || {}).forecast_horizon_weeks || 0, 1);
  const sold = (w) => Array.from({ length: weeks }, (_, i) => (w.weeks && w.weeks[i] ? w.weeks[i].actual : null));
  const plan = (w) => Array.from({ length: weeks }, (_, i) => (w.forecast && w.forecast.weekly_initial && w.forecast.weekly_initial[i] !== undefined ? w.forecast.weekly_initial[i] : null));
  const [sa, sb, pa, pb] = [sold(a), sold(b), plan(a), plan(b)];
  return weeklyChart({
    testid: 'compare-chart',
    title: 'Units sold per week, A and B',
    summary: 'Each season\'s units sold per season week (solid) against its first forecast (dashed).',
    xLabel: 'Season week', yLabel: 'Units', weeks, width,
    series: [
      { name: 'A sold', cls: 'current', kind: 'line', values: sa },
      { name: 'B sold', cls: 'cmp-b', kind: 'line', values: sb },
      { name: 'A first forecast', cls: 'initial', kind: 'line', values: pa },
      { name: 'B first forecast', cls: 'cmp-b-plan', kind: 'line', values: pb },
    ],
    table: { columns: ['Week', 'A sold', 'B sold', 'A forecast', 'B forecast'], rows: sa.map((_, i) => [`Week ${i + 1}`, units(sa[i]), units(sb[i]), units(pa[i]), units(pb[i])]) },
  });
}

function picker(id, label, list, chosen, other, onchange) {
  const select = h('select', { id, 'data-testid': id, 'aria-describedby': `${id}-hint`, onchange: (e) => onchange(e.target.value) },
    h('option', { value: '' }, 'Choose a season…'),
    list.map((s) => h('option', { value: s.workflow_id, selected: s.workflow_id === chosen, disabled: s.workflow_id === other }, `${seasonName(s)} · ${stateLabel(s.state)} · ${s.workflow_id}`)));
  // The chosen season's id, state and margin under the picker: a phone shows
  // only the start of an option, and two seasons may share a name.
  const s = list.find((x) => x.workflow_id === chosen);
  return h('div', { class: 'field' }, h('label', { for: id }, label), select, h('p', { class: 'hint mono', id: `${id}-hint` }, hintText(s)));
}

/** The chosen season's id, state and margin, in words. */
function hintText(s) {
  return s ? `${s.workflow_id} · ${stateLabel(s.state)}${s.gross_margin !== null && s.gross_margin !== undefined ? ` · gross margin ${money(s.gross_margin, s.currency)}` : ''}` : '';
}

/**
 * The compare page: pickers, the table and the weekly chart. A picker's change
 * replaces the address (no navigation) and redraws the comparison only: the
 * pickers stay, with the focus, so arrowing through a list by keyboard loses no
 * key press to a page being rebuilt.
 */
export function renderCompare(main, ctx, a0, b0) {
  let a = a0;
  let b = b0;
  let list = [];
  let asked = 0;
  const body = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const pickers = h('div', { class: 'form-grid compare-pickers' });
  mount(main,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { tabindex: -1 }, 'Compare two seasons'),
      h('p', { class: 'muted' }, 'Pick season A and season B: the table shows B − A for every measure.'))),
    h('section', { class: 'card' }, pickers),
    body);

  function drawPickers() {
    const had = document.activeElement && document.activeElement.id;
    mount(pickers,
      picker('compare-a', 'Season A', list, a, b, (v) => { a = v; changed(); }),
      picker('compare-b', 'Season B', list, b, a, (v) => { b = v; changed(); }));
    if (had === 'compare-a' || had === 'compare-b') document.getElementById(had).focus();
  }

  function changed() {
    history.replaceState(null, '', `#/compare/${encodeURIComponent(a || '')}/${encodeURIComponent(b || '')}`);
    // The hints and the other list's disabled option follow; the select itself is
    // kept so that its focus and keyboard state stay.
    for (const [id, chosen, other] of [['compare-a', a, b], ['compare-b', b, a]]) {
      const select = document.getElementById(id);
      if (!select) continue;
      for (const o of select.options) o.disabled = Boolean(o.value) && o.value === other;
      const s = list.find((x) => x.workflow_id === chosen);
      document.getElementById(`${id}-hint`).textContent = hintText(s);
    }
    show();
  }

  async function show() {
    asked += 1;
    const mine = asked;
    if (!a || !b) {
      body.removeAttribute('aria-busy');
      mount(body, h('p', { class: 'muted', 'data-testid': 'compare-empty' }, 'Choose two seasons to compare.'));
      return;
    }
    body.setAttribute('aria-busy', 'true');
    let docs;
    try {
      docs = await Promise.all([a, b].map((id) => api.get(`/api/workflows/${encodeURIComponent(id)}`)));
    } catch (e) {
      if (mine !== asked) return;
      body.removeAttribute('aria-busy');
      mount(body, h('p', { class: 'field-error', role: 'alert' }, e.message));
      return;
    }
    // A later choice has been made meanwhile: its answer draws, not this one.
    if (mine !== asked) return;
    const [wa, wb] = docs;
    // The policy is in the seasons list (the workflow document has no tunables).
    for (const w of docs) w.policy = (list.find((x) => x.workflow_id === w.workflow_id) || {}).policy;
    const width = Math.max(320, Math.min(main.clientWidth - 34, 1100));
    const pending = [wa, wb].filter((w) => !w.report).map((w) => w.workflow_id);
    body.removeAttribute('aria-busy');
    mount(body,
      pending.length ? h('p', { class: 'note', 'data-testid': 'compare-incomplete' }, `${pending.join(' and ')} ${pending.length > 1 ? 'have' : 'has'} not completed: the report's measures (money, fill rate, sell-through, leftover) appear when ${pending.length > 1 ? 'they complete' : 'it completes'}.`) : null,
      table(wa, wb),
      h('section', { class: 'card' }, chart(wa, wb, width)),
      h('p', {}, h('a', { href: `#/season/${encodeURIComponent(a)}` }, 'Open season A'), ' · ', h('a', { href: `#/season/${encodeURIComponent(b)}` }, 'Open season B')));
  }

  async function load() {
    try {
      list = await api.get('/api/seasons');
    } catch (e) {
      body.removeAttribute('aria-busy');
      mount(body, h('p', { class: 'field-error', role: 'alert' }, e.message));
      return;
    }
    drawPickers();
    show();
  }
  load();
  return null;
}

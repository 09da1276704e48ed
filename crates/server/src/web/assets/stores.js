// Every store of the season: cluster, season allocation, launch shipment, stock,
// units sold, stockout weeks and replenished units, sortable by any column and
// exported as CSV. Folded from the stream (see model.js), so it is live. Each
// store's id links to its own page (store.js).

import { h, download } from './dom.js';
import { pct, units, words } from './format.js';

const COLUMNS = [
  ['store_id', 'Store', false],
  ['cluster', 'Cluster', false],
  ['season_allocation', 'Season allocation', true],
  ['initial', 'Launch shipment', true],
  ['stock', 'Stock', true],
  ['sold', 'Units sold', true],
  ['stockout_weeks', 'Stockout weeks', true],
  ['replenished', 'Replenished', true],
];

function columns(model) {
  const cols = [...COLUMNS];
  if (model.transfers.length) cols.push(['transferred_in', 'Transferred in', true], ['transferred_out', 'Transferred out', true]);
  return cols;
}

/** The table as CSV text (RFC 4180 quoting). */
export function storesCsv(model) {
  const cols = columns(model);
  const q = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const lines = [cols.map(([k]) => k).join(',')];
  for (const st of model.stores) lines.push(cols.map(([k]) => q(st[k])).join(','));
  return `${lines.join('\n')}\n`;
}

export function renderStores({ model, page }) {
  if (!model.stores.length) return h('p', { class: 'muted' }, 'Stores appear here once the order is approved and allocated.');
  const sort = page.storeSort || (page.storeSort = { key: 'store_id', dir: 1 });
  const cols = columns(model);
  const numeric = new Set(cols.filter((c) => c[2]).map((c) => c[0]));
  const rows = [...model.stores].sort((a, b) => {
    const x = a[sort.key];
    const y = b[sort.key];
    const c = numeric.has(sort.key) ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
    return c * sort.dir || String(a.store_id).localeCompare(String(b.store_id), 'en', { numeric: true });
  });
  const totals = {};
  for (const [k, , num] of cols) if (num) totals[k] = model.stores.reduce((t, st) => t + st[k], 0);
  const head = cols.map(([k, label, num]) => h('th', {
    scope: 'col', class: num ? 'num' : '', 'aria-sort': sort.key === k ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none',
  }, h('button', { type: 'button', class: 'sort', 'data-sort': k, onclick: () => {
    page.storeSort = { key: k, dir: sort.key === k ? -sort.dir : num ? -1 : 1 };
    page.render();
  } }, label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, sort.key === k ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''))));
  const stockouts = model.stores.filter((st) => st.stockout_weeks > 0).length;
  return h('section', { class: 'card' },
    h('div', { class: 'page-head' },
      h('div', {}, h('h2', {}, `${model.stores.length} stores`),
        h('p', { class: 'muted' }, `${units(totals.stock)} units in stores, ${units(model.dc)} at the DC; ${stockouts} stores ran out at least once (${pct(stockouts / model.stores.length)}).`)),
      h('div', { class: 'actions' },
        h('button', { type: 'button', 'data-testid': 'export-csv', onclick: () => download(`stores-${page.id}.csv`, 'text/csv', storesCsv(model)) }, 'Export CSV'))),
    h('div', { class: 'scroll tall', tabindex: 0, role: 'region', 'aria-label': 'Stores table' }, h('table', { class: 'data sticky', 'data-testid': 'stores-table' },
      h('caption', { class: 'visually-hidden' }, 'Stores, sortable by any column'),
      h('thead', {}, h('tr', {}, head)),
      h('tbody', {}, rows.map((st) => h('tr', { 'data-store': st.store_id },
        cols.map(([k, , num]) => (k === 'store_id'
          ? h('th', { scope: 'row', class: 'mono' }, h('a', { href: `#/season/${encodeURIComponent(page.id)}/stores/${encodeURIComponent(st.store_id)}`, 'data-testid': 'store-link' }, st[k]))
          : h('td', { class: num ? 'num' : '' }, num ? units(st[k]) : words(st[k]))))))),
      h('tfoot', {}, h('tr', {}, cols.map(([k, , num], i) => (i === 0 ? h('th', { scope: 'row' }, 'Total') : h('td', { class: num ? 'num' : '' }, num ? units(totals[k]) : ''))))))));
}

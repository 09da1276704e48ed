// A store's own page, inside the season's Stores tab (#/season/ID/stores/STORE):
// its plan (cluster, share, allocation, launch shipment), each week's sales beside
// its share of the forecast the week was played against, its stock over the weeks,
// replenishment and transfers in and out, and the markdown it sold under. The
// figures are GET /api/workflows/{id}/stores/{store_id}'s, asked for again when
// the season's stream brings new events, so the page is live like the rest.

import { h } from './dom.js';
import * as api from './api.js';
import { weeklyChart } from './charts.js';
import { pct, units, words } from './format.js';

/** The page's copy of the store's figures: fetched, and fetched again when stale. */
function figures(page) {
  const want = page.storeId;
  let f = page.store;
  if (!f || f.id !== want) {
    f = { id: want, data: null, error: null, fetchedAt: -1, loading: false };
    page.store = f;
  }
  if (!f.loading && f.fetchedAt !== page.applied && !(f.error && f.fetchedAt === page.applied)) {
    const at = page.applied;
    f.loading = true;
    api.get(`/api/workflows/${encodeURIComponent(page.id)}/stores/${encodeURIComponent(want)}`).then((data) => {
      Object.assign(f, { data, error: null });
    }, (e) => {
      Object.assign(f, { error: e, data: e.status === 404 ? null : f.data });
    }).finally(() => {
      f.loading = false;
      f.fetchedAt = at;
      if (page.store === f && !page.gone) {
        page.storeVersion = (page.storeVersion || 0) + 1;
        page.render();
        if (page.focusStore) {
          page.focusStore = false;
          const title = document.getElementById('store-title');
          if (title) title.focus({ preventScroll: true });
        }
      }
    });
  }
  return f;
}

function card(label, value, sub, testid) {
  return h('div', { class: 'metric', 'data-testid': testid }, h('div', { class: 'metric-label' }, label), h('div', { class: 'metric-value' }, value), sub ? h('div', { class: 'metric-sub muted' }, sub) : null);
}

/** The store's attributes in a line: format, region, tiers, size. */
function attributesLine(a) {
  if (!a) return 'Its attributes are not in the data set any more.';
  // ShoppingCenter → "Shopping center".
  const format = words(String(a.store_format).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  return [format, a.region, `${a.fashion_tier} fashion`, `location tier ${a.location_tier}`, `${units(a.store_size_sqft)} sq ft`, `${units(a.avg_weekly_sales_12mo)} units a week last year`].join(' · ');
}

function backLink(page) {
  return h('a', { href: `#/season/${encodeURIComponent(page.id)}/stores`, 'data-testid': 'store-back' }, '← All stores');
}

/** A store's page. */
export function renderStore({ page, width }) {
  const f = figures(page);
  const id = page.storeId;
  if (!f.data) {
    const missing = f.error && f.error.status === 404;
    return h('section', { class: 'card', 'data-testid': 'store-page' },
      h('div', { class: 'crumbs' }, backLink(page)),
      h('h2', { id: 'store-title', tabindex: -1 }, `Store ${id}`),
      f.error
        ? h('p', { class: 'field-error', role: 'alert', 'data-testid': 'store-error' }, missing ? `This season has no store ${id}.` : f.error.message)
        : h('p', { class: 'muted' }, `Loading store ${id}…`));
  }
  const { season: s, attributes } = f.data;
  const weeks = s.weeks;
  const n = Math.max(weeks.length, (page.status && page.status.parameters && page.status.parameters.forecast_horizon_weeks) || weeks.length || 1);
  const pad = (xs) => Array.from({ length: n }, (_, i) => (i < xs.length ? xs[i] : null));
  const sold = weeks.reduce((t, w) => t + w.sold, 0);
  const demand = weeks.reduce((t, w) => t + w.demand, 0);
  const forecast = weeks.reduce((t, w) => t + w.forecast, 0);
  const out = weeks.filter((w) => w.stockout).length;
  const moved = (dir) => s.transfers.filter((m) => m.direction === dir).reduce((t, m) => t + m.units, 0);
  const replenished = weeks.reduce((t, w) => t + w.replenished, 0);
  const chartW = Math.min(width || 640, 900);
  const markdownWeek = weeks.find((w) => w.markdown_pct > 0);
  const markers = markdownWeek ? [{ week: markdownWeek.week - 1, label: `markdown ${pct(markdownWeek.markdown_pct)}`, cls: 'markdown' }] : [];
  const salesChart = weeklyChart({
    testid: 'store-sales-chart', width: chartW, weeks: n,
    title: `Weekly sales against the store's share of the forecast`,
    summary: `${units(sold)} units sold over ${weeks.length} weeks against ${units(forecast)} forecast for this store (${pct(s.share, 2)} of the network's).`,
    xLabel: 'Season week', yLabel: 'Units',
    series: [
      { name: 'Sold', cls: 'actual', kind: 'bar', values: pad(weeks.map((w) => w.sold)) },
      { name: 'Share of the forecast', cls: 'current', kind: 'line', values: pad(weeks.map((w) => Math.round(w.forecast * 10) / 10)) },
      { name: 'Demand', cls: 'demand', kind: 'points', values: pad(weeks.map((w) => w.demand)) },
    ],
    markers,
    table: { columns: ['Week', 'Share of the forecast', 'Demand', 'Sold'], rows: weeks.map((w) => [String(w.week), units(w.forecast), units(w.demand), units(w.sold)]) },
  });
  const stockChart = weeklyChart({
    testid: 'store-stock-chart', width: chartW, weeks: n,
    title: 'Stock at the end of each week',
    summary: `It started with ${units(s.initial_shipment)} units and has ${units(s.on_hand)} now; ${units(replenished)} came from the DC, ${units(moved('in'))} from other stores, ${units(moved('out'))} went to other stores.`,
    xLabel: 'Season week', yLabel: 'Units',
    series: [
      { name: 'Replenished from the DC', cls: 'dc', kind: 'bar', values: pad(weeks.map((w) => w.replenished)) },
      { name: 'Transferred in', cls: 'transfer', kind: 'bar', values: pad(weeks.map((w) => w.transferred_in)) },
      { name: 'Transferred out', cls: 'transfer-out', kind: 'bar', values: pad(weeks.map((w) => w.transferred_out)) },
      { name: 'On hand', cls: 'current', kind: 'line', values: pad(weeks.map((w) => w.on_hand)) },
    ],
    markers,
    table: { columns: ['Week', 'On hand', 'From the DC', 'In', 'Out'], rows: weeks.map((w) => [String(w.week), units(w.on_hand), units(w.replenished), units(w.transferred_in), units(w.transferred_out)]) },
  });
  const storeLink = (other) => h('a', { href: `#/season/${encodeURIComponent(page.id)}/stores/${encodeURIComponent(other)}`, class: 'mono' }, other);
  return h('section', { class: 'store-page', 'data-testid': 'store-page', 'data-store': s.store_id },
    h('div', { class: 'card' },
      h('div', { class: 'crumbs' }, backLink(page)),
      h('div', { class: 'title-row' },
        h('h2', { id: 'store-title', tabindex: -1, 'data-testid': 'store-title' }, `Store ${s.store_id}`),
        h('span', { class: 'badge', 'data-testid': 'store-cluster' }, words(s.cluster))),
      h('p', { class: 'muted', 'data-testid': 'store-attributes' }, attributesLine(attributes))),
    h('div', { class: 'metrics', 'data-testid': 'store-plan' },
      card('Season allocation', `${units(s.season_allocation)} units`, s.season_allocation === s.planned_allocation ? `${pct(s.share, 2)} of the network` : `planned ${units(s.planned_allocation)} at launch · ${pct(s.share, 2)} of the network`, 'store-allocation'),
      card('Launch shipment', `${units(s.initial_shipment)} units`, `${units(s.shipped_so_far)} shipped so far`, 'store-initial'),
      card('On hand', `${units(s.on_hand)} units`, `after week ${weeks.length}`, 'store-on-hand'),
      card('Sold', `${units(sold)} units`, `${units(demand)} asked for · ${out} stockout week${out === 1 ? '' : 's'}`, 'store-sold'),
      card('Transfers', `${units(moved('in'))} in · ${units(moved('out'))} out`, `${units(replenished)} from the DC`, 'store-transfers-total'),
      card('Markdown in force', s.markdown_pct > 0 ? pct(s.markdown_pct) : 'none', markdownWeek ? `from week ${markdownWeek.week}` : 'full price', 'store-markdown')),
    h('div', { class: 'card' }, salesChart),
    h('div', { class: 'card' }, stockChart),
    h('section', { class: 'card', 'aria-labelledby': 'store-weeks-title' },
      h('h3', { id: 'store-weeks-title' }, 'Week by week'),
      h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'The store\'s weeks, scrolls sideways' },
        h('table', { class: 'data compact', 'data-testid': 'store-weeks' },
          h('caption', { class: 'visually-hidden' }, `Store ${s.store_id}, week by week`),
          h('thead', {}, h('tr', {}, ['Week', 'Share of the forecast', 'Demand', 'Sold', 'Ran out', 'Markdown', 'From the DC', 'In', 'Out', 'On hand'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, c)))),
          h('tbody', {}, weeks.map((w) => h('tr', { 'data-week': w.week },
            h('th', { scope: 'row' }, String(w.week)),
            h('td', { class: 'num' }, units(w.forecast)),
            h('td', { class: 'num' }, units(w.demand)),
            h('td', { class: 'num' }, units(w.sold)),
            h('td', { class: 'num' }, w.stockout ? 'yes' : ''),
            h('td', { class: 'num' }, w.markdown_pct > 0 ? pct(w.markdown_pct) : ''),
            h('td', { class: 'num' }, units(w.replenished)),
            h('td', { class: 'num' }, units(w.transferred_in)),
            h('td', { class: 'num' }, units(w.transferred_out)),
            h('td', { class: 'num' }, units(w.on_hand)))))))),
    h('section', { class: 'card', 'aria-labelledby': 'store-moves-title', 'data-testid': 'store-transfers' },
      h('h3', { id: 'store-moves-title' }, 'Transfers with other stores'),
      s.transfers.length
        ? h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Transfers, scrolls sideways' }, h('table', { class: 'data compact' },
          h('caption', { class: 'visually-hidden' }, `Stock store ${s.store_id} sent or received`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'After week'), h('th', { scope: 'col' }, 'Direction'), h('th', { scope: 'col' }, 'Other store'), h('th', { scope: 'col', class: 'num' }, 'Units'))),
          h('tbody', {}, s.transfers.map((m) => h('tr', { 'data-direction': m.direction },
            h('th', { scope: 'row' }, String(m.week)),
            h('td', {}, m.direction === 'in' ? 'received from' : 'sent to'),
            h('td', {}, storeLink(m.other_store)),
            h('td', { class: 'num' }, units(m.units)))))))
        : h('p', { class: 'muted' }, 'None: no stock moved between this store and another.')));
}

// The season at a glance: metric cards, the approval waiting (for everyone to see;
// only an approver gets the button), the forecast's members, the clusters, and the
// five charts: forecast vs actual, sell-through, stock, allocation, replenishment.

import { h } from './dom.js';
import * as api from './api.js';
import { barList, weeklyChart } from './charts.js';
import { money, pct, units, when, words } from './format.js';

function card(label, value, sub, testid) {
  return h('div', { class: 'metric', 'data-testid': testid }, h('div', { class: 'metric-label' }, label), h('div', { class: 'metric-value' }, value), sub ? h('div', { class: 'metric-sub muted' }, sub) : null);
}

function thresholdFraction(model) {
  const t = model.tunables ? model.tunables.variance_threshold_pct : 0.2;
  return t > 1 ? t / 100 : t;
}

function metrics(model, status) {
  const f = model.forecast;
  const o = model.order;
  const qty = o ? o.manufacturing_qty : null;
  const sold = model.soldToDate();
  const stock = model.stores.reduce((a, st) => a + st.stock, 0);
  const stockouts = model.stores.reduce((a, st) => a + st.stockout_weeks, 0);
  const ov = status.order_value;
  const cur = (ov && ov.currency) || model.money.currency || (model.tunables && model.tunables.currency);
  const unitCost = (ov && ov.unit_cost) || model.money.unit_cost;
  const md = model.markdown;
  const checkpoint = model.parameters ? model.parameters.markdown_checkpoint_week : null;
  return h('div', { class: 'metrics' },
    card('Season forecast', f ? `${units(f.total_season_demand)} units` : '—', f ? `${pct(f.interval.level)} interval ${units(f.interval.low)}–${units(f.interval.high)}` : 'after phase 1', 'metric-forecast'),
    card('Manufacturing order', o ? `${units(qty)} units` : '—', o ? `safety stock ${pct(o.safety_stock_pct)}${unitCost ? ` · cost ${money(qty * unitCost, cur)}` : ''}${ov && ov.order_units === qty ? ` · expected margin ${money(ov.proposed.expected_margin, cur)}` : ''}` : '', 'metric-order'),
    card('Sold to date', `${units(sold)} units`, qty ? `sell-through ${pct(sold / qty, 1)} of the order` : '', 'metric-sold'),
    card('Stock in stores', model.allocation ? `${units(stock)} units` : '—', model.allocation ? `${units(model.dc)} more at the DC` : '', 'metric-stock'),
    card('Stockouts', `${units(stockouts)} store-weeks`, `${model.weeksPlayed()} of ${(model.parameters || status.parameters || {}).forecast_horizon_weeks || '—'} weeks played`, 'metric-stockouts'),
    card('Markdown', md ? `${pct(md.markdown_pct)}${md.applied ? ' applied' : ' proposed'}` : checkpoint ? 'not yet' : 'none planned', md ? `at week ${md.week}` : checkpoint ? `check at week ${checkpoint}` : '', 'metric-markdown'));
}

function pendingPanel(model, status, ctx, page) {
  const p = status.pending_approval;
  if (!p) return null;
  const d = p.data || {};
  const what = {
    manufacturing: () => `The manufacturing order of ${units(d.manufacturing_qty)} units waits for approval.`,
    markdown: () => `A ${pct(d.proposal ? d.proposal.markdown_pct : null)} markdown at week ${d.week} waits for approval.`,
    transfer: () => `Moving ${units(d.batch ? d.batch.units : null)} units between stores after week ${d.batch ? d.batch.week : '?'} waits for approval.`,
    reorder: () => `A second buy of ${units(d.plan ? d.plan.units : null)} units after week ${d.plan ? d.plan.week : '?'} (landing after week ${d.plan ? d.plan.arrival_week : '?'}) waits for approval.`,
  }[p.kind]?.() || `${words(p.kind)} (${p.approval_id}) waits for approval.`;
  return h('section', { class: 'card pending', 'data-testid': 'pending-approval' },
    h('h2', {}, 'Waiting for a decision'),
    h('p', {}, what, p.expires_at ? ` It expires ${when(p.expires_at)}.` : ''),
    ctx.can('approve')
      ? h('button', { type: 'button', class: 'primary', onclick: () => page.openApproval(true) }, 'Review and decide')
      : h('p', { class: 'muted' }, 'An approver answers it; you will see the decision here as it is made.'));
}

/**
 * The category's same weeks a year earlier (GET .../forecast), asked for once per
 * season page; the chart draws it when it arrives.
 */
function lastYear(page) {
  if (!page || page.lastYear !== undefined) return page ? page.lastYear : null;
  page.lastYear = null;
  api.get(`/api/workflows/${encodeURIComponent(page.id)}/forecast`).then((f) => {
    page.lastYear = f.last_year_weekly || [];
    if (!page.gone && page.tab === 'overview') page.render();
  }, () => {
    // Without it the chart shows the season alone.
  });
  return null;
}

function forecastChart(model, width, page) {
  const n = model.current.length || (model.parameters ? model.parameters.forecast_horizon_weeks : 12);
  const band = thresholdFraction(model);
  const latest = model.current;
  const series = [];
  const sold = [];
  const demand = [];
  for (let w = 1; w <= n; w += 1) {
    const row = model.weeks[w - 1];
    sold.push(row ? row.sold : null);
    demand.push(row ? row.demand : null);
  }
  series.push({ name: 'Units sold', cls: 'actual', kind: 'bar', values: sold });
  const ly = lastYear(page);
  const lastYearValues = Array.from({ length: n }, (_, k) => (ly && ly[k] !== null && ly[k] !== undefined ? ly[k] : null));
  if (lastYearValues.some((v) => v !== null)) series.push({ name: 'Last year, same weeks', cls: 'last-year', kind: 'line', values: lastYearValues });
  if (model.actualsMeaning === 'demand' && demand.some((d, i) => d !== null && d !== sold[i])) {
    series.push({ name: 'Demand', cls: 'demand', kind: 'points', values: demand });
  }
  model.versions.forEach((v, i) => {
    const last = i === model.versions.length - 1;
    const values = v.weekly.map((u, k) => (k + 1 >= v.from ? u : null));
    // Each superseded re-forecast its own colour (older-1..6), so they can be told apart.
    const cls = i === 0 ? 'initial' : last ? 'current' : `older older-${((i - 1) % 6) + 1}`;
    series.push({ name: i === 0 ? 'Initial forecast' : last ? `${v.label} (in force)` : v.label, cls, kind: 'line', values });
  });
  const markers = model.markers.map((m) => ({ week: m.week, label: m.label, cls: m.kind }));
  // The band of a played week is drawn around the forecast it was checked against
  // (the one in force when it was played); weeks to come, around the latest.
  const centre = latest.map((u, k) => (model.weeks[k] && model.weeks[k].forecast !== null && model.weeks[k].forecast !== undefined ? model.weeks[k].forecast : u));
  const rows = [];
  for (let w = 1; w <= n; w += 1) {
    const r = model.weeks[w - 1];
    const c = model.checks[w - 1];
    rows.push([`Week ${w}`, units(model.versions[0] ? model.versions[0].weekly[w - 1] : null), units(r ? r.forecast : null), units(latest[w - 1]), units(r ? r.sold : null), units(r ? r.demand : null), c && c.variance_percentage !== null && c.variance_percentage !== undefined ? `${c.variance_percentage.toFixed(1)}% ${c.direction}` : '—', units(lastYearValues[w - 1])]);
  }
  return weeklyChart({
    testid: 'weekly-chart',
    title: 'Forecast against actual, per week',
    summary: `Units per week: the first forecast, each re-forecast from the week it starts, the band of ±${pct(band)} around the forecast each week is checked against (beyond it a re-forecast is triggered), the units sold, and the category's same weeks a year earlier.`,
    xLabel: 'Season week', yLabel: 'Units', weeks: n, width,
    series,
    bands: latest.length ? [{ name: `±${pct(band)} variance band`, cls: 'variance', lo: centre.map((u) => u * (1 - band)), hi: centre.map((u) => u * (1 + band)) }] : [],
    markers,
    markerLegend: [{ name: 'Re-forecast', cls: 'reforecast-mark' }, { name: 'Markdown', cls: 'markdown-mark' }],
    table: { columns: ['Week', 'Initial forecast', 'Forecast when played', 'Latest forecast', 'Sold', 'Demand', 'Variance', 'Last year'], rows },
  });
}

function sellThroughChart(model, width) {
  const st = model.sellThrough();
  const p = model.parameters || {};
  const hlines = [];
  if (p.markdown_checkpoint_week && p.markdown_threshold !== null) {
    hlines.push({ y: p.markdown_threshold, label: `target ${pct(p.markdown_threshold)} at week ${p.markdown_checkpoint_week}`, cls: 'threshold', name: 'Markdown target', legend: true });
  }
  return weeklyChart({
    testid: 'sellthrough-chart',
    title: 'Cumulative sell-through against plan',
    summary: 'Units sold to date as a share of the units ordered, against the plan (the first forecast to date over the order) and the markdown target.',
    xLabel: 'Season week', yLabel: 'Sell-through', weeks: st.length || 1, width, yFormat: (v) => pct(v),
    series: [
      { name: 'Plan', cls: 'initial', kind: 'line', values: st.map((r) => r.plan) },
      { name: 'Actual', cls: 'current', kind: 'line', values: st.map((r) => r.actual) },
    ],
    hlines,
    markers: p.markdown_checkpoint_week ? [{ week: p.markdown_checkpoint_week, label: 'checkpoint', cls: 'markdown' }] : [],
    table: { columns: ['Week', 'Plan', 'Actual'], rows: st.map((r) => [`Week ${r.week}`, pct(r.plan, 1), r.actual === null ? '—' : pct(r.actual, 1)]) },
  });
}

function stockChart(model, width) {
  const n = model.current.length || 0;
  const byWeek = new Map(model.stockByWeek.map((r) => [r.week, r]));
  const stores = [];
  const dc = [];
  const cats = [];
  for (let w = 0; w <= n; w += 1) {
    const r = byWeek.get(w);
    stores.push(r ? r.stores : null);
    dc.push(r ? r.dc : null);
    cats.push(w === 0 ? 'launch' : String(w));
  }
  return weeklyChart({
    testid: 'stock-chart',
    title: 'Stock in stores and at the DC',
    summary: 'Units on hand at the end of each week, after that week\'s replenishment; launch is the stock shipped at week 0.',
    xLabel: 'Season week', yLabel: 'Units on hand', weeks: n + 1, width, categories: cats,
    series: [
      { name: 'In stores', cls: 'current', kind: 'line', values: stores },
      { name: 'At the DC', cls: 'dc', kind: 'line', values: dc },
    ],
    table: { columns: ['Week', 'In stores', 'At the DC'], rows: cats.map((c, i) => [c, units(stores[i]), units(dc[i])]) },
  });
}

function clusterSection(model, width) {
  const a = model.allocation;
  if (!a) return null;
  const total = a.clusters.reduce((t, c) => t + c.units, 0) || 1;
  return h('section', { class: 'card' },
    h('h2', {}, 'Clusters'),
    h('div', { class: 'cluster-cards' }, a.clusters.map((c) => h('div', { class: `cluster c-${c.cluster_id}`, 'data-testid': 'cluster-card' },
      h('h3', {}, words(c.cluster_id)),
      h('p', { class: 'metric-value' }, `${units(c.units)} units`),
      h('p', { class: 'muted' }, `${c.stores} stores · ${pct(c.units / total)} of the order · ${pct(c.share)} of past sales`)))),
    barList({
      testid: 'cluster-chart', title: 'Allocation by cluster', width,
      summary: 'Units of the order allocated to each store cluster for the season.',
      xLabel: 'Units allocated',
      rows: a.clusters.map((c) => ({ label: words(c.cluster_id), value: c.units, cls: `c-${c.cluster_id}` })),
      table: { columns: ['Cluster', 'Stores', 'Units', 'Share of the order'], rows: a.clusters.map((c) => [words(c.cluster_id), String(c.stores), units(c.units), pct(c.units / total, 1)]) },
    }));
}

function replenishmentChart(model, width) {
  const n = model.current.length || 0;
  const repl = new Array(n).fill(null);
  const moved = new Array(n).fill(null);
  for (const r of model.replenishments) repl[r.week - 1] = (repl[r.week - 1] || 0) + r.units;
  for (const t of model.transfers) moved[t.week - 1] = (moved[t.week - 1] || 0) + t.units;
  const series = [{ name: 'DC to stores', cls: 'dc', kind: 'bar', values: repl }];
  if (model.transfers.length) series.push({ name: 'Store to store', cls: 'transfer', kind: 'bar', values: moved });
  const rows = [];
  for (const r of model.replenishments) {
    const top = [...r.byStore].sort((x, y) => y.units - x.units).slice(0, 3).map((x) => `${x.store_id} ${units(x.units)}`).join(', ');
    rows.push([`Week ${r.week}`, 'DC', `${r.stores} stores (most: ${top})`, units(r.units)]);
  }
  for (const t of model.transfers) rows.push([`Week ${t.week}`, t.from_store, t.to_store, units(t.units)]);
  const none = model.parameters && model.parameters.replenishment_strategy === 'none' && !model.transfers.length;
  return weeklyChart({
    testid: 'replenishment-chart',
    title: 'Replenishment and transfers per week',
    summary: none ? 'Replenishment is off for this season (strategy none): stores received everything at launch.' : 'Units sent after each week: from the DC to stores, and between stores when transfers are made.',
    xLabel: 'After season week', yLabel: 'Units sent', weeks: n || 1, width,
    series,
    table: { columns: ['Week', 'From', 'To', 'Units'], rows },
  });
}

function membersTable(model) {
  const f = model.forecast;
  if (!f || !f.members) return null;
  return h('section', { class: 'card' },
    h('h2', {}, 'Forecast summary'),
    h('p', { class: 'muted' }, `An equal-weight ensemble of ${f.members.length} models; the season total is ${units(f.total_season_demand)} units, ${pct(f.interval.level)} interval ${units(f.interval.low)}–${units(f.interval.high)}.`),
    h('table', { class: 'data compact' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col', class: 'num' }, 'Season total'))),
      h('tbody', {}, f.members.map((m) => h('tr', {}, h('th', { scope: 'row' }, words(m.model)), h('td', { class: 'num' }, units(m.total)))))));
}

/** The overview tab. */
export function renderOverview({ model, status, ctx, page, width }) {
  const wide = width >= 1100;
  const cw = wide ? (width - 24) / 2 - 34 : width - 34;
  if (!model.forecast) {
    return h('div', {}, metrics(model, status), pendingPanel(model, status, ctx, page), h('p', { class: 'muted' }, 'The forecast appears here once Demand has run.'));
  }
  return h('div', {},
    metrics(model, status),
    pendingPanel(model, status, ctx, page),
    h('div', { class: wide ? 'grid2' : 'grid1' },
      h('section', { class: 'card chart-card' }, forecastChart(model, cw, page)),
      h('section', { class: 'card chart-card' }, sellThroughChart(model, cw)),
      model.allocation ? h('section', { class: 'card chart-card' }, stockChart(model, cw)) : null,
      model.allocation ? h('section', { class: 'card chart-card' }, replenishmentChart(model, cw)) : null,
      clusterSection(model, cw),
      membersTable(model)));
}

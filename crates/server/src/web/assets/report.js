// The season report: money with its currency (when the report carries money),
// fill rate, lost sales, leftover, markdown cost, margin, forecast error, and the
// next-season recommendations; printable as a page.

import { h } from './dom.js';
import { day, fieldLabel, humanize, money, pct, units, when, words } from './format.js';

function card(label, value, sub, testid) {
  return h('div', { class: 'metric', 'data-testid': testid }, h('div', { class: 'metric-label' }, label), h('div', { class: 'metric-value' }, value), sub ? h('div', { class: 'metric-sub muted' }, sub) : null);
}

const has = (r, k) => r[k] !== undefined && r[k] !== null;

function recommendationValue(param, v) {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : String(v);
  return /pct|percentage|threshold|ratio/.test(param) && v <= 1 ? pct(v, 1) : units(v);
}

export function renderReport({ model, status, page }) {
  const r = model.report || status.report;
  if (!r) {
    return h('section', { class: 'card' }, h('h2', {}, 'Season report'), h('p', { class: 'muted' }, 'The report appears here when the season completes.'));
  }
  const cur = r.currency || model.money.currency || (model.tunables && model.tunables.currency);
  const p = status.parameters || model.parameters || {};
  // Recorded sales are what sold, not what was asked for: a store that ran out
  // may have turned shoppers away unseen. Demand, fill rate, lost sales and the
  // perfect-foresight margin are then unknown, and the report says so.
  const demandKnown = (status.actuals_meaning || model.actualsMeaning) === 'demand';
  const stockoutStores = model.stores.filter((st) => st.stockout_weeks > 0).length;
  const stockoutWeeks = model.stores.reduce((t, st) => t + st.stockout_weeks, 0);
  const moneyCards = [
    has(r, 'revenue') ? card('Revenue', money(r.revenue, cur), null, 'report-revenue') : null,
    has(r, 'gross_margin') ? card('Gross margin', money(r.gross_margin, cur), has(r, 'revenue') && r.revenue ? `${pct(r.gross_margin / r.revenue, 1)} of revenue` : null, 'report-margin') : null,
    card('Markdown cost', money(r.markdown_cost, cur), null, 'report-markdown-cost'),
    has(r, 'leftover_value') ? card('Leftover value', money(r.leftover_value, cur), 'at salvage', 'report-leftover-value') : null,
    has(r, 'perfect_foresight_margin') ? card('Perfect-foresight margin', money(r.perfect_foresight_margin, cur), 'an order equal to demand, no markdown', 'report-pf') : null,
    has(r, 'margin_capture') ? card('Margin captured', pct(r.margin_capture, 1), 'of the perfect-foresight margin', 'report-capture') : null,
  ].filter(Boolean);
  const unitCards = [
    card('Units sold', units(r.units_sold), null, 'report-sold'),
    demandKnown ? card('Fill rate', pct(r.fill_rate, 1), 'sold ÷ demand', 'report-fill-rate') : card('Fill rate', 'unknown', 'demand was not recorded', 'report-fill-rate'),
    demandKnown ? card('Lost sales', `${units(r.lost_sales)} units`, 'demand a store could not meet', 'report-lost') : card('Lost sales', 'unknown', `${units(stockoutStores)} stores ran out in ${units(stockoutWeeks)} store-weeks`, 'report-lost'),
    card('Leftover', `${units(r.leftover_units)} units`, `${units(r.leftover_in_stores)} in stores, ${units(r.leftover_at_dc)} at the DC`, 'report-leftover'),
    card('Sell-through', pct(r.sell_through, 1), 'of the units ordered', 'report-sell-through'),
    card('Forecast error', `MAPE ${pct(r.mape, 1)}`, `bias ${r.bias >= 0 ? '+' : ''}${pct(r.bias, 1)}${demandKnown ? '' : ', against recorded sales'}`, 'report-mape'),
    has(r, 'stock_adjustments') ? card('Stock adjustments', `${units(r.stock_adjustments)} units`, 'recorded sales above book stock', 'report-adjustments') : null,
  ].filter(Boolean);
  const recs = r.recommendations || [];
  return h('article', { class: 'report card', 'data-testid': 'season-report' },
    h('div', { class: 'page-head' },
      h('div', {}, h('h2', {}, `Season report · ${model.category || status.category || ''}`),
        h('p', { class: 'muted' }, `${p.forecast_horizon_weeks} weeks from ${day(p.season_start_date)} to ${day(p.season_end_date || '')}${cur ? ` · money in ${cur}` : ''}`)),
      h('div', { class: 'actions no-print' },
        h('button', { type: 'button', 'data-testid': 'print-report', onclick: () => window.print() }, 'Print'),
        h('span', { class: 'muted small' }, 'CSV:'),
        ['summary', 'weeks', 'stores', 'approvals', 'timeline'].map((t) => h('button', { type: 'button', class: 'small', 'data-testid': `export-csv-${t}`, 'aria-label': `Download the ${t} table as CSV`, onclick: () => page.act('Download', () => page.download(`export/${t}`, `${t}-${page.id}.csv`)) }, t)))),
    h('h3', {}, 'Money'),
    h('div', { class: 'metrics' }, moneyCards),
    has(r, 'revenue') ? null : h('p', { class: 'muted small' }, 'This report carries no revenue or margin figures; only the markdown cost is priced.'),
    h('h3', {}, 'Units and service'),
    demandKnown ? null : h('p', { class: 'note', 'data-testid': 'report-demand-unknown' },
      `This season's weekly actuals are recorded sales, so demand is unknown: fill rate and lost sales cannot be measured (${units(stockoutStores)} stores ran out at least once${has(r, 'stock_adjustments') && r.stock_adjustments ? `, and ${units(r.stock_adjustments)} units sold above book stock were counted as stock adjustments` : ''}), and the perfect-foresight margin, which needs demand, is not computed.`),
    h('div', { class: 'metrics' }, unitCards),
    approvalsTable(status, model, cur),
    h('h3', {}, 'For next season'),
    status.state === 'completed' ? h('p', { class: 'no-print' }, h('a', { href: `#/season/${encodeURIComponent(page.id)}/whatif`, 'data-testid': 'report-whatif' }, 'Try the what-if: next season\'s settings simulated on seasons like this one')) : null,
    recs.length ? h('table', { class: 'data', 'data-testid': 'recommendations' },
      h('thead', {}, h('tr', {}, ['Parameter', 'This season', 'Proposed', 'Expected margin gain', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, recs.map((x) => h('tr', {},
        h('th', { scope: 'row' }, words(x.parameter)),
        h('td', {}, recommendationValue(x.parameter, x.current)),
        h('td', {}, recommendationValue(x.parameter, x.proposed)),
        h('td', { class: 'num' }, `${money(x.expected_margin_gain, cur)}${x.interval ? ` (${money(x.interval[0], cur)} to ${money(x.interval[1], cur)})` : ''}`),
        h('td', {}, humanize(x.reason)))))) : null,
    (r.suggestions || []).length ? h('ul', { class: 'suggestions' }, r.suggestions.map((t) => h('li', {}, humanize(t)))) : null);
}

/** The decisions and who took them: one row per answered approval. */
function approvalsTable(status, model, cur) {
  const rows = approvalRows(status, model, cur);
  if (!rows.length) return null;
  return [h('h3', {}, 'Decisions'),
    h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Decisions' }, h('table', { class: 'data', 'data-testid': 'report-approvals' },
      h('thead', {}, h('tr', {}, ['Approval', 'Decision', 'Answered by', 'When'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((x) => h('tr', {}, h('th', { scope: 'row' }, x.what), h('td', {}, x.decision), h('td', {}, x.by), h('td', {}, x.at))))))];
}

/** Answered approvals in words: {what, decision, by, at}. */
export function approvalRows(status, model, cur) {
  const answered = status.approvals || [];
  return answered.map((a) => {
    const res = a.resolution || {};
    const mods = Object.entries(res.modifications || {}).filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${fieldLabel(k).toLowerCase()} ${k.endsWith('_pct') ? pct(v, 1) : units(v)}`);
    const kind = { manufacturing: 'Manufacturing order', markdown: 'Markdown', transfer: 'Transfers' }[a.kind] || words(a.kind);
    return {
      what: `${kind} (${a.approval_id})`,
      decision: a.expired ? `expired: ${words(a.expired)}` : res.action === 'modify' ? `modified: ${mods.join(', ')}` : 'accepted',
      by: a.by || (a.expired ? 'no one (expired)' : '—'),
      at: model.approvals.get(a.approval_id) && model.approvals.get(a.approval_id).at ? when(model.approvals.get(a.approval_id).at) : '',
      cur,
    };
  });
}

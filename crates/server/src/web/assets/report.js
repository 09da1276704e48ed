// The season report: money with its currency (when the report carries money),
// fill rate, lost sales, leftover, markdown cost, margin, forecast error, and the
// next-season recommendations; printable as a page.

import { h } from './dom.js';
import { money, pct, units, words } from './format.js';

function card(label, value, sub, testid) {
  return h('div', { class: 'metric', 'data-testid': testid }, h('div', { class: 'metric-label' }, label), h('div', { class: 'metric-value' }, value), sub ? h('div', { class: 'metric-sub muted' }, sub) : null);
}

const has = (r, k) => r[k] !== undefined && r[k] !== null;

function recommendationValue(param, v) {
  if (typeof v !== 'number') return v === null || v === undefined ? '—' : String(v);
  return /pct|percentage|threshold|ratio/.test(param) && v <= 1 ? pct(v, 1) : units(v);
}

export function renderReport({ model, status }) {
  const r = model.report || status.report;
  if (!r) {
    return h('section', { class: 'card' }, h('h2', {}, 'Season report'), h('p', { class: 'muted' }, 'The report appears here when the season completes.'));
  }
  const cur = r.currency || model.money.currency;
  const p = status.parameters || model.parameters || {};
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
    card('Fill rate', pct(r.fill_rate, 1), 'sold ÷ demand', 'report-fill-rate'),
    card('Lost sales', `${units(r.lost_sales)} units`, 'demand a store could not meet', 'report-lost'),
    card('Leftover', `${units(r.leftover_units)} units`, `${units(r.leftover_in_stores)} in stores, ${units(r.leftover_at_dc)} at the DC`, 'report-leftover'),
    card('Sell-through', pct(r.sell_through, 1), 'of the units ordered', 'report-sell-through'),
    card('Forecast error', `MAPE ${pct(r.mape, 1)}`, `bias ${r.bias >= 0 ? '+' : ''}${pct(r.bias, 1)}`, 'report-mape'),
    has(r, 'stock_adjustments') ? card('Stock adjustments', `${units(r.stock_adjustments)} units`, 'recorded sales above book stock', 'report-adjustments') : null,
  ].filter(Boolean);
  const recs = r.recommendations || [];
  return h('article', { class: 'report card', 'data-testid': 'season-report' },
    h('div', { class: 'page-head' },
      h('div', {}, h('h2', {}, `Season report · ${model.category || status.category || ''}`),
        h('p', { class: 'muted' }, `${p.forecast_horizon_weeks} weeks from ${p.season_start_date} to ${p.season_end_date || ''}${cur ? ` · money in ${cur}` : ''}`)),
      h('div', { class: 'actions no-print' }, h('button', { type: 'button', 'data-testid': 'print-report', onclick: () => window.print() }, 'Print'))),
    h('h3', {}, 'Money'),
    h('div', { class: 'metrics' }, moneyCards),
    has(r, 'revenue') ? null : h('p', { class: 'muted small' }, 'This report carries no revenue or margin figures; only the markdown cost is priced.'),
    h('h3', {}, 'Units and service'),
    h('div', { class: 'metrics' }, unitCards),
    h('h3', {}, 'For next season'),
    recs.length ? h('table', { class: 'data', 'data-testid': 'recommendations' },
      h('thead', {}, h('tr', {}, ['Parameter', 'This season', 'Proposed', 'Expected margin gain', 'Reason'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, recs.map((x) => h('tr', {},
        h('th', { scope: 'row' }, words(x.parameter)),
        h('td', {}, recommendationValue(x.parameter, x.current)),
        h('td', {}, recommendationValue(x.parameter, x.proposed)),
        h('td', { class: 'num' }, `${money(x.expected_margin_gain, cur)}${x.interval ? ` (${money(x.interval[0], cur)} to ${money(x.interval[1], cur)})` : ''}`),
        h('td', {}, x.reason))))) : null,
    (r.suggestions || []).length ? h('ul', { class: 'suggestions' }, r.suggestions.map((t) => h('li', {}, t))) : null);
}

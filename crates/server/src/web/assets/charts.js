// Hand-written SVG charts. Each is a <figure> with a title, an SVG that names itself
// (role="img", <title>, <desc>), labelled axes, a legend, and a table view of the
// same numbers, so the chart can be read by a screen reader and checked by eye.

import { h, s, uid } from './dom.js';
import { money, moneyShort, units } from './format.js';

const PAD = { top: 16, right: 16, bottom: 44, left: 64 };

function niceStep(max, count) {
  const raw = max / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / mag;
  const step = n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10;
  return step * mag;
}

/**
 * Ticks from 0 to at least max. Whole units (`integer`) never step below 1, so an
 * empty chart reads 0, 1 rather than 0, 0, 0, 1, 1, 1.
 */
export function ticks(max, count = 5, integer = false) {
  const step = integer ? Math.max(1, niceStep(max || 1, count)) : niceStep(max || 1, count);
  const top = Math.ceil((max || 1) / step) * step;
  const out = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(v);
  return out;
}

function frame({ title, summary, xLabel, yLabel, width, height, yTicks, yFormat, weeks, x, y, categorical }) {
  const ids = { t: uid('ct'), d: uid('cd') };
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': `${ids.t} ${ids.d}`, class: 'chart-svg',
  }, s('title', { id: ids.t }, title), s('desc', { id: ids.d }, summary));
  const grid = s('g', { class: 'grid' });
  for (const v of yTicks) {
    grid.append(
      s('line', { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }),
      s('text', { x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end', class: 'tick tick-y' }, yFormat(v)),
    );
  }
  const every = weeks > 26 ? 4 : weeks > 13 ? 2 : 1;
  for (let w = 1; w <= weeks; w += 1) {
    if ((w - 1) % every !== 0 && w !== weeks) continue;
    grid.append(s('text', { x: x(w), y: height - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick tick-x' }, categorical ? categorical[w - 1] : String(w)));
  }
  svg.append(
    grid,
    s('line', { class: 'axis', x1: PAD.left, x2: width - PAD.right, y1: y(0), y2: y(0) }),
    s('text', { class: 'axis-label', x: PAD.left + (width - PAD.left - PAD.right) / 2, y: height - 6, 'text-anchor': 'middle' }, xLabel),
    s('text', { class: 'axis-label', x: 14, y: PAD.top + (height - PAD.top - PAD.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${PAD.top + (height - PAD.top - PAD.bottom) / 2})` }, yLabel),
  );
  return svg;
}

function legend(items) {
  return h('ul', { class: 'legend' }, items.map((i) => h('li', {}, h('span', { class: `swatch ${i.cls}`, 'aria-hidden': 'true' }), i.name)));
}

function tableView(columns, rows) {
  return h('details', { class: 'table-view' },
    h('summary', {}, 'Table view'),
    h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Table view, scrolls sideways' }, h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => (i === 0 ? h('th', { scope: 'row' }, v) : h('td', {}, v)))))),
    )));
}

function path(points) {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (py === null || Number.isNaN(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/**
 * A weekly chart: lines, bars and bands over weeks 1..N, with vertical markers and
 * horizontal reference lines.
 *
 * opts: {testid, title, summary, xLabel, yLabel, weeks, width, yFormat,
 *   series: [{name, cls, kind: 'line'|'bar'|'points', values}],
 *   bands: [{name, cls, lo, hi}], markers: [{week, label, cls}],
 *   hlines: [{y, label, cls}], table: {columns, rows}, categories}
 */
export function weeklyChart(opts) {
  const width = Math.max(320, Math.floor(opts.width || 640));
  const height = opts.height || 280;
  const weeks = Math.max(1, opts.weeks);
  const yFormat = opts.yFormat || units;
  let max = 0;
  for (const sr of opts.series) for (const v of sr.values) if (v !== null && v !== undefined) max = Math.max(max, v);
  for (const b of opts.bands || []) for (const v of b.hi) if (v !== null && v !== undefined) max = Math.max(max, v);
  for (const l of opts.hlines || []) max = Math.max(max, l.y);
  const yTicks = ticks(max * 1.05, 5, !opts.yFormat);
  const top = yTicks[yTicks.length - 1] || 1;
  const plotW = width - PAD.left - PAD.right;
  const slot = plotW / weeks;
  const x = (w) => PAD.left + slot * (w - 0.5);
  const y = (v) => PAD.top + (height - PAD.top - PAD.bottom) * (1 - v / top);
  const svg = frame({ ...opts, width, height, yTicks, yFormat, weeks, x, y, categorical: opts.categories });
  for (const b of opts.bands || []) {
    const upper = [];
    const lower = [];
    for (let w = 1; w <= weeks; w += 1) {
      const lo = b.lo[w - 1];
      const hi = b.hi[w - 1];
      if (lo === null || lo === undefined || hi === null || hi === undefined) continue;
      upper.push(`${x(w).toFixed(1)},${y(hi).toFixed(1)}`);
      lower.unshift(`${x(w).toFixed(1)},${y(lo).toFixed(1)}`);
    }
    if (upper.length) svg.append(s('polygon', { class: `band ${b.cls}`, points: [...upper, ...lower].join(' '), 'data-hi': JSON.stringify(b.hi.map((v) => (v === null || v === undefined ? null : Math.round(v * 100) / 100))) }));
  }
  const bars = opts.series.filter((sr) => sr.kind === 'bar');
  const barW = Math.min(28, (slot * 0.8) / Math.max(1, bars.length));
  bars.forEach((sr, k) => {
    const g = s('g', { class: `bars ${sr.cls}` });
    sr.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const bx = x(i + 1) - (barW * bars.length) / 2 + k * barW;
      g.append(s('rect', { x: bx.toFixed(1), y: y(v).toFixed(1), width: Math.max(1, barW - 1).toFixed(1), height: Math.max(0, y(0) - y(v)).toFixed(1) },
        s('title', {}, `${sr.name}, week ${i + 1}: ${yFormat(v)}`)));
    });
    svg.append(g);
  });
  for (const l of opts.hlines || []) {
    svg.append(
      s('line', { class: `hline ${l.cls}`, x1: PAD.left, x2: width - PAD.right, y1: y(l.y), y2: y(l.y) }),
      s('text', { class: `hline-label ${l.cls}`, x: width - PAD.right - 4, y: y(l.y) - 4, 'text-anchor': 'end' }, l.label),
    );
  }
  for (const sr of opts.series.filter((q) => q.kind !== 'bar')) {
    const pts = sr.values.map((v, i) => [x(i + 1), v === null || v === undefined ? null : y(v)]);
    if (sr.kind !== 'points') svg.append(s('path', { class: `line ${sr.cls}`, d: path(pts) }));
    const g = s('g', { class: `dots ${sr.cls}` });
    pts.forEach(([px, py], i) => {
      if (py === null) return;
      g.append(s('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: sr.kind === 'points' ? 4 : 2.5 }, s('title', {}, `${sr.name}, week ${i + 1}: ${yFormat(sr.values[i])}`)));
    });
    svg.append(g);
  }
  // Marker labels take the first row where they do not overprint the one before
  // (about 6 px a character at 10.5 px); with no room left the label is dropped and
  // the marker keeps its <title> and the legend.
  const rowEnds = [];
  const rows = Math.max(1, Math.min(4, Math.floor((height - PAD.top - PAD.bottom) / 40)));
  for (const m of opts.markers || []) {
    const mx = PAD.left + slot * m.week;
    const line = s('line', { class: `marker ${m.cls}`, x1: mx, x2: mx, y1: PAD.top, y2: y(0) }, s('title', {}, m.label));
    svg.append(line);
    const w = m.label.length * 6;
    const left = mx + 3 + w > width - PAD.right ? mx - 3 - w : mx + 3;
    let r = 0;
    while (r < rows && rowEnds[r] !== undefined && rowEnds[r] > left - 4) r += 1;
    if (r >= rows) continue;
    rowEnds[r] = left + w;
    svg.append(s('text', { class: `marker-label ${m.cls}`, x: left, y: PAD.top + 10 + 12 * r }, m.label));
  }
  const items = [...(opts.bands || []), ...opts.series, ...(opts.hlines || []).filter((l) => l.legend), ...(opts.markerLegend || [])];
  return h('figure', { class: 'chart', 'data-testid': opts.testid },
    h('figcaption', {}, h('h3', {}, opts.title), h('p', { class: 'muted' }, opts.summary)),
    h('div', { class: 'chart-box' }, svg),
    legend(items),
    opts.table ? tableView(opts.table.columns, opts.table.rows) : null);
}

/** Horizontal bars, one per category: [{label, value, note}]. */
export function barList(opts) {
  const width = Math.max(320, Math.floor(opts.width || 640));
  const rowH = 34;
  const left = 150;
  const height = PAD.top + rowH * opts.rows.length + 36;
  const max = Math.max(1, ...opts.rows.map((r) => r.value));
  const tk = ticks(max, 5, !opts.format);
  const top = tk[tk.length - 1];
  const x = (v) => left + (width - left - PAD.right - 60) * (v / top);
  const ids = { t: uid('ct'), d: uid('cd') };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': `${ids.t} ${ids.d}`, class: 'chart-svg' },
    s('title', { id: ids.t }, opts.title), s('desc', { id: ids.d }, opts.summary));
  const g = s('g', { class: 'grid' });
  for (const v of tk) {
    g.append(s('line', { x1: x(v), x2: x(v), y1: PAD.top - 4, y2: height - 30 }),
      s('text', { class: 'tick', x: x(v), y: height - 16, 'text-anchor': 'middle' }, (opts.format || units)(v)));
  }
  svg.append(g, s('text', { class: 'axis-label', x: left + (width - left) / 2, y: height - 2, 'text-anchor': 'middle' }, opts.xLabel));
  opts.rows.forEach((r, i) => {
    const ry = PAD.top + i * rowH;
    svg.append(
      s('text', { class: 'bar-label', x: left - 8, y: ry + rowH / 2 + 4, 'text-anchor': 'end' }, r.label),
      s('rect', { class: `bar ${r.cls || ''}`, x: left, y: ry + 5, width: Math.max(1, x(r.value) - left).toFixed(1), height: rowH - 12 }, s('title', {}, `${r.label}: ${(opts.format || units)(r.value)}`)),
      s('text', { class: 'bar-value', x: x(r.value) + 6, y: ry + rowH / 2 + 4 }, (opts.format || units)(r.value)),
    );
  });
  return h('figure', { class: 'chart', 'data-testid': opts.testid },
    h('figcaption', {}, h('h3', {}, opts.title), h('p', { class: 'muted' }, opts.summary)),
    h('div', { class: 'chart-box' }, svg),
    opts.table ? tableView(opts.table.columns, opts.table.rows) : null);
}

/** Ticks across [lo, hi] at a round step (not from zero): a money axis. */
function spanTicks(lo, hi, count) {
  const step = niceStep(Math.max(hi - lo, 1), count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step / 1e6; v += step) out.push(v);
  return out;
}

/**
 * Ranges on one money axis, one row each: a bar from p10 to p90 and a mark at
 * the median, labelled with it. rows: [{label, cls, p10, p50, p90}];
 * opts: {testid, title, summary, width, currency}.
 */
export function rangeChart(opts) {
  const width = Math.max(300, Math.floor(opts.width || 640));
  const left = width < 480 ? 92 : 120;
  const right = 24;
  const rowH = 46;
  const height = 18 + rowH * opts.rows.length + 34;
  let lo = Math.min(...opts.rows.map((r) => r.p10));
  let hi = Math.max(...opts.rows.map((r) => r.p90));
  const pad = Math.max((hi - lo) * 0.08, Math.abs(hi) * 0.01, 1);
  lo -= pad;
  hi += pad;
  const x = (v) => left + (width - left - right) * ((v - lo) / (hi - lo));
  const short = (v) => moneyShort(v, opts.currency);
  const ids = { t: uid('ct'), d: uid('cd') };
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': `${ids.t} ${ids.d}`, class: 'chart-svg range-chart' },
    s('title', { id: ids.t }, opts.title), s('desc', { id: ids.d }, opts.summary));
  const grid = s('g', { class: 'grid' });
  for (const v of spanTicks(lo, hi, width < 480 ? 3 : 5)) {
    grid.append(s('line', { x1: x(v), x2: x(v), y1: 10, y2: height - 30 }),
      s('text', { class: 'tick', x: x(v), y: height - 14, 'text-anchor': 'middle' }, short(v)));
  }
  svg.append(grid);
  opts.rows.forEach((r, i) => {
    const cy = 18 + i * rowH + rowH / 2;
    svg.append(
      s('text', { class: 'bar-label', x: left - 8, y: cy + 4, 'text-anchor': 'end' }, r.label),
      s('rect', { class: `range ${r.cls}`, x: x(r.p10).toFixed(1), y: cy - 7, width: Math.max(2, x(r.p90) - x(r.p10)).toFixed(1), height: 14, rx: 3 },
        s('title', {}, `${r.label}: p10 ${money(r.p10, opts.currency)}, p90 ${money(r.p90, opts.currency)}`)),
      s('line', { class: `range-median ${r.cls}`, x1: x(r.p50), x2: x(r.p50), y1: cy - 12, y2: cy + 12 },
        s('title', {}, `${r.label}: median ${money(r.p50, opts.currency)}`)),
      s('text', { class: 'range-value', x: x(r.p50), y: cy - 15, 'text-anchor': 'middle' }, short(r.p50)),
    );
  });
  return h('figure', { class: 'chart', 'data-testid': opts.testid },
    h('figcaption', {}, h('h4', {}, opts.title), h('p', { class: 'muted small' }, 'Bars run from p10 to p90; the mark is the median.')),
    h('div', { class: 'chart-box' }, svg));
}

// Uploads, checked before anything is recorded: drop a CSV (a week's sales, a sales
// history, store attributes), see its first rows and the problems found in the
// browser (header, dates, quantities) with their line and field; the server then
// checks the whole file and refuses it, naming line and field, or records it. Also
// the weeks table and replenishment queue of a season, and the data sets page.

import { h, mount, toast } from './dom.js';
import * as api from './api.js';
import { day, humanize, percent, units, words } from './format.js';

/** Splits CSV text into rows of fields (quotes and doubled quotes understood). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 1; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.length > 1 || r[0] !== '');
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const KINDS = {
  actuals: { columns: ['date', 'store_id', 'quantity_sold'], numeric: ['quantity_sold'] },
  history: { columns: ['date', 'store_id', 'category', 'quantity_sold', 'revenue'], numeric: ['quantity_sold', 'revenue'] },
  stores: { columns: ['store_id'], numeric: [] },
};

/** Problems the browser can see: [{line, field, message}] (line 1 is the header). */
export function check(kind, rows) {
  const spec = KINDS[kind];
  const out = [];
  if (!rows.length) return [{ line: 1, field: null, message: 'the file is empty' }];
  const header = rows[0].map((c) => c.trim().toLowerCase());
  for (const col of spec.columns) if (!header.includes(col)) out.push({ line: 1, field: col, message: `the header has no column '${col}'` });
  if (out.length) return out;
  const at = Object.fromEntries(header.map((c, i) => [c, i]));
  for (let r = 1; r < rows.length && out.length < 20; r += 1) {
    const line = r + 1;
    if (rows[r].length !== header.length) { out.push({ line, field: null, message: `${rows[r].length} fields where the header has ${header.length}` }); continue; }
    if (at.date !== undefined && !DATE.test(rows[r][at.date].trim())) out.push({ line, field: 'date', message: `'${rows[r][at.date]}' is not a date YYYY-MM-DD` });
    for (const col of spec.numeric) {
      const v = rows[r][at[col]].trim();
      const ok = col === 'revenue' ? v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 : /^\d+$/.test(v);
      if (!ok) out.push({ line, field: col, message: `'${v}' is not ${col === 'revenue' ? 'a non-negative amount' : 'a whole number of units'}` });
    }
  }
  if (rows.length < 2) out.push({ line: 2, field: null, message: 'the file has no rows' });
  return out;
}

/**
 * A drop zone with preview and errors. opts: {kind, title, hint, action(file) →
 * Promise<string> (what was recorded), testid}. Returns a DOM node kept across
 * re-renders by its owner.
 */
export function uploadBox(opts) {
  let file = null;
  let lines = [];
  const input = h('input', { type: 'file', accept: '.csv,text/csv', id: `file-${opts.kind}`, class: 'visually-hidden', 'data-testid': `upload-input-${opts.kind}` });
  const preview = h('div', { class: 'preview', 'data-testid': `upload-preview-${opts.kind}` });
  const problems = h('div', { class: 'problems', role: 'alert', 'data-testid': `upload-errors-${opts.kind}` });
  const result = h('p', { class: 'ok-text', role: 'status', 'data-testid': `upload-result-${opts.kind}` });
  const sendBtn = h('button', { type: 'button', class: 'primary', disabled: true, 'data-testid': `upload-send-${opts.kind}` }, opts.sendLabel || 'Check and record');
  const zone = h('label', { for: input.id, class: 'drop', tabindex: 0 }, h('strong', {}, 'Drop a CSV file here'), ' or click to choose one. ', h('span', { class: 'muted' }, opts.hint));

  function showProblems(list, fromServer) {
    // "Line 3, column store_id: …", or without a line "The dates: …" / "Column x: …".
    const where = (p) => {
      if (p.line) return [h('strong', {}, `Line ${p.line}`), p.field ? [', column ', h('code', {}, p.field)] : null, ': '];
      if (p.field === 'date') return [h('strong', {}, 'The dates'), ': '];
      if (p.field) return [h('strong', {}, `Column ${p.field}`), ': '];
      return null;
    };
    mount(problems, list.length ? h('ul', {}, list.map((p) => h('li', { 'data-line': p.line || '' },
      where(p), humanize(p.message),
      fromServer && p.line && lines[p.line - 1] !== undefined ? h('div', { class: 'mono small muted' }, `${p.line} │ ${lines[p.line - 1]}`) : null))) : null);
    for (const tr of preview.querySelectorAll('tr[data-line]')) tr.classList.toggle('bad', list.some((p) => String(p.line) === tr.dataset.line));
  }

  async function take(f) {
    file = f;
    result.textContent = '';
    const text = await f.text();
    lines = text.split(/\r?\n/);
    const rows = parseCsv(text);
    mount(preview,
      h('p', { class: 'muted' }, `${f.name}: ${units(Math.max(0, rows.length - 1))} rows. The first rows:`),
      h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'The file\'s first rows' }, h('table', { class: 'data compact' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Line'), (rows[0] || []).map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.slice(1, 6).map((r, i) => h('tr', { 'data-line': i + 2 }, h('td', { class: 'muted' }, String(i + 2)), r.map((c) => h('td', {}, c))))))));
    const found = check(opts.kind, rows);
    showProblems(found, true);
    sendBtn.disabled = found.length > 0;
  }

  input.addEventListener('change', () => input.files[0] && take(input.files[0]));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer.files[0]) take(e.dataTransfer.files[0]);
  });
  zone.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.click(); } });
  sendBtn.addEventListener('click', async () => {
    if (!file) return;
    sendBtn.disabled = true;
    result.textContent = 'Checking the whole file on the server…';
    try {
      result.textContent = await opts.action(file);
      showProblems([]);
      toast(result.textContent);
    } catch (e) {
      result.textContent = '';
      // The server's message repeats where; the list says it once.
      const message = e.message.replace(/^[^:]*: line \d+, field '[^']*': /, '');
      showProblems([{ line: e.line, field: e.field, message }], true);
      sendBtn.disabled = false;
    }
  });
  return h('section', { class: 'card upload', 'data-testid': opts.testid },
    h('h2', {}, opts.title), input, zone, preview, problems, h('div', { class: 'actions' }, sendBtn), result);
}

function weekTable(model, status) {
  const rows = status.weeks || [];
  if (!rows.length) return h('p', { class: 'muted' }, 'No week recorded yet.');
  return h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Weeks' }, h('table', { class: 'data', 'data-testid': 'weeks-table' },
    h('thead', {}, h('tr', {}, ['Week', 'Forecast', 'Sold', 'Demand', 'Variance', 'Re-forecast', 'Replenished', 'Stores out'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, c)))),
    h('tbody', {}, rows.map((w) => h('tr', { class: w.threshold_exceeded ? 'alert-row' : '' },
      h('th', { scope: 'row' }, `Week ${w.week}`), h('td', { class: 'num' }, units(w.forecast)), h('td', { class: 'num' }, units(w.actual)), h('td', { class: 'num' }, units(w.demand)),
      h('td', { class: 'num' }, w.variance_pct === null ? '—' : `${percent(w.variance_pct)} ${w.direction || ''}`), h('td', { class: 'num' }, w.reforecast ? 'yes' : ''),
      h('td', { class: 'num' }, units(w.replenished)), h('td', { class: 'num' }, units(w.stockout_stores)))))));
}

function queue(model) {
  const shipped = model.replenishments.filter((r) => r.units > 0);
  if (!shipped.length && !model.transfers.length) return null;
  return h('section', { class: 'card' }, h('h2', {}, 'Replenishment queue'),
    h('ol', { class: 'queue' }, [...shipped].reverse().map((r) => h('li', {},
      h('strong', {}, `After week ${r.week}: ${units(r.units)} units to ${r.stores} stores`), ' ',
      h('span', { class: 'muted' }, [...r.byStore].sort((a, b) => b.units - a.units).slice(0, 8).map((x) => `${x.store_id} ${units(x.units)}`).join(' · '))))));
}

/** The weeks & uploads tab of a season. */
export function renderWeeks({ model, status, ctx, page }) {
  const monitoring = status.state === 'phase_3_monitoring';
  let box = null;
  if (ctx.can('plan') && monitoring) {
    const week = status.next_week;
    if (!page.uploadBox || page.uploadBoxWeek !== week) {
      page.uploadBoxWeek = week;
      page.uploadBox = uploadBox({
        kind: 'actuals', testid: 'upload-actuals', title: `Record week ${week}'s sales`,
        hint: `date,store_id,quantity_sold for every store and every day of week ${week} (${status.actuals_meaning === 'demand' ? 'read as demand' : 'recorded sales'}).`,
        sendLabel: `Check and record week ${week}`,
        action: async (file) => {
          const r = await api.upload(`/api/workflows/${encodeURIComponent(page.id)}/actuals?week=${week}`, file);
          return `Week ${r.week} recorded: ${units(r.actual)} sold against ${units(r.forecast)} forecast (${r.variance_pct === null ? '—' : percent(r.variance_pct)})${r.reforecast_triggered ? '; the remaining weeks were re-forecast' : ''}.`;
        },
      });
    }
    box = page.uploadBox;
  }
  return h('div', {},
    box,
    !box && monitoring ? h('p', { class: 'muted' }, 'Weekly sales are recorded by a planner.') : null,
    h('section', { class: 'card' }, h('h2', {}, 'Weeks'), weekTable(model, status)),
    queue(model));
}

/** The data sets page: the current data set and uploads of history and stores. */
export function renderData(main, ctx) {
  const summary = h('div', { 'data-testid': 'dataset-summary' }, h('p', { class: 'muted' }, 'Loading…'));
  const load = async () => {
    try {
      const [cats, stores] = await Promise.all([api.get('/api/categories'), api.get('/api/stores')]);
      const ds = cats.dataset.kind === 'uploaded' ? `uploaded data set ${cats.dataset.dataset_id}` : 'the shipped sample';
      mount(summary,
        h('p', {}, `New seasons use ${ds}: ${stores.stores.length} stores, ${cats.categories.length} categories.`),
        h('table', { class: 'data compact' },
          h('thead', {}, h('tr', {}, ['Category', 'Units', 'Revenue', 'Last sale'].map((c, i) => h('th', { scope: 'col', class: i && i < 3 ? 'num' : '' }, c)))),
          h('tbody', {}, cats.categories.map((c) => h('tr', {}, h('th', { scope: 'row' }, c.name), h('td', { class: 'num' }, units(c.units)), h('td', { class: 'num' }, units(c.revenue)), h('td', {}, day(c.last_date)))))));
    } catch (e) {
      mount(summary, h('p', { class: 'field-error' }, e.message));
    }
  };
  const done = (r) => {
    load();
    return `Data set ${r.dataset_id} is now current: ${units(r.stores)} stores, ${units(r.history_rows)} history rows (${day(r.first_date)} to ${day(r.last_date)}), categories ${r.categories.map(words).join(', ')}.`;
  };
  mount(main,
    h('h1', {}, 'Data sets'),
    h('section', { class: 'card' }, h('h2', {}, 'Current data set'), summary),
    ctx.can('plan') ? h('div', { class: 'grid2' },
      uploadBox({ kind: 'history', testid: 'upload-history', title: 'Upload a sales history', hint: 'date,store_id,category,quantity_sold,revenue; at least 104 complete weeks.', action: async (f) => done(await api.upload('/api/data/historical-sales', f)) }),
      uploadBox({ kind: 'stores', testid: 'upload-stores', title: 'Upload store attributes', hint: 'store_id and the attributes of the shipped store file; the current history must fit it.', action: async (f) => done(await api.upload('/api/data/stores', f)) }))
      : h('p', { class: 'muted' }, 'A planner uploads data sets.'));
  load();
  return null;
}

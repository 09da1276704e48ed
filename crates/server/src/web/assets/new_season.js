// A new season: the planner describes it in words, sees the parameters read from the
// text in a form they can edit (fields the text left unsaid are marked), picks a
// parameter file, category, data set and weekly actuals, reviews, and starts.

import { h, mount } from './dom.js';
import * as api from './api.js';
import { day, humanize } from './format.js';

const FIELDS = [
  { name: 'forecast_horizon_weeks', label: 'Season length', unit: 'weeks', type: 'number', min: 1, max: 52, step: 1 },
  { name: 'season_start_date', label: 'First day of week 1', type: 'date' },
  { name: 'replenishment_strategy', label: 'Replenishment from the DC', options: [['none', 'None: stores get everything at launch'], ['weekly', 'Weekly'], ['bi-weekly', 'Every two weeks']] },
  { name: 'dc_holdback_percentage', label: 'Held back at the DC', unit: '%', type: 'number', min: 0, max: 100, step: 1, percent: true },
  { name: 'markdown_checkpoint_week', label: 'Markdown check at week', type: 'number', min: 1, max: 52, step: 1, hint: 'Leave empty for no markdowns.' },
  { name: 'markdown_threshold', label: 'Target sell-through at the check', unit: '%', type: 'number', min: 0, max: 100, step: 1, percent: true },
];

function endDate(start, weeks) {
  const d = new Date(`${start}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || !weeks) return '';
  d.setUTCDate(d.getUTCDate() + 7 * weeks - 1);
  return d.toISOString().slice(0, 10);
}

export function renderNewSeason(main, ctx) {
  if (!ctx.can('plan')) {
    mount(main, h('h1', {}, 'New season'), h('p', {}, 'Your role may not start seasons. Ask a planner.'));
    return null;
  }
  const inputs = {};
  const errors = {};
  const marks = {};
  let tunables = null;

  const fieldRow = (f) => {
    const id = `f-${f.name}`;
    const input = f.options
      ? h('select', { id, name: f.name }, h('option', { value: '' }, 'Choose…'), f.options.map(([v, t]) => h('option', { value: v }, t)))
      : h('input', { id, name: f.name, type: f.type, min: f.min, max: f.max, step: f.step, 'aria-describedby': `${id}-err` });
    inputs[f.name] = input;
    errors[f.name] = h('p', { class: 'field-error', id: `${id}-err`, role: 'alert', 'data-error-for': f.name });
    marks[f.name] = h('span', { class: 'badge warn', hidden: true, 'data-unstated': f.name }, 'not stated in the text');
    input.addEventListener('input', () => {
      marks[f.name].hidden = true;
      row.classList.remove('unstated');
      errors[f.name].textContent = '';
      input.removeAttribute('aria-invalid');
      showEnd();
    });
    const row = h('div', { class: 'field', 'data-field': f.name },
      h('label', { for: id }, f.label, f.unit ? h('span', { class: 'muted' }, ` (${f.unit})`) : null, ' ', marks[f.name]),
      input, f.hint ? h('p', { class: 'hint' }, f.hint) : null, errors[f.name]);
    return row;
  };

  const end = h('output', { class: 'mono', 'data-testid': 'season-end' });
  const showEnd = () => {
    end.textContent = day(endDate(inputs.season_start_date.value, Number(inputs.forecast_horizon_weeks.value))) || '—';
  };

  function fill(values, missing = []) {
    for (const f of FIELDS) {
      let v = values[f.name];
      if (v === undefined || v === null) v = '';
      else if (f.percent) v = Math.round(Number(v) * 1000) / 10;
      inputs[f.name].value = String(v);
      const unstated = missing.includes(f.name);
      marks[f.name].hidden = !unstated;
      inputs[f.name].closest('.field').classList.toggle('unstated', unstated);
      errors[f.name].textContent = '';
    }
    showEnd();
  }

  function clearErrors() {
    for (const f of FIELDS) {
      errors[f.name].textContent = '';
      inputs[f.name].removeAttribute('aria-invalid');
    }
    for (const k of ['category', 'actuals']) errors[k].textContent = '';
    formError.textContent = '';
  }

  function showError(field, message) {
    const name = String(field || '').replace(/^parameters\./, '');
    if (name === 'category') {
      errors.category.textContent = message;
      return true;
    }
    if (errors[name]) {
      errors[name].textContent = humanize(message);
      if (inputs[name]) inputs[name].setAttribute('aria-invalid', 'true');
      return true;
    }
    return false;
  }

  function showApiError(e) {
    let placed = false;
    for (const p of e.fields || []) placed = showError(p.field, p.reason) || placed;
    if (!placed && e.field) placed = showError(e.field, e.message);
    if (!placed) formError.textContent = humanize(e.message);
  }

  // 1. Describe.
  const text = h('textarea', { id: 'describe', rows: 4, 'data-testid': 'describe-input', placeholder: 'e.g. A 12-week season starting 2025-02-17 with weekly replenishment, hold back 45% at the DC, and a markdown check at week 6 if sell-through is below 60%.' });
  const readout = h('div', { class: 'readout', 'aria-live': 'polite', 'data-testid': 'extract-result' });
  const extract = h('button', { type: 'button', class: 'primary', 'data-testid': 'extract-button', onclick: async () => {
    clearErrors();
    extract.disabled = true;
    mount(readout, h('p', { class: 'muted' }, 'Reading…'));
    try {
      const r = await api.post('/api/parameters/extract', { text: text.value });
      fill(r);
      // Every field was found (a 422 says which are missing): the confidence label
      // is the reader's, not a doubt about the fields, so only a model's is shown.
      const found = FIELDS.every((f) => r[f.name] !== undefined);
      const badge = r.source === 'llm' && r.extraction_confidence !== 'high'
        ? h('span', { class: `badge conf-${r.extraction_confidence}` }, `${r.extraction_confidence} confidence`)
        : h('span', { class: 'badge conf-high' }, found ? 'every field found' : 'read');
      mount(readout, h('p', {}, badge, ` read by ${r.source === 'llm' ? 'the model' : 'the rules'}. `, humanize(r.extraction_reasoning)));
    } catch (e) {
      if (e.status === 422) {
        fill(e.body.partial || {}, e.body.missing_parameters || []);
        mount(readout, h('p', { class: 'warn-text' }, `${humanize(e.message)}. The marked fields are yours to fill in.`));
      } else {
        showApiError(e);
        mount(readout, h('p', { class: 'field-error' }, humanize(e.message)));
      }
    } finally {
      extract.disabled = false;
    }
  } }, 'Read the parameters');

  // 2. A shipped or local parameter file.
  const preset = h('select', { id: 'preset' }, h('option', { value: '' }, 'Choose a shipped file…'),
    Object.keys(ctx.boot.parameter_sets || {}).map((n) => h('option', { value: n }, `${n.replaceAll('_', ' ')} (${n}.json)`)));
  const loadParams = (obj) => {
    tunables = obj.tunables || null;
    fill(obj);
    mount(readout, h('p', { class: 'muted' }, 'Parameters loaded from the file; edit any field.'));
  };
  preset.addEventListener('change', () => preset.value && loadParams(ctx.boot.parameter_sets[preset.value]));
  const file = h('input', { type: 'file', id: 'param-file', accept: '.json,application/json' });
  file.addEventListener('change', async () => {
    const f = file.files[0];
    if (!f) return;
    try {
      loadParams(JSON.parse(await f.text()));
    } catch (err) {
      formError.textContent = `${f.name} is not a JSON parameter file: ${humanize(err.message)}`;
    }
  });

  // 3. Category, data set, actuals.
  const category = h('select', { id: 'category' }, h('option', { value: '' }, 'Loading the categories…'));
  errors.category = h('p', { class: 'field-error', role: 'alert', 'data-error-for': 'category' });
  const dataset = h('span', { class: 'mono' }, '…');
  const scenario = h('select', { id: 'scenario', 'aria-label': 'Shipped scenario' }, (ctx.boot.scenarios || []).map((n) => h('option', { value: n, selected: n === ctx.boot.default_scenario }, n.replaceAll('_', ' '))));
  const viaScenario = h('input', { type: 'radio', name: 'actuals', id: 'via-scenario', value: 'scenario', checked: true });
  const viaUploads = h('input', { type: 'radio', name: 'actuals', id: 'via-uploads', value: 'uploads' });
  errors.actuals = h('p', { class: 'field-error', role: 'alert', 'data-error-for': 'scenario' });
  errors.scenario = errors.actuals;
  api.get('/api/categories').then((r) => {
    mount(category, r.categories.map((c) => h('option', { value: c.name, selected: c.name === ctx.boot.default_category }, c.name)));
    dataset.textContent = r.dataset.kind === 'uploaded' ? `uploaded data set ${r.dataset.dataset_id}` : 'the shipped sample (50 stores, 2022–2024)';
  }).catch((e) => { errors.category.textContent = e.message; });

  const formError = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'form-error' });

  function collect() {
    const p = {};
    const problems = [];
    for (const f of FIELDS) {
      const raw = inputs[f.name].value.trim();
      if (raw === '') {
        p[f.name] = null;
        continue;
      }
      if (f.type === 'number') {
        const n = Number(raw);
        if (!Number.isFinite(n)) problems.push([f.name, 'must be a number']);
        else if (n < f.min || n > f.max) problems.push([f.name, `must be from ${f.min} to ${f.max}`]);
        else if (f.step === 1 && !f.percent && !Number.isInteger(n)) problems.push([f.name, 'must be a whole number']);
        p[f.name] = f.percent ? n / 100 : n;
      } else {
        p[f.name] = raw;
      }
    }
    for (const n of ['forecast_horizon_weeks', 'season_start_date', 'replenishment_strategy', 'dc_holdback_percentage']) {
      if (p[n] === null) problems.push([n, 'is required']);
    }
    if (!category.value) problems.push(['category', 'choose a category']);
    if (p.markdown_checkpoint_week !== null && p.markdown_threshold === null) problems.push(['markdown_threshold', 'is required with a markdown check (or empty the check week)']);
    if (p.markdown_checkpoint_week === null && p.markdown_threshold !== null) problems.push(['markdown_checkpoint_week', 'is required with a target (or empty the target)']);
    if (p.markdown_checkpoint_week !== null && p.forecast_horizon_weeks && p.markdown_checkpoint_week > p.forecast_horizon_weeks) problems.push(['markdown_checkpoint_week', `must be within the season (weeks 1 to ${p.forecast_horizon_weeks})`]);
    const body = { category: category.value, parameters: p };
    if (tunables) body.tunables = tunables;
    if (viaScenario.checked) body.scenario = scenario.value;
    return { body, problems };
  }

  const confirm = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title', 'data-testid': 'confirm-dialog' });
  function review() {
    clearErrors();
    const { body, problems } = collect();
    if (problems.length) {
      for (const [f, m] of problems) showError(f, m);
      formError.textContent = 'Fix the marked fields first.';
      return;
    }
    const p = body.parameters;
    const rows = [
      ['Category', body.category],
      ['Season', `${p.forecast_horizon_weeks} weeks, ${day(p.season_start_date)} to ${day(endDate(p.season_start_date, p.forecast_horizon_weeks))}`],
      ['Replenishment', p.replenishment_strategy],
      ['Held back at the DC', `${Math.round(p.dc_holdback_percentage * 100)}%`],
      ['Markdown', p.markdown_checkpoint_week ? `check at week ${p.markdown_checkpoint_week} against ${Math.round(p.markdown_threshold * 100)}% sell-through` : 'none'],
      ['Data set', dataset.textContent],
      ['Weekly actuals', body.scenario ? `played from the scenario ${body.scenario}` : 'uploaded each week (recorded sales)'],
    ];
    const start = h('button', { class: 'primary', type: 'button', 'data-testid': 'start-season', onclick: async () => {
      start.disabled = true;
      try {
        const r = await api.post('/api/workflows', body);
        confirm.close();
        ctx.go(`#/season/${encodeURIComponent(r.workflow_id)}`);
      } catch (e) {
        confirm.close();
        showApiError(e);
        if (e.field === 'category') errors.category.textContent = e.message;
      } finally {
        start.disabled = false;
      }
    } }, 'Start the season');
    mount(confirm,
      h('h2', { id: 'confirm-title' }, 'Start this season?'),
      h('p', {}, 'The forecast and the manufacturing order are computed now; the order then waits for an approver.'),
      h('dl', { class: 'pairs' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => confirm.close() }, 'Back to the form'), start));
    confirm.showModal();
    start.focus();
  }

  mount(main,
    h('h1', {}, 'New season'),
    h('section', { class: 'card' },
      h('h2', {}, '1. Describe the season'),
      h('label', { for: 'describe' }, 'How do you run this season? Say it in your own words.'),
      text, h('div', { class: 'actions' }, extract), readout),
    h('section', { class: 'card' },
      h('h2', {}, '2. Check the parameters'),
      h('div', { class: 'row' }, h('label', { for: 'preset' }, 'Or start from a parameter file: '), preset, h('label', { for: 'param-file', class: 'button' }, 'Load a JSON file…'), file),
      h('div', { class: 'form-grid' }, FIELDS.map(fieldRow), h('div', { class: 'field' }, h('span', { class: 'label' }, 'Last day of the season'), end))),
    h('section', { class: 'card' },
      h('h2', {}, '3. What to plan, on which data'),
      h('div', { class: 'form-grid' },
        h('div', { class: 'field' }, h('label', { for: 'category' }, 'Category'), category, errors.category),
        h('div', { class: 'field' }, h('span', { class: 'label' }, 'Data set'), h('p', {}, dataset, ' · ', h('a', { href: '#/data' }, 'upload history or stores'))),
        h('fieldset', { class: 'field wide' }, h('legend', {}, 'Weekly actuals'),
          h('div', { class: 'row' }, viaScenario, h('label', { for: 'via-scenario' }, 'Play a shipped scenario: '), scenario),
          h('div', { class: 'row' }, viaUploads, h('label', { for: 'via-uploads' }, 'Upload each week\'s sales (CSV)')),
          errors.actuals))),
    formError,
    h('div', { class: 'actions end' }, h('button', { type: 'button', class: 'primary big', 'data-testid': 'review-season', onclick: review }, 'Review and start…')),
    confirm);
  file.classList.add('visually-hidden');
  fill(ctx.boot.parameter_sets[ctx.boot.default_parameter_set] || {});
  preset.value = ctx.boot.default_parameter_set || '';
  text.focus();
  return null;
}

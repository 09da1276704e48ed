// What-if for next season, in the browser, over the same engine code as the CLI:
//  - the planner's settings (policy, safety stock or a first buy in units,
//    holdback, markdown check week, markdown cap) played on seasons drawn around
//    this one, beside this season's own settings on the same seasons: the spread
//    of gross margin (p10, p50, p90) of each, from POST .../what-if (`atelier
//    what-if`), answered in well under a second once the tab has drawn them;
//  - beside it, what `tune` recommends for the same draws and seed, and below,
//    every value tune tried with its gain (POST .../tune, `atelier tune`).
// Money in the season's currency. Answers are kept on the page, so the tab can be
// left and found again without running them twice.

import { h } from './dom.js';
import * as api from './api.js';
import { rangeChart } from './charts.js';
import { humanize, money, pct, units } from './format.js';

const KNOBS = {
  safety_stock: { label: 'Safety stock', short: 'safety stock', help: { margin: 'the spread of the season\'s level the order covers (it sets the safety stock)', seed: 'stock ordered above the forecast', rule: 'stock ordered above the forecast' } },
  holdback: { label: 'Held back at the DC', short: 'DC holdback', help: 'share of the order kept at the DC at launch' },
  checkpoint_week: { label: 'Markdown check week', short: 'markdown check', help: 'the week sell-through is checked; none = no markdown' },
  markdown_cap: { label: 'Markdown cap', short: 'markdown cap', help: 'the deepest markdown allowed' },
  order_centre: { label: 'Order centre', short: 'order centre', help: 'the mean actual ÷ forecast of the seasons the order is calibrated on (100% = none yet); the value tried adds this season' },
};

/** A knob's value in words: a week, none, or a percentage. */
export function settingText(knob, v) {
  if (knob === 'checkpoint_week') return v === null || v === undefined ? 'none' : `week ${v}`;
  return v === null || v === undefined ? '—' : pct(v);
}

function signed(v, cur) {
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${money(Math.abs(v), cur)}`;
}

function state(page) {
  if (!page.whatif) {
    page.whatif = {
      draws: 40, seed: 42, running: false, report: null, error: '',
      // The planner's settings: the form's text, the answer, and the
      // recommendation fetched beside it.
      trial: { form: null, base: null, running: false, answer: null, error: '', fields: {}, asked: 0 },
      recommending: false,
    };
  }
  return page.whatif;
}

/** The draws and seed typed, or an error naming the input. */
function drawsAndSeed(w) {
  const draws = Number(w.draws);
  const seed = Number(w.seed);
  if (!Number.isInteger(draws) || draws < 2 || draws > 200) return { error: 'Draws: a whole number from 2 to 200.' };
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) return { error: 'Seed: a whole number, 0 or more.' };
  return { draws, seed };
}

async function run(page) {
  const w = state(page);
  if (w.running) return;
  const { draws, seed, error } = drawsAndSeed(w);
  if (error) {
    w.error = error;
    page.render();
    return;
  }
  const opener = document.activeElement;
  // The planner's own run wins over a recommendation fetched beside the what-if,
  // whichever answers last.
  Object.assign(w, { running: true, error: '', asked: (w.asked || 0) + 1 });
  page.render();
  const started = performance.now();
  try {
    w.report = await api.post(`/api/workflows/${encodeURIComponent(page.id)}/tune`, { draws, seed });
    w.ms = Math.round(performance.now() - started);
  } catch (e) {
    w.error = e.message;
  } finally {
    w.running = false;
    page.render();
    const heading = document.getElementById('whatif-result');
    if (heading && !w.error) heading.focus({ preventScroll: false });
    else page.refocus(opener);
  }
}

function knobSection(k, r) {
  const cur = r.currency;
  const meta = KNOBS[k.knob] || { label: k.knob, help: '' };
  const text = typeof meta.help === 'object' ? meta.help[r.policy] || '' : meta.help;
  const help = text.charAt(0).toUpperCase() + text.slice(1);
  const rec = k.recommended;
  const held = k.held_out;
  const best = k.best_in_sample;
  let verdict;
  if (rec && held) {
    verdict = h('p', { class: 'ok-text', 'data-testid': 'whatif-recommendation' }, h('strong', {}, `Change to ${settingText(k.knob, rec.setting)}`), `: ${signed(held.mean, cur)} a season on held-out seasons (90% interval ${signed(held.low, cur)} to ${signed(held.high, cur)}).`);
  } else if (best && held) {
    verdict = h('p', { 'data-testid': 'whatif-recommendation' }, `Keep it: ${settingText(k.knob, best.setting)} gained ${signed(best.gain.mean, cur)} on the seasons tried but ${signed(held.mean, cur)} on held-out ones.`);
  } else {
    verdict = h('p', { 'data-testid': 'whatif-recommendation' }, k.tried.length ? 'Keep it: no value tried earns more with confidence.' : 'Nothing to try for this season.');
  }
  const isRec = (t) => rec && JSON.stringify(rec.setting) === JSON.stringify(t.setting);
  const gain = (g) => [
    h('span', { class: ['gain', g.mean > 0 ? 'diff-better' : g.mean < 0 ? 'diff-worse' : ''] }, signed(g.mean, cur)),
    h('div', { class: 'muted small interval' }, `${signed(g.low, cur)} to ${signed(g.high, cur)}`),
  ];
  const rows = [
    h('tr', { class: 'current-row' },
      h('th', { scope: 'row' }, settingText(k.knob, k.current), h('div', { class: 'small' }, 'now')),
      h('td', { class: 'num' }, money(r.current_margin_mean, cur)),
      h('td', { class: 'num' }, '—')),
    ...k.tried.map((t) => h('tr', { class: isRec(t) ? 'chosen' : '', 'data-setting': JSON.stringify(t.setting) },
      h('th', { scope: 'row' }, settingText(k.knob, t.setting), isRec(t) ? h('div', { class: 'small' }, 'recommended') : null),
      h('td', { class: 'num' }, money(t.margin_mean, cur)),
      h('td', { class: 'num' }, gain(t.gain)))),
  ];
  return h('section', { class: 'card whatif-knob', 'data-knob': k.knob, 'data-testid': 'whatif-knob', 'aria-labelledby': `knob-${k.knob}` },
    h('h3', { id: `knob-${k.knob}` }, `${meta.label}: now ${settingText(k.knob, k.current)}`),
    h('p', { class: 'muted small' }, `${help} (`, h('code', {}, k.field), ')'),
    verdict,
    k.tried.length ? h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': `${meta.label}: values tried, scrolls sideways` },
      h('table', { class: 'data compact' },
        h('caption', { class: 'visually-hidden' }, `${meta.label}: mean gross margin and gain over this season's value, ${cur}`),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Value'),
          h('th', { scope: 'col', class: 'num' }, 'Gross margin (mean)'),
          h('th', { scope: 'col', class: 'num' }, 'Gain (90% interval)'))),
        h('tbody', {}, rows))) : null);
}

/** The recommended knobs played together on the held-out seasons. */
function together(r) {
  const t = r.together;
  if (!t) return null;
  const cur = r.currency;
  const name = (knob) => (KNOBS[knob] || { short: knob }).short;
  const what = t.settings.map(([knob, setting]) => `${name(knob)} ${settingText(knob, setting)}`).join(', ');
  const [bestKnob, bestSetting] = t.best_alone;
  const advice = t.supported
    ? 'Apply them together.'
    : `They earn less together than apart: apply only the ${name(bestKnob)} (${settingText(bestKnob, bestSetting)}).`;
  return h('p', { class: 'card', 'data-testid': 'whatif-together' }, h('strong', {}, 'Together: '),
    `${what}: ${signed(t.gain.mean, cur)} a season on held-out seasons (90% interval ${signed(t.gain.low, cur)} to ${signed(t.gain.high, cur)}). ${advice}`);
}

// ——— The planner's settings ———

const POLICIES = [
  ['margin', 'margin (earns the most, measured)'],
  // Short enough for a phone's select (390 px wide: whatif_store.test.mjs measures it).
  ['rule', 'rule (the seed\'s rules, knobs free)'],
  ['seed', 'seed (the original rules)'],
];

/** The tune knobs the planner's form can set. */
const TRIABLE = ['safety_stock', 'holdback', 'checkpoint_week', 'markdown_cap', 'order_centre'];

/** A fraction as the percent a planner types: 0.45 → "45", 0.125 → "12.5". */
function percentText(x) {
  return String(Math.round(x * 1000) / 10);
}

/** The form's text for settings the server played. */
function formOf(settings) {
  return {
    policy: settings.policy,
    sizing: settings.order_fixed ? 'units' : 'safety',
    safety_stock: percentText(settings.safety_stock),
    order_units: String(settings.order_units),
    holdback: percentText(settings.holdback),
    checkpoint_week: settings.checkpoint_week === null ? 'none' : String(settings.checkpoint_week),
    markdown_cap: percentText(settings.markdown_cap),
    order_centre: percentText(settings.order_centre ?? 1),
  };
}

/** What safety stock means under a policy, for its label. */
function safetyLabel(policy) {
  return policy === 'margin' ? 'Spread of the season\'s level covered (%)' : 'Safety stock (% of the forecast)';
}

/**
 * The request body: every setting the planner changed from this season's, in
 * the API's units (fractions, a week or null, units). A safety stock left as it
 * was under another policy is left out: the new policy's own applies. Returns
 * {body} or {fields} naming the inputs that are not numbers.
 */
export function trialBody(form, base) {
  const body = {};
  const fields = {};
  const number = (key, what) => {
    const text = String(form[key]).trim();
    const v = Number(text);
    if (text === '' || !Number.isFinite(v)) {
      fields[key] = `${what}: a number.`;
      return null;
    }
    return v;
  };
  if (form.policy !== base.policy) body.policy = form.policy;
  if (form.sizing === 'units') {
    const v = number('order_units', 'First buy');
    if (v !== null) {
      if (Number.isInteger(v) && v > 0) body.order_units = v;
      else fields.order_units = 'First buy: a whole number of units, 1 or more.';
    }
  } else if (form.safety_stock !== base.safety_stock || (form.policy === base.policy && base.sizing === 'units')) {
    const v = number('safety_stock', 'Safety stock');
    if (v !== null) body.safety_stock = v / 100;
  }
  for (const [key, what] of [['holdback', 'Held back at the DC'], ['markdown_cap', 'Markdown cap']]) {
    if (form[key] === base[key]) continue;
    const v = number(key, what);
    if (v !== null) body[key] = v / 100;
  }
  // Only margin's order is calibrated on earlier seasons: under seed or rule the
  // order centre is left out, as the server would refuse it.
  if (form.policy === 'margin' && form.order_centre !== undefined && form.order_centre !== base.order_centre) {
    const exact = form.exactCentre;
    const v = number('order_centre', 'Order centre');
    if (v !== null) body.order_centre = exact !== undefined && form.order_centre === percentText(exact) ? exact : v / 100;
  }
  if (form.checkpoint_week !== base.checkpoint_week) {
    body.checkpoint_week = form.checkpoint_week === 'none' ? null : Number(form.checkpoint_week);
  }
  return Object.keys(fields).length ? { fields } : { body };
}

/** Plays the planner's settings (`auto`: this season's, on opening the tab). */
async function tryIt(page, { auto = false } = {}) {
  const w = state(page);
  const t = w.trial;
  if (t.running) return;
  const { draws, seed, error } = drawsAndSeed(w);
  if (error) {
    t.error = error;
    page.render();
    return;
  }
  let body = {};
  if (!auto && t.form && t.base) {
    const built = trialBody(t.form, t.base);
    if (built.fields) {
      Object.assign(t, { fields: built.fields, error: 'Some settings are not numbers: see the fields marked.' });
      page.render();
      return;
    }
    body = built.body;
  }
  const opener = document.activeElement;
  Object.assign(t, { running: true, error: '', fields: {} });
  t.asked += 1;
  const asked = t.asked;
  page.render();
  const started = performance.now();
  try {
    const r = await api.post(`/api/workflows/${encodeURIComponent(page.id)}/what-if`, { ...body, draws, seed });
    if (asked !== t.asked) return;
    t.answer = r;
    t.ms = Math.round(performance.now() - started);
    if (!t.base) {
      t.base = formOf(r.current.settings);
      t.form = { ...t.base };
    }
  } catch (e) {
    if (e.field && e.status === 400) t.fields[e.field] = humanize(e.message);
    t.error = humanize(e.message);
  } finally {
    t.running = false;
    page.render();
    if (!auto) {
      const heading = document.getElementById('wi-answer');
      if (heading && !t.error) heading.focus({ preventScroll: false });
      else page.refocus(opener);
    }
    // Tune's recommendation as soon as the tab has its answer: the server keeps
    // each tune per season, draws and seed, so it is computed once and every
    // later opening gets it at once. Asked after the what-if, so the first answer
    // does not wait behind it on a small server.
    if (!t.error) recommend(page, draws, seed);
  }
}

/** Fetches tune's recommendation for the same draws and seed, if not on the page. */
async function recommend(page, draws, seed) {
  const w = state(page);
  if (w.report && w.report.draws === draws && w.report.seed === seed) return;
  // One request at a time; a question for other draws waits for the one running.
  w.wanted = { draws, seed };
  if (w.recommending) return;
  w.recommending = true;
  w.recommendError = '';
  page.render();
  // A run of the planner's own, started meanwhile, keeps its answer.
  const asked = w.asked;
  try {
    const r = await api.post(`/api/workflows/${encodeURIComponent(page.id)}/tune`, { draws, seed });
    if (!w.running && w.asked === asked) w.report = r;
  } catch (e) {
    w.recommendError = humanize(e.message);
  } finally {
    w.recommending = false;
    page.render();
  }
  const next = w.wanted;
  if (!w.recommendError && w.asked === asked && next && !(w.report && w.report.draws === next.draws && w.report.seed === next.seed)) recommend(page, next.draws, next.seed);
}

/** A setting as the planner reads it, in the "yours" and "this season" table. */
function settingRows(a, b, cur) {
  const safety = (x) => (x.order_fixed ? '— (first buy fixed)' : `${pct(x.safety_stock, 1)} ${x.safety_stock_field.endsWith('season_level_sd') ? 'spread covered' : 'of the forecast'}`);
  return [
    ['Policy', a.policy, b.policy],
    ['Safety stock', safety(a), safety(b)],
    ['First buy', `${units(a.order_units)} units`, `${units(b.order_units)} units${b.order_fixed ? ' (fixed)' : ''}`],
    ['Held back at the DC', pct(a.holdback, 1), pct(b.holdback, 1)],
    ['Markdown check', settingText('checkpoint_week', a.checkpoint_week), settingText('checkpoint_week', b.checkpoint_week)],
    ['Markdown cap', pct(a.markdown_cap, 1), pct(b.markdown_cap, 1)],
    ['Order centre', pct(a.order_centre ?? 1, 1), pct(b.order_centre ?? 1, 1)],
  ].map(([label, x, y]) => h('tr', { class: x === y ? '' : 'changed' },
    h('th', { scope: 'row' }, label), h('td', {}, x), h('td', {}, y, x === y ? null : h('span', { class: 'visually-hidden' }, ' (changed)'))))
    .concat(cur ? [] : []);
}

/** The answer: both spreads on one axis, their figures, the gain, the settings. */
function trialAnswer(t, width) {
  const r = t.answer;
  const cur = r.currency;
  const a = r.current.margin;
  const b = r.planned.margin;
  const interval = (p) => h('div', { class: 'muted small interval' }, `${money(p.low, cur)} to ${money(p.high, cur)}`);
  const row = (label, help, key, testid) => h('tr', { 'data-testid': testid },
    h('th', { scope: 'row' }, label, h('div', { class: 'muted small' }, help)),
    h('td', { class: 'num' }, h('span', { class: 'fig' }, money(a[key].value, cur)), interval(a[key])),
    h('td', { class: 'num' }, h('span', { class: 'fig' }, money(b[key].value, cur)), interval(b[key])),
    h('td', { class: 'num' }, signed(b[key].value - a[key].value, cur)));
  const g = r.gain;
  const verdict = g.low > 0 ? 'more, with confidence' : g.high < 0 ? 'less, with confidence' : 'no different with confidence';
  return h('div', { 'data-testid': 'wi-answer' },
    h('h3', { id: 'wi-answer', tabindex: -1 }, `Gross margin on ${units(r.draws)} seasons like this one`),
    h('p', { class: 'muted small' }, `Seasons drawn around the ${units(r.demand_centre)} units of demand this one saw (the markdown's lift divided out), seed ${r.seed}; both settings meet the same seasons. Each figure's 90% interval is under it.`),
    rangeChart({
      testid: 'wi-chart', width, currency: cur,
      title: 'Gross margin, one season in ten to nine in ten',
      summary: `This season's settings: ${money(a.p10.value, cur)} to ${money(a.p90.value, cur)}, median ${money(a.p50.value, cur)}. Yours: ${money(b.p10.value, cur)} to ${money(b.p90.value, cur)}, median ${money(b.p50.value, cur)}.`,
      rows: [
        { label: 'This season', cls: 'range-current', p10: a.p10.value, p50: a.p50.value, p90: a.p90.value },
        { label: 'Yours', cls: 'range-planned', p10: b.p10.value, p50: b.p50.value, p90: b.p90.value },
      ],
    }),
    h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'Gross margin of both settings, scrolls sideways' },
      h('table', { class: 'data compact spread', 'data-testid': 'wi-spread' },
        h('caption', { class: 'visually-hidden' }, `Gross margin over ${r.draws} seasons, ${cur}`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Gross margin'), h('th', { scope: 'col', class: 'num' }, 'This season\'s settings'), h('th', { scope: 'col', class: 'num' }, 'Your settings'), h('th', { scope: 'col', class: 'num' }, 'Yours − this season\'s'))),
        h('tbody', {},
          row('p10', 'one season in ten earns less', 'p10', 'wi-p10'),
          row('p50', 'the median season', 'p50', 'wi-p50'),
          row('p90', 'one season in ten earns more', 'p90', 'wi-p90'),
          h('tr', { 'data-testid': 'wi-mean' }, h('th', { scope: 'row' }, 'Mean'), h('td', { class: 'num' }, money(a.mean, cur)), h('td', { class: 'num' }, money(b.mean, cur)), h('td', { class: 'num' }, signed(b.mean - a.mean, cur)))))),
    h('p', { 'data-testid': 'wi-gain' }, h('strong', {}, 'Your settings earn ', h('span', { class: 'nowrap' }, signed(g.mean, cur)), ' a season'),
      ' on average over the same seasons (90% interval ', h('span', { class: 'nowrap' }, signed(g.low, cur)), ' to ', h('span', { class: 'nowrap' }, signed(g.high, cur)), `): ${verdict}.`),
    h('div', { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'The settings played, scrolls sideways' },
      h('table', { class: 'data compact', 'data-testid': 'wi-settings' },
        h('caption', { class: 'visually-hidden' }, 'The settings each column played'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Setting'), h('th', { scope: 'col' }, 'This season'), h('th', { scope: 'col' }, 'Yours'))),
        h('tbody', {}, settingRows(r.current.settings, r.planned.settings)))),
    t.ms !== undefined ? h('p', { class: 'muted small', 'data-testid': 'wi-time' }, `Answered in ${(t.ms / 1000).toFixed(2)} s.`) : null);
}

/** Tune's recommendation, beside the planner's answer. */
function recommendation(page, w) {
  const r = w.report;
  const head = h('h3', { id: 'wi-rec-title' }, 'What tune recommends');
  if (!r) {
    const text = w.recommending ? 'Working it out on the same seasons…' : w.recommendError ? `Not available: ${w.recommendError}` : 'Try your settings: tune\'s recommendation for the same seasons appears here.';
    return h('aside', { class: 'card whatif-rec', 'data-testid': 'wi-recommendation', 'aria-labelledby': 'wi-rec-title', 'aria-busy': w.recommending ? 'true' : 'false' }, head, h('p', { class: 'muted' }, text));
  }
  const cur = r.currency;
  const items = r.knobs.filter((k) => k.tried.length).map((k) => {
    const meta = KNOBS[k.knob] || { label: k.knob };
    const rec = k.recommended;
    return h('li', { 'data-rec-knob': k.knob },
      h('strong', {}, `${meta.label}: `),
      rec && k.held_out ? `change to ${settingText(k.knob, rec.setting)} (${signed(k.held_out.mean, cur)} a season on held-out seasons)` : `keep ${settingText(k.knob, k.current)}`,
      rec && k.knob === 'order_centre' ? h('span', { class: 'muted small' }, ' — next season\'s order learns it from this one; try it above') : null);
  });
  const usable = r.knobs.filter((k) => k.recommended && TRIABLE.includes(k.knob));
  return h('aside', { class: 'card whatif-rec', 'data-testid': 'wi-recommendation', 'aria-labelledby': 'wi-rec-title' },
    head,
    h('p', { class: 'muted small' }, `From ${units(r.draws)} seasons (seed ${r.seed}), each knob tried alone and checked on as many held-out seasons; the tables below show every value tried.`),
    h('ul', { class: 'rec-list' }, items),
    usable.length ? h('button', { type: 'button', 'data-testid': 'wi-use-recommended', onclick: () => useRecommended(page, usable, r) }, 'Try the recommended settings') : h('p', { class: 'small' }, 'Nothing to change: no value earns more with confidence.'));
}

/** Puts tune's recommended values in the form and tries them. */
function useRecommended(page, knobs, report) {
  const t = state(page).trial;
  if (!t.form) return;
  const form = { ...t.base, policy: report.policy };
  for (const k of knobs) {
    const v = k.recommended.setting;
    if (k.knob === 'checkpoint_week') form.checkpoint_week = v === null ? 'none' : String(v);
    else if (k.knob === 'safety_stock') form.safety_stock = percentText(v);
    // The season's actual ÷ forecast is no round number: the field shows it to
    // a tenth of a percent, and the form keeps the exact value tune tried,
    // played while the field still shows it (trialBody).
    else if (k.knob === 'order_centre') {
      form.order_centre = percentText(v);
      form.exactCentre = v;
    } else form[k.knob] = percentText(v);
  }
  form.sizing = 'safety';
  t.form = form;
  tryIt(page);
}

/** The form of the planner's settings, prefilled with this season's. */
function trialForm(page, w, horizon) {
  const t = w.trial;
  const f = t.form;
  const invalid = (key) => (t.fields[key] ? 'true' : null);
  const err = (key) => (t.fields[key] ? h('p', { class: 'field-error', id: `wi-${key}-error`, 'data-testid': `wi-${key}-error` }, t.fields[key]) : null);
  const set = (key) => (e) => { f[key] = e.target.value; };
  const was = (key, text) => h('span', { class: 'muted small' }, `this season: ${text}`);
  const base = t.base;
  const field = (key, label, input, now) => h('div', { class: 'wi-field' },
    h('label', { for: `wi-${key}` }, label), input, now, err(key));
  const numberInput = (key, extra = {}) => h('input', {
    id: `wi-${key}`, type: 'number', step: 'any', inputmode: 'decimal', value: f[key], 'data-testid': `wi-${key}`,
    'aria-invalid': invalid(key), 'aria-describedby': t.fields[key] ? `wi-${key}-error` : null, oninput: set(key), ...extra,
  });
  const weeks = ['none', ...Array.from({ length: horizon }, (_, i) => String(i + 1))];
  const policyNow = POLICIES.find(([p]) => p === base.policy);
  return h('form', { class: 'wi-form', novalidate: true, 'data-testid': 'wi-form', onsubmit: (e) => { e.preventDefault(); tryIt(page); } },
    h('fieldset', {},
      h('legend', {}, 'Your settings for next season'),
      h('div', { class: 'wi-fields' },
        field('policy', 'Decision policy', h('select', {
          id: 'wi-policy', 'data-testid': 'wi-policy', 'aria-invalid': invalid('policy'),
          onchange: (e) => { f.policy = e.target.value; page.render(); },
        }, POLICIES.map(([value, label]) => h('option', { value, selected: f.policy === value }, label))), was('policy', policyNow ? policyNow[0] : base.policy)),
        h('fieldset', { class: 'wi-sizing' },
          h('legend', {}, 'Size the first buy by'),
          h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'wi-sizing', value: 'safety', checked: f.sizing === 'safety', 'data-testid': 'wi-sizing-safety', onchange: () => { f.sizing = 'safety'; page.render(); } }), ' safety stock'),
          h('label', { class: 'inline' }, h('input', { type: 'radio', name: 'wi-sizing', value: 'units', checked: f.sizing === 'units', 'data-testid': 'wi-sizing-units', onchange: () => { f.sizing = 'units'; page.render(); } }), ' a fixed number of units')),
        f.sizing === 'units'
          ? field('order_units', 'First buy (units)', numberInput('order_units', { min: 1, step: 1, inputmode: 'numeric' }), was('order_units', `${units(Number(base.order_units))} units`))
          : field('safety_stock', safetyLabel(f.policy), numberInput('safety_stock'), f.policy === base.policy ? was('safety_stock', `${base.safety_stock}%`) : h('span', { class: 'muted small' }, `left as it is, the ${f.policy} policy's own`)),
        field('holdback', 'Held back at the DC (%)', numberInput('holdback', { min: 0, max: 100 }), was('holdback', `${base.holdback}%`)),
        field('checkpoint_week', 'Markdown check week', h('select', {
          id: 'wi-checkpoint_week', 'data-testid': 'wi-checkpoint_week', 'aria-invalid': invalid('checkpoint_week'),
          onchange: set('checkpoint_week'),
        }, weeks.map((v) => h('option', { value: v, selected: f.checkpoint_week === v }, v === 'none' ? 'none (no markdown)' : `week ${v}`))), was('checkpoint_week', base.checkpoint_week === 'none' ? 'none' : `week ${base.checkpoint_week}`)),
        field('markdown_cap', 'Markdown cap (%)', numberInput('markdown_cap', { min: 0, max: 95 }), was('markdown_cap', `${base.markdown_cap}%`)),
        // The knob tune may recommend for the order itself: margin's order is
        // calibrated on earlier seasons' actual ÷ forecast; seed and rule have none.
        f.policy === 'margin'
          ? field('order_centre', 'Order centre (actual ÷ forecast, %)', numberInput('order_centre', { min: 20, max: 500 }), was('order_centre', base.order_centre === '100' ? '100%, no season yet' : `${base.order_centre}%`))
          : null)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'wi-try', disabled: t.running }, t.running ? 'Simulating…' : 'Try these settings'),
      h('button', { type: 'button', 'data-testid': 'wi-reset', disabled: t.running, onclick: () => { t.form = { ...t.base }; t.fields = {}; tryIt(page); } }, 'Back to this season\'s settings')),
    h('p', { class: 'field-error', role: 'alert', 'data-testid': 'wi-error' }, t.error || ''));
}

/** The planner's settings and their answer, with tune's recommendation beside. */
function trialSection(page, w, horizon, width) {
  const t = w.trial;
  if (!t.answer && !t.running && !t.error && !t.started) {
    t.started = true;
    queueMicrotask(() => tryIt(page, { auto: true }));
  }
  const main = t.form
    ? trialForm(page, w, horizon)
    : [h('p', { class: 'muted', 'data-testid': 'wi-loading' }, t.error ? '' : 'Drawing seasons like this one and playing its own settings on them…'),
      h('p', { class: 'field-error', role: 'alert', 'data-testid': 'wi-error' }, t.error || '')];
  // The form and tune's recommendation side by side; the answer under both,
  // as wide as the card.
  return h('div', { class: 'whatif-trial', 'aria-busy': t.running ? 'true' : 'false' },
    h('div', { class: 'whatif-top' },
      h('div', { class: 'whatif-main' }, main),
      recommendation(page, w)),
    t.form && t.answer ? trialAnswer(t, width) : null);
}

/**
 * Why the what-if waits for the season's end, in the planner's words: its seasons
 * are drawn around the demand of every week this one played, and the weeks not
 * played yet have none to draw around.
 */
export function whyNotYet(status, p) {
  const played = (status.weeks || []).length;
  const horizon = p.forecast_horizon_weeks;
  const left = horizon ? horizon - played : null;
  const where = status.state === 'waiting_mfg_approval' || !status.manufacturing || played === 0
    ? 'No week has been played yet'
    : `${played} of ${horizon || '—'} weeks are played`;
  return `Not available yet. ${where}: the what-if draws seasons around the demand of all ${horizon || 'the'} weeks of this one, `
    + `so it opens when the season is complete${left ? ` (${left} week${left === 1 ? '' : 's'} to go)` : ''}.`;
}

/** The What-if tab. */
export function renderWhatIf({ status, page, model, width }) {
  const w = state(page);
  if (status.state !== 'completed') {
    const p = status.parameters || model.parameters || {};
    return h('section', { class: 'card', 'data-testid': 'whatif' },
      h('h2', {}, 'What-if for next season'),
      h('p', { class: 'muted', 'data-testid': 'whatif-unavailable' }, whyNotYet(status, p)));
  }
  const horizon = (status.parameters || model.parameters || {}).forecast_horizon_weeks || 12;
  // The seasons both the planner's settings and tune are played on.
  const draws = h('input', { id: 'whatif-draws', type: 'number', min: 2, max: 200, step: 1, value: w.draws, 'data-testid': 'whatif-draws', oninput: (e) => { w.draws = e.target.value; } });
  const seed = h('input', { id: 'whatif-seed', type: 'number', min: 0, step: 1, value: w.seed, 'data-testid': 'whatif-seed', oninput: (e) => { w.seed = e.target.value; } });
  const form = h('form', { class: 'whatif-form', onsubmit: (e) => { e.preventDefault(); run(page); } },
    h('p', {}, 'Tune tries each knob\'s values one at a time, every other setting as this season had it, and recommends a change only when it gains with confidence on these seasons and on as many held-out ones.'),
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'whatif-run', disabled: w.running }, w.running ? 'Simulating…' : w.report ? 'Run tune again' : 'Run tune')),
    h('p', { class: 'field-error', role: 'alert', 'data-testid': 'whatif-error' }, w.error || ''));
  const r = w.report;
  const result = r ? h('div', { 'data-testid': 'whatif-result' },
    h('h3', { id: 'whatif-result', tabindex: -1 }, 'What simulation says'),
    h('p', {}, `With this season's settings the mean gross margin is `, h('strong', { 'data-testid': 'whatif-current-margin' }, money(r.current_margin_mean, r.currency)),
      ` over ${units(r.draws)} seasons drawn around the ${units(r.observed_demand)} units of demand this one saw (${units(r.demand_before_lift)} before the markdown's lift; seed ${r.seed}, ${r.policy} policy). A change is recommended only when its whole 90% interval gains, on these seasons and again on as many held-out ones.`),
    w.ms !== undefined ? h('p', { class: 'muted small' }, `Simulated in ${(w.ms / 1000).toFixed(1)} s.`) : null,
    together(r),
    h('div', { class: 'whatif-grid' }, r.knobs.map((k) => knobSection(k, r)))) : null;
  return h('section', { class: 'card', 'data-testid': 'whatif', 'aria-busy': w.running ? 'true' : 'false' },
    h('h2', {}, 'What-if for next season'),
    h('p', { class: 'muted' }, 'Settings are played on seasons drawn around the demand this season saw (the season\'s level, each store\'s and each week\'s, give or take a tenth), with the same steps and policy a real season runs. Money in the season\'s currency.'),
    h('div', { class: 'row' },
      h('label', { for: 'whatif-draws' }, 'Seasons drawn'), draws,
      h('label', { for: 'whatif-seed' }, 'Seed'), seed,
      h('span', { class: 'muted small' }, 'the same seasons for your settings and for tune')),
    trialSection(page, w, horizon, Math.min((width || 640) - 40, 900)),
    h('section', { class: 'whatif-tune', 'aria-labelledby': 'whatif-tune-title' },
      h('h3', { id: 'whatif-tune-title' }, 'Every value tune tried'),
      form,
      result));
}

// What-if for next season, in the browser: POST /api/workflows/{id}/tune (the
// same engine function as `atelier tune`) on a completed season, then each knob's
// value this season, every value tried with its mean gross margin and its gain
// over this season's setting (90% interval), and the recommendation, in money
// with the season's currency. The answer is kept on the page, so the tab can be
// left and found again without running it twice.

import { h } from './dom.js';
import * as api from './api.js';
import { money, pct, units } from './format.js';

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
  if (!page.whatif) page.whatif = { draws: 40, seed: 42, running: false, report: null, error: '' };
  return page.whatif;
}

async function run(page) {
  const w = state(page);
  if (w.running) return;
  const draws = Number(w.draws);
  const seed = Number(w.seed);
  if (!Number.isInteger(draws) || draws < 2 || draws > 200) {
    w.error = 'Draws: a whole number from 2 to 200.';
    page.render();
    return;
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    w.error = 'Seed: a whole number, 0 or more.';
    page.render();
    return;
  }
  const opener = document.activeElement;
  Object.assign(w, { running: true, error: '' });
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

/** The What-if tab. */
export function renderWhatIf({ status, page, model }) {
  const w = state(page);
  if (status.state !== 'completed') {
    const p = status.parameters || model.parameters || {};
    return h('section', { class: 'card', 'data-testid': 'whatif' },
      h('h2', {}, 'What-if for next season'),
      h('p', { class: 'muted', 'data-testid': 'whatif-unavailable' }, `The what-if plays next season's settings on seasons drawn around this one's demand, so it needs a completed season. This one is at week ${(status.weeks || []).length} of ${p.forecast_horizon_weeks || '—'}.`));
  }
  const draws = h('input', { id: 'whatif-draws', type: 'number', min: 2, max: 200, step: 1, value: w.draws, 'data-testid': 'whatif-draws', oninput: (e) => { w.draws = e.target.value; } });
  const seed = h('input', { id: 'whatif-seed', type: 'number', min: 0, step: 1, value: w.seed, 'data-testid': 'whatif-seed', oninput: (e) => { w.seed = e.target.value; } });
  const form = h('form', { class: 'whatif-form', onsubmit: (e) => { e.preventDefault(); run(page); } },
    h('div', { class: 'row' },
      h('label', { for: 'whatif-draws' }, 'Seasons drawn per value'), draws,
      h('label', { for: 'whatif-seed' }, 'Seed'), seed,
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'whatif-run', disabled: w.running }, w.running ? 'Simulating…' : w.report ? 'Run again' : 'Run the what-if')),
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
    h('p', { class: 'muted' }, 'Each knob is tried one at a time, every other setting as this season had it, on the same seasons drawn around the demand this season saw (the season\'s level, each store\'s and each week\'s, give or take a tenth). Money in the season\'s currency.'),
    form,
    result);
}

// The cockpit's last pieces (issue 18): the planner's what-if (their settings
// against this season's, the spread of gross margin on the same seasons, tune's
// recommendation beside it), a store's own page reached from the stores table by
// mouse and by keyboard, and negative percentages written with a true minus.
// Every figure is checked against the API's answer; every view is checked by axe
// at a laptop's and a phone's size and photographed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, STANDARD, ZARA, axeViolations, browser, call, createSeason, playToEnd, postCsv, shot, startServer, tabTo } from './harness.mjs';

let server;
let done;
const open = [];
before(async () => {
  server = await startServer();
  done = await createSeason(server, undefined, { scenario: 'normal_season' });
  await playToEnd(server, done);
});
after(async () => {
  for (const b of open) await b.close();
  if (server) await server.stop();
});

async function newBrowser(size) {
  const b = await browser(size);
  open.push(b);
  return b;
}

const SIZES = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];
const usd = (v) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(Math.abs(v) < 0.5 ? 0 : v);
const signedUsd = (v) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${usd(Math.abs(v))}`;
const units = (n) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);

/**
 * At a laptop's and a phone's size: no critical or serious axe violation, no
 * sideways scroll, and a screenshot of each [selector, name] scrolled into view.
 */
async function atBothSizes(page, what, views) {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(300);
    const found = await axeViolations(page);
    assert.deepEqual(found, [], `${what} ${size.width}x${size.height}: ${found.length} critical or serious violations`);
    const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${what}: the page is ${overflow}px wider than the window`);
    for (const [selector, name] of views) {
      await page.locator(selector).scrollIntoViewIfNeeded();
      await shot(page, name);
    }
  }
}

/** The figures of the answer's spread table, by row: [this season, yours, difference]. */
async function spreadRow(page, testid) {
  // A figure cell holds the value (.fig) and its interval under it.
  return page.locator(`[data-testid=${testid}] td`).evaluateAll((tds) => tds.map((td) => (td.querySelector('.fig') || td).textContent.trim()));
}

test('what-if: the planner\'s settings beside this season\'s, p10/p50/p90 in money, tune\'s recommendation beside', async () => {
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${done}/whatif`);
  const panel = page.locator('[data-testid=whatif]');
  // Opening the tab plays this season's settings and fills the form with them.
  await panel.locator('[data-testid=wi-answer]').waitFor({ timeout: 60000 });
  const first = await call(server, 'POST', `/api/workflows/${done}/what-if`, { draws: 40, seed: 42 });
  const now = first.current.settings;
  assert.equal(await page.locator('[data-testid=wi-policy]').inputValue(), now.policy);
  assert.equal(await page.locator('[data-testid=wi-holdback]').inputValue(), String(Math.round(now.holdback * 1000) / 10));
  assert.equal(await page.locator('[data-testid=wi-checkpoint_week]').inputValue(), now.checkpoint_week === null ? 'none' : String(now.checkpoint_week));
  assert.equal(await page.locator('[data-testid=wi-markdown_cap]').inputValue(), String(Math.round(now.markdown_cap * 1000) / 10));
  assert.deepEqual((await spreadRow(page, 'wi-p50')).slice(0, 1), [usd(first.current.margin.p50.value)]);
  // Tune's recommendation shows on opening, for the tab's draws and seed, before
  // anything is tried (the server keeps it, so a second opening has it at once).
  const onOpen = page.locator('[data-testid=wi-recommendation] ul.rec-list li');
  await onOpen.first().waitFor({ timeout: 180000 });
  const tuned = await call(server, 'POST', `/api/workflows/${done}/tune`, { draws: 40, seed: 42 });
  assert.equal(await onOpen.count(), tuned.knobs.filter((k) => k.tried.length).length);

  // The order centre tune can recommend is a setting to try (margin's order only).
  assert.equal(now.policy, 'margin');
  assert.equal(await page.locator('[data-testid=wi-order_centre]').inputValue(), String(Math.round((now.order_centre ?? 1) * 1000) / 10));
  await page.fill('[data-testid=wi-order_centre]', '80');
  await page.click('[data-testid=wi-try]');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'wi-answer', null, { timeout: 60000 });
  const centred = await call(server, 'POST', `/api/workflows/${done}/what-if`, { draws: 40, seed: 42, order_centre: 0.8 });
  assert.ok(Math.abs(centred.planned.settings.order_centre - 0.8) < 1e-9);
  assert.notEqual(centred.planned.settings.order_units, centred.current.settings.order_units, 'the centre moves the order');
  assert.deepEqual((await spreadRow(page, 'wi-p50')).slice(1, 2), [usd(centred.planned.margin.p50.value)]);
  const centreRow = await page.locator('[data-testid=wi-settings] tbody tr', { hasText: 'Order centre' }).textContent();
  assert.match(centreRow, /80\.0%/);
  await page.fill('[data-testid=wi-order_centre]', String(Math.round((now.order_centre ?? 1) * 1000) / 10));

  // Fewer seasons, then the planner's settings by keyboard: the seed's rules,
  // 30% held back, no markdown, Enter on "Try these settings".
  await page.fill('[data-testid=whatif-draws]', '6');
  await page.fill('[data-testid=whatif-seed]', '5');
  await page.selectOption('[data-testid=wi-policy]', 'seed');
  await page.fill('[data-testid=wi-holdback]', '30');
  await page.selectOption('[data-testid=wi-checkpoint_week]', 'none');
  await tabTo(page, '[data-testid=wi-try]', 120);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'wi-answer', null, { timeout: 60000 });
  const asked = { draws: 6, seed: 5, policy: 'seed', holdback: 0.3, checkpoint_week: null };
  const r = await call(server, 'POST', `/api/workflows/${done}/what-if`, asked);
  assert.equal(r.planned.settings.policy, 'seed');
  assert.equal(r.planned.settings.checkpoint_week, null);
  for (const q of ['p10', 'p50', 'p90']) {
    const [cur, mine, diff] = await spreadRow(page, `wi-${q}`);
    assert.equal(cur, usd(r.current.margin[q].value), `${q} this season`);
    assert.equal(mine, usd(r.planned.margin[q].value), `${q} yours`);
    assert.equal(diff, signedUsd(r.planned.margin[q].value - r.current.margin[q].value), `${q} difference`);
    // Each figure's 90% interval under it.
    const interval = await page.locator(`[data-testid=wi-${q}] td`).nth(1).locator('.interval').textContent();
    assert.equal(interval, `${usd(r.planned.margin[q].low)} to ${usd(r.planned.margin[q].high)}`);
  }
  const gain = await page.locator('[data-testid=wi-gain]').textContent();
  assert.ok(gain.startsWith(`Your settings earn ${signedUsd(r.gain.mean)} a season`), gain);
  assert.ok(gain.includes(`90% interval ${signedUsd(r.gain.low)} to ${signedUsd(r.gain.high)}`), gain);
  const settings = await page.locator('[data-testid=wi-settings] tbody tr').allTextContents();
  assert.ok(settings.some((t) => t.startsWith('Policymargin') && t.includes('seed (changed)')), settings.join(' | '));
  assert.ok(settings.some((t) => t.startsWith('First buy') && t.includes(`${units(r.planned.settings.order_units)} units`)), settings.join(' | '));
  assert.equal(await page.locator('[data-testid=wi-chart] svg rect.range').count(), 2);

  // Tune's recommendation for the same seasons, beside the answer.
  const rec = page.locator('[data-testid=wi-recommendation]');
  await rec.locator('ul.rec-list li').first().waitFor({ timeout: 90000 });
  const tune = await call(server, 'POST', `/api/workflows/${done}/tune`, { draws: 6, seed: 5 });
  for (const k of tune.knobs.filter((x) => x.tried.length)) {
    const line = await rec.locator(`li[data-rec-knob=${k.knob}]`).textContent();
    assert.ok(k.recommended ? line.includes('change to') : line.includes('keep'), `${k.knob}: ${line}`);
  }
  const box = await rec.boundingBox();
  const form = await page.locator('[data-testid=wi-form]').boundingBox();
  assert.ok(box.x >= form.x + form.width - 1, 'the recommendation is beside the settings on a laptop');

  // "Try the recommended settings" puts tune's values in the form and plays them.
  const triable = tune.knobs.filter((k) => k.recommended && ['safety_stock', 'holdback', 'checkpoint_week', 'markdown_cap', 'order_centre'].includes(k.knob));
  if (triable.length) {
    await rec.locator('[data-testid=wi-use-recommended]').click();
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'wi-answer', null, { timeout: 60000 });
    const played = await call(server, 'POST', `/api/workflows/${done}/what-if`, {
      draws: 6, seed: 5,
      ...Object.fromEntries(triable.map((k) => [k.knob, k.recommended.setting])),
    });
    const p = played.planned.settings;
    for (const k of triable) {
      const got = k.knob === 'checkpoint_week' ? p.checkpoint_week : p[k.knob];
      assert.ok(Math.abs((got ?? -1) - (k.recommended.setting ?? -1)) < 1e-9, `${k.knob}: ${got} vs ${k.recommended.setting}`);
    }
    if (triable.some((k) => k.knob === 'order_centre')) {
      // Shown to a tenth of a percent, played exactly (the check above).
      assert.match(await page.locator('[data-testid=wi-order_centre]').inputValue(), /^\d+(\.\d)?$/);
    }
    const [, mine] = await spreadRow(page, 'wi-p50');
    assert.equal(mine, usd(played.planned.margin.p50.value), 'the recommended settings\' median');
    assert.equal(await page.locator('[data-testid=wi-policy]').inputValue(), tune.policy);
  }

  // A value out of range: the server's refusal is shown at the field, naming it.
  await page.fill('[data-testid=wi-holdback]', '150');
  await page.click('[data-testid=wi-try]');
  const fieldError = page.locator('[data-testid=wi-holdback-error]');
  await fieldError.waitFor();
  assert.match(await fieldError.textContent(), /holdback: 1\.5 is outside 0 to 1/);
  assert.equal(await page.locator('[data-testid=wi-holdback]').getAttribute('aria-invalid'), 'true');
  // A first buy in units instead of a safety stock.
  await page.fill('[data-testid=wi-holdback]', '30');
  await page.check('[data-testid=wi-sizing-units]');
  await page.fill('[data-testid=wi-order_units]', '200000');
  await page.click('[data-testid=wi-try]');
  await page.locator('[data-testid=wi-settings] tr.changed', { hasText: '200,000 units (fixed)' }).waitFor({ timeout: 60000 });

  await atBothSizes(page, 'what-if', [['[data-testid=wi-form]', 'whatif-settings'], ['[data-testid=wi-answer]', 'whatif-answer']]);
  // On a phone (atBothSizes ends there) every policy's label fits its select.
  assert.deepEqual(page.viewportSize(), { width: 390, height: 844 });
  const cut = await page.locator('[data-testid=wi-policy]').evaluate((sel) => {
    const cs = getComputedStyle(sel);
    const span = document.createElement('span');
    span.style.cssText = `position:absolute;visibility:hidden;white-space:pre;font:${cs.font};letter-spacing:${cs.letterSpacing}`;
    document.body.append(span);
    // The text box inside the padding, less the drop-down arrow (about 20px).
    const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 20;
    const out = [...sel.options].map((o) => { span.textContent = o.textContent; return [o.textContent, span.getBoundingClientRect().width, room]; }).filter(([, need, have]) => need > have);
    span.remove();
    return out;
  });
  assert.deepEqual(cut, [], 'a policy label is cut on a phone');
  await page.locator('[data-testid=wi-policy]').scrollIntoViewIfNeeded();
  await shot(page, 'whatif-policy-select');
  assert.deepEqual(errors, []);
});

/** Week `week` of the normal season, the first third of the stores selling 1.8× and the rest 0.6×. */
function unevenWeek(week) {
  const file = join(ROOT, 'data', 'scenarios', 'normal_season', `actuals_week_${String(week).padStart(2, '0')}.csv`);
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const ids = [...new Set(lines.map((l) => l.split(',')[1]))].sort();
  const hot = new Set(ids.slice(0, Math.floor(ids.length / 3)));
  return [head, ...lines.map((l) => {
    const [date, store, qty] = l.split(',');
    return `${date},${store},${Math.round(Number(qty) * (hot.has(store) ? 1.8 : 0.6))}`;
  })].join('\n') + '\n';
}

test('a store\'s page from the stores table, by mouse and by keyboard: its plan, weeks, stock and transfers as the API says', async () => {
  // Zara under margin, nothing at the DC, stores selling unevenly: stock moves.
  const created = await call(server, 'POST', '/api/workflows', { category: "Women's Dresses", parameters: ZARA, actuals_meaning: 'demand' });
  const id = created.workflow_id;
  for (let week = 1; week <= 8; week += 1) {
    let w = await call(server, 'GET', `/api/workflows/${id}`);
    while (w.pending_approval) w = await call(server, 'POST', `/api/workflows/${id}/approvals/${w.pending_approval.approval_id}`, { action: 'accept' });
    await postCsv(server, `/api/workflows/${id}/actuals?week=${week}`, unevenWeek(week));
  }
  let w = await call(server, 'GET', `/api/workflows/${id}`);
  while (w.pending_approval) w = await call(server, 'POST', `/api/workflows/${id}/approvals/${w.pending_approval.approval_id}`, { action: 'accept' });
  const { events } = await call(server, 'GET', `/api/workflows/${id}/events?limit=1000`);
  const moved = events.find((e) => e.event.type === 'transfers_shipped');
  assert.ok(moved, 'stock moved between stores');
  const receiver = moved.event.batch.transfers[0].to_store;
  const api = await call(server, 'GET', `/api/workflows/${id}/stores/${receiver}`);
  const s = api.season;

  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}/stores`);
  await page.locator(`[data-testid=stores-table] tr[data-store="${receiver}"]`).waitFor();
  // By keyboard: Tab to the store's link, Enter.
  await tabTo(page, `tr[data-store="${receiver}"] [data-testid=store-link]`, 250);
  await page.keyboard.press('Enter');
  await page.locator(`[data-testid=store-page][data-store="${receiver}"]`).waitFor();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'store-title');
  assert.equal(new URL(page.url()).hash, `#/season/${id}/stores/${receiver}`);
  assert.equal(await page.locator('[data-tab=stores]').getAttribute('aria-selected'), 'true');
  assert.equal(await page.locator('[data-testid=store-allocation] .metric-value').textContent(), `${units(s.season_allocation)} units`);
  assert.equal(await page.locator('[data-testid=store-initial] .metric-value').textContent(), `${units(s.initial_shipment)} units`);
  assert.equal(await page.locator('[data-testid=store-on-hand] .metric-value').textContent(), `${units(s.on_hand)} units`);
  assert.match(await page.locator('[data-testid=store-attributes]').textContent(), new RegExp(api.attributes.region));
  const rows = page.locator('[data-testid=store-weeks] tbody tr');
  assert.equal(await rows.count(), s.weeks.length);
  for (const [i, wk] of s.weeks.entries()) {
    const cells = await rows.nth(i).locator('td').allTextContents();
    assert.deepEqual(
      [cells[0], cells[1], cells[2], cells[6], cells[7], cells[8]],
      [units(wk.forecast), units(wk.demand), units(wk.sold), units(wk.transferred_in), units(wk.transferred_out), units(wk.on_hand)],
      `week ${wk.week}`,
    );
  }
  const moves = page.locator('[data-testid=store-transfers] tbody tr');
  assert.equal(await moves.count(), s.transfers.length);
  assert.ok(s.transfers.some((m) => m.direction === 'in'));
  assert.equal(await page.locator('[data-testid=store-sales-chart] svg').count(), 1);
  assert.equal(await page.locator('[data-testid=store-stock-chart] svg').count(), 1);
  await atBothSizes(page, 'store page', [['[data-testid=store-page]', 'store-page'], ['[data-testid=store-stock-chart]', 'store-page-stock']]);
  await page.setViewportSize(SIZES[0]);
  // Another store's page from the transfers list, by mouse; back to the table by keyboard.
  const other = s.transfers[0].other_store;
  await page.locator('[data-testid=store-transfers] a', { hasText: other }).first().click();
  await page.locator(`[data-testid=store-page][data-store="${other}"]`).waitFor();
  await tabTo(page, '[data-testid=store-back]', 40);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=stores-table]').waitFor();
  // An unknown store in the address names it.
  await page.goto(`${server.url}/#/season/${id}/stores/S999`);
  await page.locator('[data-testid=store-error]').waitFor();
  assert.equal(await page.locator('[data-testid=store-error]').textContent(), 'This season has no store S999.');
  assert.deepEqual(errors, []);
});

test('negative percentages on the order dialog carry a true minus sign', async () => {
  const id = await createSeason(server, undefined, { parameters: STANDARD, tunables: { policy: 'rule', safety_stock_pct: -0.013 } });
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-order]').waitFor();
  const text = await dialog.textContent();
  assert.ok(text.includes('−1.3%'), 'safety stock −1.3% with U+2212');
  assert.doesNotMatch(text, /(^|[^\w])-\d+(\.\d+)?%/, 'no hyphen-minus before a percentage');
  await dialog.locator('button[value=later]').click();
  assert.deepEqual(errors, []);
});

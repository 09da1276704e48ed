// The planner's cockpit (issue 18): two seasons compared side by side from the
// seasons list, by mouse and by keyboard, on a laptop and on a phone; the what-if
// of a completed season in the browser (the figures of POST .../tune, in money
// with the currency); the reorder dialog (accept, modify, decline); and the tab
// panel left alone by frames in which nothing it shows changed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, call, createSeason, playToEnd, shot, startServer, tabTo, untilReorder } from './harness.mjs';

let server;
const open = [];
let low;
let normal;
before(async () => {
  server = await startServer();
  low = await createSeason(server, undefined, { scenario: 'low_demand' });
  normal = await createSeason(server, undefined, { scenario: 'normal_season' });
  await playToEnd(server, low);
  await playToEnd(server, normal);
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

const usd = (v) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(v);
const signedUsd = (v) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${usd(Math.abs(v))}`;

test('two seasons compared side by side, picked from the seasons list', async () => {
  const [a, b] = await Promise.all([low, normal].map((id) => call(server, 'GET', `/api/workflows/${id}`)));
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/`);
  const compare = page.locator('[data-testid=compare-chosen]');
  await page.locator(`tr[data-workflow="${low}"] [data-testid=compare-tick]`).check();
  assert.equal(await compare.isDisabled(), true, 'one season is not a comparison');
  await page.locator(`tr[data-workflow="${normal}"] [data-testid=compare-tick]`).check();
  await compare.click();
  await page.waitForURL(`**/#/compare/${low}/${normal}`);
  const table = page.locator('[data-testid=compare-table]');
  await table.waitFor();
  // Each figure is the report's, with its currency, and the difference is B − A.
  for (const key of ['revenue', 'gross_margin', 'markdown_cost']) {
    const row = table.locator(`tr[data-row=${key}]`);
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], usd(a.report[key]), `${key} of A`);
    assert.equal(cells[1], usd(b.report[key]), `${key} of B`);
    assert.equal(cells[2].replace(/ \((better|worse) for B\)$/, ''), signedUsd(b.report[key] - a.report[key]), `${key}: B − A`);
  }
  const pp = (x) => `${(x * 100).toFixed(1)}%`;
  for (const key of ['fill_rate', 'sell_through', 'margin_capture']) {
    const cells = await table.locator(`tr[data-row=${key}] td`).allTextContents();
    assert.equal(cells[0], pp(a.report[key]), key);
    assert.equal(cells[1], pp(b.report[key]), key);
    assert.match(cells[2], /^[+−±]\d+\.\d pp/, key);
  }
  // No reorders in either: zero money reads "$0", never "-$0".
  assert.deepEqual(await table.locator('tr[data-row=reorder_cost] td').allTextContents(), ['$0', '$0', '±$0']);
  const leftover = await table.locator('tr[data-row=leftover_units] td').allTextContents();
  assert.equal(leftover[0], a.report.leftover_units.toLocaleString('en-US'));
  const order = await table.locator('tr[data-row=order] td').allTextContents();
  assert.equal(order[0], a.manufacturing.manufacturing_qty.toLocaleString('en-US'));
  assert.equal(order[1], b.manufacturing.manufacturing_qty.toLocaleString('en-US'));
  assert.equal((await table.locator('tr[data-row=units_reordered] td').allTextContents())[0], a.report.units_reordered.toLocaleString('en-US'));
  // A higher margin for B reads as better, a lower as worse.
  const marginCell = table.locator('[data-testid=diff-gross_margin]');
  assert.equal(await marginCell.getAttribute('class'), `num diff-${b.report.gross_margin > a.report.gross_margin ? 'better' : 'worse'}`);
  // The weekly chart has both seasons' sales.
  const chart = page.locator('[data-testid=compare-chart]');
  await chart.locator('path.line.current').waitFor();
  await chart.locator('path.line.cmp-b').waitFor();
  assert.equal(await chart.locator('.dots.cmp-b circle').count(), 12);
  await shot(page, 'cockpit-compare');
  assert.deepEqual(errors, []);
});

test('seasons compared by keyboard alone, and on a phone', async () => {
  const { page, errors } = await newBrowser({ width: 390, height: 844 });
  await page.goto(`${server.url}/#/`);
  await page.locator('[data-testid=seasons-table] tbody tr[data-workflow]').first().waitFor();
  // The list's "Compare seasons" link, then both pickers by arrow keys.
  await tabTo(page, 'a[href="#/compare"].button');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=compare-empty]').waitFor();
  await tabTo(page, '#compare-a');
  const optionsA = await page.$$eval('#compare-a option', (os) => os.map((o) => o.value));
  for (let i = 0; i < optionsA.indexOf(low); i += 1) await page.keyboard.press('ArrowDown');
  await page.waitForURL(`**/#/compare/${low}/`);
  await page.locator('#compare-a').evaluate((el) => el.value).then((v) => assert.equal(v, low));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'compare-a', 'focus kept on the picker');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'compare-b');
  const optionsB = await page.$$eval('#compare-b option', (os) => os.map((o) => ({ v: o.value, d: o.disabled })));
  // Season A is disabled in B's list: arrows skip it.
  const target = optionsB.filter((o) => !o.d).map((o) => o.v).indexOf(normal);
  for (let i = 0; i < target; i += 1) await page.keyboard.press('ArrowDown');
  await page.waitForURL(`**/#/compare/${low}/${normal}`);
  await page.locator('[data-testid=compare-table] tr[data-row=gross_margin]').waitFor();
  // The table scrolls inside its card: the page itself is not wider than the phone.
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await tabTo(page, '[role=region][aria-label^="The two seasons compared"]');
  await shot(page, 'cockpit-compare');
  await page.locator('[data-testid=compare-chart]').scrollIntoViewIfNeeded();
  await shot(page, 'cockpit-compare-chart');
  assert.deepEqual(errors, []);
});

test('what-if of a completed season in the browser: each knob, tried values with their gain, the recommendation', async () => {
  const expected = await call(server, 'POST', `/api/workflows/${normal}/tune`, { draws: 4, seed: 7 });
  const { page, errors } = await newBrowser();
  // A season still running has no what-if yet.
  const running = await createSeason(server, undefined, { scenario: 'normal_season' });
  await page.goto(`${server.url}/#/season/${running}/whatif`);
  await page.locator('[data-testid=whatif-unavailable]').waitFor();
  // It says why not yet, and when it opens.
  assert.match(await page.locator('[data-testid=whatif-unavailable]').textContent(),
    /^Not available yet\. No week has been played yet: the what-if draws seasons around the demand of all 12 weeks of this one, so it opens when the season is complete \(12 weeks to go\)\.$/);
  await page.keyboard.press('Escape');

  // From the report's "for next season" to the What-if tab.
  await page.goto(`${server.url}/#/season/${normal}/report`);
  await page.click('[data-testid=report-whatif]');
  await page.locator('[data-tab=whatif][aria-selected=true]').waitFor();
  const panel = page.locator('[data-testid=whatif]');
  await panel.locator('[data-testid=whatif-run]').waitFor();
  // By keyboard: the draws, the seed, then Enter on the button.
  await tabTo(page, '#whatif-draws', 120);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('4');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('7');
  await tabTo(page, '[data-testid=whatif-run]');
  await page.keyboard.press('Enter');
  // The tab may already show tune's answer for the what-if's own draws (fetched
  // on opening): wait for this run's.
  await page.waitForFunction((want) => {
    const m = document.querySelector('[data-testid=whatif-current-margin]');
    return m && m.textContent === want && document.querySelector('[data-testid=whatif-run]:not([disabled])');
  }, usd(expected.current_margin_mean), { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'whatif-result', 'focus on the answer');
  assert.equal(await panel.locator('[data-testid=whatif-current-margin]').textContent(), usd(expected.current_margin_mean));
  const knobs = panel.locator('[data-testid=whatif-knob]');
  assert.equal(await knobs.count(), expected.knobs.length);
  for (const k of expected.knobs) {
    const card = panel.locator(`[data-knob=${k.knob}]`);
    const now = k.knob === 'checkpoint_week' ? (k.current === null ? 'none' : `week ${k.current}`) : `${(k.current * 100).toFixed(0)}%`;
    assert.match(await card.locator('h3').textContent(), new RegExp(`now ${now}$`), k.knob);
    // Every value tried, with its mean gain in dollars.
    const rows = card.locator('tbody tr[data-setting]');
    assert.equal(await rows.count(), k.tried.length, k.knob);
    for (let i = 0; i < k.tried.length; i += 1) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      assert.equal(cells[0], usd(k.tried[i].margin_mean), `${k.knob} value ${i}`);
      assert.equal(await rows.nth(i).locator('.gain').textContent(), signedUsd(k.tried[i].gain.mean), `${k.knob} gain ${i}`);
      assert.equal(await rows.nth(i).locator('.interval').textContent(), `${signedUsd(k.tried[i].gain.low)} to ${signedUsd(k.tried[i].gain.high)}`, `${k.knob} interval ${i}`);
    }
    const verdict = await card.locator('[data-testid=whatif-recommendation]').textContent();
    if (k.recommended) {
      // The gain shown is the held-out one.
      assert.match(verdict, /^Change to .*on held-out seasons/, k.knob);
      assert.ok(verdict.includes(signedUsd(k.held_out.mean)), verdict);
      assert.equal(await card.locator('tr.chosen').count(), 1);
    } else if (k.best_in_sample) {
      assert.match(verdict, /^Keep it: .* on held-out ones\.$/, k.knob);
      assert.ok(verdict.includes(signedUsd(k.held_out.mean)), verdict);
    } else {
      assert.match(verdict, /^(Keep it|Nothing to try)/, k.knob);
    }
  }
  const together = panel.locator('[data-testid=whatif-together]');
  assert.equal(await together.count(), expected.together ? 1 : 0);
  if (expected.together) {
    assert.ok((await together.textContent()).includes(signedUsd(expected.together.gain.mean)));
  }
  // The answer stays when the tab is left and found again.
  await page.click('[data-tab=report]');
  await page.click('[data-tab=whatif]');
  await panel.locator('[data-testid=whatif-result]').waitFor();
  await shot(page, 'cockpit-whatif');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  // A redraw after the resize may replace the card under the pointer: try again
  // on the new one.
  for (let tries = 0; ; tries += 1) {
    try {
      await panel.locator('[data-knob=holdback]').scrollIntoViewIfNeeded({ timeout: 2000 });
      break;
    } catch (e) {
      if (tries >= 4) throw e;
    }
  }
  await shot(page, 'cockpit-whatif');
  // Opened on a phone, the What-if tab is in view in its sideways strip.
  await page.reload();
  await panel.locator('[data-testid=whatif-run]').waitFor();
  const inView = await page.evaluate(() => {
    const t = document.querySelector('[role=tablist]').getBoundingClientRect();
    const c = document.querySelector('[role=tab][aria-selected=true]').getBoundingClientRect();
    return c.left >= t.left - 1 && c.right <= t.right + 1;
  });
  assert.ok(inView, 'the selected tab is in view on a phone');
  await shot(page, 'cockpit-whatif-tabs');
  assert.deepEqual(errors, []);
});

test('the reorder dialog: units, cost, arrival and margin; accept, modify and decline', async () => {
  const seasons = await Promise.all([untilReorder(server), untilReorder(server), untilReorder(server)]);
  const { page, errors } = await newBrowser();
  const dialog = page.locator('[data-testid=approval-dialog]');
  for (const [i, { id, approval }] of seasons.entries()) {
    const plan = approval.data.plan;
    assert.equal(approval.approval_id.startsWith('reorder-'), true);
    await page.goto(`${server.url}/#/season/${id}`);
    await dialog.locator('[data-testid=approval-reorder-units]').waitFor();
    assert.equal(await dialog.locator('h2').textContent(), `Approve a second buy after week ${plan.week}`);
    assert.equal(await dialog.locator('[data-testid=approval-reorder-units]').textContent(), `${plan.units.toLocaleString('en-US')} units`);
    const facts = await dialog.locator('dl').textContent();
    assert.ok(facts.includes(usd(plan.cost)), `cost ${usd(plan.cost)} in ${facts}`);
    assert.ok(facts.includes(`after week ${plan.arrival_week}`), facts);
    assert.equal(await dialog.locator('[data-testid=approval-reorder-gain]').textContent(), usd(plan.expected_gain));
    if (i === 0) await shot(page, 'cockpit-reorder-dialog');
    let expect;
    if (i === 0) {
      await dialog.locator('[data-testid=approval-accept]').click();
      expect = { action: 'accept' };
    } else if (i === 1) {
      const half = Math.floor(plan.units / 2);
      await dialog.locator('[data-testid=approval-modify]').click();
      await page.fill('[data-testid=modify-reorder-units]', String(half));
      await dialog.locator('[data-testid=approval-send]').click();
      expect = { action: 'modify', modifications: { reorder_units: half } };
    } else {
      // Declined by keyboard.
      await tabTo(page, '[data-testid=approval-decline]');
      await page.keyboard.press('Enter');
      expect = { action: 'modify', modifications: { reorder_units: 0 } };
    }
    await dialog.waitFor({ state: 'hidden' });
    const w = await call(server, 'GET', `/api/workflows/${id}`);
    const answered = w.approvals.find((a) => a.approval_id === approval.approval_id);
    assert.equal(answered.resolution.action, expect.action);
    if (expect.modifications) assert.equal(answered.resolution.modifications.reorder_units, expect.modifications.reorder_units);
    const events = (await call(server, 'GET', `/api/workflows/${id}/events`)).events.map((e) => e.event);
    const placed = events.find((e) => e.type === 'reorder_placed');
    const declined = events.find((e) => e.type === 'reorder_declined');
    if (i === 0) assert.equal(placed.plan.units, plan.units);
    if (i === 1) assert.equal(placed.plan.units, expect.modifications.reorder_units);
    if (i === 2) assert.ok(declined && !placed, 'declined, nothing placed');
    assert.notEqual(await page.evaluate(() => document.activeElement.tagName), 'BODY', 'focus kept after the answer');
  }
  assert.deepEqual(errors, []);
});

test('a frame with nothing new leaves the tab panel as it is', async () => {
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${normal}/report`);
  await page.locator('[data-testid=season-report]').waitFor();
  await page.waitForTimeout(500);
  const panel = page.locator('#season-panel');
  const before_ = Number(await panel.getAttribute('data-renders'));
  await page.evaluate(() => { document.querySelector('[data-testid=season-report]').dataset.kept = 'yes'; });
  // Resizes of the same size and refreshes of an unchanged resource ask for
  // frames; none of them has anything new to draw.
  for (let i = 0; i < 5; i += 1) {
    await page.evaluate(() => window.dispatchEvent(new Event('resize')));
    await page.waitForTimeout(50);
  }
  assert.equal(await page.locator('[data-testid=season-report]').getAttribute('data-kept'), 'yes', 'the report was rebuilt');
  assert.equal(Number(await panel.getAttribute('data-renders')), before_);
  // A real change (another width) redraws.
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.waitForFunction((n) => Number(document.querySelector('#season-panel').dataset.renders) > n, before_);
  assert.deepEqual(errors, []);
});

test('a hidden page adds its timeline rows but redraws its charts only when seen again', async () => {
  const id = await createSeason(server, undefined, { scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}/overview`);
  await page.locator('[data-testid=weekly-chart]').waitFor();
  await page.locator('[data-testid=connection-status][data-state=live]').waitFor();
  await page.waitForTimeout(2000);
  // The window is minimised (visibilityState is what the page reads).
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const panel = page.locator('#season-panel');
  const before_ = Number(await panel.getAttribute('data-renders'));
  const wf = await call(server, 'POST', `/api/workflows/${id}/play?until_week=1`);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=connection-status]').dataset.lastSeq) >= n, wf.last_event);
  await page.waitForTimeout(2500);
  assert.equal(Number(await panel.getAttribute('data-renders')), before_, 'no chart redraw while hidden');
  assert.ok(await page.locator(`[data-testid=event-timeline] li[data-seq="${wf.last_event}"]`).count(), 'the row is there');
  // Seen again: the charts catch up at once.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await page.waitForFunction((n) => Number(document.querySelector('#season-panel').dataset.renders) > n, before_, { timeout: 5000 });
  assert.match(await page.locator('[data-testid=metric-stockouts]').textContent(), /1 of 12 weeks played/);
  assert.deepEqual(errors, []);
});

test('the forecast chart has the category\'s same weeks a year earlier', async () => {
  const f = await call(server, 'GET', `/api/workflows/${normal}/forecast`);
  assert.equal(f.last_year_weekly.length, 12);
  assert.ok(f.last_year_weekly.every((v) => Number.isInteger(v) && v > 0), JSON.stringify(f.last_year_weekly));
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${normal}/overview`);
  const chart = page.locator('[data-testid=weekly-chart]');
  await chart.locator('path.line.last-year').waitFor();
  const dots = chart.locator('.dots.last-year circle');
  assert.equal(await dots.count(), 12);
  assert.equal(await dots.first().locator('title').textContent(), `Last year, same weeks, week 1: ${f.last_year_weekly[0].toLocaleString('en-US')}`);
  assert.ok((await chart.locator('.legend').textContent()).includes('Last year, same weeks'));
  await chart.scrollIntoViewIfNeeded();
  await shot(page, 'cockpit-last-year');
  assert.deepEqual(errors, []);
});

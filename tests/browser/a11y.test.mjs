// Accessibility: axe-core on every view of the dashboard (seasons, new season, data
// sets, sign-in, each tab of a season, each dialog) at a laptop's and a phone's
// size, with no critical or serious violation; and a whole season by keyboard
// alone, from the description to the report.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, TOKENS, axeViolations, browser, call, createSeason, playToEnd, shot, startServer, tabTo, untilReorder } from './harness.mjs';

let server;
const open = [];
before(async () => {
  server = await startServer();
});
after(async () => {
  for (const b of open) await b.close();
  if (server) await server.stop();
});

async function check(page, what) {
  const found = await axeViolations(page);
  assert.deepEqual(found, [], `${what}: ${found.length} critical or serious violations`);
}

const SIZES = [{ width: 1280, height: 800 }, { width: 390, height: 844 }];

test('axe finds no critical or serious violation on any view', async () => {
  const id = await createSeason(server, undefined, { scenario: 'low_demand' });
  const played = await createSeason(server, undefined, { scenario: 'low_demand' });
  await call(server, 'POST', `/api/workflows/${played}/approvals/manufacturing-1`, { action: 'accept' });
  await call(server, 'POST', `/api/workflows/${played}/play`);
  const running = await createSeason(server, undefined, { scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${running}/approvals/manufacturing-1`, { action: 'accept' });
  await call(server, 'POST', `/api/workflows/${running}/play?until_week=2`);
  for (const size of SIZES) {
    const b = await browser(size);
    open.push(b);
    const { page } = b;
    const tag = `${size.width}x${size.height}`;
    await page.goto(`${server.url}/#/`);
    await page.locator('[data-testid=seasons-table] tbody tr[data-workflow]').first().waitFor();
    await check(page, `seasons ${tag}`);
    await page.goto(`${server.url}/#/new`);
    await page.locator('[data-testid=describe-input]').waitFor();
    await page.locator('#category option[value="Women\'s Dresses"]').waitFor({ state: 'attached' });
    await check(page, `new season ${tag}`);
    await page.click('[data-testid=review-season]');
    await page.locator('[data-testid=confirm-dialog]').waitFor();
    await check(page, `confirm dialog ${tag}`);
    await page.keyboard.press('Escape');
    await page.goto(`${server.url}/#/data`);
    await page.locator('[data-testid=dataset-summary] table').waitFor();
    await check(page, `data sets ${tag}`);

    // The order dialog, then each tab of a season waiting for its order.
    await page.goto(`${server.url}/#/season/${id}`);
    const dialog = page.locator('[data-testid=approval-dialog]');
    await dialog.locator('[data-testid=approval-order]').waitFor();
    await check(page, `order dialog ${tag}`);
    await dialog.locator('button[value=later]').click();

    // A season at its markdown: the dialog, then every tab.
    await page.goto(`${server.url}/#/season/${played}`);
    await page.locator('[data-testid=event-timeline] li').first().waitFor();
    // Whether the season waits is the server's to say: the dialog may open after
    // the timeline's first row, so the page is not asked.
    const waiting = (await call(server, 'GET', `/api/workflows/${played}`)).pending_approval;
    if (waiting) {
      await dialog.locator('[data-testid=approval-markdown]').waitFor();
      await check(page, `markdown dialog ${tag}`);
      await dialog.locator('button[value=later]').click();
    }
    for (const tab of ['overview', 'stores', 'weeks', 'report', 'parameters']) {
      await page.click(`[data-tab=${tab}]`);
      await page.locator(`[data-tab=${tab}][aria-selected=true]`).waitFor();
      await page.waitForTimeout(200);
      await check(page, `${tab} ${tag}`);
    }
    await shot(page, 'a11y-parameters');
    await page.goto(`${server.url}/#/season/${running}/weeks`);
    await page.locator('[data-testid=upload-actuals]').waitFor();
    await check(page, `weeks with an upload box ${tag}`);
    await page.click('[data-testid=reforecast-open]');
    await page.locator('[data-testid=reforecast-dialog]').waitFor();
    await check(page, `re-forecast dialog ${tag}`);
    await page.keyboard.press('Escape');
    await shot(page, 'a11y-season');
  }
  // Sign-in on a server that asks for a token.
  const guarded = await startServer({ tokens: TOKENS });
  try {
    const b = await browser();
    open.push(b);
    await b.page.goto(`${guarded.url}/`);
    await b.page.locator('[data-testid=token-input]').waitFor();
    await check(b.page, 'sign-in');
    await b.page.fill('[data-testid=token-input]', APPROVER);
    await b.page.click('[data-testid=sign-in]');
    await b.page.locator('[data-testid=who]').waitFor();
    await check(b.page, 'seasons, signed in');
  } finally {
    await guarded.stop();
  }
});

test('axe finds no critical or serious violation on the cockpit: compare, what-if, reorder dialog', async () => {
  const a = await createSeason(server, undefined, { scenario: 'low_demand' });
  const b = await createSeason(server, undefined, { scenario: 'normal_season' });
  await playToEnd(server, a);
  await playToEnd(server, b);
  const { id: hot } = await untilReorder(server);
  for (const size of SIZES) {
    const br = await browser(size);
    open.push(br);
    const { page } = br;
    const tag = `${size.width}x${size.height}`;
    await page.goto(`${server.url}/#/`);
    await page.locator(`tr[data-workflow="${a}"] [data-testid=compare-tick]`).check();
    await page.locator(`tr[data-workflow="${b}"] [data-testid=compare-tick]`).check();
    await check(page, `seasons with two ticked ${tag}`);
    await page.click('[data-testid=compare-chosen]');
    await page.locator('[data-testid=compare-chart] path.line.cmp-b').waitFor();
    await check(page, `compare ${tag}`);
    await shot(page, 'a11y-compare');
    await page.goto(`${server.url}/#/season/${b}/whatif`);
    await page.fill('[data-testid=whatif-draws]', '2');
    await page.click('[data-testid=whatif-run]');
    await page.locator('[data-testid=whatif-result]').waitFor({ timeout: 60000 });
    await check(page, `what-if ${tag}`);
    await shot(page, 'a11y-whatif');
    await page.goto(`${server.url}/#/season/${hot}`);
    const dialog = page.locator('[data-testid=approval-dialog]');
    await dialog.locator('[data-testid=approval-reorder-units]').waitFor();
    await check(page, `reorder dialog ${tag}`);
    await dialog.locator('[data-testid=approval-modify]').click();
    await check(page, `reorder dialog, modifying ${tag}`);
    await shot(page, 'a11y-reorder');
  }
});

test('a whole season by keyboard alone', async () => {
  const b = await browser();
  open.push(b);
  const { page } = b;
  await page.goto(`${server.url}/#/new`);
  await page.locator('[data-testid=describe-input]').waitFor();
  await page.locator('#category option[value="Women\'s Dresses"]').waitFor({ state: 'attached' });
  // The description has the focus on arrival.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'describe');
  await page.keyboard.type('A 12-week season starting 2025-02-17 with weekly replenishment, hold back 45% at the DC, and a markdown check at week 6 if sell-through is below 60%.');
  await tabTo(page, '[data-testid=extract-button]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=extract-result] p').filter({ hasNotText: 'Reading' }).waitFor();
  assert.equal(await page.inputValue('#f-dc_holdback_percentage'), '45');
  // The scenario: low demand, chosen with the arrow keys.
  await tabTo(page, '#scenario');
  const names = await page.$$eval('#scenario option', (os) => os.map((o) => o.value));
  const from = names.indexOf(await page.inputValue('#scenario'));
  const to = names.indexOf('low_demand');
  for (let i = 0; i < Math.abs(to - from); i += 1) await page.keyboard.press(to > from ? 'ArrowDown' : 'ArrowUp');
  assert.equal(await page.inputValue('#scenario'), 'low_demand');
  await tabTo(page, '[data-testid=review-season]');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=confirm-dialog]').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'start-season');
  await page.keyboard.press('Enter');

  // The order: the dialog opens with focus inside; Tab to accept.
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-order]').waitFor();
  await tabTo(page, '[data-testid=approval-accept]');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('[data-testid=season-state][data-state=phase_3_monitoring]').waitFor();
  assert.notEqual(await page.evaluate(() => document.activeElement.tagName), 'BODY', 'focus kept after the approval');

  // Play to the end, answering each approval on the way.
  for (let round = 0; round < 8; round += 1) {
    const state = await page.locator('[data-testid=season-state]').getAttribute('data-state');
    if (state === 'completed') break;
    if (await dialog.isVisible()) {
      await tabTo(page, '[data-testid=approval-accept]');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
      await page.locator('[data-testid=season-state]:not([data-state^=waiting])').waitFor();
      continue;
    }
    if (await page.locator('[data-testid=play-all]:not([disabled])').count()) {
      await tabTo(page, '[data-testid=play-all]');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => {
        const s = document.querySelector('[data-testid=season-state]').dataset.state;
        return s === 'completed' || s.startsWith('waiting') || document.querySelector('#approval[open]');
      }, null, { timeout: 30000 });
      await page.waitForTimeout(300);
      continue;
    }
    await page.waitForTimeout(300);
  }
  await page.locator('[data-testid=season-state][data-state=completed]').waitFor({ timeout: 30000 });

  // The tabs by arrow keys, and the report.
  await tabTo(page, '[role=tab][aria-selected=true]');
  for (let i = 0; i < 3; i += 1) await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'report');
  await page.locator('[data-testid=season-report]').waitFor();
  // The timeline is one Tab stop and scrolls with the keys.
  await tabTo(page, '[data-testid=event-timeline]', 200);
  await page.keyboard.press('End');
  await page.waitForTimeout(200);
  assert.ok(await page.locator('[data-testid=event-timeline]').evaluate((e) => e.scrollTop > 0), 'the timeline scrolled');
  await shot(page, 'a11y-keyboard-season-done');
  assert.deepEqual(b.errors, []);
});

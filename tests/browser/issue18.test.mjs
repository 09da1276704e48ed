// Issue 18's bugs, one test each (each failed before its fix): the order dialog's
// "Later", the "Skipped" label, the report of recorded sales, the modified markdown,
// currency, the phone layout, the seasons list, the charts, words instead of field
// names, dates and separators, upload errors, focus and keys, toasts, and the
// re-forecast reason.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPROVER, PLANNER, ROOT, STANDARD, TOKENS, browser, call, createSeason, shot, startServer, waitForSeq } from './harness.mjs';

let server;
let tokenServer;
const open = [];
before(async () => {
  server = await startServer();
});
after(async () => {
  for (const b of open) await b.close();
  if (server) await server.stop();
  if (tokenServer) await tokenServer.stop();
});

async function newBrowser(viewport) {
  const b = await browser(viewport);
  open.push(b);
  return b;
}

/** Uploads a week of a shipped scenario's files as recorded sales. */
async function uploadWeek(id, week, scenario = 'normal_season') {
  const file = join(ROOT, 'data/scenarios', scenario, `actuals_week_${String(week).padStart(2, '0')}.csv`);
  const res = await fetch(`${server.url}/api/workflows/${id}/actuals?week=${week}`, {
    method: 'POST', headers: { 'Content-Type': 'text/csv', Accept: 'application/json' }, body: readFileSync(file, 'utf8'),
  });
  if (!res.ok) throw new Error(`week ${week}: ${res.status} ${await res.text()}`);
}

/** A season played from a scenario up to its markdown approval (or the end). */
async function seasonAtMarkdown(scenario = 'low_demand') {
  const id = await createSeason(server, undefined, { scenario });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  await call(server, 'POST', `/api/workflows/${id}/play`);
  return id;
}

test('"Later" closes the order dialog, by mouse and by Enter', async () => {
  const id = await createSeason(server);
  const wf = await call(server, 'GET', `/api/workflows/${id}`);
  // The margin policy's safety stock is not a multiple of the old input's step.
  assert.notEqual(Math.round(wf.pending_approval.data.safety_stock_pct * 1000) % 5, 0, 'a safety stock off the 0.5 grid');
  const { page, errors } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-order]').waitFor();
  await dialog.getByRole('button', { name: /later/i }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 3000 });
  await page.click('[data-testid=review-approval]');
  await dialog.locator('[data-testid=approval-order]').waitFor();
  await dialog.getByRole('button', { name: /later/i }).focus();
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden', timeout: 3000 });
  assert.deepEqual(errors, []);
});

test('a skipped phase shows its label, and the page does not grow', async () => {
  const id = await createSeason(server, undefined, { parameters: { ...STANDARD, replenishment_strategy: 'none', dc_holdback_percentage: 0 } });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const skipped = page.locator('[data-testid=event-timeline] li[data-type=phase_skipped] .ev-label').first();
  await skipped.waitFor({ state: 'attached' });
  const box = await skipped.boundingBox();
  assert.ok(box && box.x > 0 && box.width > 0, `the label is on screen: ${JSON.stringify(box)}`);
  const position = await skipped.evaluate((el) => getComputedStyle(el).position);
  assert.equal(position, 'static');
  const scroll = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(scroll < 4000, `page height ${scroll}`);
});

test('the report of recorded sales says demand is unknown', async () => {
  const id = await createSeason(server);
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  for (let w = 1; w <= 12; w += 1) {
    await uploadWeek(id, w);
    const wf = await call(server, 'GET', `/api/workflows/${id}`);
    if (wf.pending_approval) await call(server, 'POST', `/api/workflows/${id}/approvals/${wf.pending_approval.approval_id}`, { action: 'accept' });
  }
  const done = await call(server, 'GET', `/api/workflows/${id}`);
  assert.equal(done.state, 'completed');
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}/report`);
  const report = page.locator('[data-testid=season-report]');
  await report.waitFor();
  const fill = await report.locator('[data-testid=report-fill-rate] .metric-value').textContent();
  const lost = await report.locator('[data-testid=report-lost] .metric-value').textContent();
  assert.equal(fill, 'unknown');
  assert.equal(lost, 'unknown');
  const note = await report.locator('[data-testid=report-demand-unknown]').textContent();
  assert.match(note, /recorded sales/);
  assert.match(note, /perfect-foresight/i);
  await shot(page, '18-report-recorded-sales');
});

test('a modified markdown is asked again with its table of depths, in money with a currency', async () => {
  const id = await seasonAtMarkdown();
  const wf = await call(server, 'GET', `/api/workflows/${id}`);
  assert.equal(wf.state, 'waiting_markdown_approval');
  const first = wf.pending_approval;
  const depths = first.data.depths.map((d) => d.markdown_pct);
  const other = depths.find((d) => d > 0.001 && Math.abs(d - first.data.proposal.markdown_pct) > 0.001);
  await call(server, 'POST', `/api/workflows/${id}/approvals/${first.approval_id}`, { action: 'modify', modifications: { markdown_pct: other } });
  const again = await call(server, 'GET', `/api/workflows/${id}`);
  assert.ok(again.pending_approval && again.pending_approval.approval_id !== first.approval_id, 'asked again');
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-markdown]').waitFor();
  const table = dialog.locator('[data-testid=markdown-depths]');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), depths.length);
  const cells = await table.locator('tbody td').allTextContents();
  for (const c of cells) assert.match(c, /\$/, `money with its currency: ${c}`);
  await shot(page, '18-markdown-asked-again');
});

test('every money figure on the order carries the currency', async () => {
  const id = await createSeason(server);
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-order]').waitFor();
  const cost = await dialog.locator('[data-testid=order-cost]').textContent();
  assert.match(cost, /^\$[\d,]+/);
  // The order's money and other sizes, like the markdown's depths (item 2).
  const margin = await dialog.locator('[data-testid=order-margin]').textContent();
  assert.match(margin, /^-?\$[\d,]+$/);
  assert.match(await dialog.locator('[data-testid=order-revenue]').textContent(), /^\$[\d,]+ \([\d,]+ units expected to sell at \$[\d.]+\)$/);
  const table = dialog.locator('[data-testid=order-alternatives]');
  assert.ok(await table.locator('tbody tr').count() >= 4);
  assert.equal(await table.locator('tr[data-kind=proposed] td').nth(3).textContent(), margin, 'the table agrees with the figure');
  const wf = await call(server, 'GET', `/api/workflows/${id}`);
  // Under the margin policy the order is the best size itself (then listed once, as the proposal).
  const best = wf.order_value.alternatives.find((a) => a.kind === 'best') || wf.order_value.proposed;
  assert.ok(wf.order_value.alternatives.every((a) => a.expected_margin <= best.expected_margin + 1e-6), 'the best size earns the most');
  // The table is the margin policy's own valuation (first buy plus the chase it
  // leaves room for): the row earning the most is the proposed order, and no other
  // row claims "the most margin" beside it.
  assert.equal(wf.order_value.policy, 'margin');
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    kind: tr.dataset.kind,
    label: tr.children[1].textContent,
    margin: (/^[−-]/.test(tr.children[4].textContent) ? -1 : 1) * Number(tr.children[4].textContent.replace(/[^\d.]/g, '')),
  })));
  const top = rows.reduce((a, b) => (b.margin > a.margin ? b : a));
  assert.equal(top.kind, 'proposed', `the most margin is the proposed order: ${JSON.stringify(rows)}`);
  assert.equal(await table.locator('tr[data-kind=best]').count(), 0, 'no "most margin" row beside the proposal');
  assert.match(top.label, /the most margin/);
  assert.ok(wf.order_value.chase, 'valued with the chase the policy ordered for');
  assert.match(await dialog.locator('[data-testid=order-chase]').textContent(), /^[\d,]+ units re-bought in season at \$[\d.]+ a unit, adding \$[\d,]+$/);
  for (const td of await table.locator('tbody td:nth-child(3), tbody td:nth-child(4), tbody td:nth-child(5)').allTextContents()) assert.match(td, /\$/);
  // The template's reasoning writes a negative safety stock with a true minus sign.
  assert.ok(wf.manufacturing.safety_stock_pct < 0, 'the margin order sits below the forecast here');
  const why = await page.locator('[data-testid=event-timeline]').textContent();
  assert.match(why, /Safety stock is \u2212\d+(\.\d)?% /, 'a true minus sign');
  assert.doesNotMatch(why, /(^|[\s(])-\d+(\.\d+)?%/, 'no ASCII hyphen before a percentage');
  const overflow = await dialog.evaluate((d) => d.scrollWidth - d.clientWidth);
  assert.ok(overflow <= 1, `the dialog does not scroll sideways: ${overflow}px`);
  await dialog.locator('button[value=later]').click();
  const metric = await page.locator('[data-testid=metric-order] .metric-sub').textContent();
  assert.match(metric, /\$[\d,]+/);
});

test('on a phone: header, tabs, timeline and stores table fit', async () => {
  tokenServer = await startServer({ tokens: TOKENS });
  const id = await createSeason(tokenServer, PLANNER, { scenario: 'normal_season' });
  await call(tokenServer, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' }, APPROVER);
  await call(tokenServer, 'POST', `/api/workflows/${id}/play?until_week=4`, undefined, PLANNER);
  const { page } = await newBrowser({ width: 390, height: 844 });
  await page.goto(`${tokenServer.url}/`);
  await page.fill('[data-testid=token-input]', PLANNER);
  await page.click('[data-testid=sign-in]');
  await page.locator('[data-testid=who]').waitFor();
  await page.goto(`${tokenServer.url}/#/season/${id}`);
  await page.locator('[data-testid=event-timeline] li').first().waitFor();
  // The panel is first drawn from the whole log, not before it arrived: the
  // forecast and the order are there with the first cards (no "—" meanwhile).
  await page.locator('[data-testid=metric-forecast]').waitFor();
  for (const metric of ['metric-forecast', 'metric-order']) {
    const value = await page.locator(`[data-testid=${metric}] .metric-value`).textContent();
    assert.match(value, /\d/, `${metric} shows a number on first draw: ${value}`);
  }
  const signOut = await page.getByRole('button', { name: 'Sign out' }).boundingBox();
  assert.ok(signOut && signOut.x >= 0 && signOut.x + signOut.width <= 390, `Sign out on screen: ${JSON.stringify(signOut)}`);
  const tabs = await page.locator('[role=tablist]').boundingBox();
  assert.ok(tabs.height < 60, `the tabs on one row: ${tabs.height}px`);
  const timeline = await page.locator('.timeline-wrap').boundingBox();
  assert.ok(timeline.y < 900, `the timeline near the top: ${timeline.y}px`);
  await shot(page, '18-phone-season');
  await page.click('[data-tab=stores]');
  await page.locator('[data-testid=stores-table]').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `no sideways scroll of the page: ${width}px`);
  const wrap = await page.locator('[data-testid=stores-table]').evaluate((t) => t.parentElement.getBoundingClientRect().right);
  assert.ok(wrap <= 390, `the table's box ends on screen: ${wrap}`);
  await shot(page, '18-phone-stores');
});

test('the seasons list names each season and asks the server once', async () => {
  const a = await createSeason(server, undefined, { parameters: { ...STANDARD, season_start_date: '2025-03-03' } });
  const { page } = await newBrowser();
  const calls = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/')) calls.push(new URL(r.url()).pathname); });
  await page.goto(`${server.url}/#/`);
  const row = page.locator(`[data-testid=seasons-table] tr[data-workflow="${a}"]`);
  await row.waitFor();
  await row.getByText('3 Mar 2025').waitFor();
  const names = await page.locator('[data-testid=seasons-table] tbody [data-testid=season-name]').allTextContents();
  assert.ok(names.length >= 2);
  assert.ok(new Set(names).size > 1, `names differ: ${names.join(' | ')}`);
  // The approvals waiting across seasons, each linked to its season (item 6).
  const inbox = page.locator('[data-testid=approvals-inbox]');
  await inbox.locator(`li[data-workflow="${a}"] a`).filter({ hasText: 'Manufacturing order' }).waitFor();
  const waiting = (await call(server, 'GET', '/api/seasons')).filter((s) => s.pending_approval).length;
  assert.equal(await inbox.locator('li').count(), waiting);
  await page.fill('[data-testid=season-search]', '3 Mar 2025');
  assert.equal(await page.locator('[data-testid=seasons-table] tbody tr[data-workflow]').count(), 1, 'search by date');
  await page.waitForTimeout(500);
  const perSeason = calls.filter((p) => /^\/api\/workflows\/[^/]+$/.test(p));
  assert.deepEqual(perSeason, [], 'no request per season');
  await shot(page, '18-seasons');
});

test('charts: a colour per superseded forecast, whole-unit ticks, the band around the forecast each week was played against', async () => {
  const id = await seasonAtMarkdown();
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const weekly = page.locator('[data-testid=weekly-chart]');
  await weekly.locator('svg').waitFor();
  await page.click('[data-testid=approval-dialog] button[value=later]');
  const older = await weekly.locator('path.line.older').evaluateAll((ps) => ps.map((p) => getComputedStyle(p).stroke));
  assert.ok(older.length >= 2, `several superseded forecasts: ${older.length}`);
  assert.equal(new Set(older).size, older.length, `each its colour: ${older.join(', ')}`);
  // Replenishment is weekly but nothing ships in the first weeks: no 0,0,0,1,1,1.
  for (const c of ['stock-chart', 'replenishment-chart', 'weekly-chart']) {
    const t = await page.locator(`[data-testid=${c}] svg text.tick-y`).allTextContents();
    assert.equal(new Set(t).size, t.length, `${c} ticks repeat: ${t.join(',')}`);
  }
  const band = JSON.parse(await weekly.locator('polygon.band').getAttribute('data-hi'));
  const wf = await call(server, 'GET', `/api/workflows/${id}`);
  const w1 = wf.weeks[0];
  assert.ok(Math.abs(band[0] - w1.forecast * 1.2) < 1, `week 1's band around its forecast ${w1.forecast}: ${band[0]}`);
});

test('an empty chart shows whole-unit ticks', async () => {
  const id = await createSeason(server, undefined, { parameters: { ...STANDARD, replenishment_strategy: 'none', dc_holdback_percentage: 0 }, scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const t = page.locator('[data-testid=replenishment-chart] svg text.tick-y');
  await t.first().waitFor({ state: 'attached' });
  const ticks = await t.allTextContents();
  assert.equal(new Set(ticks).size, ticks.length, `ticks repeat: ${ticks.join(',')}`);
});

test('words for the planner: no field names, Rust ranges or JSON; separators; one date style', async () => {
  const id = await seasonAtMarkdown();
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}/parameters`);
  await page.click('[data-testid=approval-dialog] button[value=later]');
  const panel = page.locator('#season-panel');
  await panel.getByText('Held back at the DC').waitFor();
  const text = await panel.innerText();
  assert.doesNotMatch(text, /_/, 'no snake_case');
  assert.doesNotMatch(text, /[{}[\]]/, 'no JSON');
  assert.doesNotMatch(text, /\.\.=?/, 'no Rust ranges');
  await page.click('[data-tab=overview]');
  await page.locator('[data-testid=weekly-chart]').waitFor();
  const all = await page.locator('body').innerText();
  assert.doesNotMatch(all, /\d{1,2}\/\d{1,2}\/\d{4}/, 'no mm/dd/yyyy');
  assert.doesNotMatch(all, /\b\d{4,}(?= units)/, 'separators in units');
  // The form's checks speak in words too.
  await page.goto(`${server.url}/#/new`);
  await page.fill('#f-markdown_checkpoint_week', '60');
  await page.click('[data-testid=review-season]');
  const err = await page.locator('[data-error-for=markdown_checkpoint_week]').textContent();
  assert.doesNotMatch(err, /\.\./);
  assert.match(err, /1 to 52|1 to 12/);
});

test('an upload refused for its dates reads as a sentence', async () => {
  const id = await createSeason(server);
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}/weeks`);
  await page.setInputFiles('[data-testid=upload-input-actuals]', join(ROOT, 'data/scenarios/normal_season/actuals_week_02.csv'));
  await page.click('[data-testid=upload-send-actuals]');
  const li = page.locator('[data-testid=upload-errors-actuals] li').first();
  await li.waitFor();
  const text = (await li.textContent()).trim();
  assert.doesNotMatch(text, /^,/, text);
  assert.match(text, /^(Line \d+|The dates|Field)/, text);
});

test('extraction that found every field does not say "low confidence"', async () => {
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/new`);
  // Every field is found, two of them from indirect cues (a date without
  // "starting", a cadence without "replenish"): the rules rate that "low".
  await page.fill('[data-testid=describe-input]', 'Season: 12 weeks, 2025-02-17, weekly deliveries, 45% at the DC, markdown check at week 6 if sell-through is below 60%.');
  await page.click('[data-testid=extract-button]');
  await page.locator('[data-testid=extract-result] p').filter({ hasNotText: 'Reading' }).waitFor();
  assert.equal(await page.inputValue('#f-dc_holdback_percentage'), '45');
  assert.equal(await page.inputValue('#f-markdown_threshold'), '60');
  const text = await page.locator('[data-testid=extract-result]').textContent();
  assert.doesNotMatch(text, /low confidence/);
});

test('keyboard: focus kept after actions, arrow keys on tabs, a reachable timeline, a labelled scenario select', async () => {
  const id = await createSeason(server, undefined, { scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const play = page.locator('[data-testid=play-week]');
  await play.waitFor();
  await play.focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=event-timeline] li[data-type=week_recorded]').waitFor();
  await page.locator('[data-testid=play-week]').filter({ hasText: 'week 2' }).waitFor();
  await page.waitForTimeout(300);
  const active = await page.evaluate(() => document.activeElement && (document.activeElement.dataset.testid || document.activeElement.tagName));
  assert.equal(active, 'play-week', 'focus stays on the button pressed');
  await page.locator('[data-tab=overview]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'stores');
  assert.equal(await page.locator('[data-tab=stores]').getAttribute('aria-selected'), 'true');
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'whatif');
  await page.keyboard.press('Home');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'overview');
  assert.equal(await page.locator('[data-tab=stores]').getAttribute('tabindex'), '-1', 'one tab stop for the tab list');
  assert.equal(await page.locator('[data-testid=event-timeline]').getAttribute('tabindex'), '0');
  await page.locator('[data-testid=event-timeline]').focus();
  const before = await page.locator('[data-testid=event-timeline]').evaluate((e) => e.scrollTop);
  await page.keyboard.press('PageDown');
  await page.waitForTimeout(200);
  const afterScroll = await page.locator('[data-testid=event-timeline]').evaluate((e) => e.scrollTop);
  assert.ok(afterScroll > before, 'the timeline scrolls by keyboard');
  await page.goto(`${server.url}/#/new`);
  await page.getByRole('combobox', { name: /scenario/i }).waitFor();
});

test('focus lands on the season after an approval, not on the page body', async () => {
  const id = await createSeason(server);
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${id}`);
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-accept]').focus();
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  await page.waitForTimeout(300);
  const tag = await page.evaluate(() => document.activeElement.tagName);
  assert.notEqual(tag, 'BODY');
});

test('toasts belong to their season and keep off the timeline', async () => {
  const a = await createSeason(server);
  const bId = await createSeason(server);
  const { page } = await newBrowser();
  await page.goto(`${server.url}/#/season/${a}`);
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-accept]').click();
  const toast = page.locator('#toast.show');
  await toast.waitFor();
  const tb = await toast.boundingBox();
  const tl = await page.locator('.timeline-wrap').boundingBox();
  const overlap = tb.x < tl.x + tl.width && tb.x + tb.width > tl.x && tb.y < tl.y + tl.height && tb.y + tb.height > tl.y;
  assert.equal(overlap, false, `toast ${JSON.stringify(tb)} over the timeline ${JSON.stringify(tl)}`);
  await page.goto(`${server.url}/#/season/${bId}`);
  await page.locator('[data-testid=season-state]').waitFor();
  assert.equal(await page.locator('#toast.show').count(), 0, 'the toast stayed with its season');
});

test('re-forecast asks its reason in the page, not with window.prompt', async () => {
  const id = await createSeason(server, undefined, { scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  await call(server, 'POST', `/api/workflows/${id}/play?until_week=2`);
  const { page } = await newBrowser();
  const prompts = [];
  page.on('dialog', (d) => { prompts.push(d.message()); d.dismiss(); });
  await page.goto(`${server.url}/#/season/${id}`);
  await page.click('[data-testid=reforecast-open]');
  await page.fill('[data-testid=reforecast-reason]', 'a competitor closed');
  await page.click('[data-testid=reforecast-send]');
  await page.locator('[data-testid=event-timeline] li[data-type=reforecast_applied]').filter({ hasText: 'manual' }).waitFor();
  assert.deepEqual(prompts, []);
  const wf = await call(server, 'GET', `/api/workflows/${id}`);
  await waitForSeq(page, wf.last_event);
});

// A whole season in the browser, as a planner on an open server (every role):
// describe → edit a field → start → approve the order → play the scenario →
// decide the markdown → report, with the stores table and its CSV export.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { browser, call, shots, startServer, timelineSeqs, waitForSeq } from './harness.mjs';

let server;
let b;
after(async () => {
  if (b) await b.close();
  if (server) await server.stop();
});

test('a planner runs a whole season from the browser', async () => {
  server = await startServer();
  b = await browser();
  const { page } = b;
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Seasons' }).waitFor();
  await shots(page, '01-seasons-empty');

  // Describe the season; the text leaves the holdback unsaid: it is marked.
  await page.click('a[href="#/new"] >> nth=0');
  await page.fill('[data-testid=describe-input]', 'A 12-week season starting 2025-02-17 with weekly replenishment, and a markdown check at week 6 if sell-through is below 60%.');
  await page.click('[data-testid=extract-button]');
  await page.locator('[data-unstated=dc_holdback_percentage]').waitFor({ state: 'visible' });
  assert.equal(await page.inputValue('#f-forecast_horizon_weeks'), '12');
  assert.equal(await page.inputValue('#f-replenishment_strategy'), 'weekly');
  assert.equal(await page.inputValue('#f-dc_holdback_percentage'), '');
  await shots(page, '02-new-season-unstated');

  // Validation beside the field: a week past the season.
  await page.fill('#f-markdown_checkpoint_week', '14');
  await page.click('[data-testid=review-season]');
  await page.locator('[data-error-for=markdown_checkpoint_week]').filter({ hasText: 'within the season' }).waitFor();
  assert.equal(await page.locator('[data-error-for=dc_holdback_percentage]').textContent(), 'is required');

  // Edit the fields and start.
  await page.fill('#f-markdown_checkpoint_week', '6');
  await page.fill('#f-dc_holdback_percentage', '40');
  assert.equal(await page.locator('[data-unstated=dc_holdback_percentage]').isVisible(), false);
  await page.selectOption('#scenario', 'low_demand');
  await page.locator('#category option[value="Women\'s Dresses"]').waitFor({ state: 'attached' });
  await page.click('[data-testid=review-season]');
  await page.locator('[data-testid=confirm-dialog]').getByText('40%').waitFor();
  await shots(page, '03-confirm-start');
  await page.click('[data-testid=start-season]');

  // The order waits: the dialog opens by itself with the forecast and the order.
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-order]').waitFor();
  const id = decodeURIComponent(page.url().split('#/season/')[1].split('/')[0]);
  const wf = await call(server, 'GET', `/api/workflows/${id}`);
  assert.equal(wf.parameters.dc_holdback_percentage, 0.4, 'the edited field was sent');
  assert.equal(wf.state, 'waiting_mfg_approval');
  const qty = wf.pending_approval.data.manufacturing_qty;
  assert.equal(await dialog.locator('[data-testid=approval-order]').textContent(), `${qty.toLocaleString('en-US')} units`);
  await shots(page, '04-order-approval');

  // Modify with validation, then accept the revised order.
  await page.click('[data-testid=approval-modify]');
  await page.fill('[data-testid=modify-qty]', '0');
  await page.click('[data-testid=approval-send]');
  await dialog.locator('[data-testid=modify-error]').filter({ hasText: 'at least 1' }).waitFor();
  await page.fill('[data-testid=modify-qty]', String(qty - 1000));
  await page.click('[data-testid=approval-send]');
  await dialog.locator('[data-testid=approval-order]').filter({ hasText: (qty - 1000).toLocaleString('en-US') }).waitFor();
  await page.click('[data-testid=approval-accept]');
  // The dialog closes when the stream confirms the answer.
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('[data-testid=season-state][data-state=phase_3_monitoring]').waitFor();
  await page.locator('[data-testid=event-timeline] li[data-type=approval_resolved]').nth(1).waitFor();

  // Play one week, then to the markdown.
  await page.click('[data-testid=play-week]');
  await page.locator('[data-testid=event-timeline] li[data-type=week_recorded]').first().waitFor();
  await page.click('[data-testid=play-all]');
  await dialog.locator('[data-testid=approval-markdown]').waitFor();
  await shots(page, '05-markdown-approval');
  await page.click('[data-testid=approval-accept]');
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('[data-testid=season-state][data-state=phase_3_monitoring]').waitFor();
  await page.click('[data-testid=play-all]');
  await page.locator('[data-testid=season-state][data-state=completed]').waitFor({ timeout: 30000 });
  const done = await call(server, 'GET', `/api/workflows/${id}`);
  await waitForSeq(page, done.last_event);

  // The timeline holds every event once.
  const seqs = await timelineSeqs(page);
  assert.deepEqual(seqs, Array.from({ length: done.last_event }, (_, i) => i + 1));

  // Charts with their table views.
  for (const c of ['weekly-chart', 'sellthrough-chart', 'stock-chart', 'replenishment-chart', 'cluster-chart']) {
    await page.locator(`[data-testid=${c}] svg title`).first().waitFor({ state: 'attached' });
  }
  // The charts follow the timeline once the stream goes quiet (a burst is drawn once).
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=weekly-chart] .bars.actual rect').length === 12, null, { timeout: 5000 });
  const weekly = page.locator('[data-testid=weekly-chart]');
  assert.equal(await weekly.locator('.bars.actual rect').count(), 12, 'a bar per week sold');
  assert.ok(await weekly.locator('.marker.markdown').count() >= 1, 'the markdown is marked');
  assert.ok(await weekly.locator('.line.older, .line.current').count() >= 2, 're-forecasts overlaid');
  assert.equal(await weekly.locator('details.table-view tbody tr').count(), 12);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shots(page, '06-season-overview-complete');

  // Stores: every store, sortable, stock as the API says, exported to CSV.
  await page.click('[data-tab=stores]');
  const table = page.locator('[data-testid=stores-table]');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), 50);
  const alloc = await call(server, 'GET', `/api/workflows/${id}/allocation`);
  const apiStock = alloc.stock.reduce((t, s) => t + s.on_hand, 0);
  const footStock = await table.locator('tfoot td').nth(3).textContent();
  assert.equal(footStock, apiStock.toLocaleString('en-US'), 'the stock column adds up to the API stock');
  await page.click('button[data-sort=sold]');
  const sold = await table.locator('tbody tr td:nth-child(6)').allTextContents();
  const nums = sold.map((t) => Number(t.replaceAll(',', '')));
  assert.deepEqual(nums, [...nums].sort((a, b) => b - a), 'sorted by units sold, largest first');
  assert.equal(await table.locator('th[aria-sort=descending] button[data-sort=sold]').count(), 1);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'store_id,cluster,season_allocation,initial,stock,sold,stockout_weeks,replenished');
  assert.equal(csv.length, 51);
  const csvStock = csv.slice(1).reduce((t, l) => t + Number(l.split(',')[4]), 0);
  assert.equal(csvStock, apiStock);
  await shots(page, '07-stores');

  // The report.
  await page.click('[data-tab=report]');
  const report = page.locator('[data-testid=season-report]');
  await report.waitFor();
  const r = done.report;
  assert.equal(await report.locator('[data-testid=report-fill-rate] .metric-value').textContent(), `${(r.fill_rate * 100).toFixed(1)}%`);
  assert.equal(await report.locator('[data-testid=report-lost] .metric-value').textContent(), `${r.lost_sales.toLocaleString('en-US')} units`);
  assert.equal(await report.locator('[data-testid=report-leftover] .metric-value').textContent(), `${r.leftover_units.toLocaleString('en-US')} units`);
  if (r.gross_margin !== undefined) await report.locator('[data-testid=report-margin]').waitFor();
  await shots(page, '08-report');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('[data-testid=event-timeline]').isVisible(), false, 'print shows the report alone');
  await page.emulateMedia({ media: 'screen' });

  // The seasons list shows it, filtered by state.
  await page.goto(`${server.url}/#/`);
  const row = page.locator(`[data-testid=seasons-table] tr[data-workflow="${id}"]`);
  await row.getByText('12 of 12').waitFor();
  await page.selectOption('[data-testid=state-filter]', 'error');
  await row.waitFor({ state: 'detached' });
  await page.selectOption('[data-testid=state-filter]', 'completed');
  await row.waitFor();
  await shots(page, '09-seasons-list');

  assert.deepEqual(b.errors, [], 'no script errors');
  assert.deepEqual(b.foreign, [], 'no request to another host');
});

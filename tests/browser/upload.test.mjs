// Weekly uploads: a file the browser can already see is wrong is refused before it
// is sent; one only the server can judge (an unknown store) is refused with its line
// and field, and nothing is recorded; a good file is then recorded.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, browser, call, createSeason, shots, startServer, tempDir } from './harness.mjs';

let server;
let b;
after(async () => {
  if (b) await b.close();
  if (server) await server.stop();
});

test('a refused upload shows its line and field, and records nothing', async () => {
  server = await startServer();
  const id = await createSeason(server);
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  const dir = tempDir('atelier-csv-');
  const good = readFileSync(join(ROOT, 'data/scenarios/normal_season/actuals_week_01.csv'), 'utf8');
  const lines = good.trim().split('\n');
  const unknownStore = [lines[0], lines[1], lines[2].replace(/S\d+/, 'S999'), ...lines.slice(3)].join('\n');
  const badNumber = [lines[0], lines[1].replace(/,\d+$/, ',twelve'), ...lines.slice(2)].join('\n');
  const files = { good: join(dir, 'week1.csv'), store: join(dir, 'week1-store.csv'), number: join(dir, 'week1-number.csv') };
  writeFileSync(files.good, good);
  writeFileSync(files.store, unknownStore);
  writeFileSync(files.number, badNumber);

  b = await browser();
  const { page } = b;
  await page.goto(`${server.url}/#/season/${id}/weeks`);
  const box = page.locator('[data-testid=upload-actuals]');
  await box.waitFor();

  // Seen in the browser: the send button stays off.
  await page.setInputFiles('[data-testid=upload-input-actuals]', files.number);
  await box.locator('[data-testid=upload-errors-actuals] li[data-line="2"]').filter({ hasText: 'quantity_sold' }).waitFor();
  assert.equal(await page.locator('[data-testid=upload-send-actuals]').isDisabled(), true);

  // Only the server knows the stores: refused with line 3, field store_id.
  await page.setInputFiles('[data-testid=upload-input-actuals]', files.store);
  await box.locator('[data-testid=upload-preview-actuals] tbody tr').nth(4).waitFor();
  await page.click('[data-testid=upload-send-actuals]');
  const problem = box.locator('[data-testid=upload-errors-actuals] li[data-line="3"]');
  await problem.waitFor();
  const text = await problem.textContent();
  assert.match(text, /Line 3/);
  assert.match(text, /store_id/);
  assert.match(text, /S999/);
  assert.equal(await box.locator('tr.bad[data-line="3"]').count(), 1, 'the refused row is marked in the preview');
  await shots(page, '10-upload-refused');
  const after1 = await call(server, 'GET', `/api/workflows/${id}`);
  assert.equal(after1.weeks.length, 0, 'nothing was recorded');
  assert.equal(after1.next_week, 1);

  // The good file is recorded, and the week appears live.
  await page.setInputFiles('[data-testid=upload-input-actuals]', files.good);
  await page.click('[data-testid=upload-send-actuals]');
  await box.locator('[data-testid=upload-result-actuals]').filter({ hasText: 'Week 1 recorded' }).waitFor();
  await page.locator('[data-testid=event-timeline] li[data-type=week_recorded]').waitFor();
  await page.locator('[data-testid=weeks-table] tbody tr').first().waitFor();
  const after2 = await call(server, 'GET', `/api/workflows/${id}`);
  assert.equal(after2.weeks.length, 1);
  await page.locator('[data-testid=upload-actuals] h2').filter({ hasText: 'week 2' }).waitFor();
  await shots(page, '11-upload-recorded');
  assert.deepEqual(b.errors, []);
});

// Exports from the page: the season's workbook and each table as CSV, downloaded
// with the signed-in token.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PLANNER, TOKENS, APPROVER, browser, call, createSeason, shot, startServer } from './harness.mjs';

let server;
let b;
after(async () => {
  if (b) await b.close();
  if (server) await server.stop();
});

test('the page downloads the workbook and each table', async () => {
  server = await startServer({ tokens: TOKENS });
  const id = await createSeason(server, PLANNER, { scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' }, APPROVER);
  for (let i = 0; i < 4; i += 1) {
    const wf = await call(server, 'GET', `/api/workflows/${id}`, undefined, PLANNER);
    if (wf.state === 'completed') break;
    if (wf.pending_approval) await call(server, 'POST', `/api/workflows/${id}/approvals/${wf.pending_approval.approval_id}`, { action: 'accept' }, APPROVER);
    else await call(server, 'POST', `/api/workflows/${id}/play`, undefined, PLANNER);
  }
  const done = await call(server, 'GET', `/api/workflows/${id}`, undefined, PLANNER);
  assert.equal(done.state, 'completed');
  b = await browser();
  const { page } = b;
  await page.goto(`${server.url}/`);
  await page.fill('[data-testid=token-input]', PLANNER);
  await page.click('[data-testid=sign-in]');
  await page.locator('[data-testid=who]').waitFor();
  await page.goto(`${server.url}/#/season/${id}/report`);
  await page.locator('[data-testid=season-report]').waitFor();
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-xlsx]')]);
  assert.equal(xlsx.suggestedFilename(), `season-${id}.xlsx`);
  const bytes = readFileSync(await xlsx.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'a zip (xlsx) file');
  assert.ok(bytes.length > 5000);
  const [weeks] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv-weeks]')]);
  const lines = readFileSync(await weeks.path(), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'Week,First day,Forecast,Sold,Demand,Variance,Direction,Re-forecast,Replenished,Stores out');
  assert.equal(lines.length, 13);
  const sold = lines.slice(1).reduce((t, l) => t + Number(l.split(',')[3]), 0);
  assert.equal(sold, done.report.units_sold, 'the CSV adds up to the report');
  const [approvals] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv-approvals]')]);
  const text = readFileSync(await approvals.path(), 'utf8');
  assert.match(text, /manufacturing-1,manufacturing order,.*,accepted,bo \(approver\)/);
  await shot(page, '19-report-exports');
  assert.deepEqual(b.errors, []);
});

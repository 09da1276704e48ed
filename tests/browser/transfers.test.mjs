// Store-to-store transfers from the browser: a season with nothing held at the DC
// whose stores sell unevenly asks to move stock; the approver sees each move with
// its reason, cuts the batch to a size, and the timeline shows what moved.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPROVER, PLANNER, ROOT, TOKENS, browser, call, shots, startServer } from './harness.mjs';

let server;
let open;
after(async () => {
  if (open) await open.close();
  if (server) await server.stop();
});

/** Week `n` of the normal season, the first third of the stores selling 1.8×, the rest 0.6×. */
function unevenWeek(n) {
  const file = join(ROOT, 'data', 'scenarios', 'normal_season', `actuals_week_${String(n).padStart(2, '0')}.csv`);
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  const stores = [...new Set(rows.map((r) => r.split(',')[1]))].sort();
  const hot = new Set(stores.slice(0, Math.floor(stores.length / 3)));
  const out = rows.map((r) => {
    const [date, store, qty] = r.split(',');
    return `${date},${store},${Math.round(Number(qty) * (hot.has(store) ? 1.8 : 0.6))}`;
  });
  return `${head}\n${out.join('\n')}\n`;
}

async function upload(id, week) {
  const res = await fetch(`${server.url}/api/workflows/${encodeURIComponent(id)}/actuals`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PLANNER}`, 'Content-Type': 'text/csv', Accept: 'application/json' },
    body: unevenWeek(week),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

test('an approver cuts a batch of transfers and sees what moved', async () => {
  server = await startServer({ tokens: TOKENS });
  const created = await call(server, 'POST', '/api/workflows', {
    category: "Women's Dresses",
    parameters: {
      forecast_horizon_weeks: 12, season_start_date: '2025-02-17', replenishment_strategy: 'none',
      dc_holdback_percentage: 0, markdown_checkpoint_week: null, markdown_threshold: null,
    },
    tunables: { policy: 'margin', transfer_approval_units: 40 },
    actuals_meaning: 'demand',
  }, PLANNER);
  const id = created.workflow_id;
  const path = `/api/workflows/${encodeURIComponent(id)}`;
  await call(server, 'POST', `${path}/approvals/manufacturing-1`, { action: 'accept' }, APPROVER);
  let wf = await call(server, 'GET', path, undefined, PLANNER);
  for (let week = 1; week <= 12 && wf.state !== 'waiting_transfer_approval'; week += 1) {
    await upload(id, week);
    wf = await call(server, 'GET', path, undefined, PLANNER);
  }
  assert.equal(wf.state, 'waiting_transfer_approval');
  const batch = wf.pending_approval.data.batch;
  assert.ok(batch.units > 40, `a batch above the approval size: ${batch.units}`);

  open = await browser();
  const { page, errors, foreign } = open;
  await page.goto(`${server.url}/`);
  await page.fill('[data-testid=token-input]', APPROVER);
  await page.click('[data-testid=sign-in]');
  await page.locator('[data-testid=who]').waitFor();
  await page.goto(`${server.url}/#/season/${encodeURIComponent(id)}`);

  // The dialog opens by itself: every move, its covers, gain and cost.
  const dialog = page.locator('[data-testid=approval-dialog]');
  await dialog.locator('[data-testid=approval-transfers]').waitFor();
  assert.equal(await dialog.locator('[data-testid=approval-transfer-units]').textContent(), `${batch.units.toLocaleString('en-US')} units`);
  const rows = dialog.locator('[data-testid=approval-transfers] tbody tr');
  assert.equal(await rows.count(), batch.transfers.length);
  const first = await rows.first().textContent();
  assert.ok(first.includes(batch.transfers[0].from_store) && first.includes(batch.transfers[0].to_store), first);
  await shots(page, '20-transfer-approval');

  // A negative size is refused in the page; 25 units is sent.
  await page.click('[data-testid=approval-modify]');
  await page.fill('[data-testid=modify-transfer-units]', '-3');
  await page.click('[data-testid=approval-send]');
  await dialog.locator('[data-testid=modify-error]').filter({ hasText: 'whole number' }).waitFor();
  await page.fill('[data-testid=modify-transfer-units]', '25');
  await page.click('[data-testid=approval-send]');
  await dialog.waitFor({ state: 'hidden' });

  const moved = page.locator('[data-testid=event-timeline] li[data-type=transfers_shipped]');
  await moved.waitFor();
  assert.match(await moved.textContent(), /25 units moved between stores after week \d+/);
  await page.locator('[data-testid=season-state][data-state=phase_3_monitoring]').waitFor();
  wf = await call(server, 'GET', path, undefined, PLANNER);
  assert.equal(wf.state, 'phase_3_monitoring');
  await shots(page, '21-transfers-shipped');
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
});

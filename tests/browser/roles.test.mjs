// Roles in the page: a viewer sees no button it may not press; a planner plays but
// does not approve; an approver approves but does not plan. An unknown token is
// refused at sign-in.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, PLANNER, TOKENS, VIEWER, browser, call, createSeason, shots, startServer } from './harness.mjs';

let server;
const open = [];
after(async () => {
  for (const b of open) await b.close();
  if (server) await server.stop();
});

async function signIn(page, token) {
  await page.goto(`${server.url}/`);
  await page.fill('[data-testid=token-input]', token);
  await page.click('[data-testid=sign-in]');
  await page.locator('[data-testid=who]').waitFor();
}

const ACTION_BUTTONS = ['approval-accept', 'approval-modify', 'review-approval', 'play-week', 'play-all', 'reforecast-open', 'resume', 'start-season', 'upload-send-actuals'];

async function visibleButtons(page) {
  const found = [];
  for (const t of ACTION_BUTTONS) if (await page.locator(`[data-testid=${t}]`).count()) found.push(t);
  return found;
}

test('each role sees only the buttons it may press', async () => {
  server = await startServer({ tokens: TOKENS });
  const id = await createSeason(server, PLANNER, { scenario: 'normal_season' });

  // An unknown token is refused.
  const v = await browser();
  open.push(v);
  await v.page.goto(`${server.url}/`);
  await v.page.fill('[data-testid=token-input]', 'not-a-token');
  await v.page.click('[data-testid=sign-in]');
  await v.page.locator('#token-error').filter({ hasText: 'not known' }).waitFor();

  // The viewer: the waiting order is shown, but no button, no dialog, no New season.
  await signIn(v.page, VIEWER);
  assert.equal(await v.page.locator('nav a[href="#/new"]').isVisible(), false);
  await v.page.goto(`${server.url}/#/season/${id}`);
  await v.page.locator('[data-testid=pending-approval]').waitFor();
  await v.page.locator('[data-testid=connection-status][data-state=live]').waitFor();
  assert.deepEqual(await visibleButtons(v.page), []);
  assert.equal(await v.page.locator('[data-testid=approval-dialog]').isVisible(), false);
  assert.equal(await v.page.locator('[data-testid=pending-approval] button').count(), 0);
  await shots(v.page, '12-viewer-waiting');

  // The planner: no approval button either.
  const p = await browser();
  open.push(p);
  await signIn(p.page, PLANNER);
  await p.page.goto(`${server.url}/#/season/${id}`);
  await p.page.locator('[data-testid=pending-approval]').waitFor();
  assert.deepEqual(await visibleButtons(p.page), []);

  // The approver answers; then the planner may play and the viewer still may not.
  const a = await browser();
  open.push(a);
  await signIn(a.page, APPROVER);
  await a.page.goto(`${server.url}/#/season/${id}`);
  await a.page.locator('[data-testid=approval-accept]').click();
  await a.page.locator('[data-testid=approval-dialog]').waitFor({ state: 'hidden' });
  assert.equal(await a.page.locator('nav a[href="#/new"]').isVisible(), false, 'an approver does not plan');
  await p.page.locator('[data-testid=play-week]').waitFor();
  assert.equal(await p.page.locator('[data-testid=approval-accept]').count(), 0);
  await v.page.locator('[data-testid=season-state][data-state=phase_3_monitoring]').waitFor();
  assert.deepEqual(await visibleButtons(v.page), []);
  await v.page.click('[data-tab=weeks]');
  assert.equal(await v.page.locator('[data-testid=upload-actuals]').count(), 0);
  await shots(v.page, '13-viewer-in-season');
  const wf = await call(server, 'GET', `/api/workflows/${id}`, undefined, VIEWER);
  assert.equal(wf.state, 'phase_3_monitoring');
  for (const b of open) assert.deepEqual(b.errors, []);
});

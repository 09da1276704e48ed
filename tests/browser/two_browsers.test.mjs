// Two browsers on one season: an approval made in one appears in the other, live.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { APPROVER, PLANNER, TOKENS, VIEWER, browser, call, createSeason, shots, startServer, timelineSeqs } from './harness.mjs';

let server;
const open = [];
after(async () => {
  for (const b of open) await b.close();
  if (server) await server.stop();
});

async function signedIn(token, path) {
  const b = await browser();
  open.push(b);
  await b.page.goto(`${server.url}/`);
  await b.page.fill('[data-testid=token-input]', token);
  await b.page.click('[data-testid=sign-in]');
  await b.page.locator('[data-testid=who]').waitFor();
  await b.page.goto(`${server.url}${path}`);
  await b.page.locator('[data-testid=connection-status][data-state=live]').waitFor();
  return b;
}

test('an approval in one browser appears in the other', async () => {
  server = await startServer({ tokens: TOKENS });
  const id = await createSeason(server, PLANNER, { scenario: 'normal_season' });
  const approver = await signedIn(APPROVER, `/#/season/${id}`);
  const watcher = await signedIn(VIEWER, `/#/season/${id}`);
  await watcher.page.locator('[data-testid=pending-approval]').waitFor();
  const rowsBefore = (await timelineSeqs(watcher.page)).length;

  await approver.page.locator('[data-testid=approval-accept]').click();
  await approver.page.locator('[data-testid=approval-dialog]').waitFor({ state: 'hidden' });

  // The other browser sees the decision, by whom, and the season move on.
  const decision = watcher.page.locator('[data-testid=event-timeline] li[data-type=approval_resolved]');
  await decision.waitFor();
  assert.match(await decision.textContent(), /manufacturing-1 accepted by bo/);
  await watcher.page.locator('[data-testid=season-state][data-state=phase_3_monitoring]').waitFor();
  await watcher.page.locator('[data-testid=pending-approval]').waitFor({ state: 'detached' });
  await watcher.page.locator('[data-testid=cluster-card]').first().waitFor();
  const wf = await call(server, 'GET', `/api/workflows/${id}`, undefined, VIEWER);
  assert.deepEqual(await timelineSeqs(watcher.page), Array.from({ length: wf.last_event }, (_, i) => i + 1));
  assert.ok(wf.last_event > rowsBefore);
  await shots(watcher.page, '16-second-browser-sees-approval');
});

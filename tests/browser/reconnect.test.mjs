// Reconnection without gap or duplicate: the server is killed under an open page,
// the season moves on without it (the CLI plays weeks on the same database), the
// server comes back on the same port, and the page resumes after the last event it
// had: every event once, none missing.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { browser, call, cli, createSeason, shots, startServer, timelineSeqs, waitForSeq } from './harness.mjs';

let server;
let b;
after(async () => {
  if (b) await b.close();
  if (server) await server.stop();
});

test('the page resumes after a dropped connection with no gap and no duplicate', async () => {
  server = await startServer();
  const id = await createSeason(server, undefined, { scenario: 'normal_season' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  await call(server, 'POST', `/api/workflows/${id}/play?until_week=2`);
  const before = await call(server, 'GET', `/api/workflows/${id}`);

  b = await browser();
  const { page } = b;
  await page.goto(`${server.url}/#/season/${id}`);
  const conn = page.locator('[data-testid=connection-status]');
  await page.locator('[data-testid=connection-status][data-state=live]').waitFor();
  await waitForSeq(page, before.last_event);

  // Kill the server: the socket drops.
  await server.stop('SIGKILL');
  await page.locator('[data-testid=connection-status][data-state=offline]').waitFor();
  await shots(page, '14-connection-dropped');

  // Meanwhile the season moves on, written by the CLI to the same database.
  cli(['resume', id, '--until-week', '5', '--db', server.db], server.db);

  // The server comes back on the same port; the page catches up by itself.
  server = await startServer({ db: server.db, port: server.port });
  const now = await call(server, 'GET', `/api/workflows/${id}`);
  assert.ok(now.last_event > before.last_event + 10, 'events were written while the page was away');
  await page.locator('[data-testid=connection-status][data-state=live]').waitFor({ timeout: 20000 });
  await waitForSeq(page, now.last_event);

  const seqs = await timelineSeqs(page);
  assert.deepEqual(seqs, Array.from({ length: now.last_event }, (_, i) => i + 1), 'every event exactly once');
  const stats = await conn.evaluate((el) => ({ ...el.dataset }));
  assert.equal(stats.duplicates, '0');
  assert.equal(stats.gaps, '0');
  assert.ok(Number(stats.reconnects) >= 1);
  assert.equal(Number(stats.received), now.last_event);

  // And live events keep coming on the new connection.
  await call(server, 'POST', `/api/workflows/${id}/play?until_week=6`);
  const later = await call(server, 'GET', `/api/workflows/${id}`);
  await waitForSeq(page, later.last_event);
  assert.deepEqual(await timelineSeqs(page), Array.from({ length: later.last_event }, (_, i) => i + 1));
  await shots(page, '15-connection-resumed');
});

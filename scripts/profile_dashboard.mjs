// What one dashboard page spends its main thread on while a season plays (issue
// 18, "fast with many viewers"): one window on the season's Overview tab, a
// Chrome trace (DevTools' timeline categories) recorded while the season is
// played week by week through the API, summed by trace event name (script,
// style, layout, paint, raster ...), plus Performance.getMetrics around the
// whole run. It is the per-window cost fifty_dashboards.mjs multiplies by fifty.
//
// Run: ATELIER_BIN=target/release/atelier node scripts/profile_dashboard.mjs
// Knobs: SCENARIO (normal_season), TAB (overview), PACE_MS (1000), TOP (25).
// ASSETS_FROM=DIR serves the page's /assets/ from DIR instead of the binary's
// (the same server, two versions of the page: a before and after on one build).
// MINIMAL=1 profiles the floor instead: a bare live list (minimal_dashboard.js).
// Not a test: it prints numbers.

import { loadavg } from 'node:os';
import { serveAssetsFrom, serveMinimal } from './assets_from.mjs';
import { call, createSeason, startServer, windows } from '../tests/browser/harness.mjs';

const SCENARIO = process.env.SCENARIO || 'normal_season';
const TAB = process.env.TAB || 'overview';
const PACE_MS = Number(process.env.PACE_MS ?? 1000);
const TOP = Number(process.env.TOP || 25);

const server = await startServer();
const b = await windows(1);
try {
  const id = await createSeason(server, undefined, { scenario: SCENARIO });
  const [page] = b.pages;
  await serveAssetsFrom(page);
  await serveMinimal(page);
  await page.goto(`${server.url}/#/season/${id}/${TAB}`);
  await page.locator('[data-testid=connection-status][data-state=live]').waitFor({ timeout: 60000 });
  await page.locator('[data-testid=event-timeline] li').first().waitFor({ timeout: 60000 });
  await page.waitForTimeout(1000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const events = [];
  cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
  const done = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,blink,cc,v8.execute',
    transferMode: 'ReportEvents',
  });
  const before = await metrics();
  const load = loadavg()[0];
  let wf = await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  let posts = 0;
  while (wf.state !== 'completed') {
    const started = Date.now();
    if (wf.pending_approval) wf = await call(server, 'POST', `/api/workflows/${id}/approvals/${wf.pending_approval.approval_id}`, { action: 'accept' });
    else wf = await call(server, 'POST', `/api/workflows/${id}/play?until_week=${wf.next_week}`);
    posts += 1;
    await new Promise((ok) => setTimeout(ok, Math.max(0, started + PACE_MS - Date.now())));
  }
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=connection-status]').dataset.lastSeq) >= n, wf.last_event, { timeout: 60000 });
  await page.waitForTimeout(2000);
  const after = await metrics();
  await cdp.send('Tracing.end');
  await done;
  // Self time by event name on the renderer's main thread: the complete events
  // ('X') of the thread that ran the page's script.
  const main = new Map();
  for (const e of events) if (e.name === 'FunctionCall' || e.name === 'EvaluateScript') main.set(`${e.pid}:${e.tid}`, (main.get(`${e.pid}:${e.tid}`) || 0) + 1);
  const thread = [...main.entries()].sort((a, c) => c[1] - a[1])[0]?.[0];
  const onMain = events.filter((e) => `${e.pid}:${e.tid}` === thread && e.ph === 'X' && e.dur !== undefined).sort((a, c) => a.ts - c.ts || c.dur - a.dur);
  // Self time: each event's duration less its children's (events nest by time).
  const self = new Map();
  const stack = [];
  for (const e of onMain) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    if (stack.length) stack[stack.length - 1].child += e.dur;
    const node = { ...e, child: 0 };
    stack.push(node);
    e.node = node;
  }
  for (const e of onMain) {
    const t = self.get(e.name) || { self: 0, total: 0, count: 0 };
    t.self += e.dur - e.node.child;
    t.total += e.dur;
    t.count += 1;
    self.set(e.name, t);
  }
  const spent = (k) => ((after[k] - before[k]) * 1000).toFixed(0);
  console.log(`season ${id} (${SCENARIO}, ${TAB} tab): ${posts} requests ${PACE_MS} ms apart, last event ${wf.last_event}; load average (1 min) at the start ${load.toFixed(1)}`);
  console.log(`Performance.getMetrics over the run: tasks ${spent('TaskDuration')} ms, script ${spent('ScriptDuration')} ms, layout ${spent('LayoutDuration')} ms (${after.LayoutCount - before.LayoutCount} layouts), style ${spent('RecalcStyleDuration')} ms (${after.RecalcStyleCount - before.RecalcStyleCount} recalcs); DOM nodes ${after.Nodes}`);
  console.log(`main thread self time by trace event (top ${TOP}):`);
  for (const [name, t] of [...self.entries()].sort((a, c) => c[1].self - a[1].self).slice(0, TOP)) {
    console.log(`  ${name.padEnd(32)} self ${(t.self / 1000).toFixed(1).padStart(8)} ms  total ${(t.total / 1000).toFixed(1).padStart(8)} ms  ×${t.count}`);
  }
  const renders = await page.evaluate(() => Number(document.getElementById('season-panel').dataset.renders || 0));
  console.log(`panel renders: ${renders}; timeline rows: ${await page.locator('[data-testid=event-timeline] li').count()}; svg elements: ${await page.evaluate(() => document.querySelectorAll('svg *').length)}`);
} finally {
  await b.close();
  await server.stop();
}

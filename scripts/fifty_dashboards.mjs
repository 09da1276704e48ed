// Fifty dashboards on one season (issue 18: "with 50 dashboards open on one season,
// p99 event to row under 300 ms on this 2-core machine"): one headless Chromium
// with N pages (default 50) of the season's dashboard (the Overview tab and its
// charts, the timeline beside), all live on the same season, while the season is
// played week by week through the API (every approval accepted). Each page has a
// window of its own (harness.windows): 50 planners, each with a dashboard on their
// screen, not 50 tabs of which one is in front. In every page a
// MutationObserver notes when each event's row enters the timeline; the latency is
// that time less the event's commit time (its recorded_at, the row's <time>), so
// it counts the server (commit, fan-out), the socket and the page. It also notes
// the next animation frame after the row (the row on screen), and how many times
// each page redrew its tab panel.
//
// Run (the release server, as a planner gets it):
//   cargo build --release -p atelier-cli
//   ATELIER_BIN=target/release/atelier node scripts/fifty_dashboards.mjs
// Knobs: DASHBOARDS (50), SCENARIO (normal_season), TAB (overview), PACE_MS
// (1000: a request a second, a planner pressing "Play week"; 0: back to back).
// ASSETS_FROM=DIR serves the page's /assets/ from DIR instead of the binary's
// (the same server, two versions of the page: a before and after on one build).
// ROLE=viewer signs the pages in as viewers (no approval dialogs).
// MINIMAL=1 measures the floor instead: a bare live list (minimal_dashboard.js),
// one event per message with MINIMAL_UNBATCHED=1. SETTLE_MS (8000): the wait
// between the pages opening and the season starting. BY_EVENT=1 prints each
// event's p50 and max.
// Not a test: it prints numbers; the goal is p99 under 300 ms.

import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { serveAssetsFrom, serveMinimal } from './assets_from.mjs';
import { APPROVER, PLANNER, TOKENS, VIEWER, call, createSeason, startServer, windows } from '../tests/browser/harness.mjs';

/** CPU seconds used so far by each Chromium process and the server (Linux /proc), by pid. */
function cpuByProcess() {
  const out = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      let kind = null;
      if (/chromium/.test(args)) kind = (args.match(/--type=([\w-]+)/) || [null, 'browser'])[1];
      else if (/atelier serve/.test(args)) kind = 'server';
      if (!kind) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, [kind, (Number(fields[11]) + Number(fields[12])) / 100]);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** CPU seconds each kind of process used between two snapshots (processes in both). */
function cpuSpent(before, after) {
  const out = {};
  for (const [pid, [kind, secs]] of after) {
    if (before.has(pid)) out[kind] = (out[kind] || 0) + secs - before.get(pid)[1];
  }
  return Object.entries(out).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
}

const N = Number(process.env.DASHBOARDS || 50);
const SCENARIO = process.env.SCENARIO || 'normal_season';
const TAB = process.env.TAB || 'overview';
// Milliseconds from one request (a week played, an approval) to the next: a
// planner pressing "Play week" and answering approvals; 0 plays as fast as the
// server answers.
const PACE_MS = Number(process.env.PACE_MS ?? 1000);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN;
};
const summary = (xs) => `p50 ${quantile(xs, 0.5)} ms, p95 ${quantile(xs, 0.95)} ms, p99 ${quantile(xs, 0.99)} ms, max ${Math.max(...xs)} ms (${xs.length} rows)`;

/** In the page: note each new timeline row's arrival, and the frame after it. */
function observe() {
  window.benchRows = [];
  const timeline = document.querySelector('[data-testid=event-timeline]');
  window.benchTimeline = timeline;
  new MutationObserver((records) => {
    const inserted = Date.now();
    const rows = [];
    for (const r of records) {
      for (const n of r.addedNodes) {
        const t = n.querySelector && n.querySelector('time');
        if (t) rows.push({ seq: Number(n.dataset.seq), committed: Date.parse(t.getAttribute('datetime')), inserted });
      }
    }
    if (!rows.length) return;
    requestAnimationFrame(() => {
      const painted = Date.now();
      for (const row of rows) window.benchRows.push({ ...row, painted, arrived: window.benchArrivals[row.seq] });
    });
  }).observe(timeline, { childList: true });
  const panel = document.getElementById('season-panel');
  window.benchRendersBefore = Number(panel.dataset.renders || 0);
}

// Fifty planners come from fifty addresses; here they share 127.0.0.1, whose
// default limit (128 connections, each window keeping a few) they would exceed.
// ROLE=viewer: the pages are signed in as a viewer (they watch; no approval
// dialog opens in them), the season played by a planner and an approver.
// Default: an open server, where every page may approve and so opens each
// approval's dialog.
const ROLE = process.env.ROLE || 'open';
const server = await startServer({ ...(ROLE === 'viewer' ? { tokens: TOKENS } : {}), config: { limits: { max_connections_per_address: 0 }, rate_limits: { per_address_per_sec: 0 } } });
const [plannerToken, approverToken] = ROLE === 'viewer' ? [PLANNER, APPROVER] : [undefined, undefined];
const b = await windows(N);
try {
  const id = await createSeason(server, plannerToken, { scenario: SCENARIO });
  // When each message reaches a page's socket, before the page handles it.
  const arrivals = () => {
    window.benchArrivals = {};
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          const at = Date.now();
          let parsed = [];
          try {
            parsed = JSON.parse(String(e.data));
          } catch {
            // Not JSON: skip.
          }
          // One event per message, or a batch of them (stream?batch=true).
          for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
            const seq = m && m.seq;
            if (seq && !window.benchArrivals[seq]) window.benchArrivals[seq] = at;
          }
        });
      }
    };
  };
  const { pages } = b;
  for (const page of pages) await serveAssetsFrom(page);
  for (const page of pages) {
    // The floor: a bare live list in place of the dashboard (MINIMAL).
    await serveMinimal(page);
    if (process.env.MINIMAL_UNBATCHED) await page.addInitScript(() => { window.MINIMAL_UNBATCHED = true; });
  }
  for (const page of pages) await page.addInitScript(arrivals);
  if (ROLE === 'viewer') {
    for (const page of pages) await page.addInitScript((t) => sessionStorage.setItem('atelier.token', t), VIEWER);
  }
  const opened = Date.now();
  for (const page of pages) {
    await page.goto(`${server.url}/#/season/${id}/${TAB}`);
    await page.locator('[data-testid=connection-status][data-state=live]').waitFor({ timeout: 60000 });
  }
  for (const page of pages) {
    await page.locator('[data-testid=event-timeline] li').first().waitFor({ timeout: 60000 });
    await page.evaluate(observe);
  }
  console.log(`${N} dashboards of season ${id} (${SCENARIO}, ${TAB} tab) open in ${((Date.now() - opened) / 1000).toFixed(1)} s`);
  // Opening fifty pages keeps the cores busy for a while (first charts, idle
  // work): the season starts once they have settled, so it is measured alone.
  await new Promise((ok) => setTimeout(ok, Number(process.env.SETTLE_MS ?? 8000)));
  // What the pages spent their main threads on while the season played.
  const cdps = [];
  for (const page of pages.slice(0, 5)) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    cdps.push(cdp);
  }
  const metrics = async () => Promise.all(cdps.map(async (c) => Object.fromEntries((await c.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))));
  const before = await metrics();
  const cpuBefore = cpuByProcess();
  const loadBefore = loadavg()[0];
  let wf = await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' }, approverToken);
  const played = Date.now();
  let posts = 0;
  while (wf.state !== 'completed') {
    const started = Date.now();
    if (wf.pending_approval) wf = await call(server, 'POST', `/api/workflows/${id}/approvals/${wf.pending_approval.approval_id}`, { action: 'accept' }, approverToken);
    else wf = await call(server, 'POST', `/api/workflows/${id}/play?until_week=${wf.next_week}`, undefined, plannerToken);
    posts += 1;
    await new Promise((ok) => setTimeout(ok, Math.max(0, started + PACE_MS - Date.now())));
  }
  const last = wf.last_event;
  for (const page of pages) {
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=connection-status]').dataset.lastSeq) >= n, last, { timeout: 120000 });
  }
  await new Promise((ok) => setTimeout(ok, 500));
  const after = await metrics();
  const cpuAfter = cpuByProcess();
  const spent = (k) => after.map((a, i) => a[k] - before[i][k]);
  const mean = (xs) => xs.reduce((t, x) => t + x, 0) / xs.length;
  const all = [];
  const renders = [];
  const perPage = [];
  for (const page of pages) {
    const { rows, redraws } = await page.evaluate(() => ({
      rows: window.benchRows,
      redraws: Number(document.getElementById('season-panel').dataset.renders || 0) - window.benchRendersBefore,
    }));
    all.push(...rows);
    renders.push(redraws);
    perPage.push(rows.length);
  }
  const events = new Set(all.map((r) => r.seq)).size;
  console.log(`load average (1 min) before and after playing: ${loadBefore.toFixed(1)}, ${loadavg()[0].toFixed(1)} (other work on the machine shares its 2 cores)`);
  console.log(`played to week 12 in ${((Date.now() - played) / 1000).toFixed(1)} s (${posts} requests ${PACE_MS ? `${PACE_MS} ms apart` : 'back to back'}, ${events} events, each to ${N} pages)`);
  console.log(`  event commit to its timeline row:    ${summary(all.map((r) => r.inserted - r.committed))}`);
  console.log(`  event commit to the frame after it:  ${summary(all.map((r) => r.painted - r.committed))}`);
  const arrived = all.filter((r) => r.arrived);
  console.log(`    of which commit to the page's socket: ${summary(arrived.map((r) => r.arrived - r.committed))}`);
  console.log(`    and socket to row (the page):         ${summary(arrived.map((r) => r.inserted - r.arrived))}`);
  console.log(`  main thread per page while playing (mean of ${cdps.length}): tasks ${(mean(spent('TaskDuration')) * 1000).toFixed(0)} ms, script ${(mean(spent('ScriptDuration')) * 1000).toFixed(0)} ms, layout ${(mean(spent('LayoutDuration')) * 1000).toFixed(0)} ms, style ${(mean(spent('RecalcStyleDuration')) * 1000).toFixed(0)} ms; ${mean(spent('LayoutCount')).toFixed(0)} layouts`);
  console.log(`  CPU seconds while playing: ${cpuSpent(cpuBefore, cpuAfter)}`);
  console.log(`  tab panel redraws per page: median ${quantile(renders, 0.5)}, max ${Math.max(...renders)} (for ${events} events)`);
  if (process.env.BY_EVENT) {
    // Which events are slow: each event's p50 and max over the pages.
    const by = new Map();
    for (const r of all) by.set(r.seq, [...(by.get(r.seq) || []), r.inserted - r.committed]);
    for (const [seq, xs] of [...by].sort((a, c) => a[0] - c[0])) console.log(`  #${seq}: p50 ${quantile(xs, 0.5)} ms, max ${Math.max(...xs)} ms`);
  }
  if (process.env.VERBOSE) {
    console.log('rows per page', pages.length, JSON.stringify(perPage));
    for (const page of pages) console.log(await page.evaluate(() => [document.querySelectorAll('[data-testid=event-timeline] li').length, window.benchRows && window.benchRows.length, document.querySelector('[data-testid=event-timeline]') === window.benchTimeline, location.hash]));
  }
} finally {
  await b.close();
  await server.stop();
}

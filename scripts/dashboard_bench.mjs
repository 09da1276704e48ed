// Benchmarks of the dashboard, in headless Chromium against `atelier serve` on
// loopback (the binary of tests/browser/harness.mjs: target/debug/atelier unless
// ATELIER_BIN says otherwise):
//  1. bytes transferred on the first load of a completed season's page (static
//     files, API answers, WebSocket frames), and the time from navigation to the
//     first chart drawn (a performance mark the page sets), median of 5 fresh loads;
//  2. latency from an event's commit (its recorded_at) to its row in the timeline,
//     with 50 browser WebSockets open on the season (1 page + 49 sockets), over a
//     whole season played week by week.
// Run: (cd tests/browser && npm ci) && cargo build -p atelier-cli && node scripts/dashboard_bench.mjs

import { browser, call, createSeason, startServer } from '../tests/browser/harness.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function playedSeason(server) {
  const id = await createSeason(server, undefined, { scenario: 'low_demand' });
  await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  let wf = await call(server, 'POST', `/api/workflows/${id}/play`);
  if (wf.pending_approval) await call(server, 'POST', `/api/workflows/${id}/approvals/${wf.pending_approval.approval_id}`, { action: 'accept' });
  wf = await call(server, 'POST', `/api/workflows/${id}/play`);
  return { id, events: wf.last_event };
}

async function firstLoad(server, id) {
  const b = await browser({ width: 1280, height: 800 });
  const cdp = await b.context.newCDPSession(b.page);
  await cdp.send('Network.enable');
  const urls = new Map();
  const bytes = { static: 0, api: 0, ws: 0 };
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => {
    const u = new URL(urls.get(e.requestId) || 'http://x/');
    bytes[u.pathname.startsWith('/api/') ? 'api' : 'static'] += e.encodedDataLength;
  });
  cdp.on('Network.webSocketFrameReceived', (e) => { bytes.ws += e.response.payloadData.length; });
  await b.page.goto(`${server.url}/#/season/${id}`);
  await b.page.waitForFunction(() => performance.getEntriesByName('atelier:first-chart').length > 0, null, { timeout: 30000 });
  const chartMs = await b.page.evaluate(() => performance.getEntriesByName('atelier:first-chart')[0].startTime);
  await b.page.waitForFunction((n) => Number(document.querySelector('[data-testid=connection-status]').dataset.lastSeq) >= n, await call(server, 'GET', `/api/workflows/${id}`).then((w) => w.last_event));
  await b.page.waitForTimeout(300);
  await b.close();
  return { chartMs, bytes };
}

async function latency(server) {
  const id = await createSeason(server, undefined, { scenario: 'low_demand' });
  const watched = await browser({ width: 1280, height: 800 });
  // When each message reaches the page's socket, before the page handles it.
  await watched.page.addInitScript(() => {
    window.arrivals = {};
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          const seq = JSON.parse(e.data).seq;
          if (seq) window.arrivals[seq] = Date.now();
        });
      }
    };
  });
  await watched.page.goto(`${server.url}/#/season/${id}`);
  await watched.page.locator('[data-testid=connection-status][data-state=live]').waitFor();
  const others = await browser({ width: 800, height: 600 });
  await others.page.goto(`${server.url}/`);
  const open = await others.page.evaluate(async ({ id: wid, n }) => {
    window.sockets = [];
    await Promise.all(Array.from({ length: n }, () => new Promise((ok) => {
      const ws = new WebSocket(`ws://${location.host}/api/workflows/${wid}/stream`);
      ws.onopen = ok;
      window.sockets.push(ws);
    })));
    return window.sockets.filter((s) => s.readyState === 1).length;
  }, { id, n: 49 });
  await watched.page.evaluate(() => {
    window.latencies = [];
    new MutationObserver((records) => {
      const now = Date.now();
      for (const r of records) for (const n of r.addedNodes) {
        const t = n.querySelector && n.querySelector('time');
        if (t) {
          const committed = Date.parse(t.getAttribute('datetime'));
          const arrived = window.arrivals[n.dataset.seq];
          window.latencies.push({ total: now - committed, server: arrived - committed, page: now - arrived });
        }
      }
    }).observe(document.querySelector('[data-testid=event-timeline]'), { childList: true });
  });
  const clients = await call(server, 'GET', '/metrics').catch(() => null);
  let wf = await call(server, 'POST', `/api/workflows/${id}/approvals/manufacturing-1`, { action: 'accept' });
  while (wf.state !== 'completed') {
    if (wf.pending_approval) wf = await call(server, 'POST', `/api/workflows/${id}/approvals/${wf.pending_approval.approval_id}`, { action: 'accept' });
    else wf = await call(server, 'POST', `/api/workflows/${id}/play?until_week=${wf.next_week}`);
  }
  await watched.page.waitForFunction((n) => Number(document.querySelector('[data-testid=connection-status]').dataset.lastSeq) >= n, wf.last_event);
  const lat = await watched.page.evaluate(() => window.latencies);
  await others.close();
  await watched.close();
  return { open: open + 1, lat, clients };
}

const server = await startServer();
try {
  const { id, events } = await playedSeason(server);
  await firstLoad(server, id); // warm the server's data cache
  const loads = [];
  for (let i = 0; i < 5; i += 1) loads.push(await firstLoad(server, id));
  const b0 = loads[0].bytes;
  console.log(`first load of a completed season (${events} events):`);
  console.log(`  static (shell, CSS, JS): ${b0.static} bytes; API answers: ${b0.api} bytes; WebSocket frames: ${b0.ws} bytes; total ${b0.static + b0.api + b0.ws} bytes`);
  console.log(`  navigation to first chart: median ${median(loads.map((l) => l.chartMs)).toFixed(0)} ms (runs: ${loads.map((l) => l.chartMs.toFixed(0)).join(', ')})`);
  const { open, lat } = await latency(server);
  console.log(`event commit to timeline row with ${open} browser sockets open, ${lat.length} events:`);
  for (const [k, what] of [['total', 'commit to row'], ['server', 'commit to the page\'s socket'], ['page', 'socket to row (the page)']]) {
    const xs = lat.map((l) => l[k]);
    console.log(`  ${what}: p50 ${quantile(xs, 0.5)} ms, p95 ${quantile(xs, 0.95)} ms, p99 ${quantile(xs, 0.99)} ms, max ${Math.max(...xs)} ms`);
  }
} finally {
  await server.stop();
}

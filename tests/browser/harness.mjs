// Shared helpers of the dashboard's browser tests: start `atelier serve` on a temp
// database and a free port, launch Debian's Chromium through playwright-core with a
// fresh profile, call the API from Node, and save screenshots.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

process.setMaxListeners(100);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.ATELIER_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug', 'atelier');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = process.env.SCREENSHOTS || join(ROOT, 'target', 'browser-screenshots');
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-quic', '--disable-component-update', '--disable-sync'];
export const TOKENS = 'ana:planner:plan-secret-1,bo:approver:approve-secret-1,cy:viewer:view-secret-1';
export const PLANNER = 'plan-secret-1';
export const APPROVER = 'approve-secret-1';
export const VIEWER = 'view-secret-1';

/** A free TCP port on loopback. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** A temp directory removed at exit. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts `atelier serve` and resolves once it listens.
 * opts: {db, port, tokens, config} (config: the server's config document, an
 * object written to a file for `--config`)
 */
export async function startServer(opts = {}) {
  const db = opts.db || join(tempDir('atelier-db-'), 'atelier.db');
  const port = opts.port || (await freePort());
  const env = { ...process.env };
  delete env.ATELIER_TOKENS;
  for (const k of Object.keys(env)) if (k.startsWith('ATELIER_LLM_') || k === 'OPENAI_API_KEY') delete env[k];
  if (opts.tokens) env.ATELIER_TOKENS = opts.tokens;
  const args = ['serve', '--addr', `127.0.0.1:${port}`, '--db', db];
  if (opts.config) {
    const file = join(tempDir('atelier-config-'), 'config.json');
    writeFileSync(file, JSON.stringify(opts.config));
    args.push('--config', file);
  }
  const proc = spawn(BIN, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`atelier serve did not start: ${log}`)), 20000);
    proc.stderr.on('data', (d) => {
      log += d;
      if (log.includes('atelier serving on')) {
        clearTimeout(timer);
        ok();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`atelier serve exited ${code}: ${log}`));
    });
  });
  proc.removeAllListeners('exit');
  const url = `http://127.0.0.1:${port}`;
  const server = {
    url, port, db, proc,
    /** Stops it: SIGTERM (graceful) or SIGKILL (a crash). */
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode) return;
      const exited = new Promise((ok) => proc.once('exit', ok));
      proc.kill(signal);
      await exited;
    },
  };
  process.on('exit', () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } });
  return server;
}

/** Runs the atelier CLI synchronously; returns stdout. */
export function cli(args, db) {
  const r = spawnSync(BIN, args, { env: { ...process.env, ATELIER_DB: db }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`atelier ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Calls the API from Node. */
export async function call(server, method, path, body, token) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(server.url + path, { method, headers, body: payload });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return json;
}

/** Standard retail parameters: weekly replenishment, 45% holdback, week 6 at 60%. */
export const STANDARD = {
  forecast_horizon_weeks: 12, season_start_date: '2025-02-17', replenishment_strategy: 'weekly',
  dc_holdback_percentage: 0.45, markdown_checkpoint_week: 6, markdown_threshold: 0.6,
};

/** Creates a season through the API; resolves with its id. */
export async function createSeason(server, token, extra = {}) {
  const r = await call(server, 'POST', '/api/workflows', { category: "Women's Dresses", parameters: STANDARD, ...extra }, token);
  return r.workflow_id;
}

/** Launches Chromium with a fresh profile; resolves with {context, page, close}. */
export async function browser(viewport = { width: 1280, height: 800 }) {
  const profile = tempDir('atelier-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport, acceptDownloads: true,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Console errors other than refused requests (a 4xx the page handles is logged
  // by the browser as a failed resource).
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
  // No request may leave this machine.
  const foreign = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !u.protocol.startsWith('data') && !u.protocol.startsWith('blob')) foreign.push(r.url());
  });
  return { context, page, errors, foreign, close: () => context.close() };
}

/**
 * One Chromium with `n` pages, each in a browser context (a window) of its own,
 * as `n` people each with a dashboard on their screen: the tabs of one window
 * behind the front one draw about once a second in headless Chromium, windows
 * each draw at the full frame rate. Resolves with {browser, pages, close}.
 */
export async function windows(n, viewport = { width: 1280, height: 800 }) {
  const b = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const pages = [];
  for (let i = 0; i < n; i += 1) {
    const context = await b.newContext({ viewport });
    pages.push(await context.newPage());
  }
  return { browser: b, pages, close: () => b.close() };
}

/** Presses Tab (at most `max` times) until the focused element matches `selector`. */
export async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((sel) => Boolean(document.activeElement && document.activeElement.matches(sel)), selector)) return;
    await page.keyboard.press('Tab');
  }
  const at = await page.evaluate(() => document.activeElement && document.activeElement.outerHTML.slice(0, 120));
  throw new Error(`Tab never reached ${selector} (focus on ${at})`);
}

/** Saves a screenshot of the page as NAME-WxH.png under SHOTS. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const { width, height } = page.viewportSize();
  await page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`), fullPage: false });
}

/** Saves the screenshot at both sizes the issue names. */
export async function shots(page, name) {
  const before = page.viewportSize();
  for (const size of [{ width: 1280, height: 800 }, { width: 1920, height: 1080 }]) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await shot(page, name);
  }
  await page.setViewportSize(before);
}

/** The sequence numbers shown in the timeline, in ascending order. */
export async function timelineSeqs(page) {
  const seqs = await page.$$eval('[data-testid=event-timeline] li[data-seq]', (els) => els.map((e) => Number(e.dataset.seq)));
  return seqs.sort((a, b) => a - b);
}

/** Waits for the stream to have delivered event `seq`. */
export async function waitForSeq(page, seq, timeout = 20000) {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=connection-status]')?.dataset.lastSeq || 0) >= n, seq, { timeout });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core (tests/browser/package.json pins it) on the page as it is now and
 * resolves with the violations of impact critical or serious, each as
 * "rule: target (summary)". The source is evaluated through the debugging
 * protocol, so the page's Content-Security-Policy stays as served.
 */
export async function axeViolations(page, context = 'body') {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (ctx) => window.axe.run(ctx, { resultTypes: ['violations'] }), context);
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} ${n.failureSummary ? n.failureSummary.split('\n').slice(1, 2).join('') : ''}`));
}

/** POSTs a CSV body (text/csv) to the API from Node; resolves with the JSON answer. */
export async function postCsv(server, path, csv, token) {
  const headers = { Accept: 'application/json', 'Content-Type': 'text/csv' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(server.url + path, { method: 'POST', headers, body: csv });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Week `week` of the shipped normal season with every store selling `factor`× its units. */
export function hotWeek(week, factor = 1.6) {
  const file = join(ROOT, 'data', 'scenarios', 'normal_season', `actuals_week_${String(week).padStart(2, '0')}.csv`);
  const [head, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  return [head, ...lines.map((l) => {
    const [date, store, qty] = l.split(',');
    return `${date},${store},${Math.round(Number(qty) * factor)}`;
  })].join('\n') + '\n';
}

/** Zara's parameters (everything at launch, no replenishment, check at week 6). */
export const ZARA = {
  forecast_horizon_weeks: 12, season_start_date: '2025-02-17', replenishment_strategy: 'none',
  dc_holdback_percentage: 0, markdown_checkpoint_week: 6, markdown_threshold: 0.6,
};

/**
 * A season selling 1.6× the normal season under `margin`, uploaded week by week
 * as demand through the API (other approvals accepted) until it asks for a second
 * buy; resolves with {id, approval} (the workflow document's pending approval).
 */
export async function untilReorder(server, token) {
  const created = await call(server, 'POST', '/api/workflows', { category: "Women's Dresses", parameters: ZARA, actuals_meaning: 'demand' }, token);
  const id = created.workflow_id;
  for (let week = 1; week <= 12; week += 1) {
    let w = await call(server, 'GET', `/api/workflows/${id}`, undefined, token);
    while (w.pending_approval) {
      if (w.pending_approval.kind === 'reorder') return { id, approval: w.pending_approval };
      w = await call(server, 'POST', `/api/workflows/${id}/approvals/${w.pending_approval.approval_id}`, { action: 'accept' }, token);
    }
    await postCsv(server, `/api/workflows/${id}/actuals?week=${week}`, hotWeek(week), token);
  }
  throw new Error(`season ${id} never asked for a reorder`);
}

/** Plays a scenario season to its end through the API, accepting every approval. */
export async function playToEnd(server, id, token) {
  for (let round = 0; round < 20; round += 1) {
    const w = await call(server, 'GET', `/api/workflows/${id}`, undefined, token);
    if (w.state === 'completed') return w;
    if (w.pending_approval) {
      await call(server, 'POST', `/api/workflows/${id}/approvals/${w.pending_approval.approval_id}`, { action: 'accept' }, token);
    } else {
      await call(server, 'POST', `/api/workflows/${id}/play`, undefined, token);
    }
  }
  throw new Error(`season ${id} did not complete`);
}

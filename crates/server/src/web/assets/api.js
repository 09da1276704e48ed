// The API as the page uses it: the token (kept for this tab only), JSON calls, CSV
// uploads as multipart forms, and errors that keep the server's field and line.

const KEY = 'atelier.token';

/** The token signed in with, if any (sessionStorage: gone when the tab closes). */
export function token() {
  return sessionStorage.getItem(KEY) || '';
}

/** Remembers the token for this tab. */
export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

/** An error answer: status, the server's message, and where (field, line). */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.field = this.body.field || null;
    this.line = this.body.line || null;
    this.fields = this.body.fields || [];
  }
}

function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const t = token();
  if (t) h.Authorization = `Bearer ${t}`;
  return h;
}

/**
 * A fresh Idempotency-Key for one write: a proxy that sends the request again
 * (its instance died) sends the same key, and the server answers the repeat as
 * the first instead of doing it twice. getRandomValues, not randomUUID: the
 * latter exists only on https or localhost pages.
 */
function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function answer(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: text };
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** GET a JSON resource. */
export async function get(path) {
  return answer(await fetch(path, { headers: headers() }));
}

/** POST a JSON body (or none). */
export async function post(path, body) {
  const init = { method: 'POST', headers: headers({ 'Idempotency-Key': idempotencyKey() }) };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return answer(await fetch(path, init));
}

/** POST a CSV file as the `file` part of a multipart form. */
export async function upload(path, file) {
  const form = new FormData();
  form.append('file', file, file.name || 'upload.csv');
  const h = headers({ 'Idempotency-Key': idempotencyKey() });
  return answer(await fetch(path, { method: 'POST', headers: h, body: form }));
}

/** Who the caller is: {name, role, permissions, tokens_required}; null on 401. */
export async function session() {
  try {
    return await get('/api/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

/** The WebSocket URL of a workflow's stream after event `after`. */
export function streamUrl(id, after) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // batch: a commit's events in one message (a page pays per message);
  // status: the workflow's resource after them (no request per commit).
  const q = new URLSearchParams({ after: String(after), batch: 'true', status: 'true' });
  const t = token();
  if (t) q.set('token', t);
  return `${scheme}://${location.host}/api/workflows/${encodeURIComponent(id)}/stream?${q}`;
}

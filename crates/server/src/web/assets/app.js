// The dashboard's entry: who is signed in, the header, and the hash router
// (#/ seasons, #/new, #/data, #/compare[/A/B], #/season/ID[/tab][/store]). Pages are plain functions or
// classes that render into <main>; a page with leave() is told when it is left.

import { clearToast, h, mount, toast } from './dom.js';
import * as api from './api.js';
import { renderSeasons } from './seasons.js';
import { renderNewSeason } from './new_season.js';
import { SeasonPage } from './season.js';
import { renderData } from './uploads.js';
import { renderCompare } from './compare.js';

const boot = JSON.parse(document.getElementById('boot').textContent || '{}');
const main = document.getElementById('main');
const ctx = {
  boot,
  session: null,
  /** Whether the signed-in caller may do this: 'read', 'plan' or 'approve'. */
  can(permission) {
    return Boolean(ctx.session && ctx.session.permissions.includes(permission));
  },
  go(hash) {
    location.hash = hash;
  },
};
let page = null;

function renderWho() {
  const who = document.getElementById('who');
  const sess = ctx.session;
  if (!sess) {
    mount(who);
    return;
  }
  const role = sess.role ? sess.role : 'open server';
  mount(who,
    h('span', { class: 'who-name', 'data-testid': 'who' }, sess.tokens_required ? `${sess.name} · ${role}` : 'Open server (no tokens) · every role'),
    sess.tokens_required ? h('button', { class: 'link', type: 'button', onclick: signOut }, 'Sign out') : null);
  for (const a of document.querySelectorAll('[data-needs]')) a.hidden = !ctx.can(a.dataset.needs);
}

function signOut() {
  api.setToken('');
  ctx.session = null;
  renderWho();
  signIn();
}

function signIn(message) {
  if (page && page.leave) page.leave();
  page = null;
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'token-input' });
  const error = h('p', { class: 'field-error', id: 'token-error', role: 'alert' }, message || '');
  const form = h('form', { class: 'card signin', onsubmit: async (e) => {
    e.preventDefault();
    api.setToken(input.value.trim());
    try {
      const sess = await api.session();
      if (!sess) {
        api.setToken('');
        error.textContent = 'This token is not known to the server.';
        input.setAttribute('aria-invalid', 'true');
        return;
      }
      ctx.session = sess;
      renderWho();
      route();
    } catch (err) {
      error.textContent = err.message;
    }
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'This server asks for an access token. Paste the token you were given; it is kept in this tab only.'),
  h('label', { for: 'token' }, 'Access token'),
  input, error,
  h('button', { class: 'primary', type: 'submit', 'data-testid': 'sign-in' }, 'Sign in'));
  mount(main, form);
  input.focus();
}

function route() {
  if (!ctx.session) return;
  const parts0 = (location.hash || '#/').slice(2).split('/');
  // A link within the season on screen (a tab, a store's page) keeps the page.
  if (parts0[0] === 'season' && page instanceof SeasonPage && page.id === decodeURIComponent(parts0[1] || '')) {
    page.navigate(parts0[2] || 'overview', parts0[3] ? decodeURIComponent(parts0[3]) : null);
    return;
  }
  if (page && page.leave) page.leave();
  clearToast();
  page = null;
  const hash = location.hash || '#/';
  const parts = hash.slice(2).split('/');
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.toggleAttribute('aria-current', a.dataset.nav === (parts[0] || 'seasons'));
  }
  if (parts[0] === 'season' && parts[1]) {
    page = new SeasonPage(main, ctx, decodeURIComponent(parts[1]), parts[2] || 'overview', parts[3] ? decodeURIComponent(parts[3]) : null);
  } else if (parts[0] === 'compare') {
    page = renderCompare(main, ctx, decodeURIComponent(parts[1] || ''), decodeURIComponent(parts[2] || ''));
  } else if (parts[0] === 'new') {
    page = renderNewSeason(main, ctx);
  } else if (parts[0] === 'data') {
    page = renderData(main, ctx);
  } else {
    page = renderSeasons(main, ctx);
  }
}

async function start() {
  try {
    ctx.session = await api.session();
  } catch (err) {
    mount(main, h('p', { class: 'field-error', role: 'alert' }, `The server cannot be reached: ${err.message}`));
    return;
  }
  renderWho();
  window.addEventListener('hashchange', route);
  if (!ctx.session) {
    signIn(api.token() ? 'The saved token is no longer accepted.' : '');
    return;
  }
  route();
}

window.addEventListener('unhandledrejection', (e) => toast(String(e.reason && e.reason.message ? e.reason.message : e.reason), 'error'));
start();

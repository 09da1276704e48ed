// Building DOM without a framework: h() makes HTML elements, s() SVG ones. Text is
// always set as text (never parsed as HTML), so words from the event log cannot
// inject markup.

import { humanize } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element: h('button', {class: 'x', onclick}, 'Label'). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG, tag), attrs, children);
}

/** Replaces an element's children. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A unique id for label/aria wiring. */
let next = 0;
export function uid(prefix = 'id') {
  next += 1;
  return `${prefix}-${next}`;
}

/** Shows a short message in the corner, in the planner's words. */
export function toast(text, kind = 'info') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = humanize(text);
  el.dataset.kind = kind;
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 4000);
}

/** Takes the message down at once (a page that is left takes its messages along). */
export function clearToast() {
  const el = document.getElementById('toast');
  clearTimeout(toast.timer);
  if (el) {
    el.classList.remove('show');
    el.textContent = '';
  }
}

/** Saves text as a file the browser downloads. */
export function download(name, type, text) {
  downloadBlob(name, new Blob([text], { type }));
}

/** Saves a blob (e.g. a workbook fetched from the API) as a file. */
export function downloadBlob(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

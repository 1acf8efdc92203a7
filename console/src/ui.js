// Small DOM helpers. Text is always set as text, never parsed as HTML, and
// nothing sets style attributes (the Content-Security-Policy forbids them).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
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

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const STATUSES = ['created', 'starting', 'running', 'paused', 'stopped', 'error'];

export function chip(status) {
  return h('span', { class: `chip chip-${status}`, 'data-status': status, text: status });
}

export function fmtNum(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(digits) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(digits) + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(digits) + 'k';
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(a < 10 ? 2 : digits);
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : Math.round(n)} ${u[i]}`;
}

export function fmtLag(lag) {
  if (!lag) return '—';
  const parts = [];
  if (lag.seconds !== null && lag.seconds !== undefined) parts.push(`${fmtNum(lag.seconds)} s`);
  if (lag.records !== null && lag.records !== undefined) parts.push(`${fmtNum(lag.records)} rec`);
  return parts.length ? parts.join(' · ') : '—';
}

export function fmtTime(t) {
  if (!t) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert', text: err instanceof Error ? err.message : String(err) });
}

export function pretty(value) {
  return h('pre', { class: 'json', tabindex: '0', text: JSON.stringify(value, null, 2) });
}

/// A button that copies `text` and says so.
export function copyButton(text, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'small', text: label });
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select and copy';
    }
    setTimeout(() => { b.textContent = label; }, 2000);
  });
  return b;
}

/// Parses "#/a/b?x=1" into {parts: ['a','b'], query: URLSearchParams}.
export function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(qs || '') };
}

export function go(hash) {
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else window.location.hash = hash;
}

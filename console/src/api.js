// The API client: the key lives in sessionStorage only and travels as a
// Bearer header, never in a URL.
const KEY = 'streamhost.key';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed with status ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
    this.body = body;
  }
}

export function getKey() { return sessionStorage.getItem(KEY) || ''; }
export function setKey(k) { sessionStorage.setItem(KEY, k); }
export function clearKey() { sessionStorage.removeItem(KEY); }

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(method, path, { body, query, signal, key } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { Authorization: `Bearer ${key || getKey()}`, Accept: 'application/json' };
  const init = { method, headers, signal, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, json);
    if (res.status === 401 && !key) onUnauthorized(err);
    throw err;
  }
  return json;
}

/// Runs `fn` now and then again `ms` after each run ends (never sooner than
/// 1 s), until the returned stop() or the signal aborts. A tick that fails is
/// reported and the loop goes on.
export function every(ms, fn, signal) {
  const wait = Math.max(1000, ms);
  let timer = null;
  let stopped = false;
  const tick = async () => {
    if (stopped || (signal && signal.aborted)) return;
    try { await fn(); } catch (e) { if (e.name !== 'AbortError') console.warn(e); }
    if (!stopped && !(signal && signal.aborted)) timer = setTimeout(tick, wait);
  };
  tick();
  const stop = () => { stopped = true; clearTimeout(timer); };
  if (signal) signal.addEventListener('abort', stop);
  return stop;
}

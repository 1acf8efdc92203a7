// The console's shell: sign-in, the key's scopes, and hash routing. Each view
// gets an AbortSignal that ends its polling when another view replaces it.
import { api, getKey, setKey, clearKey, setUnauthorizedHandler } from './api.js';
import { h, clear, errorBox, parseHash } from './ui.js';
import { streamList, streamDetail } from './streams.js';
import { createStream } from './create.js';
import { pipelineList, pipelineEvents } from './pipelines.js';
import { connectionList } from './connections.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const whoEl = document.getElementById('who');
const banner = document.getElementById('banner');
let current = null;  // AbortController of the view on screen
let ctx = null;

function makeContext(who) {
  let plugins = null;
  return {
    who,
    can: (scope) => who.scopes.includes('admin') || who.scopes.includes(scope),
    plugins: async () => {
      plugins = plugins || api('GET', '/api/plugins').then((r) => r.data);
      return plugins;
    },
  };
}

function showBanner(text) {
  banner.hidden = !text;
  banner.textContent = text || '';
}

function signOut(reason) {
  clearKey();
  ctx = null;
  if (current) current.abort();
  nav.hidden = true;
  whoEl.hidden = true;
  showBanner('');
  signIn(reason);
}

function signIn(reason) {
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true,
    spellcheck: 'false', 'aria-describedby': 'key-help' });
  const out = h('div', { 'aria-live': 'assertive' }, reason ? errorBox(reason) : null);
  const form = h('form', { class: 'signin', id: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    clear(out);
    const key = input.value.trim();
    try {
      const r = await api('GET', '/api/keys/current', { key });
      setKey(key);
      await enter(r.data);
    } catch (e) {
      clear(out, errorBox(e.status === 401 ? 'That key is not valid (unknown, revoked or expired).' : e));
      input.focus();
    }
  } },
  h('h1', { text: 'Sign in' }),
  h('label', { for: 'key', text: 'API key' }), input,
  h('p', { id: 'key-help', class: 'help', text: 'The key stays in this tab (sessionStorage) and is sent as a Bearer header. Make one with: streamhostd keys create --name me --scopes admin' }),
  out,
  h('button', { type: 'submit', class: 'primary', text: 'Sign in' }));
  clear(main, form);
  input.focus();
}

async function enter(keyResource) {
  const a = keyResource.attributes || {};
  const who = { id: keyResource.id, name: a.name || keyResource.id, scopes: a.scopes || [] };
  ctx = makeContext(who);
  nav.hidden = false;
  whoEl.hidden = false;
  clear(whoEl,
    h('span', { class: 'muted', text: 'key ' }), h('strong', { id: 'who-name', text: who.name }),
    h('span', { class: 'scopes', id: 'who-scopes', text: who.scopes.join(' ') }),
    h('button', { type: 'button', class: 'small', text: 'Sign out', onclick: () => signOut() }));
  const writes = ['streams:write', 'pipelines:write', 'connections:write'].filter((s) => ctx.can(s));
  showBanner(writes.length ? '' : 'Read-only key: you can see everything, but buttons that change something are disabled because this key has no write scope.');
  if (!window.location.hash || window.location.hash === '#/') window.location.hash = '#/streams';
  else route();
}

async function route() {
  if (!ctx) return;
  if (current) current.abort();
  current = new AbortController();
  const { signal } = current;
  const { parts, query } = parseHash();
  const section = parts[0] || 'streams';
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  clear(main, h('p', { class: 'muted', text: 'Loading…' }));
  try {
    if (section === 'streams' && parts[1] === 'new') await createStream(main, ctx, signal);
    else if (section === 'streams' && parts[1]) await streamDetail(main, ctx, parts[1], signal);
    else if (section === 'streams') await streamList(main, ctx, query, signal);
    else if (section === 'pipelines' && parts[1]) await pipelineEvents(main, ctx, parts[1], query, signal);
    else if (section === 'pipelines') await pipelineList(main, ctx, signal);
    else if (section === 'connections') await connectionList(main, ctx, signal);
    else clear(main, errorBox(`No page ${window.location.hash}`));
  } catch (e) {
    if (e.name !== 'AbortError' && !signal.aborted) clear(main, errorBox(e));
  }
  // Keyboard users land on the new view.
  if (document.activeElement === document.body) main.focus({ preventScroll: true });
}

setUnauthorizedHandler(() => signOut('The key was refused (revoked or expired). Sign in again.'));
window.addEventListener('hashchange', route);

(async () => {
  const key = getKey();
  if (!key) { signIn(); return; }
  try {
    const r = await api('GET', '/api/keys/current', { key });
    await enter(r.data);
  } catch {
    signOut();
  }
})();

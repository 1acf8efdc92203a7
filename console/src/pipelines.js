// Pipelines and their event browser: pages by the seq cursor (`after`), and a
// live tail over the long-poll (wait_ms), one request at a time.
import { api } from './api.js';
import { h, clear, errorBox, fmtTime, go } from './ui.js';

const TAIL_WAIT_MS = 20000;
const MIN_GAP_MS = 1000;

export async function pipelineList(main, ctx, signal) {
  const r = await api('GET', '/api/pipelines', { query: { limit: 500 }, signal });
  clear(main,
    h('h1', { text: 'Pipelines' }),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Id', 'Head seq', 'Oldest seq', 'State'].map((t) => h('th', { text: t })))),
      h('tbody', {}, r.data.length ? r.data.map((p) => h('tr', {},
        h('td', {}, h('a', { href: `#/pipelines/${p.id}`, text: p.attributes.name })),
        h('td', {}, h('code', { text: p.id })),
        h('td', { text: String(p.attributes.head_seq ?? '—') }),
        h('td', { text: String(p.attributes.oldest_seq ?? '—') }),
        h('td', { class: p.attributes.state === 'failed' ? 'err' : '', text: p.attributes.state + (p.attributes.error ? `: ${p.attributes.error}` : '') })))
        : h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'No pipeline yet.' }))))));
}

const streamNames = new Map();

function eventRow(e) {
  return h('article', { class: 'event', dataset: { seq: e.seq } },
    h('header', {},
      h('strong', { text: `#${e.seq}` }),
      h('a', { href: `#/streams/${e.stream_id}`, text: streamNames.get(e.stream_id) || e.stream_id }),
      e.op ? h('span', { class: 'tag', text: `op ${e.op}` }) : null,
      e.key ? h('span', { class: 'tag', text: `key ${typeof e.key === 'string' ? e.key : JSON.stringify(e.key)}` }) : null,
      h('span', { class: 'muted', text: fmtTime(e.ts) }),
      e.offset ? h('code', { class: 'muted small', text: `offset ${e.offset}` }) : null),
    h('pre', { class: 'json', tabindex: '0', text: e.value_encoding === 'base64' ? `(base64) ${e.value}` : JSON.stringify(e.value, null, 2) }));
}

export async function pipelineEvents(main, ctx, id, query, signal) {
  const [p, streams] = await Promise.all([
    api('GET', `/api/pipelines/${id}`, { signal }),
    api('GET', '/api/streams', { signal, query: { pipeline_id: id, limit: 500 } }).catch(() => ({ data: [] })),
  ]);
  streams.data.forEach((st) => streamNames.set(st.id, st.attributes.name));
  const after = h('input', { id: 'after', type: 'number', min: '0', step: '1', value: query.get('after') || '0' });
  const limit = h('select', { id: 'limit' }, [20, 50, 100, 500].map((n) => h('option', { value: n, text: n, selected: n === 20 })));
  const list = h('div', { class: 'events', 'aria-live': 'polite' });
  const info = h('p', { class: 'muted small', id: 'events-info' });
  const tailBtn = h('button', { type: 'button', id: 'tail', 'aria-pressed': 'false', text: 'Live tail' });
  const nextBtn = h('button', { type: 'button', text: 'Next page →', disabled: true });
  let next = null;
  let head = null;
  let tail = null;  // AbortController of the running tail

  const load = async (from, append) => {
    const r = await api('GET', `/api/pipelines/${id}/events`, { signal, query: { after: from, limit: limit.value } });
    if (!append) clear(list);
    r.data.forEach((e) => list.append(eventRow(e)));
    next = r.meta.next_after;
    head = r.meta.head_seq;
    nextBtn.disabled = r.data.length === 0;
    info.textContent = `after=${from} · ${r.data.length} events · next_after=${next} · head_seq=${r.meta.head_seq} · oldest_seq=${r.meta.oldest_seq}`;
    if (!r.data.length && !append) list.append(h('p', { class: 'muted', text: 'No events after this seq.' }));
  };

  // Like tail -f: from the head on, whatever page was on screen.
  const runTail = async (ctl) => {
    let from = head ?? next ?? Number(after.value || 0);
    list.append(h('p', { class: 'live-mark', text: `live from seq ${from}` }));
    while (!ctl.signal.aborted) {
      const started = Date.now();
      try {
        const r = await api('GET', `/api/pipelines/${id}/events`, {
          signal: ctl.signal, query: { after: from, limit: 100, wait_ms: TAIL_WAIT_MS },
        });
        const empty = list.querySelector('p.muted');
        if (empty && r.data.length) empty.remove();
        r.data.forEach((e) => list.append(eventRow(e)));
        while (list.children.length > 500) list.firstChild.remove();
        from = r.meta.next_after;
        next = from;
        head = r.meta.head_seq;
        info.textContent = `live · next_after=${from} · head_seq=${r.meta.head_seq}`;
      } catch (e) {
        if (e.name === 'AbortError') return;
        info.textContent = '';
        info.append(errorBox(e));
      }
      const gap = MIN_GAP_MS - (Date.now() - started);
      if (gap > 0) await new Promise((res) => setTimeout(res, gap));
    }
  };

  tailBtn.addEventListener('click', () => {
    if (tail) {
      tail.abort(); tail = null;
      tailBtn.setAttribute('aria-pressed', 'false'); tailBtn.textContent = 'Live tail';
      return;
    }
    tail = new AbortController();
    signal.addEventListener('abort', () => tail && tail.abort());
    tailBtn.setAttribute('aria-pressed', 'true'); tailBtn.textContent = 'Stop tail';
    runTail(tail);
  });
  nextBtn.addEventListener('click', () => { after.value = next; load(next, false).catch((e) => list.append(errorBox(e))); });

  const a = p.data.attributes;
  clear(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/pipelines', text: '← Pipelines' })),
    h('h1', { text: `Pipeline ${a.name}` }),
    h('p', { class: 'muted', text: `${p.data.id} · head_seq ${a.head_seq} · oldest_seq ${a.oldest_seq} · ${a.state}` }),
    h('form', { class: 'inline', onsubmit: (ev) => {
      ev.preventDefault();
      go(`#/pipelines/${id}?after=${encodeURIComponent(after.value || 0)}`);
    } },
    h('label', { for: 'after', text: 'after seq' }), after,
    h('label', { for: 'limit', text: 'limit' }), limit,
    h('button', { type: 'submit', class: 'primary', text: 'Load' }), nextBtn, tailBtn),
    info, list);
  await load(Number(after.value || 0), false);
}

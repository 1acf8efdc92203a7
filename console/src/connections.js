// Connections: the list and a "test" button showing what the plugin found.
import { api } from './api.js';
import { h, clear, errorBox, fmtTime } from './ui.js';

export async function connectionList(main, ctx, signal) {
  const r = await api('GET', '/api/connections', { query: { limit: 500 }, signal });
  const canTest = ctx.can('connections:write');
  clear(main,
    h('h1', { text: 'Connections' }),
    canTest ? null : h('p', { class: 'note', role: 'note', text: `Testing is disabled: this key (${ctx.who.name}) has no connections:write scope.` }),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Secrets', 'Created', 'Test'].map((t) => h('th', { text: t })))),
      h('tbody', {}, r.data.length ? r.data.map((c) => {
        const out = h('div', { class: 'test-result', 'aria-live': 'polite' });
        const btn = h('button', { type: 'button', text: 'Test', disabled: !canTest, onclick: async () => {
          btn.disabled = true;
          clear(out, h('span', { class: 'muted', text: 'testing…' }));
          try {
            const t = (await api('POST', `/api/connections/${c.id}/test`, { body: {} })).data;
            const res = t.attributes || t;
            clear(out, h('strong', { class: res.ok ? 'ok' : 'err', text: res.ok ? 'OK' : 'Failed' }),
              res.latency_ms !== undefined ? h('span', { class: 'muted', text: ` ${res.latency_ms} ms` }) : null,
              h('p', { class: 'sentences', text: res.message || '' }));
          } catch (e) { clear(out, errorBox(e)); }
          btn.disabled = false;
        } });
        return h('tr', {},
          h('td', {}, h('strong', { text: c.attributes.name }), h('div', {}, h('code', { class: 'small', text: c.id }))),
          h('td', { text: c.attributes.type }),
          h('td', { text: (c.attributes.secret_keys || []).join(', ') || '—' }),
          h('td', { text: fmtTime(c.attributes.created_at) }),
          h('td', {}, btn, out));
      }) : h('tr', {}, h('td', { colspan: 5, class: 'muted', text: 'No connection yet.' }))))));
}

// The stream list (summary, filters, cursor pages, sparklines) and one stream
// (charts, lifecycle buttons, delete with its teardown report, config).
import { api, every } from './api.js';
import { sparkline, timeChart } from './charts.js';
import {
  h, clear, chip, STATUSES, fmtNum, fmtBytes, fmtLag, fmtTime, errorBox, pretty, copyButton, go,
} from './ui.js';

const LIST_REFRESH_MS = 5000;
const STREAM_REFRESH_MS = 2000;
const WINDOWS = ['1m', '5m', '1h', '24h'];

function seriesXY(metrics, key, perSecond) {
  // The newest bucket is still filling; drawn, it would look like a drop.
  const s = ((metrics && metrics.series) || []).slice(0, -1);
  const step = s.length > 1 ? (Date.parse(s[1].t) - Date.parse(s[0].t)) / 1000 : 1;
  const xs = s.map((p) => Date.parse(p.t) / 1000);
  const ys = s.map((p) => (perSecond ? p[key] / (step || 1) : p[key]));
  return [xs, ys];
}

function readOnlyNote(ctx, scope) {
  return ctx.can(scope) ? null
    : h('p', { class: 'note', id: 'readonly-note', role: 'note',
      text: `Actions are disabled: this key (${ctx.who.name}) has no ${scope} scope. It can look but not change.` });
}

// ---------------------------------------------------------------- the list

export async function streamList(main, ctx, query, signal) {
  const filters = {
    status: query.get('status') || '',
    source_type: query.get('source_type') || '',
    pipeline_id: query.get('pipeline_id') || '',
  };
  const cursors = [null];  // page starts, for "previous"
  let page = 0;
  const [plugins, pipelines] = await Promise.all([
    ctx.plugins(),
    api('GET', '/api/pipelines', { query: { limit: 500 } }).catch(() => ({ data: [] })),
  ]);
  const pipelineNames = new Map(pipelines.data.map((p) => [p.id, p.attributes.name]));
  const types = plugins.flatMap((p) => p.attributes.source_types.map((t) => t.name)).sort();

  const summaryEl = h('section', { class: 'summary', 'aria-label': 'Summary', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const pager = h('div', { class: 'pager' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const select = (name, label, options) => {
    const s = h('select', { id: `f-${name}`, name, onchange: () => applyFilter(name, s.value) },
      h('option', { value: '', text: `any ${label}` }),
      options.map(([v, t]) => h('option', { value: v, text: t, selected: filters[name] === v })));
    return h('label', { class: 'filter' }, h('span', { class: 'sr', text: label }), s);
  };
  const applyFilter = (name, value) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, [name]: value })) if (v) q.set(k, v);
    go(`#/streams${q.toString() ? '?' + q : ''}`);
  };
  clear(main,
    h('div', { class: 'head' },
      h('h1', { text: 'Streams' }),
      ctx.can('streams:write') ? h('a', { class: 'button primary', href: '#/streams/new', text: 'New stream' }) : null),
    summaryEl,
    h('div', { class: 'filters', role: 'group', 'aria-label': 'Filters' },
      select('status', 'status', STATUSES.map((s) => [s, s])),
      select('source_type', 'source type', types.map((t) => [t, t])),
      select('pipeline_id', 'pipeline', pipelines.data.map((p) => [p.id, p.attributes.name]))),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'streams' },
        h('thead', {}, h('tr', {},
          h('th', { text: 'Name' }), h('th', { text: 'Status' }), h('th', { class: 'opt', text: 'Type' }),
          h('th', { class: 'opt', text: 'Pipeline' }), h('th', { text: 'Events/s (1m)' }),
          h('th', { class: 'opt', text: 'Lag' }), h('th', { class: 'opt', text: 'Last error' }))),
        tbody)),
    pager, status);

  const sparks = new Map();  // stream id -> {cell, chart}
  signal.addEventListener('abort', () => sparks.forEach((s) => s.chart && s.chart.destroy()));

  const renderSummary = (a) => {
    const cards = [
      ['Streams', String(a.total)],
      ['Events/s', fmtNum(a.events_per_second)],
      ['Errors (1 h)', fmtNum(a.errors_last_hour)],
    ];
    if (a.max_lag_seconds !== undefined) cards.push(['Max lag', a.max_lag_seconds === null ? '—' : `${fmtNum(a.max_lag_seconds)} s`]);
    clear(summaryEl,
      a.health !== undefined
        ? h('div', { class: `card health health-${a.health}`, id: 'health' },
          h('span', { class: 'label', text: 'Health' }), h('strong', { text: a.health }))
        : null,
      cards.map(([l, v]) => h('div', { class: 'card' }, h('span', { class: 'label', text: l }), h('strong', { text: v }))),
      h('div', { class: 'card statuses' }, h('span', { class: 'label', text: 'By status' }),
        h('div', { class: 'chips' }, STATUSES.map((s) => h('a', {
          href: `#/streams?status=${s}`, class: 'count', 'aria-label': `${a.by_status[s] || 0} ${s}`,
        }, chip(s), h('b', { text: String(a.by_status[s] || 0) }))))));
  };

  const renderRows = (rows, metrics) => {
    const keep = new Set(rows.map((r) => r.id));
    for (const [id, s] of sparks) if (!keep.has(id)) { s.chart && s.chart.destroy(); sparks.delete(id); }
    clear(tbody, rows.length ? null : h('tr', {}, h('td', { colspan: 7, class: 'muted', text: 'No stream matches.' })));
    rows.forEach((r, i) => {
      const a = r.attributes;
      const m = metrics[i];
      let s = sparks.get(r.id);
      if (!s) { s = { cell: h('div', { class: 'spark' }), chart: null }; sparks.set(r.id, s); }
      const [xs, ys] = m ? seriesXY(m, 'events', true) : [[], []];
      tbody.append(h('tr', { dataset: { id: r.id, name: a.name } },
        h('td', {}, h('a', { href: `#/streams/${r.id}`, text: a.name })),
        h('td', {}, chip(a.status)),
        h('td', { class: 'opt', text: a.source_type }),
        h('td', { class: 'opt' }, h('a', { href: `#/pipelines/${a.pipeline_id}`, text: pipelineNames.get(a.pipeline_id) || a.pipeline_id })),
        h('td', { class: 'rate' }, s.cell, h('span', { class: 'num', text: m ? fmtNum(m.events_per_second) : '—' })),
        h('td', { class: 'opt', text: m ? fmtLag(m.consumer_lag) : '—' }),
        h('td', { class: 'opt err', title: a.last_error || '', text: a.last_error || '' })));
      if (!s.chart && xs.length) s.chart = sparkline(s.cell, xs, ys);
      else if (s.chart) s.chart.update(xs, ys);
    });
  };

  const renderPager = (next) => {
    clear(pager,
      h('button', { type: 'button', text: '← Previous', disabled: page === 0, onclick: () => { page--; refresh(); } }),
      h('span', { class: 'muted', text: `Page ${page + 1}` }),
      h('button', { type: 'button', text: 'Next →', disabled: !next, onclick: () => {
        cursors[page + 1] = next; page++; refresh();
      } }));
  };

  const refresh = async () => {
    const [sum, list] = await Promise.all([
      api('GET', '/api/streams/summary', { signal }),
      api('GET', '/api/streams', { signal, query: { ...filters, limit: 25, cursor: cursors[page] } }),
    ]);
    const metrics = await Promise.all(list.data.map((r) =>
      api('GET', `/api/streams/${r.id}/metrics`, { signal, query: { window: '1m' } })
        .then((x) => x.data.attributes).catch(() => null)));
    renderSummary(sum.data.attributes);
    renderRows(list.data, metrics);
    renderPager(list.meta.page.cursor);
    status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  every(LIST_REFRESH_MS, () => refresh().catch((e) => {
    if (e.name !== 'AbortError') { status.textContent = ''; status.append(errorBox(e)); }
  }), signal);
}

// ---------------------------------------------------------------- one stream

function snapshotProgress(m) {
  // The API's metrics.snapshot: per table, rows read, the server's estimate
  // (null when unknown) and whether the table is done.
  const tables = (m && m.snapshot && m.snapshot.tables) || [];
  if (!tables.length) return null;
  return h('section', { class: 'panel' }, h('h2', { text: 'Snapshot' }),
    tables.map((t) => {
      const id = `snap-${t.table}`;
      const total = t.done ? t.rows_done : t.rows_total;
      const text = `${t.table}: ${fmtNum(t.rows_done)}${total != null ? ' of ' + fmtNum(total) : ''} rows` +
        (t.done ? ', done' : '');
      // Without an estimate the bar is indeterminate until the table is done.
      const bar = total != null
        ? h('progress', { id, max: Math.max(total, 1), value: Math.min(t.rows_done, total) })
        : h('progress', { id });
      return h('div', { class: 'snap' }, h('label', { for: id, text }), bar);
    }));
}

export async function streamDetail(main, ctx, id, signal) {
  let windowName = '1m';
  let stream = null;
  let deleted = false;
  let stopPolling = () => {};
  const types = new Map((await ctx.plugins()).flatMap((p) => p.attributes.source_types.map((t) => [t.name, t])));
  const canWrite = ctx.can('streams:write');
  let pipelineName = null;
  const title = h('h1', {});
  const chipEl = h('span', { id: 'stream-status' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const message = h('div', { 'aria-live': 'polite' });
  const facts = h('dl', { class: 'facts' });
  const extras = h('div', {});
  const chartsEl = h('div', { class: 'charts' });
  const switcher = h('div', { class: 'switcher', role: 'group', 'aria-label': 'Window' });
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dlg-title' });

  clear(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/streams', text: '← Streams' })),
    h('div', { class: 'head title-row' }, title, chipEl),
    readOnlyNote(ctx, 'streams:write'),
    actions, message,
    h('section', { class: 'panel' }, h('div', { class: 'panel-head' }, h('h2', { text: 'Throughput' }), switcher), chartsEl),
    h('section', { class: 'panel' }, h('h2', { text: 'State' }), facts),
    extras, dialog);

  const charts = {
    events: timeChart(chartsEl.appendChild(h('div', { class: 'chart', id: 'chart-events' })), 'Events/s', 'events/s'),
    bytes: timeChart(chartsEl.appendChild(h('div', { class: 'chart', id: 'chart-bytes' })), 'Bytes/s', 'bytes/s', '#0d9488'),
    errors: timeChart(chartsEl.appendChild(h('div', { class: 'chart', id: 'chart-errors' })), 'Errors', 'errors', '#dc2626', { integer: true }),
    lag: timeChart(chartsEl.appendChild(h('div', { class: 'chart', id: 'chart-lag' })), 'Lag (sampled while this page is open)', 'seconds', '#9333ea'),
  };
  const lagNote = h('p', { class: 'chart-note muted', hidden: true });
  charts.lag.plot.root.parentNode.append(lagNote);
  signal.addEventListener('abort', () => Object.values(charts).forEach((c) => c.destroy()));
  // The API reports lag as a gauge; its history is what this page has seen.
  const lagHistory = { xs: [], ys: [] };

  const setWindow = (w) => { windowName = w; lagHistory.xs = []; lagHistory.ys = []; renderSwitcher(); refresh(); };
  const renderSwitcher = () => clear(switcher, WINDOWS.map((w) => h('button', {
    type: 'button', class: 'seg', 'aria-pressed': String(w === windowName), text: w, onclick: () => setWindow(w),
  })));
  renderSwitcher();

  const act = async (verb) => {
    clear(message);
    try {
      const r = await api('POST', `/api/streams/${id}/${verb}`, { signal });
      stream = r.data;
      render(null);
    } catch (e) { clear(message, errorBox(e)); }
  };

  const askDelete = () => {
    const body = h('div', {});
    const confirm = h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: () => doDelete(false) });
    const cancel = h('button', { type: 'button', text: 'Cancel', onclick: () => dialog.close() });
    const doDelete = async (force) => {
      confirm.disabled = true;
      try {
        const r = await api('DELETE', `/api/streams/${id}`, { query: force ? { force: 'true' } : {} });
        deleted = true;
        stopPolling();
        const t = (r.meta && r.meta.teardown) || { released: [], errors: [] };
        clear(body,
          h('p', { text: `Stream ${r.data.attributes.name} deleted${t.forced ? ' (forced)' : ''}.` }),
          h('h3', { text: 'Teardown report' }),
          h('p', { text: 'Released:' }), h('ul', { class: 'teardown' },
            (t.released.length ? t.released : ['nothing to release']).map((x) => h('li', { text: x }))),
          t.errors && t.errors.length ? [h('p', { text: 'Errors let through:' }),
            h('ul', { class: 'teardown' }, t.errors.map((x) => h('li', { text: x })))] : null);
        clear(buttons, h('button', { type: 'button', class: 'primary', text: 'Back to streams', onclick: () => { dialog.close(); go('#/streams'); } }));
        buttons.firstChild.focus();
      } catch (e) {
        confirm.disabled = false;
        clear(body, errorBox(e));
        if (e.status === 409 && !force) {
          body.append(h('p', { text: 'The teardown failed. Deleting with force removes the stream anyway and reports what could not be released.' }));
          clear(buttons, cancel, h('button', { type: 'button', class: 'danger', text: 'Delete with force', onclick: () => doDelete(true) }));
        }
      }
    };
    const buttons = h('div', { class: 'buttons' }, cancel, confirm);
    clear(body, h('p', { text: `Delete ${stream.attributes.name}? It is stopped and committed first, then the source's resources (slots, consumer groups, ingest URL) are released.` }));
    clear(dialog, h('h2', { id: 'dlg-title', text: 'Delete stream' }), body, buttons);
    dialog.showModal();
    cancel.focus();
  };

  const render = (metrics) => {
    const a = stream.attributes;
    const type = types.get(a.source_type);
    title.textContent = a.name;
    clear(chipEl, chip(a.status));
    const st = a.status;
    const can = {
      start: ['created', 'stopped', 'error'].includes(st),
      stop: ['starting', 'running', 'paused', 'error'].includes(st),
      pause: st === 'running' && !!(type && type.capabilities.pause),
      resume: st === 'paused',
    };
    const focused = document.activeElement && document.activeElement.dataset && document.activeElement.dataset.verb;
    clear(actions,
      ['start', 'stop', 'pause', 'resume'].map((v) => h('button', {
        type: 'button', dataset: { verb: v }, text: v[0].toUpperCase() + v.slice(1), disabled: !canWrite || !can[v],
        title: !canWrite ? 'needs the streams:write scope' : undefined, onclick: () => act(v),
      })),
      h('button', { type: 'button', class: 'danger', dataset: { verb: 'delete' }, text: 'Delete', disabled: !canWrite,
        title: !canWrite ? 'needs the streams:write scope' : undefined, onclick: askDelete }));
    if (focused) { const b = actions.querySelector(`[data-verb="${focused}"]`); if (b && !b.disabled) b.focus(); }
    if (metrics) {
      const fact = (k, v) => [h('dt', { text: k }), h('dd', {}, v)];
      clear(facts,
        fact('Source type', a.source_type),
        fact('Pipeline', h('a', { href: `#/pipelines/${a.pipeline_id}`, text: pipelineName || a.pipeline_id })),
        a.connection_id ? fact('Connection', a.connection_id) : null,
        fact('Committed offset', h('code', { id: 'committed-offset', text: a.committed_offset ?? '—' })),
        fact(`Events (${windowName})`, `${fmtNum(metrics.events)} · ${fmtBytes(metrics.bytes)}`),
        fact('Lag', fmtLag(metrics.consumer_lag)),
        fact('Last event', fmtTime(metrics.last_event_at)),
        fact('Started', fmtTime(a.started_at)),
        fact('Last error', h('span', { class: a.last_error ? 'err' : 'muted', text: a.last_error || 'none' })));
      clear(extras,
        a.ingest_url ? h('section', { class: 'panel' }, h('h2', { text: 'Ingest URL' }),
          h('div', { class: 'copyline' }, h('code', { id: 'ingest-url', text: a.ingest_url }), copyButton(a.ingest_url))) : null,
        snapshotProgress(metrics),
        h('section', { class: 'panel' }, h('h2', { text: 'Config' }),
          h('p', { class: 'muted small', text: 'Secret values are shown as ***.' }), pretty(a.config)));
    }
  };

  const refresh = async () => {
    if (deleted) return;
    const [s, m] = await Promise.all([
      api('GET', `/api/streams/${id}`, { signal }),
      api('GET', `/api/streams/${id}/metrics`, { signal, query: { window: windowName } }),
    ]);
    stream = s.data;
    if (pipelineName === null) {
      pipelineName = await api('GET', `/api/pipelines/${stream.attributes.pipeline_id}`, { signal })
        .then((p) => p.data.attributes.name).catch(() => '');
    }
    const ma = m.data.attributes;
    charts.events.update(...seriesXY(ma, 'events', true));
    charts.bytes.update(...seriesXY(ma, 'bytes', true));
    charts.errors.update(...seriesXY(ma, 'errors', false));
    // Seconds where the source can tell, else records; neither: say so.
    const cl = ma.consumer_lag || {};
    const lagUnit = cl.seconds !== null && cl.seconds !== undefined ? 'seconds'
      : cl.records !== null && cl.records !== undefined ? 'records' : null;
    lagHistory.xs.push(Date.now() / 1000);
    lagHistory.ys.push(lagUnit ? cl[lagUnit] : null);
    if (lagHistory.xs.length > 300) { lagHistory.xs.shift(); lagHistory.ys.shift(); }
    const anyLag = lagHistory.ys.some((y) => y !== null);
    charts.lag.plot.root.hidden = !anyLag;
    lagNote.hidden = anyLag;
    lagNote.textContent = `Lag: ${stream.attributes.source_type} does not report how far behind its source it is.`;
    if (anyLag) charts.lag.update(lagHistory.xs.slice(), lagHistory.ys.slice(), lagUnit || 'lag');
    render(ma);
  };
  stopPolling = every(STREAM_REFRESH_MS, () => refresh().catch((e) => {
    if (e.name === 'AbortError' || deleted) return;
    if (e.status === 404) {
      stopPolling();
      clear(main, errorBox(`Stream ${id} does not exist (any more).`), h('a', { href: '#/streams', text: 'Back to streams' }));
      return;
    }
    clear(message, errorBox(e));
  }), signal);
}

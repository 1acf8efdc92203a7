// A new stream: the form is generated from GET /api/plugins (each source
// type's config keys, types, defaults, help and required marks); a 400's
// `field` is shown next to the input it names.
import { api, ApiError } from './api.js';
import { h, clear, errorBox, go } from './ui.js';

/// Servers before the fix sent scalar defaults as their JSON text ("1000").
function normalize(key) {
  let d = key.default;
  if (typeof d === 'string' && (key.type !== 'string' || d.startsWith('"'))) {
    try { d = JSON.parse(d); } catch { /* keep the text */ }
  }
  return { ...key, default: d };
}

function inputFor(key, id) {
  const common = { id, name: key.name, 'aria-describedby': `${id}-help ${id}-err`, required: key.required };
  const def = key.default;
  switch (key.type) {
    case 'bool':
      return h('input', { ...common, type: 'checkbox', checked: def === true, required: false });
    case 'int':
      return h('input', { ...common, type: 'number', step: '1', inputmode: 'numeric', placeholder: def ?? '' });
    case 'double':
      return h('input', { ...common, type: 'number', step: 'any', placeholder: def ?? '' });
    case 'string':
      return h('input', { ...common, type: key.secret ? 'password' : 'text', autocomplete: 'off', placeholder: def ?? '' });
    default:  // array, object, any: JSON text
      return h('textarea', { ...common, rows: 3, spellcheck: 'false',
        placeholder: def === null || def === undefined ? `JSON ${key.type}` : JSON.stringify(def) });
  }
}

/// The value a field contributes, or undefined to leave the plugin's default.
function valueOf(key, el) {
  if (key.type === 'bool') {
    return el.checked === (key.default === true) ? undefined : el.checked;
  }
  const v = el.value.trim();
  if (v === '') return undefined;
  if (key.type === 'int' || key.type === 'double') return Number(v);
  if (key.type === 'string') return el.value;
  try { return JSON.parse(v); } catch {
    throw new ApiError(400, { error: { message: `not valid JSON: ${v.slice(0, 40)}`, field: `config.${key.name}` } });
  }
}

function field(label, control, help, required) {
  const id = control.id;
  return h('div', { class: 'field', dataset: { field: control.name } },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null,
      required ? h('span', { class: 'sr', text: ' (required)' }) : null),
    control,
    h('p', { class: 'help', id: `${id}-help`, text: help || '' }),
    h('p', { class: 'field-error', id: `${id}-err`, role: 'alert' }));
}

export async function createStream(main, ctx) {
  const [plugins, pipelines, connections] = await Promise.all([
    ctx.plugins(),
    api('GET', '/api/pipelines', { query: { limit: 500 } }),
    api('GET', '/api/connections', { query: { limit: 500 } }).catch(() => ({ data: [] })),
  ]);
  const types = plugins.flatMap((p) => p.attributes.source_types.map((t) => ({ ...t, plugin: p.attributes.name })));
  const formError = h('div', { 'aria-live': 'assertive' });
  const typeSel = h('select', { id: 'f-sourceType', name: 'sourceType', required: true },
    types.map((t) => h('option', { value: t.name, text: `${t.name} — ${t.description || t.plugin}` })));
  const name = h('input', { id: 'f-name', name: 'name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9_.\\-]{1,128}',
    'aria-describedby': 'f-name-help f-name-err' });
  const pipeSel = h('select', { id: 'f-pipelineId', name: 'pipelineId', required: true, 'aria-describedby': 'f-pipelineId-help f-pipelineId-err' },
    pipelines.data.map((p) => h('option', { value: p.id, text: `${p.attributes.name} (${p.id})` })));
  const connWrap = h('div', {});
  const configWrap = h('fieldset', { class: 'config' });
  let connSel = null;
  let controls = [];

  const renderType = () => {
    const t = types.find((x) => x.name === typeSel.value);
    connSel = null;
    clear(connWrap);
    if (t.connection_type || t.capabilities.needs_connection) {
      const matching = connections.data.filter((c) => !t.connection_type || c.attributes.type === t.connection_type);
      connSel = h('select', { id: 'f-connectionId', name: 'connectionId', required: !!t.capabilities.needs_connection,
        'aria-describedby': 'f-connectionId-help f-connectionId-err' },
      h('option', { value: '', text: matching.length ? '— choose —' : `no ${t.connection_type} connection yet` }),
      matching.map((c) => h('option', { value: c.id, text: `${c.attributes.name} (${c.attributes.type})` })));
      connWrap.append(field('Connection', connSel, `A connection of type ${t.connection_type}.`, !!t.capabilities.needs_connection));
    }
    controls = t.config_keys.map(normalize).map((k) => ({ key: k, el: inputFor(k, `f-config-${k.name}`) }));
    clear(configWrap, h('legend', { text: `${t.name} settings` }),
      controls.length ? null : h('p', { class: 'muted', text: 'This source type has no settings.' }),
      controls.map(({ key, el }) => field(key.name, el,
        `${key.help || ''}${key.default !== null && key.default !== undefined ? ` Default: ${JSON.stringify(key.default)}.` : ''} (${key.type}${key.secret ? ', secret' : ''})`,
        key.required)));
  };
  typeSel.addEventListener('change', renderType);

  const clearErrors = () => {
    clear(formError);
    for (const el of main.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of main.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  };

  const showFieldError = (err) => {
    const f = err.field || '';
    let id = null;
    if (f === 'name') id = 'f-name';
    else if (f === 'sourceType' || f === 'source_type') id = 'f-sourceType';
    else if (f === 'pipelineId' || f === 'pipeline_id') id = 'f-pipelineId';
    else if (f === 'connectionId' || f === 'connection_id') id = 'f-connectionId';
    else if (f.startsWith('config.')) id = `f-config-${f.slice(7).split(/[.[]/)[0]}`;
    const el = id && document.getElementById(id);
    if (!el) { clear(formError, errorBox(err)); return; }
    el.setAttribute('aria-invalid', 'true');
    document.getElementById(`${id}-err`).textContent = err.message;
    el.focus();
  };

  const submit = async (ev) => {
    ev.preventDefault();
    clearErrors();
    const body = { name: name.value.trim(), sourceType: typeSel.value, pipelineId: pipeSel.value, config: {} };
    if (connSel && connSel.value) body.connectionId = connSel.value;
    try {
      for (const { key, el } of controls) {
        const v = valueOf(key, el);
        if (v !== undefined) body.config[key.name] = v;
      }
      const r = await api('POST', '/api/streams', { body });
      go(`#/streams/${r.data.id}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 400) showFieldError(e);
      else clear(formError, errorBox(e));
    }
  };

  clear(main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/streams', text: '← Streams' })),
    h('h1', { text: 'New stream' }),
    pipelines.data.length ? null : h('p', { class: 'note', text: 'There is no pipeline yet: create one first (Pipelines).' }),
    h('form', { id: 'create-form', novalidate: true, onsubmit: submit },
      formError,
      field('Source type', typeSel, 'What the stream reads from (from the loaded plugins).', true),
      field('Name', name, '1–128 of A–Z, a–z, 0–9, _ . -', true),
      field('Pipeline', pipeSel, 'The durable log the records go to.', true),
      connWrap, configWrap,
      h('div', { class: 'buttons' },
        h('a', { class: 'button', href: '#/streams', text: 'Cancel' }),
        h('button', { type: 'submit', class: 'primary', text: 'Create stream' }))));
  renderType();
  name.focus();
}

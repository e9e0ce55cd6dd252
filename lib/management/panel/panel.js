// The control panel: a thin client of /v0/management. Values from the server
// are only ever inserted as text (never as HTML).
'use strict';

const API = '/v0/management';
const KEY_STORE = 'cliproxy-management-key';
let key = sessionStorage.getItem(KEY_STORE) || '';
let current = 'usage';
const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function toast(message, bad) {
  const t = $('toast');
  t.textContent = message;
  t.className = bad ? 'show bad' : 'show';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.className = ''), 3500);
}

async function api(method, path, body, raw) {
  const headers = { authorization: `Bearer ${key}` };
  let payload;
  if (body instanceof FormData) payload = body;
  else if (typeof body === 'string') { payload = body; headers['content-type'] = 'application/yaml'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['content-type'] = 'application/json'; }
  const res = await fetch(API + path, { method, headers, body: payload });
  if (res.status === 401 || res.status === 403) {
    const msg = (await res.json().catch(() => ({}))).error || 'not allowed';
    signOut(msg);
    throw new Error(msg);
  }
  if (raw) {
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res;
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error([data.error, data.message].filter(Boolean).join(': ') || `HTTP ${res.status}`);
  return data;
}

/** Run an action, report its outcome, refresh the current tab. */
async function act(message, fn) {
  try {
    await fn();
    if (message) toast(message);
  } catch (err) {
    toast(err.message, true);
  }
  await load(current);
}

function masked(s) {
  if (!s) return '';
  return s.length <= 8 ? '•'.repeat(s.length) : `${s.slice(0, 4)}…${s.slice(-4)}`;
}

// ---- sign in / out -------------------------------------------------------

function signOut(message) {
  key = '';
  sessionStorage.removeItem(KEY_STORE);
  for (const id of ['app', 'tabs', 'signout']) $(id).classList.add('hidden');
  $('login').classList.remove('hidden');
  const e = $('login-error');
  e.textContent = message || '';
  e.classList.toggle('hidden', !message);
}

async function signIn(candidate) {
  key = candidate;
  try {
    await api('GET', '/config');
  } catch (err) {
    return signOut(err.message === 'not allowed' ? 'sign-in refused' : err.message);
  }
  sessionStorage.setItem(KEY_STORE, key);
  $('login').classList.add('hidden');
  for (const id of ['app', 'tabs', 'signout']) $(id).classList.remove('hidden');
  show(current);
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($('login-key').value.trim());
});
$('signout').addEventListener('click', () => signOut());

// ---- tabs ----------------------------------------------------------------

function show(tab) {
  current = tab;
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
  for (const p of document.querySelectorAll('[data-panel]')) p.classList.toggle('hidden', p.dataset.panel !== tab);
  load(tab);
}
for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => show(b.dataset.tab));

async function load(tab) {
  try {
    await (LOADERS[tab] || (() => {}))();
  } catch (err) {
    toast(err.message, true);
  }
}

// ---- usage ---------------------------------------------------------------

async function loadUsage() {
  const [{ usage }, cfg] = await Promise.all([api('GET', '/usage'), api('GET', '/config')]);
  $('usage-off').classList.toggle('hidden', Boolean(cfg['usage-statistics-enabled']));
  const stats = [['Requests', usage.total_requests], ['Succeeded', usage.success_count], ['Failed', usage.failure_count], ['Tokens', usage.total_tokens]];
  $('usage-stats').replaceChildren(...stats.map(([k, v]) => h('div', { class: 'stat' }, h('span', { class: 'muted', text: k }), h('b', { text: Charts.shortNumber(v || 0) }))));
  const days = Object.keys(usage.requests_by_day || {}).sort();
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'));
  const models = {};
  for (const a of Object.values(usage.apis || {})) {
    for (const [m, s] of Object.entries(a.models || {})) {
      models[m] = models[m] || { requests: 0, tokens: 0 };
      models[m].requests += s.total_requests;
      models[m].tokens += s.total_tokens;
    }
  }
  const byModel = (f) => Object.entries(models).map(([m, s]) => [m, s[f]]).sort((a, b) => b[1] - a[1]).slice(0, 15);
  const chart = (title, svg) => h('div', { class: 'chart', 'data-chart': title }, h('h3', { text: title }), svg);
  $('usage-charts').replaceChildren(
    chart('Requests per day', Charts.columnChart(days.map((d) => [d.slice(5), usage.requests_by_day[d]]), { title: 'Requests per day' })),
    chart('Tokens per day', Charts.columnChart(days.map((d) => [d.slice(5), usage.tokens_by_day[d] || 0]), { title: 'Tokens per day', color: '#7c3aed' })),
    chart('Requests by hour of day', Charts.columnChart(hours.map((x) => [x, (usage.requests_by_hour || {})[x] || 0]), { title: 'Requests by hour' })),
    chart('Tokens by hour of day', Charts.columnChart(hours.map((x) => [x, (usage.tokens_by_hour || {})[x] || 0]), { title: 'Tokens by hour', color: '#7c3aed' })),
    chart('Requests per model', Charts.barList(byModel('requests'), { title: 'Requests per model' })),
    chart('Tokens per model', Charts.barList(byModel('tokens'), { title: 'Tokens per model', color: '#ea580c' })),
  );
}

// Export: the statistics as a JSON file (CLIProxyAPI's format); import merges one, skipping requests already counted.
$('usage-export').addEventListener('click', () =>
  act(null, async () => {
    const res = await api('GET', '/usage/export', undefined, true);
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: `usage-${new Date().toISOString().slice(0, 10)}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }),
);
$('usage-import').addEventListener('click', async () => {
  const file = $('usage-import-file').files[0];
  if (!file) return toast('Choose an exported usage .json file first', true);
  let body;
  try {
    body = JSON.parse(await file.text());
  } catch {
    return toast(`${file.name} is not JSON`, true);
  }
  act(null, async () => {
    const r = await api('POST', '/usage/import', body);
    toast(`Imported ${r.added} request(s), ${r.skipped} already counted`);
  }).then(() => ($('usage-import-file').value = ''));
});

// ---- settings ------------------------------------------------------------

const TOGGLES = [
  ['debug', '/debug', 'Debug logging'],
  ['logging-to-file', '/logging-to-file', 'Log to files under logs/'],
  ['usage-statistics-enabled', '/usage-statistics-enabled', 'Usage statistics'],
  ['request-log', '/request-log', 'Request log (one file per request)'],
  ['quota-exceeded.switch-project', '/quota-exceeded/switch-project', 'On quota errors, switch project'],
  ['quota-exceeded.switch-preview-model', '/quota-exceeded/switch-preview-model', 'On quota errors, switch to a preview model'],
  ['force-gpt-5-codex', '/force-gpt-5-codex', 'Force GPT-5 Codex'],
];

async function loadSettings() {
  const cfg = await api('GET', '/config');
  const get = (path) => path.split('.').reduce((o, k) => (o ? o[k] : undefined), cfg);
  const rows = TOGGLES.map(([k, path, label]) =>
    h('label', { class: 'row' }, h('input', { type: 'checkbox', checked: get(k), 'data-setting': k, onchange: (e) => act(`${label}: ${e.target.checked ? 'on' : 'off'}`, () => api('PUT', path, { value: e.target.checked })) }), label),
  );
  const retry = h('input', { type: 'number', min: 0, max: 100, value: cfg['request-retry'], 'data-setting': 'request-retry' });
  const proxy = h('input', { type: 'text', class: 'wide', value: cfg['proxy-url'] || '', placeholder: 'http://, https:// or socks5:// proxy for upstream requests', 'data-setting': 'proxy-url' });
  $('settings').replaceChildren(
    ...rows,
    h('div', { class: 'row' }, 'Retries on other credentials', retry, h('button', { onclick: () => act('Saved', () => api('PUT', '/request-retry', { value: Number(retry.value) })) }, 'Save')),
    h('div', { class: 'row' }, 'Proxy', proxy, h('button', { onclick: () => act('Saved', () => api('PUT', '/proxy-url', { value: proxy.value.trim() })) }, 'Save'), h('button', { onclick: () => act('Cleared', () => api('DELETE', '/proxy-url')) }, 'Clear')),
  );
}

// ---- client keys ---------------------------------------------------------

// An entry is a plain key (string) or {key, models, max-requests-per-minute}.
function keyEntry(key, models, rpm) {
  return models.length === 0 && !rpm ? key : { key, ...(models.length ? { models } : {}), ...(rpm ? { 'max-requests-per-minute': rpm } : {}) };
}

async function loadClientKeys() {
  const entries = (await api('GET', '/api-keys'))['api-keys'] || [];
  $('client-keys').replaceChildren(
    entries.length === 0 ? h('p', { class: 'muted', text: 'No client keys: any client may use the gateway.' }) : h('table', {}, h('tr', {}, h('th', { text: 'Key' }), h('th', { text: 'Models' }), h('th', { text: 'Per minute' }), h('th')),
      ...entries.map((e, i) => {
        const k = typeof e === 'string' ? e : e.key;
        const models = typeof e === 'string' ? [] : e.models || [];
        const rpm = typeof e === 'string' ? 0 : e['max-requests-per-minute'] || 0;
        return h('tr', { 'data-key-row': String(i) },
          h('td', {}, h('code', { text: masked(k), title: 'click to show', onclick: (ev) => (ev.target.textContent = ev.target.textContent === k ? masked(k) : k) })),
          h('td', { text: models.length ? models.join(', ') : 'all' }),
          h('td', { text: rpm ? String(rpm) : 'unlimited' }),
          h('td', {},
            h('button', { onclick: () => { const v = prompt('New value for this key', k); if (v && v.trim()) act('Key changed', () => api('PATCH', '/api-keys', { index: i, value: keyEntry(v.trim(), models, rpm) })); } }, 'Edit'), ' ',
            h('button', { onclick: () => {
              const m = prompt('Models this key may use (* globs, comma-separated; empty = all)', models.join(', '));
              if (m === null) return;
              const r = prompt('Requests per minute (0 = unlimited)', String(rpm));
              if (r === null) return;
              const list = m.split(',').map((x) => x.trim()).filter(Boolean);
              act('Key limits saved', () => api('PATCH', '/api-keys', { index: i, value: keyEntry(k, list, Number(r) || 0) }));
            } }, 'Limits'), ' ',
            h('button', { class: 'danger', onclick: () => confirm('Delete this client key?') && act('Key deleted', () => api('DELETE', `/api-keys?index=${i}`)) }, 'Delete')));
      })),
  );
}

$('add-client-key').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('new-client-key').value.trim();
  if (!v) return;
  $('new-client-key').value = '';
  act('Key added', () => api('PATCH', '/api-keys', { old: '\u0000', new: v }));
});

// ---- provider entries (shared by API keys and OpenAI-compatible providers) --

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);
const modelsToText = (models) => (models || []).map((m) => (m.alias && m.alias !== m.name ? `${m.name}=${m.alias}` : m.name)).join('\n');
const textToModels = (text) => lines(text).map((l) => { const [name, alias] = l.split('='); return { name: name.trim(), alias: (alias || '').trim() }; });
const headersToText = (hd) => Object.entries(hd || {}).map(([k, v]) => `${k}: ${v}`).join('\n');
const textToHeaders = (text) => Object.fromEntries(lines(text).map((l) => { const i = l.indexOf(':'); return [l.slice(0, i).trim(), l.slice(i + 1).trim()]; }).filter(([k]) => k));

function field(label, input) {
  return h('div', {}, h('label', { text: label }), input);
}

/** An entry editor; `save(value)` is called with the YAML-shaped value. */
function editor(kind, entry, save, cancel) {
  const compat = kind === 'openai-compatibility';
  const inputs = {
    name: h('input', { type: 'text', value: entry.name || '', 'data-field': 'name' }),
    key: h('input', { type: 'text', value: entry['api-key'] || '', 'data-field': 'api-key' }),
    base: h('input', { type: 'text', value: entry['base-url'] || '', 'data-field': 'base-url', placeholder: compat ? 'https://host/v1' : 'default upstream' }),
    proxy: h('input', { type: 'text', value: entry['proxy-url'] || '', 'data-field': 'proxy-url' }),
    keys: h('textarea', { 'data-field': 'api-key-entries', value: (entry['api-key-entries'] || []).map((e) => (e['proxy-url'] ? `${e['api-key']} ${e['proxy-url']}` : e['api-key'])).join('\n') }),
    models: h('textarea', { 'data-field': 'models', value: modelsToText(entry.models) }),
    headers: h('textarea', { 'data-field': 'headers', value: headersToText(entry.headers) }),
    priority: h('input', { type: 'number', step: '1', value: entry.priority ?? '', 'data-field': 'priority', placeholder: '0' }),
    excluded: h('textarea', { 'data-field': 'excluded-models', value: (entry['excluded-models'] || []).join('\n') }),
  };
  // A provider's key lines carry only key and proxy: other per-key settings (priority, excluded-models) are kept.
  const keyRest = (k) => { const { 'api-key': _k, 'proxy-url': _p, ...rest } = (entry['api-key-entries'] || []).find((e) => e['api-key'] === k) || {}; return rest; };
  const value = () => {
    const v = compat
      ? { name: inputs.name.value.trim(), 'base-url': inputs.base.value.trim(), 'api-key-entries': lines(inputs.keys.value).map((l) => { const [k, p] = l.split(/\s+/); return { 'api-key': k, ...(p ? { 'proxy-url': p } : {}), ...keyRest(k) }; }) }
      : { 'api-key': inputs.key.value.trim(), 'base-url': inputs.base.value.trim(), 'proxy-url': inputs.proxy.value.trim() };
    v.models = textToModels(inputs.models.value);
    v.headers = textToHeaders(inputs.headers.value);
    const priority = inputs.priority.value.trim();
    if (priority !== '') v.priority = Number(priority);
    const excluded = lines(inputs.excluded.value);
    if (excluded.length) v['excluded-models'] = excluded;
    return v;
  };
  return h('form', { class: 'editor', onsubmit: (e) => { e.preventDefault(); save(value()); } },
    compat ? [field('Name', inputs.name), field('Base URL', inputs.base), field('API keys (one per line, optionally followed by a proxy URL)', inputs.keys)]
      : [field('API key', inputs.key), field('Base URL', inputs.base), field('Proxy URL', inputs.proxy)],
    field('Models (one per line: upstream-name or upstream-name=alias; upstream-name(high)=alias also sets the reasoning level)', inputs.models),
    field('Priority (whole number, higher is preferred; empty = 0)', inputs.priority),
    field('Excluded models (one per line, * matches anything)', inputs.excluded),
    field('Extra headers (one per line: Name: value)', inputs.headers),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'), h('button', { type: 'button', onclick: cancel }, 'Cancel')));
}

async function loadEntries(kind) {
  const list = (await api('GET', `/${kind}`))[kind] || [];
  const box = $(kind);
  const compat = kind === 'openai-compatibility';
  const closeEditor = () => loadEntries(kind);
  const rows = list.map((e, i) => h('tr', { 'data-entry': String(i) },
    h('td', {}, compat ? h('b', { text: e.name }) : h('code', { text: masked(e['api-key']) })),
    h('td', { class: 'mono', text: e['base-url'] || '(default)' }),
    h('td', { text: compat ? `${(e['api-key-entries'] || []).length} key(s)` : e['proxy-url'] || '' }),
    h('td', { text: `${(e.models || []).length} model(s)${e['excluded-models'] ? `, ${e['excluded-models'].length} excluded` : ''}${e.priority ? `, priority ${e.priority}` : ''}` }),
    h('td', {},
      h('button', { onclick: () => box.append(editor(kind, e, (v) => act('Saved', () => api('PATCH', `/${kind}`, { index: i, value: v })), closeEditor)) }, 'Edit'), ' ',
      h('button', { class: 'danger', onclick: () => confirm('Delete this entry?') && act('Deleted', () => api('DELETE', `/${kind}?index=${i}`)) }, 'Delete'))));
  box.replaceChildren(
    list.length ? h('table', {}, h('tr', {}, ...[compat ? 'Name' : 'Key', 'Base URL', compat ? 'Keys' : 'Proxy', 'Models', ''].map((t) => h('th', { text: t }))), ...rows) : h('p', { class: 'muted', text: 'None configured.' }),
    h('div', { class: 'row' }, h('button', { 'data-add': kind, onclick: () => box.append(editor(kind, {}, (v) => act('Added', () => api('PUT', `/${kind}`, [...list, v])), closeEditor)) }, compat ? 'Add provider' : 'Add key')),
  );
}

// ---- token files -----------------------------------------------------------

async function loadFiles() {
  const files = (await api('GET', '/auth-files')).files || [];
  $('auth-files').replaceChildren(files.length === 0 ? h('p', { class: 'muted', text: 'No token files.' }) : h('table', {},
    h('tr', {}, ...['Name', 'Provider', 'Account', 'Status', 'Size', 'Modified', ''].map((t) => h('th', { text: t }))),
    ...files.map((f) => h('tr', { 'data-file': f.name },
      h('td', { class: 'mono', text: f.name }), h('td', { text: f.provider || f.type || '' }), h('td', { text: f.email || f.account || '' }),
      h('td', {}, h('span', { class: `pill ${f.status === 'active' ? 'ok' : f.status === 'error' || f.unavailable ? 'bad' : ''}`, text: f.status || '', title: f.status_message || '' })),
      h('td', { text: f.size ? `${f.size} B` : '' }), h('td', { text: f.modtime ? new Date(f.modtime).toLocaleString() : '' }),
      h('td', {}, f.source === 'file' ? [h('button', { onclick: () => download(f.name) }, 'Download'), ' ', h('button', { class: 'danger', onclick: () => confirm(`Delete ${f.name}?`) && act('Deleted', () => api('DELETE', `/auth-files?name=${encodeURIComponent(f.name)}`)) }, 'Delete')] : h('span', { class: 'muted', text: 'in memory' }))))));
}

async function download(name) {
  try {
    const res = await api('GET', `/auth-files/download?name=${encodeURIComponent(name)}`, undefined, true);
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) {
    toast(err.message, true);
  }
}

$('upload').addEventListener('click', () => {
  const file = $('upload-file').files[0];
  if (!file) return toast('Choose a .json token file first', true);
  const form = new FormData();
  form.append('file', file, file.name);
  act(`Uploaded ${file.name}`, () => api('POST', '/auth-files', form)).then(() => ($('upload-file').value = ''));
});
$('delete-all-files').addEventListener('click', () => confirm('Delete every token file?') && act(null, async () => toast(`Deleted ${(await api('DELETE', '/auth-files?all=true')).deleted} file(s)`)));

// ---- logins ------------------------------------------------------------------

const PROVIDERS = [['anthropic', 'Claude'], ['codex', 'Codex'], ['gemini-cli', 'Gemini CLI'], ['qwen', 'Qwen'], ['iflow', 'iFlow']];
$('login-buttons').replaceChildren(...PROVIDERS.map(([p, label]) => h('button', { 'data-login': p, onclick: () => startLogin(p, label) }, `Sign in: ${label}`)));

async function startLogin(provider, label) {
  const project = $('gemini-project').value.trim();
  const q = provider === 'gemini-cli' && project ? `?is_webui=true&project_id=${encodeURIComponent(project)}` : '?is_webui=true';
  const line = h('p', {}, `${label}: starting…`);
  $('login-status').prepend(line);
  let started;
  try {
    started = await api('GET', `/${provider}-auth-url${q}`);
  } catch (err) {
    line.replaceChildren(h('span', { class: 'pill bad', text: `${label}: ${err.message}` }));
    return;
  }
  const state = h('span', { class: 'pill', text: 'waiting for sign-in' });
  line.replaceChildren(`${label}: `, h('a', { href: started.url, target: '_blank', rel: 'noopener noreferrer', text: 'open the sign-in page' }), ' ', state);
  window.open(started.url, '_blank', 'noopener');
  for (let i = 0; i < 300; i++) { // about 10 minutes
    await new Promise((r) => setTimeout(r, 2000));
    let s;
    try {
      s = await api('GET', `/get-auth-status?state=${encodeURIComponent(started.state)}`);
    } catch (err) {
      s = { status: 'error', error: err.message };
    }
    if (s.status === 'wait') continue;
    state.className = s.status === 'ok' ? 'pill ok' : 'pill bad';
    state.textContent = s.status === 'ok' ? 'signed in, token file saved' : s.error || 'failed';
    if (current === 'files') load('files');
    return;
  }
  state.textContent = 'gave up waiting';
}

// ---- logs and config.yaml ------------------------------------------------------

async function loadLogs() {
  try {
    const r = await api('GET', '/logs');
    $('logs').textContent = r.lines.join('\n');
    $('logs-note').textContent = `${r.lines.length} of ${r['line-count']} lines`;
    $('logs').scrollTop = $('logs').scrollHeight;
  } catch (err) {
    $('logs').textContent = '';
    $('logs-note').textContent = err.message;
  }
}
$('logs-refresh').addEventListener('click', () => load('logs'));
$('logs-clear').addEventListener('click', () => confirm('Clear the log files?') && act('Logs cleared', () => api('DELETE', '/logs')));

async function loadYaml() {
  $('yaml').value = await (await api('GET', '/config.yaml', undefined, true)).text();
}
$('yaml-reload').addEventListener('click', () => load('yaml'));
$('yaml-save').addEventListener('click', () => act('config.yaml saved', () => api('PUT', '/config.yaml', $('yaml').value)));

const LOADERS = {
  usage: loadUsage,
  settings: loadSettings,
  keys: loadClientKeys,
  providers: () => Promise.all(['gemini-api-key', 'claude-api-key', 'codex-api-key'].map(loadEntries)),
  compat: () => loadEntries('openai-compatibility'),
  files: loadFiles,
  logs: loadLogs,
  yaml: loadYaml,
};

if (key) signIn(key);

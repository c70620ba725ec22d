// Templates: the list, one version's steps as a graph, versions with a diff, create and edit as JSON
// with the server's validation errors shown by field.
import { html, useLoad, useNow, Time, Loaded, Page, Empty, Action, go, href, routeQuery, withQuery } from '../ui.js';
import { get, del, query } from '../api.js';
import { JsonForm } from '../editor.js';
import { can } from '../session.js';
import { Graph } from '../graph.js';

export function Templates() {
  const now = useNow();
  const list = useLoad((signal) => get('/templates?limit=500', { signal }), []);
  return html`<${Page} title="Templates" actions=${can('operate') && html`<a class="button primary" href="#/templates/new">New template</a>`}>
    <${Loaded} state=${list}>${(page) => page.items.length === 0
      ? html`<${Empty}>No template yet. A template is a runbook: named steps with dependencies.
          ${can('operate') ? html` <a href="#/templates/new">Create the first one</a>.` : ' Ask an operator to create one.'}<//>`
      : html`<table class="list"><thead><tr><th>Name</th><th>Description</th><th>Steps</th><th>Version</th><th>Updated</th><th></th></tr></thead>
        <tbody>${page.items.map((t) => html`<tr><td><a href=${href('templates', t.name)}>${t.name}</a></td>
          <td class="wrap">${t.problem ? html`<span class="badge warn">not readable</span> ${t.problem}` : t.description || ''}</td>
          <td>${t.problem ? '?' : t.steps.length}</td><td>${t.version}</td>
          <td><${Time} at=${t.updatedAt} now=${now} /> <span class="muted">${t.updatedBy || ''}</span></td>
          <td>${can('operate') && html`<a href=${'#/start?template=' + encodeURIComponent(t.name)}>Start…</a>`}</td></tr>`)}</tbody></table>`}<//>
  </${Page}>`;
}

/** JSON with keys in a stable order, for reading and diffing. */
const pretty = (t) => {
  const { version, createdAt, updatedAt, updatedBy, problem, ...rest } = t;
  return JSON.stringify(rest, null, 2);
};

/** A line diff (longest common subsequence): [' '|'-'|'+', line]. */
export function diff(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  const n = x.length;
  const m = y.length;
  const table = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      table[i][j] = x[i] === y[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; }
    else if (table[i + 1][j] >= table[i][j + 1]) out.push(['-', x[i++]]);
    else out.push(['+', y[j++]]);
  }
  while (i < n) out.push(['-', x[i++]]);
  while (j < m) out.push(['+', y[j++]]);
  return out;
}

export function TemplatePage({ name }) {
  const q = routeQuery();
  const version = q.get('version');
  const against = q.get('diff');
  const latest = useLoad((signal) => get(`/templates/${encodeURIComponent(name)}`, { signal }), [name]);
  const shown = useLoad((signal) => get(`/templates/${encodeURIComponent(name)}` + query({ version }), { signal }), [name, version]);
  const other = useLoad((signal) => against ? get(`/templates/${encodeURIComponent(name)}` + query({ version: against }), { signal }) : Promise.resolve(null), [name, against]);
  const versions = latest.data ? Array.from({ length: latest.data.version }, (_, i) => latest.data.version - i) : [];
  return html`<${Page} title=${html`Template <code>${name}</code>`} actions=${can('operate') && html`
      <a class="button" href=${'#/start?template=' + encodeURIComponent(name)}>Start a run…</a>
      <a class="button" href=${href('templates', name, 'edit')}>Edit</a>
      <${Action} kind="danger" label="Delete" confirm=${'Delete every version of ' + name + '?'}
        run=${() => del(`/templates/${encodeURIComponent(name)}`).then(() => go('#/templates'))} />`}>
    <${Loaded} state=${shown}>${(t) => html`
      <div class="toolbar">
        <label>Version <select id="template-version" value=${String(t.version)} onChange=${(e) => go(withQuery({ version: e.currentTarget.value }))}>
          ${versions.map((v) => html`<option value=${String(v)}>${v}${v === versions[0] ? ' (latest)' : ''}</option>`)}</select></label>
        <label>Compare with <select id="template-diff" value=${against || ''} onChange=${(e) => go(withQuery({ diff: e.currentTarget.value }))}>
          <option value="">—</option>${versions.filter((v) => v !== t.version).map((v) => html`<option value=${String(v)}>version ${v}</option>`)}</select></label>
        <span class="muted">saved by ${t.updatedBy || '?'} <${Time} at=${t.updatedAt} /></span>
      </div>
      ${t.problem && html`<p class="error stale" role="alert">This version cannot be read: ${t.problem}.</p>`}
      ${t.description && html`<p>${t.description}</p>`}
      <h2>Steps</h2>
      <${Graph} steps=${t.steps} label="template steps" />
      ${t.params.length > 0 && html`<h2>Parameters</h2><table class="list"><thead><tr><th>Name</th><th>Required</th><th>Default</th><th>Choices / pattern</th><th>Secret</th></tr></thead>
        <tbody>${t.params.map((p) => html`<tr><td>${p.name}</td><td>${p.required ? 'yes' : ''}</td><td>${p.default ?? ''}</td>
          <td>${p.enum ? p.enum.join(', ') : p.pattern ? html`<code>${p.pattern}</code>` : ''}</td><td>${p.secret ? 'yes' : ''}</td></tr>`)}</tbody></table>`}
      ${against && other.data
        ? html`<h2>Changes from version ${against} to ${t.version}</h2><pre class="diff">${diff(pretty(other.data), pretty(t)).map(([k, l]) =>
            html`<div class=${k === '+' ? 'add' : k === '-' ? 'del' : ''}>${k} ${l}</div>`)}</pre>`
        : html`<h2>As JSON</h2><pre class="json">${pretty(t)}</pre>`}
    `}<//>
  </${Page}>`;
}

const EXAMPLE = {
  name: 'hello',
  description: 'says hello',
  params: [{ name: 'who', default: 'world' }],
  steps: [{ name: 'greet', kind: 'command', command: 'echo "hello $who"' }],
};

/** Create (name absent) or edit a template as JSON; the server's field errors are listed by field. */
export function TemplateEditor({ name }) {
  const current = useLoad((signal) => name ? get(`/templates/${encodeURIComponent(name)}`, { signal }) : Promise.resolve(EXAMPLE), [name]);
  return html`<${Page} title=${name ? html`Edit <code>${name}</code>` : 'New template'}>
    <${Loaded} state=${current}>${(t) => html`<${JsonForm} kind="templates" id="template" name=${name} initial=${pretty(t)} rows="22"
      label="Template as JSON (fields as in the API: name, description, params, onFailure, steps, notify)"
      saveLabel=${name ? 'Save as a new version' : 'Create template'} />`}<//>
  </${Page}>`;
}

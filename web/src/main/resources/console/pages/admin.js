// Admin: tokens (the secret is shown once, at creation) and the audit trail with filters.
import { html, useState, useLoad, useNow, Time, Exact, Loaded, Page, Empty, ErrorBox, Action, Pager, go, routeQuery, withQuery } from '../ui.js';
import { get, post, del, query } from '../api.js';

export function Tokens() {
  const now = useNow();
  const list = useLoad((signal) => get('/tokens', { signal }), []);
  const [name, setName] = useState('');
  const [roles, setRoles] = useState('viewer');
  const [created, setCreated] = useState(null);
  const [error, setError] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      const answer = await post('/tokens', { name, roles: roles.split(/[\s,]+/).filter(Boolean) });
      setCreated(answer);
      setName('');
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<${Page} title="Tokens" actions=${html`<a class="button" href="#/admin/audit">Audit trail</a>`}>
    <form class="form inline" id="token-form" onSubmit=${create}>
      <label>Name <input id="token-name" value=${name} onInput=${(e) => setName(e.currentTarget.value)} required /></label>
      <label>Roles <input id="token-roles" value=${roles} onInput=${(e) => setRoles(e.currentTarget.value)} placeholder="viewer, operator, approver, admin, qa" /></label>
      <button type="submit" class="primary">Create token</button>
    </form>
    <${ErrorBox} error=${error} />
    ${created && html`<div class="notice secret" role="status">Token <strong>${created.name}</strong> (${created.roles.join(', ')}):
      <code id="new-secret">${created.token}</code><br />Copy it now: it is shown only this once.
      <button type="button" onClick=${() => setCreated(null)}>I copied it</button></div>`}
    <${Loaded} state=${list}>${(page) => page.items.length === 0 ? html`<${Empty}>No token.<//>`
      : html`<table class="list"><thead><tr><th>Name</th><th>Roles</th><th>Created</th><th>Last used</th><th></th></tr></thead>
        <tbody>${page.items.map((t) => html`<tr><td>${t.name}</td><td>${t.roles.join(', ')}</td>
          <td><${Time} at=${t.createdAt} now=${now} /> <span class="muted">by ${t.createdBy || '?'}</span></td><td><${Time} at=${t.lastUsedAt} now=${now} /></td>
          <td><${Action} kind="danger" label="Revoke" confirm=${'Revoke token ' + t.name + '?'} run=${() => del('/tokens/' + encodeURIComponent(t.name)).then(list.reload)} /></td></tr>`)}</tbody></table>`}<//>
  </${Page}>`;
}

export function Audit() {
  const q = routeQuery();
  const kind = q.get('kind');
  const target = q.get('target');
  const limit = q.get('limit') || '100';
  const before = q.get('before');
  const list = useLoad((signal) => get('/audit' + query({ kind, target, limit, before }), { signal }), [kind, target, limit, before]);
  // A changed filter starts again from the newest record.
  const set = (k) => (e) => go(withQuery({ [k]: e.currentTarget.value, before: null }));
  return html`<${Page} title="Audit trail" actions=${html`<a class="button" href="#/admin/tokens">Tokens</a>`}>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Kind <input value=${kind || ''} onChange=${set('kind')} placeholder="template, job, run, approval, token" /></label>
      <label>Target <input value=${target || ''} onChange=${set('target')} placeholder="any" /></label>
      <label>Show <select value=${limit} onChange=${set('limit')}>${[...new Set(['50', '100', '500', limit])].sort((a, b) => a - b).map((n) => html`<option value=${n}>${n} a page</option>`)}</select></label>
    </form>
    <${Loaded} state=${list}>${(page) => html`${page.items.length === 0 ? html`<${Empty}>Nothing recorded matches${before ? ' before this point' : ''}.<//>`
      : html`<table class="list audit"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Detail</th></tr></thead>
        <tbody>${page.items.map((e) => html`<tr><td><${Exact} at=${e.at} /></td><td>${e.actor}</td><td>${e.action}</td>
          <td>${e.targetKind} <code>${e.target}</code></td><td class="wrap detail"><${Detail} value=${e.detail} /></td></tr>`)}</tbody></table>`}
      <${Pager} next=${page.next} before=${before} onPage=${(c) => go(withQuery({ before: c }))} />`}<//>
  </${Page}>`;
}

/** Flattens a detail object into [path, text] pairs: nested keys joined by dots, lists by commas. */
export function pairs(value, path = '') {
  if (value === null || value === undefined) return path ? [[path, '—']] : [];
  if (Array.isArray(value)) {
    return value.some((v) => v !== null && typeof v === 'object')
      ? value.flatMap((v, i) => pairs(v, `${path}[${i}]`))
      : [[path, value.map(String).join(', ')]];
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return path ? [[path, '—']] : [];
    return keys.flatMap((k) => pairs(value[k], path ? path + '.' + k : k));
  }
  return [[path, String(value)]];
}

/** An audit record's detail as readable "key: value" lines of text (a JSON text is read first). */
function Detail({ value }) {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (e) {
      return v;
    }
  }
  if (v === null || typeof v !== 'object') return String(v ?? '');
  return pairs(v).map(([k, text]) => html`<div class="kv"><span class="k">${k}</span>: ${text}</div>`);
}

import { html, useLoad, useNow, Time, Status, Loaded, Page, Empty, Pager, href, go, routeQuery, withQuery } from '../ui.js';
import { get, query } from '../api.js';
import { elapsed, duration } from '../format.js';
import { can } from '../session.js';

const STATUSES = ['QUEUED', 'RUNNING', 'WAITING_APPROVAL', 'CANCELING', 'SUCCEEDED', 'FAILED', 'CANCELED',
  'TIMED_OUT', 'ROLLING_BACK', 'ROLLED_BACK', 'ROLLBACK_FAILED'];

export function Runs() {
  const now = useNow(10000);
  const q = routeQuery();
  const filter = { template: q.get('template'), job: q.get('job'), status: q.get('status'), before: q.get('before') };
  const who = q.get('who') || '';
  const page = useLoad((signal) => get('/runs' + query({ ...filter, limit: 50 }), { signal }),
    [filter.template, filter.job, filter.status, filter.before]);
  const set = (k) => (e) => go(withQuery({ [k]: e.currentTarget.value, before: null }));
  return html`<${Page} title="Runs" actions=${can('operate') && html`<a class="button" href="#/start">Start a run…</a>`}>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Template <input name="template" value=${filter.template || ''} onChange=${set('template')} placeholder="any" /></label>
      <label>Job <input name="job" value=${filter.job || ''} onChange=${set('job')} placeholder="any" /></label>
      <label>Status <select name="status" value=${filter.status || ''} onChange=${set('status')}>
        <option value="">any</option>${STATUSES.map((s) => html`<option value=${s}>${s.toLowerCase().replace(/_/g, ' ')}</option>`)}</select></label>
      <label>Started by <input name="who" value=${who} onInput=${(e) => history.replaceState(null, '', withQuery({ who: e.currentTarget.value }))} onChange=${set('who')} placeholder="anyone (this page)" /></label>
    </form>
    <${Loaded} state=${page}>${(p) => {
      const items = who ? p.items.filter((r) => (r.triggeredBy || '').includes(who)) : p.items;
      return html`${items.length === 0
        ? html`<${Empty}>No run matches. Change the filters, or <a href="#/start">start a run</a>.<//>`
        : html`<table class="list runs stack"><thead><tr><th>Run</th><th>Template</th><th>Status</th><th>Job</th><th>By</th><th>Created</th><th>Took</th></tr></thead>
          <tbody>${items.map((r) => html`<tr>
            <td data-label="Run"><a href=${href('runs', r.id)}>#${r.id}</a></td>
            <td data-label="Template">${r.template} <span class="muted">v${r.templateVersion}</span></td>
            <td data-label="Status"><${Status} value=${r.status} /></td>
            <td data-label="Job">${r.job ? html`<a href=${href('jobs', r.job)}>${r.job}</a>` : html`<span class="muted">—</span>`}</td>
            <td data-label="By">${r.triggeredBy}</td>
            <td data-label="Created"><${Time} at=${r.createdAt} /></td>
            <td data-label="Took">${r.durationMs != null ? duration(r.durationMs) : r.startedAt ? elapsed(r.startedAt, r.finishedAt, now) : ''}</td></tr>`)}</tbody></table>`}
        <${Pager} next=${p.next} before=${filter.before} onPage=${(c) => go(withQuery({ before: c }))} />`;
    }}<//>
  </${Page}>`;
}

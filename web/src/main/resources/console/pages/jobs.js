// Jobs: schedule in words, next fires in the job's zone and the browser's, pause/resume, run now,
// edit as JSON, and the cron log with paging.
import { html, useState, useEffect, useLoad, useNow, Time, Exact, Status, Loaded, Page, Empty, Action, Pager, Deliveries, go, href, routeQuery, withQuery } from '../ui.js';
import { get, post, del, query, startRun } from '../api.js';
import { JsonForm } from '../editor.js';
import { can } from '../session.js';
import { scheduleWords, exact, browserZone, duration } from '../format.js';

const paused = (j) => j.paused === true || j.enabled === false;
const jobZone = (j) => (j.schedule && j.schedule.timezone) || 'UTC';

function PauseResume({ job, done }) {
  if (!can('operate')) return null;
  return paused(job)
    ? html`<${Action} id="resume-job" label="Resume" run=${() => post(`/jobs/${encodeURIComponent(job.name)}/resume`).then(done)} />`
    : html`<${Action} id="pause-job" label="Pause" run=${() => post(`/jobs/${encodeURIComponent(job.name)}/pause`).then(done)} />`;
}

/** The job's latest fire: when, and its run or what became of it (a fire that failed stands out). */
function LastFire({ fire, now }) {
  if (!fire) return html`<span class="muted">—</span>`;
  const run = fire.runId && (fire.outcome === 'started' || fire.outcome === 'queued')
    ? html` <a href=${href('runs', fire.runId)}>#${fire.runId}</a>` : '';
  return html`<${Time} at=${fire.scheduledAt} now=${now} /> ${run || html`<span title=${fire.reason || ''}><${Status} value=${fire.outcome} /></span>`}`;
}

export function Jobs() {
  const now = useNow();
  const list = useLoad((signal) => get('/jobs?limit=500', { signal }), []);
  return html`<${Page} title="Jobs" actions=${can('operate') && html`<a class="button primary" href="#/jobs/new">New job</a>`}>
    <${Loaded} state=${list}>${(page) => page.items.length === 0
      ? html`<${Empty}>No job yet. A job is a template with values and, optionally, a schedule.
          ${can('operate') ? html` <a href="#/jobs/new">Create one</a>.` : ''}<//>`
      : html`<table class="list"><thead><tr><th>Name</th><th>Template</th><th>Schedule</th><th>Last fire</th><th>Next fire</th><th>State</th><th></th></tr></thead>
        <tbody>${page.items.map((j) => html`<tr><td><a href=${href('jobs', j.name)}>${j.name}</a></td>
          <td><a href=${href('templates', j.template)}>${j.template}</a></td>
          <td>${scheduleWords(j.schedule)}</td>
          <td class="last-fire"><${LastFire} fire=${j.lastFire} now=${now} /></td>
          <td>${!paused(j) && j.nextFireTimes && j.nextFireTimes[0] ? html`<${Time} at=${j.nextFireTimes[0]} now=${now} />` : html`<span class="muted">—</span>`}</td>
          <td>${paused(j) ? html`<span class="badge warn">paused</span>` : html`<span class="badge ok">active</span>`}</td>
          <td><${PauseResume} job=${j} done=${list.reload} /></td></tr>`)}</tbody></table>`}<//>
  </${Page}>`;
}

/**
 * Run now; a forbid job with an active run answers 409 naming it: the person is asked whether to
 * start one anyway (force), as the API allows. Null when they said no.
 */
async function runNow(name) {
  const path = `/jobs/${encodeURIComponent(name)}/runs`;
  try {
    return await startRun(path);
  } catch (e) {
    // (A node of an earlier version says "conflict" and names "force" in its message.)
    const active = e.code === 'job_run_active' || (e.code === 'conflict' && /"force"/.test(e.message || ''));
    if (e.status !== 409 || !active) throw e;
    if (!window.confirm(e.message.replace(/;? ?send "force": true to start one anyway/, '') + '\n\nStart another run anyway?')) return null;
    return startRun(path, { force: true });
  }
}

export function JobPage({ name }) {
  const now = useNow();
  const before = routeQuery().get('before');
  const job = useLoad((signal) => get(`/jobs/${encodeURIComponent(name)}`, { signal }), [name]);
  const fires = useLoad((signal) => get(`/jobs/${encodeURIComponent(name)}/fires` + query({ before, limit: 20 }), { signal }), [name, before]);
  const deliveries = useLoad((signal) => get(`/jobs/${encodeURIComponent(name)}/deliveries` + query({ limit: 10 }), { signal }), [name]);
  const [started, setStarted] = useState(null);
  useEffect(() => {
    if (before) return undefined;
    const t = setInterval(() => { fires.reload(); job.reload(); deliveries.reload(); }, 5000);
    return () => clearInterval(t);
  }, [before]);
  return html`<${Page} title=${html`Job <code>${name}</code>`} actions=${job.data && can('operate') && html`
      <${PauseResume} job=${job.data} done=${() => { job.reload(); fires.reload(); }} />
      <${Action} id="run-now" label="Run now" run=${() => runNow(name).then((r) => r && setStarted(r))} />
      <a class="button" href=${href('jobs', name, 'edit')}>Edit</a>
      <${Action} kind="danger" label="Delete" confirm=${'Delete job ' + name + '?'} run=${() => del(`/jobs/${encodeURIComponent(name)}`).then(() => go('#/jobs'))} />`}>
    ${started && html`<p class="notice">Started <a href=${href('runs', started.id)}>run #${started.id}</a>.</p>`}
    <${Loaded} state=${job}>${(j) => html`
      <div class="run-summary">
        <div><span class="label">State</span> <span id="job-state">${paused(j) ? 'paused' : 'active'}</span></div>
        <div><span class="label">Template</span> <a href=${href('templates', j.template)}>${j.template}</a></div>
        <div><span class="label">Schedule</span> ${scheduleWords(j.schedule)}</div>
        <div><span class="label">Concurrency</span> ${j.concurrency} · misfire ${j.misfire}</div>
        <div><span class="label">Runs</span> <a href=${'#/runs?job=' + encodeURIComponent(j.name)}>history</a></div>
      </div>
      ${Object.keys(j.params || {}).length > 0 && html`<details class="params"><summary>Parameters</summary>
        <dl>${Object.entries(j.params).map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl></details>`}
      <h2>Next fires</h2>
      ${paused(j) ? html`<${Empty}>Paused: nothing fires until it is resumed.<//>` : (j.nextFireTimes || []).length === 0
        ? html`<${Empty}>This job has no schedule: it runs only on demand (Run now).<//>`
        : html`<table class="list"><thead><tr><th>In the job's zone (${jobZone(j)})</th><th>In your zone (${browserZone()})</th><th></th></tr></thead>
          <tbody>${j.nextFireTimes.map((at) => html`<tr><td>${exact(at, jobZone(j))}</td><td>${exact(at, browserZone())}</td><td><${Time} at=${at} now=${now} /></td></tr>`)}</tbody></table>`}`}<//>
    <h2>Cron log</h2>
    <${Loaded} state=${fires}>${(page) => html`${page.items.length === 0
      ? html`<${Empty}>No fire recorded yet${before ? ' before this point' : ''}.<//>`
      : html`<table class="list fires"><thead><tr><th>Scheduled</th><th>Fired</th><th>Lag</th><th>Outcome</th><th>Reason</th><th>Run</th><th>Node</th></tr></thead>
        <tbody>${page.items.map((f) => html`<tr><td><${Exact} at=${f.scheduledAt} /></td><td><${Time} at=${f.firedAt} now=${now} /></td>
          <td>${f.lagMs != null ? duration(f.lagMs) : ''}</td><td><${Status} value=${f.outcome} /></td><td class="wrap">${f.reason || ''}</td>
          <td>${f.runId ? html`<a href=${href('runs', f.runId)}>#${f.runId}</a>` : ''}</td><td>${f.node || ''}</td></tr>`)}</tbody></table>`}
      <${Pager} next=${page.next} before=${before} onPage=${(c) => go(withQuery({ before: c }))} />`}<//>
    ${((job.data && (job.data.notify || []).length > 0) || (deliveries.data && deliveries.data.items.length > 0)) && html`
      <h2>Webhook deliveries</h2>
      <p class="muted">The job's fire events (a fire that failed to start, was skipped or missed), the newest 10; its runs' are on each run.</p>
      <${Loaded} state=${deliveries}>${(page) => html`<${Deliveries} items=${page.items} now=${now}
        none="None sent: no fire of this job failed to start, was skipped or missed with a webhook of the job asking for it." />`}<//>`}
  </${Page}>`;
}

const EXAMPLE = {
  name: 'nightly-hello',
  template: 'hello',
  params: {},
  schedule: { cron: '0 30 3 * * ?', timezone: 'UTC' },
  concurrency: 'forbid',
  misfire: 'fire_once',
  enabled: true,
};

export function JobEditor({ name }) {
  const current = useLoad((signal) => name ? get(`/jobs/${encodeURIComponent(name)}`, { signal }) : Promise.resolve(EXAMPLE), [name]);
  return html`<${Page} title=${name ? html`Edit job <code>${name}</code>` : 'New job'}>
    <${Loaded} state=${current}>${(j) => {
      const { nextFireTimes, lastFire, revision, createdAt, updatedAt, paused: p, pausedBy, pausedAt, ...body } = j;
      return html`<${JsonForm} kind="jobs" id="job" name=${name} initial=${JSON.stringify(body, null, 2)} rows="16"
        label=${'Job as JSON: name, template, params, schedule ({"cron", "timezone"} | {"everySeconds"} | {"at"} | null), concurrency, misfire, enabled'}
        saveLabel=${name ? 'Save' : 'Create job'} />`;
    }}<//>
  </${Page}>`;
}

import { html, useEffect, useLoad, useNow, Time, Status, Loaded, Page, Empty, href } from '../ui.js';
import { get, query } from '../api.js';
import { can, session } from '../session.js';
import { elapsed, exact } from '../format.js';

const DAY = 24 * 3600 * 1000;
/** How often the overview reads what runs and waits again. */
const REFRESH_MS = 5000;
/** What counts as running now: a CANCELING run still has steps whose processes are being killed. */
const RUNNING_NOW = ['RUNNING', 'CANCELING', 'ROLLING_BACK', 'WAITING_APPROVAL', 'QUEUED'];

export function Overview() {
  const now = useNow(5000);
  const running = useLoad((signal) => Promise.all(RUNNING_NOW.map((status) =>
    get('/runs' + query({ status, limit: 50 }), { signal }).catch(() => ({ items: [] })))).then((pages) =>
    pages.flatMap((p) => p.items).sort((a, b) => b.id - a.id)), []);
  const approvals = useLoad((signal) => get('/approvals?status=pending&limit=20', { signal }), []);
  const failures = useLoad(async (signal) => {
    const since = Date.now() - DAY;
    const out = [];
    for (const status of ['FAILED', 'TIMED_OUT', 'ROLLED_BACK', 'ROLLBACK_FAILED']) {
      const page = await get('/runs' + query({ status, limit: 50 }), { signal });
      out.push(...page.items.filter((r) => new Date(r.createdAt).getTime() >= since));
    }
    return out.sort((a, b) => b.id - a.id);
  }, []);
  const jobs = useLoad((signal) => get('/jobs?limit=200', { signal }), []);
  // Jobs whose latest fire failed to start: a nightly job that did not run shows here beside the
  // runs that failed. (A missed fire may be one a pause held back on purpose: not listed.)
  const notStarted = jobs.data ? jobs.data.items.filter((j) => j.lastFire
    && j.lastFire.outcome === 'failed_to_start'
    && new Date(j.lastFire.scheduledAt).getTime() >= now - DAY) : [];
  const fires = jobs.data ? jobs.data.items.filter((j) => j.enabled !== false && !j.paused)
    .flatMap((j) => (j.nextFireTimes || []).slice(0, 1).map((at) => ({ job: j.name, at })))
    .sort((a, b) => new Date(a.at) - new Date(b.at)).slice(0, 10) : [];
  const nodes = useLoad((signal) => get('/nodes', { signal }), []);
  // What runs, waits and failed changes all the time: read again every few seconds (each keeps what
  // it showed until its new answer comes); the jobs (next fires, fires that started nothing), once
  // a minute: a page of 200 jobs costs the server more than the rest.
  useEffect(() => {
    const often = setInterval(() => { running.reload(); approvals.reload(); failures.reload(); nodes.reload(); }, REFRESH_MS);
    const seldom = setInterval(jobs.reload, 60000);
    return () => { clearInterval(often); clearInterval(seldom); };
  }, []);
  const me = session.get();
  return html`<${Page} title="Overview">
    <div class="cards">
      <section class="card" id="running"><h2>Running now</h2>
        <${Loaded} state=${running}>${(items) => items.length === 0
          ? html`<${Empty}>Nothing runs now. ${can('operate') && html`<a href="#/start">Start a run</a>.`}<//>`
          : html`<ul class="rows">${items.map((r) => html`<li><a href=${href('runs', r.id)}>#${r.id} ${r.template}</a>
            <${Status} value=${r.status} /> <span class="muted">${elapsed(r.startedAt || r.createdAt, null, now)}</span></li>`)}</ul>`}<//>
      </section>
      <section class="card"><h2>Waiting for ${can('approve') ? 'me' : 'a decision'}</h2>
        <${Loaded} state=${approvals}>${(page) => page.items.length === 0
          ? html`<${Empty}>No approval is waiting${can('approve') ? ' for ' + me.name : ''}.<//>`
          : html`<ul class="rows">${page.items.map((a) => html`<li><a href=${href('approvals', a.id)}>${a.step} of run #${a.runId}</a>
            <span class="muted wrap">${a.message}</span> <${Time} at=${a.requestedAt} now=${now} /></li>`)}</ul>`}<//>
      </section>
      <section class="card" id="failures"><h2>Failures, last 24 h</h2>
        <${Loaded} state=${failures}>${(items) => items.length === 0 && notStarted.length === 0
          ? html`<${Empty}>No run failed${jobs.data && !jobs.error && jobs.data.next == null ? ' and no job failed to start' : ''} in the last 24 hours.<//>`
          : html`<ul class="rows">${notStarted.map((j) => html`<li class="fire-failed"><a href=${href('jobs', j.name)}>job ${j.name}</a>
            <${Status} value=${j.lastFire.outcome} /> <span class="muted wrap">${j.lastFire.reason || ''}</span>
            <${Time} at=${j.lastFire.scheduledAt} now=${now} /></li>`)}${items.map((r) => html`<li><a href=${href('runs', r.id)}>#${r.id} ${r.template}</a>
            <${Status} value=${r.status} /> <${Time} at=${r.finishedAt || r.createdAt} now=${now} /></li>`)}</ul>`}<//>
      </section>
      <section class="card" id="nodes"><h2>Nodes</h2>
        <${Loaded} state=${nodes}>${(page) => html`<ul class="rows">${page.items.map((n) => html`<li>
            <strong>${n.name}</strong>${n.self ? html` <span class="muted">(this node${n.state !== 'serving' ? ', ' + n.state : ''})</span>`
              : n.state !== 'serving' && html` <span class="muted">(${n.state})</span>`}
            <span class="muted">${n.host}</span>
            <span>${n.runningSteps === 1 ? '1 step running' : n.runningSteps + ' steps running'}</span>
            <span class="muted">started <${Time} at=${n.startedAt} now=${now} /></span></li>`)}</ul>`}<//>
      </section>
      <section class="card"><h2>Next fires</h2>
        <${Loaded} state=${jobs}>${() => fires.length === 0
          ? html`<${Empty}>No job is scheduled. ${can('operate') && html`<a href="#/jobs/new">Create a job</a>.`}<//>`
          : html`<ul class="rows">${fires.map((f) => html`<li><a href=${href('jobs', f.job)}>${f.job}</a>
            <${Time} at=${f.at} now=${now} /> <span class="muted">${exact(f.at)}</span></li>`)}</ul>`}<//>
      </section>
    </div>
  </${Page}>`;
}

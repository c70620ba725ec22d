// One run: the steps as a live graph, the selected step's log tailed live, actions, rollback and
// webhook deliveries. Live data comes from the run's SSE stream, read with fetch.
import { html, useState, useEffect, useRef, useLoad, useNow, Time, Exact, Status, ErrorBox, Loaded,
  Page, Action, Empty, go, href, ACTIVE, routeQuery, withQuery } from '../ui.js';
import { get, post, query, stream } from '../api.js';
import { elapsed, duration } from '../format.js';
import { Graph } from '../graph.js';
import { LogView } from '../logview.js';
import { can } from '../session.js';

const MAX_LINES = 500000;

/** The run's lines, kept per step and in arrival order; grows while the stream delivers. */
function useLines(runId, onStatus) {
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(true);
  const [error, setError] = useState(null);
  const store = useRef(null);
  if (!store.current || store.current.runId !== runId) {
    store.current = { runId, all: [], byStep: {}, dropped: 0 };
  }
  useEffect(() => {
    const controller = new AbortController();
    let frame = 0;
    const bump = () => {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1); });
    };
    setLive(true);
    stream(`/runs/${runId}/logs/stream`, (type, data) => {
      const s = store.current;
      if (type === 'log') {
        if (s.all.length >= MAX_LINES) { s.dropped++; return; }
        s.all.push(data);
        (s.byStep[data.step] ||= []).push(data);
        bump();
      } else if (type === 'step' || type === 'run' || type === 'end') {
        onStatus(type);
      }
    }, controller.signal).then(
      () => { setLive(false); onStatus('end'); },
      (e) => { if (e.name !== 'AbortError') { setLive(false); setError(e); } }
    );
    return () => { controller.abort(); if (frame) cancelAnimationFrame(frame); };
  }, [runId]);
  return { store: store.current, version, live, error };
}

/** Reloads at most every 400 ms however many events arrive. */
function useThrottled(fn) {
  const timer = useRef(0);
  return () => {
    if (!timer.current) timer.current = setTimeout(() => { timer.current = 0; fn(); }, 400);
  };
}

export function RunPage({ id }) {
  const now = useNow(1000);
  const run = useLoad((signal) => get(`/runs/${id}`, { signal }), [id]);
  const refresh = useThrottled(run.reload);
  const lines = useLines(id, refresh);
  const r = run.data;
  const tpl = useLoad(
    (signal) => r ? get(`/templates/${encodeURIComponent(r.template)}` + query({ version: r.templateVersion }), { signal }).catch(() => null) : Promise.resolve(null),
    [r && r.template, r && r.templateVersion]
  );
  const selected = routeQuery().get('step');
  if (run.error && !r) return html`<${Page} title=${'Run ' + id}><${ErrorBox} error=${run.error} /></${Page}>`;
  if (!r) return html`<${Page} title=${'Run ' + id}><p class="muted">Loading…</p></${Page}>`;

  const steps = tpl.data && tpl.data.steps ? tpl.data.steps : r.steps.map((s) => ({ name: s.name, kind: s.kind }));
  const state = Object.fromEntries(r.steps.map((s) => [s.name, s]));
  const active = ACTIVE.includes(r.status);
  const retryable = ['FAILED', 'CANCELED', 'TIMED_OUT', 'ROLLED_BACK', 'ROLLBACK_FAILED'].includes(r.status);
  const shownLines = selected ? lines.store.byStep[selected] || [] : lines.store.all;
  const detail = (s, st) => {
    if (!st) return '';
    const d = st.startedAt ? elapsed(st.startedAt, st.finishedAt, now) : '';
    return [d, st.attempt > 1 ? 'attempt ' + st.attempt : '', st.node && r.steps.some((x) => x.node && x.node !== st.node) ? '@' + st.node : ''].filter(Boolean).join(' · ');
  };
  const select = (name) => go(withQuery({ step: name === selected ? null : name }));

  return html`<${Page} title=${html`Run ${r.id} <span class="sub">${r.template} v${r.templateVersion}</span>`}
    actions=${html`
      ${can('operate') && active && r.status !== 'CANCELING' && html`<${Action} id="cancel-run" kind="danger" label="Cancel run"
        confirm=${'Cancel run ' + r.id + '? Running steps are killed.'} run=${() => post(`/runs/${r.id}/cancel`).then(run.reload)} />`}
      ${can('operate') && retryable && html`<${Action} id="retry-run" label="Retry from failed"
        run=${() => post(`/runs/${r.id}/retry`).then((n) => go(href('runs', n.id)))} />`}
      ${can('operate') && html`<a class="button" href=${'#/start?template=' + encodeURIComponent(r.template)}>Start again…</a>`}`}>
    <div class="run-summary">
      <div><span class="label">Status</span> <span id="run-status" data-status=${r.status}><${Status} value=${r.status} /></span></div>
      <div><span class="label">Started by</span> ${r.triggeredBy} (${r.trigger})${r.job && html` · job <a href=${href('jobs', r.job)}>${r.job}</a>`}</div>
      <div><span class="label">Created</span> <${Time} at=${r.createdAt} now=${now} /></div>
      <div><span class="label">Duration</span> ${r.startedAt ? elapsed(r.startedAt, r.finishedAt, now) : '—'}</div>
      ${r.retryOf && html`<div><span class="label">Retry of</span> <a href=${href('runs', r.retryOf)}>run ${r.retryOf}</a></div>`}
      ${r.status === 'WAITING_APPROVAL' && html`<div><a href=${'#/approvals?run=' + r.id}>Waiting for approval →</a></div>`}
    </div>
    ${r.error && html`<div class="error" role="status"><strong>Run error: </strong>${r.error}</div>`}
    ${Object.keys(r.params || {}).length > 0 && html`<details class="params"><summary>Parameters</summary>
      <dl>${Object.entries(r.params).map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl></details>`}
    <h2>Steps</h2>
    <${Graph} steps=${steps} state=${state} detail=${detail} selected=${selected} onSelect=${select} />
    <${StepTable} run=${r} now=${now} selected=${selected} onSelect=${select} />
    <h2>Log ${selected ? html`of <code>${selected}</code>` : 'of all steps'}
      ${selected && html` <button type="button" class="link" onClick=${() => select(selected)}>show all steps</button>`}</h2>
    ${lines.error && html`<${ErrorBox} error=${lines.error} />`}
    <${LogView} runId=${r.id} step=${selected} lines=${shownLines} version=${lines.version + (selected || '')} live=${lines.live} />
    ${lines.store.dropped > 0 && html`<p class="muted">${lines.store.dropped} more lines are not shown here: use Download.</p>`}
    ${r.rollback && html`<h2>Rollback</h2><${Rollback} items=${r.rollback} now=${now} />`}
    <h2>Webhook deliveries</h2>
    ${(r.webhookDeliveries || []).length === 0
      ? html`<${Empty}>No webhook was sent for this run (the template and job declare none, or no event matched).<//>`
      : html`<table class="list"><thead><tr><th>When</th><th>Event</th><th>URL</th><th>Try</th><th>Result</th></tr></thead>
        <tbody>${r.webhookDeliveries.map((d) => html`<tr><td><${Time} at=${d.at} now=${now} /></td><td>${d.event}</td>
          <td class="wrap">${d.url}</td><td>${d.attempt}</td><td>${d.statusCode ? 'HTTP ' + d.statusCode : ''} ${d.error || ''}</td></tr>`)}</tbody></table>`}
  </${Page}>`;
}

function StepTable({ run, now, selected, onSelect }) {
  return html`<table class="list steps">
    <thead><tr><th>Step</th><th>Status</th><th>Attempt</th><th>Started</th><th>Took</th><th>Exit</th><th>Lines</th><th>Error</th></tr></thead>
    <tbody>${run.steps.map((s) => html`<tr class=${selected === s.name ? 'selected' : ''}>
      <td><button type="button" class="link" onClick=${() => onSelect(s.name)}>${s.name}</button></td>
      <td><${Status} value=${s.status} /></td>
      <td>${s.attempt}${s.attempts ? ' of ' + s.attempts.length : ''}${s.nextAttemptAt ? html` · next <${Time} at=${s.nextAttemptAt} now=${now} />` : ''}</td>
      <td><${Time} at=${s.startedAt} now=${now} /></td>
      <td>${s.durationMs != null ? duration(s.durationMs) : s.startedAt ? elapsed(s.startedAt, s.finishedAt, now) : ''}</td>
      <td>${s.exitCode ?? ''}</td>
      <td>${s.lines ?? ''}${s.linesDropped ? ' (+' + s.linesDropped + ' dropped)' : ''}</td>
      <td class="wrap">${s.error || ''}</td></tr>`)}</tbody></table>`;
}

function Rollback({ items, now }) {
  return html`<ol class="rollback">${items.map((s) => html`<li data-step=${s.name}>
    <code>${s.name}</code> <${Status} value=${s.status} /> <${Time} at=${s.finishedAt || s.startedAt} now=${now} />
    ${s.error ? html` <span class="muted">${s.error}</span>` : ''}</li>`)}</ol>`;
}

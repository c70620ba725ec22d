// One run: the steps as a live graph, the selected step's log tailed live, actions, rollback and
// webhook deliveries. Live data comes from the run's SSE stream, read with fetch.
import { html, useState, useEffect, useRef, useLoad, useNow, Time, Exact, Status, ErrorBox, Loaded, Stale,
  Page, Action, Deliveries, go, href, ACTIVE, routeQuery, withQuery } from '../ui.js';
import { get, post, startRun } from '../api.js';
import { elapsed, duration } from '../format.js';
import { Graph } from '../graph.js';
import { LogView } from '../logview.js';
import { useRunLog } from '../logsource.js';
import { can } from '../session.js';

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
  const selected = routeQuery().get('step');
  const log = useRunLog(id, selected, refresh);
  const r = run.data;
  if (run.error && !r) return html`<${Page} title=${'Run ' + id}><${ErrorBox} error=${run.error} /></${Page}>`;
  if (!r) return html`<${Page} title=${'Run ' + id}><p class="muted">Loading…</p></${Page}>`;

  // The graph of the version the run was started with (its steps carry their needs), even when the
  // template has changed or is gone since.
  const steps = r.steps.map((s) => ({ name: s.name, kind: s.kind, needs: s.needs }));
  const state = Object.fromEntries(r.steps.map((s) => [s.name, s]));
  const active = ACTIVE.includes(r.status);
  const retryable = ['FAILED', 'CANCELED', 'TIMED_OUT', 'ROLLED_BACK', 'ROLLBACK_FAILED'].includes(r.status);
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
        run=${() => startRun(`/runs/${r.id}/retry`).then((n) => go(href('runs', n.id)))} />`}
      ${can('operate') && html`<a class="button" href=${'#/start?template=' + encodeURIComponent(r.template)}>Start again…</a>`}`}>
    <div class="run-summary">
      <div><span class="label">Status</span> <span id="run-status" data-status=${r.status}><${Status} value=${r.status} /></span></div>
      <div><span class="label">Started by</span> ${r.triggeredBy} (${r.trigger})${r.job && html` · job <a href=${href('jobs', r.job)}>${r.job}</a>`}</div>
      <div><span class="label">Created</span> <${Time} at=${r.createdAt} now=${now} /></div>
      <div><span class="label">Duration</span> ${r.startedAt ? elapsed(r.startedAt, r.finishedAt, now) : '—'}</div>
      ${r.retryOf && html`<div><span class="label">Retry of</span> <a href=${href('runs', r.retryOf)}>run ${r.retryOf}</a></div>`}
      ${r.status === 'WAITING_APPROVAL' && html`<div><a href=${'#/approvals?run=' + r.id}>Waiting for approval →</a></div>`}
    </div>
    <${Stale} state=${run} />
    ${r.error && html`<div class="error" role="status"><strong>Run error: </strong>${r.error}</div>`}
    ${Object.keys(r.params || {}).length > 0 && html`<details class="params"><summary>Parameters</summary>
      <dl>${Object.entries(r.params).map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl></details>`}
    <h2>Steps</h2>
    <${Graph} steps=${steps} state=${state} detail=${detail} selected=${selected} onSelect=${select} />
    <${StepTable} run=${r} now=${now} selected=${selected} onSelect=${select} counts=${log.counts} />
    <h2>Log ${selected ? html`of <code>${selected}</code>` : 'of all steps'}
      ${selected && html` <button type="button" class="link" onClick=${() => select(selected)}>show all steps</button>`}</h2>
    ${log.error && html`<${ErrorBox} error=${log.error} />`}
    <${LogView} runId=${r.id} step=${selected} log=${log} total=${storedLines(r, selected)} />
    ${log.dropped > 0 && html`<p class="muted">${log.dropped} more lines are not shown here: use Download.</p>`}
    ${r.rollback && html`<h2>Rollback</h2><${Rollback} items=${r.rollback} now=${now} />`}
    <h2>Webhook deliveries</h2>
    <${Deliveries} items=${r.webhookDeliveries} now=${now}
      none="No webhook was sent for this run (the template and job declare none, or no event matched)." />
  </${Page}>`;
}

/** How many lines the run (or one step, every attempt) stored, once it has ended; else null. */
function storedLines(run, step) {
  if (ACTIVE.includes(run.status)) return null;
  const rows = run.steps.flatMap((s) => s.attempts || [s]).concat(run.rollback || []);
  return rows.filter((s) => !step || s.name === step).reduce((n, s) => n + (s.lines || 0), 0);
}

/**
 * A step's lines: as stored once its attempt ended; while it runs, as many as the page has seen;
 * none yet while it waits to start.
 */
function lines(step, counts) {
  if (step.status === 'PENDING') return '';
  if (step.status !== 'RUNNING') return step.lines == null ? '' : step.lines.toLocaleString();
  const seen = counts[step.name];
  return seen && seen.attempt === step.attempt ? seen.seq.toLocaleString() : '';
}

function StepTable({ run, now, selected, onSelect, counts }) {
  return html`<table class="list steps stack">
    <thead><tr><th>Step</th><th>Status</th><th>Attempt</th><th>Started</th><th>Took</th><th>Exit</th><th>Lines</th><th>Error</th></tr></thead>
    <tbody>${run.steps.map((s) => html`<tr class=${selected === s.name ? 'selected' : ''}>
      <td data-label="Step"><button type="button" class="link" onClick=${() => onSelect(s.name)}>${s.name}</button></td>
      <td data-label="Status"><${Status} value=${s.status} /></td>
      <td data-label="Attempt">${s.attempt}${s.attempts ? ' of ' + s.attempts.length : ''}${s.nextAttemptAt ? html` · next <${Time} at=${s.nextAttemptAt} />` : ''}</td>
      <td data-label="Started"><${Time} at=${s.startedAt} /></td>
      <td data-label="Took">${s.durationMs != null ? duration(s.durationMs) : s.startedAt ? elapsed(s.startedAt, s.finishedAt, now) : ''}</td>
      <td data-label="Exit">${s.exitCode ?? ''}</td>
      <td data-label="Lines">${lines(s, counts)}${s.linesDropped ? ' (+' + s.linesDropped + ' dropped)' : ''}</td>
      <td data-label="Error" class="wrap">${s.error || ''}</td></tr>`)}</tbody></table>`;
}

function Rollback({ items, now }) {
  return html`<ol class="rollback">${items.map((s) => html`<li data-step=${s.name}>
    <code>${s.name}</code> <${Status} value=${s.status} /> <${Time} at=${s.finishedAt || s.startedAt} now=${now} />
    ${s.error ? html` <span class="muted">${s.error}</span>` : ''}</li>`)}</ol>`;
}

// Approvals: the inbox of what I may decide, the detail, approve and deny with a comment.
import { html, useState, useLoad, useNow, Time, Status, Loaded, Page, Empty, ErrorBox, Pager, go, href, routeQuery, withQuery } from '../ui.js';
import { get, post, query } from '../api.js';
import { can } from '../session.js';
import { Graph } from '../graph.js';

export function Approvals() {
  const now = useNow();
  const q = routeQuery();
  const status = q.get('status') ?? 'pending';
  const run = q.get('run');
  const before = q.get('before');
  const list = useLoad((signal) => get('/approvals' + query({ status, run, before, limit: 50 }), { signal }), [status, run, before]);
  return html`<${Page} title="Approvals">
    <div class="toolbar"><label>Show <select id="approval-status" value=${status} onChange=${(e) => go(withQuery({ status: e.currentTarget.value, before: null }))}>
      ${['pending', 'approved', 'denied', 'expired', 'canceled'].map((s) => html`<option value=${s}>${s}</option>`)}<option value="">all</option></select></label>
      ${run && html`<span>of run #${run} <a href=${withQuery({ run: null })}>(all runs)</a></span>`}
      <span class="muted">${can('approve') ? 'Only approvals you may decide are listed.' : ''}</span></div>
    <${Loaded} state=${list}>${(page) => html`${page.items.length === 0
      ? html`<${Empty}>${status === 'pending' ? 'Nothing waits for a decision. Runs that reach an approval step show up here.' : 'No approval matches.'}<//>`
      : html`<table class="list approvals stack"><thead><tr><th>Step</th><th>Run</th><th>Message</th><th>Requested</th><th>Status</th><th>Decided by</th></tr></thead>
        <tbody>${page.items.map((a) => html`<tr><td data-label="Step"><a href=${href('approvals', a.id)}>${a.step}</a></td>
          <td data-label="Run"><a href=${href('runs', a.runId)}>#${a.runId}</a></td><td data-label="Message" class="wrap">${a.message || ''}</td>
          <td data-label="Requested"><${Time} at=${a.requestedAt} now=${now} /> <span class="muted">by ${a.requestedBy || '?'}</span></td>
          <td data-label="Status"><${Status} value=${a.status} /></td><td data-label="Decided by">${a.decidedBy || ''}</td></tr>`)}</tbody></table>`}
      <${Pager} next=${page.next} before=${before} onPage=${(c) => go(withQuery({ before: c }))} />`}<//>
  </${Page}>`;
}

export function ApprovalPage({ id }) {
  const now = useNow();
  const state = useLoad((signal) => get(`/approvals/${id}`, { signal }), [id]);
  const [comment, setComment] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const decide = async (verb) => {
    setBusy(true);
    setError(null);
    try {
      await post(`/approvals/${id}/${verb}`, comment ? { comment } : {});
      state.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Page} title=${'Approval ' + id}>
    <${Loaded} state=${state}>${(a) => {
      const r = a.run;
      // Steps that had finished when the approval was asked for (not those after it, once the run ended).
      const before = r.steps.filter((s) => s.name !== a.step && s.finishedAt && s.finishedAt <= a.requestedAt);
      return html`
      <div class="approval-card">
        <p class="message" id="approval-message">${a.message || 'No message.'}</p>
        <div class="run-summary">
          <div><span class="label">Status</span> <span id="approval-status-value"><${Status} value=${a.status} /></span></div>
          <div><span class="label">Step</span> <code>${a.step}</code> of <a href=${href('runs', a.runId)}>run #${a.runId}</a></div>
          <div><span class="label">Template</span> <a href=${href('templates', r.template) + '?version=' + r.templateVersion}>${r.template} v${r.templateVersion}</a></div>
          <div><span class="label">Started by</span> ${r.triggeredBy}</div>
          <div><span class="label">Requested</span> <${Time} at=${a.requestedAt} now=${now} /></div>
          ${a.expiresAt && a.status === 'PENDING' && html`<div><span class="label">Expires</span> <${Time} at=${a.expiresAt} now=${now} /> (then ${a.onTimeout || 'deny'})</div>`}
          <div><span class="label">Approvers</span> ${(a.approvers || []).join(', ')}</div>
        </div>
        ${a.decidedBy && html`<p class="decision" id="decision">${a.status === 'APPROVED' ? 'Approved' : a.status === 'DENIED' ? 'Denied' : a.status.toLowerCase()} by <strong>${a.decidedBy}</strong>
          ${a.decidedAt && html` <${Time} at=${a.decidedAt} now=${now} />`}${a.comment ? html`: <q class="comment">${a.comment}</q>` : ''}</p>`}
        <h2>Values</h2>
        ${Object.keys(r.params || {}).length === 0 ? html`<${Empty}>The run was started with no values.<//>`
          : html`<dl>${Object.entries(r.params).map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl>`}
        <h2>Steps before it</h2>
        ${before.length === 0 ? html`<${Empty}>No step has finished before this one.<//>` : html`<ul class="rows">${before.map((s) => html`<li><code>${s.name}</code> <${Status} value=${s.status} /></li>`)}</ul>`}
        ${a.status === 'PENDING' && can('approve') && a.mayDecide !== false && html`<form class="form decide" onSubmit=${(e) => e.preventDefault()}>
          <label for="approval-comment">Comment (required to deny)</label>
          <textarea id="approval-comment" rows="3" value=${comment} onInput=${(e) => setComment(e.currentTarget.value)}></textarea>
          <${ErrorBox} error=${error} />
          <div class="buttons">
            ${a.mayApprove !== false && html`<button type="button" id="approve" class="primary" disabled=${busy} onClick=${() => decide('approve')}>Approve</button>`}
            <button type="button" id="deny" class="danger" disabled=${busy} onClick=${() => decide('deny')}>Deny</button>
          </div>
          ${a.mayApprove === false && html`<p class="muted" id="may-not-approve">You asked for this run (you started or retried it, or created or last changed its job or template version), so you may deny it but not approve it.</p>`}</form>`}
        ${a.status === 'PENDING' && a.mayDecide === false && html`<p class="muted" id="may-not-decide">${can('approve')
          ? 'You may not decide this approval: it lists ' + (a.approvers || []).join(', ') + '.'
          : 'Deciding approvals needs the approver role.'}</p>`}
      </div>`;
    }}<//>
  </${Page}>`;
}

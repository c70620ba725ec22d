// Small pieces every page uses. Everything from the API is rendered as text by Preact (never as
// HTML); links are built only from our own routes with encoded values.
import { html, useState, useEffect, useLayoutEffect, useCallback, useRef } from './vendor/htm-preact-3.1.1.module.js';
import { exact, relative, zone, browserZone } from './format.js';
import { transient } from './api.js';

export { html, useState, useEffect, useLayoutEffect, useCallback, useRef };

/** Navigates to a console route (a hash such as '#/runs/4'). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** A link inside the console, with values encoded into the path. */
export function href(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}

/** How soon a load that failed that way is tried again, by itself. */
const RETRY_MS = 2000;

/**
 * Loads something from the API when deps change; reload() fetches again. A load that fails for a
 * transient reason (see transient) is tried again every RETRY_MS (or the Retry-After the server
 * gave) until it succeeds, and a reload that fails so keeps what was shown, with the error beside
 * it (see Stale): a network blip never leaves a page blank or out of date for good.
 */
export function useLoad(loader, deps) {
  // Each result remembers the deps it answers (dataOf, errorOf): another page's, or other
  // filters', is never shown as this one's.
  const [state, setState] = useState({ data: null, dataOf: null, error: null, errorOf: null, loading: true });
  const [tick, setTick] = useState(0);
  const of = JSON.stringify(deps);
  useEffect(() => {
    let live = true;
    let again = 0;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    loader(controller.signal).then(
      (data) => live && setState({ data, dataOf: of, error: null, errorOf: null, loading: false }),
      (error) => {
        if (!live || error.name === 'AbortError') return;
        const retry = transient(error);
        // A transient failure keeps what was shown for these deps (Stale says it is not up to date).
        setState((s) => ({ ...s, data: retry ? s.data : null, error, errorOf: of, loading: false }));
        if (retry) again = setTimeout(() => setTick((t) => t + 1), Math.max(RETRY_MS, (error.retryAfter || 0) * 1000));
      }
    );
    return () => {
      live = false;
      clearTimeout(again);
      controller.abort();
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return {
    data: state.dataOf === of ? state.data : null,
    error: state.errorOf === of ? state.error : null,
    loading: state.loading,
    reload,
  };
}

/** Says that what is shown may be out of date (a reload failed) and that it is being tried again. */
export function Stale({ state }) {
  if (!state.error || !state.data) return null;
  return html`<div class="error stale" role="status">Not up to date: ${state.error.message}. Trying again…</div>`;
}

/** Re-renders every few seconds so relative times stay true. */
export function useNow(ms = 10000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** How soon a relative time's text may change: every second in its first minute, then slower. */
function refreshIn(at) {
  const age = Math.abs(Date.now() - new Date(at).getTime());
  return age < 60000 ? 1000 : age < 3600000 ? 15000 : 60000;
}

/**
 * A time shown relative ("3 min ago"), kept true on its own timer (the page around it need not
 * re-render); hovering shows it exact in the chosen zone and in UTC.
 */
export function Time({ at }) {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!at) return undefined;
    let timer = 0;
    const again = () => {
      timer = setTimeout(() => { setTick((t) => t + 1); again(); }, refreshIn(at));
    };
    again();
    return () => clearTimeout(timer);
  }, [at]);
  if (!at) return html`<span class="muted">—</span>`;
  const title = exact(at) + (zone() === 'UTC' ? '' : '\n' + exact(at, 'UTC'));
  return html`<time datetime=${at} title=${title}>${relative(at, Date.now())}</time>`;
}

/** Exact time in the chosen zone (and UTC on hover). */
export function Exact({ at, tz }) {
  if (!at) return html`<span class="muted">—</span>`;
  return html`<time datetime=${at} title=${exact(at, 'UTC')}>${exact(at, tz || zone())}</time>`;
}

const KNOWN = {
  SUCCEEDED: 'ok', APPROVED: 'ok', started: 'ok',
  RUNNING: 'run', CANCELING: 'cancel', ROLLING_BACK: 'run', QUEUED: 'wait', queued: 'wait',
  WAITING_APPROVAL: 'wait', PENDING: 'wait',
  FAILED: 'bad', TIMED_OUT: 'bad', DENIED: 'bad', ROLLBACK_FAILED: 'bad', EXPIRED: 'bad',
  failed_to_start: 'bad', misfired: 'warn', skipped_overlap: 'warn',
  CANCELED: 'off', SKIPPED: 'off', ROLLED_BACK: 'warn',
};

/** A status as a coloured badge; a status this console does not know yet is shown plainly. */
export function Status({ value }) {
  const kind = KNOWN[value] || 'other';
  return html`<span class="badge ${kind}">${String(value ?? '').replace(/_/g, ' ').toLowerCase()}</span>`;
}

export const ACTIVE = ['QUEUED', 'RUNNING', 'WAITING_APPROVAL', 'CANCELING', 'ROLLING_BACK'];
export const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELED', 'TIMED_OUT', 'ROLLED_BACK', 'ROLLBACK_FAILED'];

/** An API error as it came: the message, and each field with its message. */
export function ErrorBox({ error }) {
  if (!error) return null;
  const details = error.details || [];
  // With details, the message only repeats the first of them: the list says it all, once.
  return html`<div class="error" role="alert">
    <strong>${error.status ? 'Error ' + error.status + ': ' : ''}</strong>${details.length > 0
      ? (details.length === 1 ? '' : details.length + ' problems')
      : error.message}
    ${details.length > 0 &&
    html`<ul>${details.map((d) => html`<li>${d.field ? html`<code>${d.field}</code>: ` : ''}${d.message}</li>`)}</ul>`}
  </div>`;
}

/** Webhook delivery attempts (a run's, or a job's fire events'), or {@code none} when there are none. */
export function Deliveries({ items, now, none }) {
  if ((items || []).length === 0) return html`<${Empty}>${none}<//>`;
  return html`<table class="list deliveries"><thead><tr><th>When</th><th>Event</th><th>URL</th><th>Try</th><th>Result</th></tr></thead>
    <tbody>${items.map((d) => html`<tr><td><${Time} at=${d.at} now=${now} /></td><td>${d.event}</td>
      <td class="wrap">${d.url}</td><td>${d.attempt}</td><td>${d.statusCode ? 'HTTP ' + d.statusCode : ''} ${d.error || ''}</td></tr>`)}</tbody></table>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** Loading / error / content for a useLoad result. */
export function Loaded({ state, children }) {
  if (state.error && !state.data) return html`<${ErrorBox} error=${state.error} />`;
  if (!state.data) return html`<p class="muted loading">Loading…</p>`;
  return html`<${Stale} state=${state} />${children(state.data)}`;
}

export function Page({ title, actions, children }) {
  return html`<section class="page">
    <header class="page-head"><h1>${title}</h1><div class="actions">${actions}</div></header>
    ${children}
  </section>`;
}

/** A button that runs an async action, shows it is busy, and reports an error next to it. */
export function Action({ label, run, kind, confirm: question, id, disabled }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const click = async () => {
    if (question && !window.confirm(question)) return;
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="action-wrap">
    <button type="button" id=${id} class=${kind || ''} disabled=${busy || disabled} onClick=${click}>
      ${busy ? label + '…' : label}
    </button>
    ${error && html`<${ErrorBox} error=${error} />`}
  </span>`;
}

/** Older/newer paging over a cursor list: cursors are kept in the URL so a page can be shared. */
export function Pager({ next, before, onPage }) {
  if (!next && !before) return null; // one page: nothing to move to
  return html`<nav class="pager" aria-label="pages">
    <button type="button" disabled=${!before} onClick=${() => onPage(null)}>Newest</button>
    <button type="button" disabled=${!next} onClick=${() => onPage(next)}>Older →</button>
  </nav>`;
}

export function zoneLabel() {
  return zone() === 'UTC' ? 'UTC' : browserZone();
}

/** The parameters of the current hash route's query part. */
export function routeQuery() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

/** The current route with some query values changed (empty ones dropped). */
export function withQuery(changes) {
  const base = location.hash.split('?')[0] || '#/';
  const q = routeQuery();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  return base + (s ? '?' + s : '');
}

// The Nightshift console: sign-in, the header, and the hash routes (each page has a URL that can be
// shared and reloaded). No build step: plain ES modules and one vendored Preact + htm module.
import { html, render, useState, useEffect } from './vendor/htm-preact-3.1.1.module.js';
import { get, token, whenUnauthorized, ApiError } from './api.js';
import { session, can } from './session.js';
import { ErrorBox, Page } from './ui.js';
import { zone, setZone, browserZone } from './format.js';
import { Overview } from './pages/overview.js';
import { Runs } from './pages/runs.js';
import { RunPage } from './pages/run.js';
import { StartRun } from './pages/start.js';
import { Templates, TemplatePage, TemplateEditor } from './pages/templates.js';
import { Jobs, JobPage, JobEditor } from './pages/jobs.js';
import { Approvals, ApprovalPage } from './pages/approvals.js';
import { Tokens, Audit } from './pages/admin.js';

/** The page for a hash such as '#/runs/42?step=build'. */
/** Run and approval ids are numbers: anything else in their place is no page (never an API path). */
const isId = (text) => /^[1-9][0-9]{0,18}$/.test(text);

function route(hash) {
  const path = (hash.replace(/^#/, '').split('?')[0] || '/').split('/').filter(Boolean).map(decodeURIComponent);
  const [a, b, c] = path;
  const notFound = html`<${Page} title="Not found"><p>There is no page at <code>${hash}</code>. <a href="#/">Go to the overview</a>.</p><//>`;
  // Pages that only change things are offered to the roles that may (the API refuses the others).
  const operate = (page) => can('operate') ? page : html`<${Refused} role="operator" />`;
  switch (a) {
    case undefined: return html`<${Overview} />`;
    case 'runs': return !b ? html`<${Runs} />` : isId(b) && !c ? html`<${RunPage} id=${b} key=${b} />` : notFound;
    case 'start': return operate(html`<${StartRun} />`);
    case 'templates':
      if (b === 'new') return operate(html`<${TemplateEditor} key="new" />`);
      if (b && c === 'edit') return operate(html`<${TemplateEditor} name=${b} key=${'edit-' + b} />`);
      return b ? html`<${TemplatePage} name=${b} key=${b} />` : html`<${Templates} />`;
    case 'jobs':
      if (b === 'new') return operate(html`<${JobEditor} key="new" />`);
      if (b && c === 'edit') return operate(html`<${JobEditor} name=${b} key=${'edit-' + b} />`);
      return b ? html`<${JobPage} name=${b} key=${b} />` : html`<${Jobs} />`;
    case 'approvals': return !b ? html`<${Approvals} />` : isId(b) && !c ? html`<${ApprovalPage} id=${b} key=${b} />` : notFound;
    case 'admin':
      if (!can('admin')) return html`<${Refused} role="admin" />`;
      return b === 'audit' ? html`<${Audit} />` : html`<${Tokens} />`;
    default: return notFound;
  }
}

/** A page the signed-in token's roles may not use: says which role it needs and who is signed in. */
function Refused({ role }) {
  const me = session.get();
  return html`<${Page} title="Not allowed"><p class="error stale" role="alert" id="refused">This page needs the ${role} role.
    You are signed in as ${me ? me.name : '?'} (${me && me.roles.length ? me.roles.join(', ') : 'no role'}).${' '}
    <a href="#/">Go to the overview</a>.</p><//>`;
}

function SignIn({ onSignedIn, reason }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    token.set(value.trim());
    try {
      onSignedIn(await get('/me'));
    } catch (err) {
      token.clear();
      setError(err.status === 401 ? new ApiError(401, 'unauthorized', 'This token is not valid (unknown or revoked).', []) : err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="form card" id="signin-form" onSubmit=${submit}>
      <h1>Nightshift</h1>
      <p class="muted">Sign in with an API token. It is kept only for this tab and sent as a bearer header.</p>
      ${reason && html`<p class="notice">${reason}</p>`}
      <label for="token">Token</label>
      <input id="token" type="password" autocomplete="current-password" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} required />
      <${ErrorBox} error=${error} />
      <button type="submit" class="primary" id="signin" disabled=${busy || !value.trim()}>Sign in</button>
      <p class="muted small">No token? An admin creates one under Admin → Tokens; the first admin token is in <code>data/admin.token</code>.</p>
    </form>
  </main>`;
}

const NAV = [
  ['#/', 'Overview', () => true],
  ['#/runs', 'Runs', () => true],
  ['#/start', 'Start a run', () => can('operate')],
  ['#/templates', 'Templates', () => true],
  ['#/jobs', 'Jobs', () => true],
  ['#/approvals', 'Approvals', () => true],
  ['#/admin/tokens', 'Admin', () => can('admin')],
];

function Shell({ me, onSignOut }) {
  const [hash, setHash] = useState(location.hash || '#/');
  const [, setZoneTick] = useState(0);
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const current = hash.split('?')[0];
  const section = '#/' + (current.split('/')[1] || '');
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">Nightshift</a>
      <nav aria-label="sections">${NAV.filter(([, , show]) => show()).map(([to, label]) => html`<a href=${to}
        class=${(to === '#/' ? current === '#/' || current === '' : section === '#/' + to.split('/')[1]) ? 'active' : ''}>${label}</a>`)}</nav>
      <div class="who">
        <label class="zone" title="Times are shown in this zone; hover a time for the exact value">
          <select aria-label="time zone" value=${zone() === 'UTC' ? 'UTC' : 'local'} onChange=${(e) => { setZone(e.currentTarget.value === 'UTC'); setZoneTick((t) => t + 1); }}>
            <option value="local">${browserZone()}</option><option value="UTC">UTC</option></select></label>
        <a class="help" id="api-reference" href="/api/reference/" target="_blank" rel="noopener noreferrer"
          title="The REST API reference (opens in a new tab)">API</a>
        <span class="me" id="me">${me.name} <span class="muted">(${me.roles.join(', ')})</span></span>
        <button type="button" id="signout" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${route(hash)}</main>
  </div>`;
}

function App() {
  const [me, setMe] = useState(undefined);
  const [reason, setReason] = useState(null);
  useEffect(() => {
    whenUnauthorized(() => {
      token.clear();
      session.set(null);
      setReason('Your token is no longer accepted: sign in again.');
      setMe(null);
    });
    if (!token.get()) {
      setMe(null);
      return;
    }
    get('/me').then((m) => { session.set(m); setMe(m); }, () => setMe(null));
  }, []);
  if (me === undefined) return html`<p class="boot">Loading…</p>`;
  if (!me) {
    return html`<${SignIn} reason=${reason} onSignedIn=${(m) => { session.set(m); setReason(null); setMe(m); }} />`;
  }
  return html`<${Shell} me=${me} onSignOut=${() => { token.clear(); session.set(null); setMe(null); }} />`;
}

render(html`<${App} />`, document.getElementById('app'));

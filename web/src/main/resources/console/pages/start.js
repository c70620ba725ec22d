// Start a run: a form made from the template's parameters, a dry run that shows the plan first.
import { html, useState, useEffect, useLoad, Loaded, Page, Empty, ErrorBox, go, href, routeQuery, withQuery } from '../ui.js';
import { get, post, startRun } from '../api.js';
import { Graph } from '../graph.js';

/** The parameter's pattern as a full-match check, or null when the browser cannot read it. */
function matcher(pattern) {
  if (!pattern) return null;
  try {
    return new RegExp('^(?:' + pattern + ')$', 'u');
  } catch (e) {
    return null;
  }
}

export function ParamFields({ params, values, setValue, error, prefix = 'params' }) {
  return params.map((p) => {
    const value = values[p.name] ?? '';
    const re = matcher(p.pattern);
    const local = value !== '' && re && !re.test(value) ? `must match ${p.pattern}` : null;
    const server = error && error.field ? error.field(prefix + '.' + p.name) : null;
    const problem = local || server;
    const id = 'param-' + p.name;
    const input = p.enum
      ? html`<select id=${id} name=${p.name} value=${value} onChange=${(e) => setValue(p.name, e.currentTarget.value)}>
          <option value="">${p.default != null ? 'default (' + p.default + ')' : 'choose…'}</option>
          ${p.enum.map((v) => html`<option value=${v}>${v}</option>`)}</select>`
      : html`<input id=${id} name=${p.name} type=${p.secret ? 'password' : 'text'} autocomplete=${p.secret ? 'new-password' : 'off'}
          value=${value} required=${p.required && p.default == null} aria-invalid=${problem ? 'true' : 'false'}
          placeholder=${p.secret ? '' : p.default != null ? 'default: ' + p.default : p.pattern ? p.pattern : ''}
          onInput=${(e) => setValue(p.name, e.currentTarget.value)} />`;
    return html`<div class=${'field' + (problem ? ' invalid' : '')}>
      <label for=${id}>${p.name}${p.required ? html` <span class="req" title="required">*</span>` : ''}${p.secret ? html` <span class="muted">(secret)</span>` : ''}</label>
      ${input}
      ${p.description && html`<small class="muted">${p.description}</small>`}
      ${problem && html`<small class="field-error" role="alert">${problem}</small>`}
    </div>`;
  });
}

/** Values the person typed, without the empty ones (so defaults apply). */
export function filled(values) {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '' && v != null));
}

export function StartRun() {
  const name = routeQuery().get('template') || '';
  const list = useLoad((signal) => get('/templates?limit=500', { signal }), []);
  const tpl = useLoad((signal) => name ? get(`/templates/${encodeURIComponent(name)}`, { signal }) : Promise.resolve(null), [name]);
  const [values, setValues] = useState({});
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const setValue = (k, v) => { setValues({ ...values, [k]: v }); setPlan(null); };
  // Values belong to one template: another one (picked, or reached by Back) starts from none.
  useEffect(() => { setValues({}); setPlan(null); setError(null); }, [name]);
  const send = async (dryRun) => {
    setBusy(true);
    setError(null);
    try {
      const body = { template: name, templateVersion: tpl.data.version, params: filled(values), dryRun };
      const answer = await (dryRun ? post('/runs', body) : startRun('/runs', body));
      if (dryRun) setPlan(answer);
      else go(href('runs', answer.id));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Page} title="Start a run">
    <${Loaded} state=${list}>${(page) => page.items.length === 0
      ? html`<${Empty}>There is no template yet. <a href="#/templates/new">Create one</a> first.<//>`
      : html`<label class="pick">Template <select id="start-template" value=${name}
          onChange=${(e) => go(withQuery({ template: e.currentTarget.value }))}>
          <option value="">choose…</option>${page.items.map((t) => html`<option value=${t.name}>${t.name}</option>`)}</select></label>`}<//>
    ${name && html`<${Loaded} state=${tpl}>${(t) => t && html`<form class="form" id="start-form" onSubmit=${(e) => { e.preventDefault(); send(false); }}>
      ${t.description && html`<p class="muted">${t.description}</p>`}
      <p class="muted">Version ${t.version}, ${t.steps.length} ${t.steps.length === 1 ? 'step' : 'steps'}${t.onFailure === 'rollback' ? ', rolls back on failure' : ''}.</p>
      ${t.params.length === 0 ? html`<p class="muted">This template has no parameters.</p>` : html`<${ParamFields} params=${t.params} values=${values} setValue=${setValue} error=${error} />`}
      <${ErrorBox} error=${error} />
      <div class="buttons">
        <button type="button" id="dry-run" disabled=${busy} onClick=${() => send(true)}>Dry run: show the plan</button>
        <button type="submit" id="start-run" class="primary" disabled=${busy}>Start run</button>
      </div>
    </form>`}<//>`}
    ${plan && html`<section class="plan" id="plan"><h2>Plan (nothing ran)</h2>
      <p>Template <code>${plan.template}</code> version ${plan.templateVersion} with:</p>
      <dl>${Object.entries(plan.params).map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl>
      <${Graph} steps=${plan.steps} label="planned steps" /></section>`}
  </${Page}>`;
}

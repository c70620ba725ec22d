// A resource (a template or a job) edited as JSON text: the text is parsed first (a parse error is
// shown and nothing is sent), then PUT over the named resource or POSTed as a new one; the server's
// errors are listed by field, and the saved resource is opened.
import { html, useState, ErrorBox, go, href } from './ui.js';
import { post, put } from './api.js';

/**
 * kind: the API collection and console route ('templates', 'jobs'); id: the stem of the element
 * ids (`${id}-form`, `${id}-json`, `save-${id}`); name: the resource edited, absent for a new one.
 */
export function JsonForm({ kind, id, name, initial, label, rows, saveLabel }) {
  const [text, setText] = useState(initial);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    let body;
    try {
      body = JSON.parse(text);
    } catch (err) {
      setError({ message: 'The text is not valid JSON: ' + err.message, details: [] });
      return;
    }
    setBusy(true);
    try {
      const saved = name ? await put(`/${kind}/${encodeURIComponent(name)}`, body) : await post(`/${kind}`, body);
      go(href(kind, saved.name));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="form editor" id=${id + '-form'} onSubmit=${save}>
    <label for=${id + '-json'}>${label}</label>
    <textarea id=${id + '-json'} spellcheck="false" rows=${rows} value=${text} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
    <${ErrorBox} error=${error} />
    <div class="buttons"><button type="submit" class="primary" id=${'save-' + id} disabled=${busy}>${saveLabel}</button>
      <a class="button" href=${name ? href(kind, name) : '#/' + kind}>Cancel</a></div>
  </form>`;
}

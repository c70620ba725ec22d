// A step's output: a fixed-height window that renders only the visible lines (a 200,000-line step
// stays fast), follows the tail while you are at the bottom, searches, splits stdout and stderr,
// jumps to the first error and downloads the full log. Lines are text, never HTML.
import { html, useState, useEffect, useRef } from './ui.js';
import { get, query } from './api.js';

const LINE = 18;
const VIEW_LINES = 24;
const ERROR = /\b(error|fatal|exception|failed|panic|traceback)\b/i;

function Highlight({ text, term }) {
  if (!term) return text;
  const out = [];
  const lower = text.toLowerCase();
  let at = 0;
  let i;
  while ((i = lower.indexOf(term, at)) >= 0 && out.length < 50) {
    out.push(text.slice(at, i), html`<mark>${text.slice(i, i + term.length)}</mark>`);
    at = i + term.length;
  }
  out.push(text.slice(at));
  return out;
}

/** Every stored line of a step (or the run), page by page, as one text file. */
async function download(runId, step) {
  const parts = [];
  let after = null;
  do {
    const page = await get(`/runs/${runId}/logs` + query({ step, after, limit: 1000 }));
    for (const l of page.items) parts.push(`${l.ts} ${l.step} ${l.stream} ${l.line}\n`);
    after = page.next;
  } while (after);
  const url = URL.createObjectURL(new Blob(parts, { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `run-${runId}${step ? '-' + step : ''}.log`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** lines: the array to show (it grows while the step runs); version changes when it grows. */
export function LogView({ runId, step, lines, version, live }) {
  const box = useRef(null);
  const placed = useRef(-1);
  const [top, setTop] = useState(0);
  const [follow, setFollow] = useState(true);
  const [streamFilter, setStreamFilter] = useState('all');
  const [search, setSearch] = useState('');
  const [hit, setHit] = useState(-1);
  const [marked, setMarked] = useState(-1);
  const [busy, setBusy] = useState(null);

  const shown = streamFilter === 'all' ? lines : lines.filter((l) => l.stream === streamFilter);
  const term = search.trim().toLowerCase();
  const hits = [];
  if (term) {
    for (let i = 0; i < shown.length && hits.length < 10000; i++) {
      if (shown[i].line.toLowerCase().includes(term)) hits.push(i);
    }
  }

  const scrollTo = (i) => {
    const el = box.current;
    if (!el) return;
    setFollow(false);
    setMarked(i);
    el.scrollTop = Math.max(0, i * LINE - (VIEW_LINES * LINE) / 3);
    placed.current = el.scrollTop;
    setTop(el.scrollTop);
  };

  useEffect(() => {
    const el = box.current;
    if (el && follow) {
      el.scrollTop = el.scrollHeight;
      placed.current = el.scrollTop;
      setTop(el.scrollTop);
    }
  }, [version, follow, streamFilter, step]);

  useEffect(() => {
    setHit(-1);
    setMarked(-1);
  }, [search, streamFilter, step]);

  const onScroll = (e) => {
    const el = e.currentTarget;
    setTop(el.scrollTop);
    // Our own move to the tail also fires a scroll event, maybe after more lines came: only a
    // move by the person decides whether to keep following.
    if (Math.abs(el.scrollTop - placed.current) > 1) {
      placed.current = -1;
      setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - LINE);
    }
  };

  const first = Math.max(0, Math.floor(top / LINE) - 10);
  const last = Math.min(shown.length, first + VIEW_LINES + 20);
  const rows = [];
  for (let i = first; i < last; i++) {
    const l = shown[i];
    rows.push(html`<div class=${'line ' + l.stream + (i === marked ? ' marked' : '')}
      style=${{ top: i * LINE + 'px' }} key=${i}>
      <span class="ln">${i + 1}</span>${!step && html`<span class="ls">${l.step}</span>`}<span class="lt"><${Highlight} text=${l.line} term=${term} /></span>
    </div>`);
  }

  const jumpToError = () => {
    const i = shown.findIndex((l) => l.stream === 'stderr' || ERROR.test(l.line));
    if (i >= 0) scrollTo(i);
    else setBusy('no error line in this log');
  };
  const nextHit = (d) => {
    if (hits.length === 0) return;
    const n = (hit + d + hits.length) % hits.length;
    setHit(n);
    scrollTo(hits[n]);
  };

  return html`<div class="logview">
    <div class="log-tools">
      <label>Output <select value=${streamFilter} onChange=${(e) => setStreamFilter(e.currentTarget.value)}>
        <option value="all">stdout + stderr</option>
        <option value="stdout">stdout only</option>
        <option value="stderr">stderr only</option>
      </select></label>
      <input type="search" placeholder="Search this log" aria-label="Search this log" value=${search}
        onInput=${(e) => setSearch(e.currentTarget.value)}
        onKeyDown=${(e) => e.key === 'Enter' && nextHit(e.shiftKey ? -1 : 1)} />
      <span class="hits">${term ? (hits.length ? `${hit + 1 > 0 ? hit + 1 : '–'} of ${hits.length}` : 'no match') : ''}</span>
      <button type="button" onClick=${() => nextHit(-1)} disabled=${!hits.length} aria-label="previous match">↑</button>
      <button type="button" onClick=${() => nextHit(1)} disabled=${!hits.length} aria-label="next match">↓</button>
      <button type="button" id="jump-error" onClick=${jumpToError}>Jump to first error</button>
      <button type="button" onClick=${() => { setFollow(true); setMarked(-1); }} disabled=${follow}>Follow tail</button>
      <button type="button" id="download-log" onClick=${() => download(runId, step).catch((e) => setBusy(e.message))}>Download</button>
      <span class="muted">${shown.length.toLocaleString()} lines${live ? ' · live' : ''}${busy ? ' · ' + busy : ''}</span>
    </div>
    <div class="log" ref=${box} onScroll=${onScroll} tabindex="0" aria-label="log lines">
      <div class="log-space" style=${{ height: Math.max(shown.length * LINE, 1) + 'px' }}>${rows}</div>
      ${shown.length === 0 && html`<div class="log-empty">${live ? 'Waiting for output…' : 'No output.'}</div>`}
    </div>
  </div>`;
}

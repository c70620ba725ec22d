// A step's output: a fixed-height window that renders only the visible lines, starting from the
// tail and loading earlier pages when the reader scrolls near the top (a 200,000-line step stays
// fast), follows the tail while you are at the bottom, searches, splits stdout and stderr, jumps to
// the first error and downloads the full log. Lines are text, never HTML.
import { html, useState, useEffect, useLayoutEffect, useRef } from './ui.js';
import { blob as fetchBlob, query } from './api.js';

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

/**
 * The step's (or the run's) full stored log as a file, from GET /runs/{id}/logs.txt: fetched with
 * the bearer header, then saved from a blob (the token never goes into a URL).
 */
async function download(runId, step) {
  const blob = await fetchBlob(`/runs/${runId}/logs.txt` + query({ step }));
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `run-${runId}${step ? '-' + step.replace(/[^A-Za-z0-9._-]/g, '_') : ''}.log`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** How close to the top (in lines) the reader scrolls before the page before is fetched. */
const EARLIER_AT = 40;

/**
 * log: what useRunLog returns (lines, version, live, atStart, loading, loadEarlier); total: how many
 * lines the step (or run) stored, when that is known, to number lines before all are loaded.
 */
export function LogView({ runId, step, log, total }) {
  const { lines, version, live, ready, atStart } = log;
  const box = useRef(null);
  const placed = useRef(-1);
  const anchor = useRef(null);
  const [top, setTop] = useState(0);
  const [follow, setFollow] = useState(true);
  const [streamFilter, setStreamFilter] = useState('all');
  const [search, setSearch] = useState('');
  const [hit, setHit] = useState(-1);
  const [marked, setMarked] = useState(-1);
  const [busy, setBusy] = useState(null);

  const shown = streamFilter === 'all' ? lines : lines.filter((l) => l.stream === streamFilter);
  // One row on top while earlier lines are left to load: it says so and is where loading starts.
  const head = ready && !atStart ? 1 : 0;
  const term = search.trim().toLowerCase();
  const hits = [];
  if (term) {
    for (let i = 0; i < shown.length && hits.length < 10000; i++) {
      if (shown[i].line.toLowerCase().includes(term)) hits.push(i);
    }
  }

  const place = (el, scrollTop) => {
    el.scrollTop = scrollTop;
    placed.current = el.scrollTop;
    setTop(el.scrollTop);
  };

  const scrollTo = (i) => {
    const el = box.current;
    if (!el) return;
    setFollow(false);
    setMarked(i);
    place(el, Math.max(0, (i + head) * LINE - (VIEW_LINES * LINE) / 3));
  };

  const earlier = () => {
    if (atStart || log.loading) return;
    // Keep the lines in view where they are: remember the first one shown and how far down it is.
    const el = box.current;
    const first = shown[0];
    anchor.current = first ? { line: first, offset: el ? el.scrollTop : 0 } : null;
    log.loadEarlier();
  };

  useLayoutEffect(() => {
    const el = box.current;
    const a = anchor.current;
    if (!el || !a) return;
    const moved = shown.indexOf(a.line);
    if (moved <= 0) return;
    anchor.current = null;
    // Lines went in above: move down by as many rows so that nothing jumps.
    place(el, a.offset + moved * LINE - (head ? 0 : LINE));
    setMarked((m) => (m >= 0 ? m + moved : m));
  }, [version]);

  useEffect(() => {
    const el = box.current;
    if (el && follow) place(el, el.scrollHeight);
  }, [version, follow, streamFilter, step]);

  useEffect(() => {
    setMarked(-1);
    if (term && hits.length) {
      setHit(0);
      scrollTo(hits[0]);
    } else {
      setHit(-1);
    }
  }, [search, streamFilter, step]);

  const onScroll = (e) => {
    const el = e.currentTarget;
    setTop(el.scrollTop);
    // Our own move to the tail also fires a scroll event, maybe after more lines came: only a
    // move by the person decides whether to keep following.
    if (Math.abs(el.scrollTop - placed.current) > 1) {
      placed.current = -1;
      setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - LINE);
      if (el.scrollTop < EARLIER_AT * LINE) earlier();
    }
  };

  // Line numbers: from 1 once the first line is loaded; before that, counted back from the total
  // when it is known (a finished step); otherwise left out rather than wrong.
  const offset = atStart ? 0 : total != null && total >= lines.length && streamFilter === 'all' ? total - lines.length : null;
  const first = Math.max(0, Math.floor(top / LINE) - head - 10);
  const last = Math.min(shown.length, first + VIEW_LINES + 20);
  const rows = [];
  if (head) {
    rows.push(html`<div class="line earlier" style=${{ top: '0px' }} key="earlier">
      <span class="ln"></span><button type="button" class="link" id="load-earlier" onClick=${earlier}
        disabled=${log.loading}>${log.loading ? 'Loading earlier lines…' : 'Load earlier lines'}</button></div>`);
  }
  for (let i = first; i < last; i++) {
    const l = shown[i];
    rows.push(html`<div class=${'line ' + l.stream + (i === marked ? ' marked' : '')}
      style=${{ top: (i + head) * LINE + 'px' }} key=${l.stepRunId + ':' + l.seq}>
      <span class="ln">${offset === null ? '' : offset + i + 1}</span>${!step && html`<span class="ls">${l.step}</span>`}<span class="lt"><${Highlight} text=${l.line} term=${term} /></span>
    </div>`);
  }

  const jumpToError = () => {
    const i = shown.findIndex((l) => l.stream === 'stderr' || ERROR.test(l.line));
    if (i >= 0) scrollTo(i);
    else setBusy(atStart ? 'no error line in this log' : 'no error line in the loaded lines');
  };
  const nextHit = (d) => {
    if (hits.length === 0) return;
    const n = hit < 0 ? (d > 0 ? 0 : hits.length - 1) : (hit + d + hits.length) % hits.length;
    setHit(n);
    scrollTo(hits[n]);
  };
  const counted = atStart ? '' : ' loaded';

  return html`<div class="logview">
    <div class="log-tools">
      <label>Output <select value=${streamFilter} onChange=${(e) => setStreamFilter(e.currentTarget.value)}>
        <option value="all">stdout + stderr</option>
        <option value="stdout">stdout only</option>
        <option value="stderr">stderr only</option>
      </select></label>
      <input type="search" placeholder=${atStart ? 'Search this log' : 'Search the loaded lines'} aria-label="Search this log" value=${search}
        onInput=${(e) => setSearch(e.currentTarget.value)}
        onKeyDown=${(e) => e.key === 'Enter' && nextHit(e.shiftKey ? -1 : 1)} />
      <span class="hits" aria-live="polite">${term ? (hits.length ? `${Math.max(hit, 0) + 1} of ${hits.length}` : 'no match') : ''}</span>
      <button type="button" onClick=${() => nextHit(-1)} disabled=${!hits.length} aria-label="previous match">↑</button>
      <button type="button" onClick=${() => nextHit(1)} disabled=${!hits.length} aria-label="next match">↓</button>
      <button type="button" id="jump-error" onClick=${jumpToError}>Jump to first error</button>
      <button type="button" onClick=${() => { setFollow(true); setMarked(-1); }} disabled=${follow}>Follow tail</button>
      <button type="button" id="download-log" onClick=${() => download(runId, step).catch((e) => setBusy(e.message))}>Download</button>
      <span class="muted" id="log-count">${shown.length.toLocaleString()}${counted} ${shown.length === 1 ? 'line' : 'lines'}${offset ? ' of ' + (offset + shown.length).toLocaleString() : ''}${log.reconnecting ? ' · reconnecting…' : live ? ' · live' : ''}${busy ? ' · ' + busy : ''}</span>
    </div>
    <div class="log" ref=${box} onScroll=${onScroll} tabindex="0" aria-label="log lines">
      <div class="log-space" style=${{ height: Math.max((shown.length + head) * LINE, 1) + 'px' }}>${rows}</div>
      ${shown.length === 0 && !head && html`<div class="log-empty">${!ready ? 'Loading…' : live ? 'Waiting for output…' : 'No output.'}</div>`}
    </div>
  </div>`;
}

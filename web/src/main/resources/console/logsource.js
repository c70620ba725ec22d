// The lines of a run (or of one step of it) as a reader sees them: the last page first, the live
// lines after it from the run's event stream, and earlier pages on demand (when the reader scrolls
// up). A 200,000-line step costs one page to open, not 200,000 lines.
import { useState, useEffect, useRef } from './ui.js';
import { get, query, stream, transient } from './api.js';
import { readable } from './format.js';

/** Lines fetched per page, both the first (the tail) and each earlier one. */
export const PAGE = 1000;
/** Most lines kept in the page; past that, live lines are counted but not kept. */
const MAX_LINES = 500000;
/** Tries of the first page before the page gives up, and the spacing of tries. */
const RECONNECTS = 30;
const RECONNECT_MS = 1000;
/** Longest pause between tries of a stream that keeps failing (the node is away): it never gives up. */
const RECONNECT_MAX_MS = 5000;

/** Resolves after ms, or rejects with an AbortError when the signal aborts first. */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const aborted = () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/** Keeps in counts, per step, the attempt and sequence number of the latest line seen. */
function count(counts, line) {
  const c = counts[line.step];
  if (!c || line.attempt > c.attempt || (line.attempt === c.attempt && line.seq > c.seq)) {
    counts[line.step] = { attempt: line.attempt, seq: line.seq };
  }
}

/**
 * runId, step (null: every step); onStatus(type) is called for each run, step and end event.
 * Returns { lines, version, live, reconnecting, error, ready, atStart, loading, dropped, counts,
 * loadEarlier }: reconnecting says the stream broke and is being opened again (onStatus('run') is
 * called once it is back, since the run may have moved on meanwhile);
 * version changes whenever lines change; ready says the last page came; atStart that the first
 * line is in; counts, by step, { attempt, seq } of the latest line seen (of every step, whatever
 * step is shown: a running attempt's count so far); loadEarlier() fetches the page before the
 * first loaded line and returns how many lines it put in front.
 */
export function useRunLog(runId, step, onStatus) {
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(true);
  const [reconnecting, setReconnecting] = useState(false);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const state = useRef(null);
  const counted = useRef(null);
  const key = runId + '\n' + (step || '');
  if (!state.current || state.current.key !== key) {
    state.current = { key, lines: [], before: 'end', dropped: 0, earlier: null };
  }
  // Counts are the run's, whichever step is shown: they outlive a change of step.
  if (!counted.current || counted.current.runId !== runId) counted.current = { runId, counts: {} };
  const s = state.current;

  useEffect(() => {
    const controller = new AbortController();
    const mine = state.current;
    const counts = counted.current.counts;
    let frame = 0;
    let countTimer = 0;
    const bump = () => {
      if (!frame) frame = requestAnimationFrame(() => { frame = 0; setVersion((v) => v + 1); });
    };
    // Lines of steps not shown only change counts: the page is drawn again at most once a second.
    const bumpCounts = () => {
      if (!countTimer) countTimer = setTimeout(() => { countTimer = 0; bump(); }, 1000);
    };
    setLive(true);
    setReconnecting(false);
    setError(null);
    (async () => {
      let tail;
      for (let tries = 0; !tail; tries++) {
        try {
          tail = await get(`/runs/${runId}/logs` + query({ step, before: 'end', limit: PAGE }), { signal: controller.signal });
        } catch (e) {
          if (e.name === 'AbortError' || !transient(e) || tries >= RECONNECTS) throw e;
          await pause(RECONNECT_MS, controller.signal);
        }
      }
      mine.lines = tail.items.map(readable);
      mine.before = tail.next;
      tail.items.forEach((line) => count(counts, line));
      bump();
      // A stream that stops before the run's end (the node behind the address stopped, the tab
      // fell behind, the connection broke) is opened again after the last event it got.
      let after = tail.last;
      let broken = false;
      for (let fruitless = 0; ; ) {
        let ended = false;
        let received = 0;
        let revoked = false;
        try {
          await stream(`/runs/${runId}/logs/stream` + query({ after }), (type, data, id) => {
            received++;
            if (broken) {
              // Back after a break: the run may have moved on (ended, even) while the page was away.
              broken = false;
              setReconnecting(false);
              onStatus('run');
            }
            if (id) after = id;
            if (type === 'log') {
              count(counts, data);
              if (step && data.step !== step) { bumpCounts(); return; }
              if (mine.lines.length >= MAX_LINES) { mine.dropped++; return; }
              mine.lines.push(readable(data));
              bump();
            } else if (type === 'step' || type === 'run' || type === 'end') {
              if (type === 'end') ended = true;
              onStatus(type);
            } else if (type === 'closing' || type === 'dropped') {
              if (data.after) after = data.after;
            } else if (type === 'revoked') {
              revoked = true;
            }
          }, controller.signal);
        } catch (e) {
          if (e.name === 'AbortError' || !transient(e)) throw e;
        }
        if (ended || revoked) break;
        fruitless = received > 0 ? 0 : fruitless + 1;
        if (fruitless > 0 && !broken) {
          broken = true;
          setReconnecting(true);
        }
        await pause(Math.min(RECONNECT_MAX_MS, RECONNECT_MS * 2 ** Math.max(0, fruitless - 1)), controller.signal);
      }
      setLive(false);
      onStatus('end');
    })().catch((e) => {
      if (e.name !== 'AbortError') { setLive(false); setError(e); }
    });
    return () => { controller.abort(); if (frame) cancelAnimationFrame(frame); clearTimeout(countTimer); };
  }, [key]);

  const loadEarlier = () => {
    const mine = state.current;
    if (!mine.before || mine.before === 'end' || mine.earlier) return mine.earlier || Promise.resolve(0);
    setLoading(true);
    mine.earlier = get(`/runs/${runId}/logs` + query({ step, before: mine.before, limit: PAGE })).then(
      (page) => {
        if (state.current !== mine) return 0;
        mine.lines = page.items.map(readable).concat(mine.lines);
        mine.before = page.next;
        setVersion((v) => v + 1);
        return page.items.length;
      },
      (e) => { setError(e); return 0; }
    ).finally(() => { mine.earlier = null; setLoading(false); });
    return mine.earlier;
  };

  return {
    lines: s.lines,
    version,
    live,
    reconnecting,
    error,
    ready: s.before !== 'end',
    atStart: s.before === null,
    loading,
    dropped: s.dropped,
    counts: counted.current.counts,
    loadEarlier,
  };
}

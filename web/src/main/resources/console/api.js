// Talks to /api/v1 with the bearer token of this tab. The token lives in sessionStorage (gone when
// the tab closes) and only ever travels in the Authorization header, never in a URL.
const KEY = 'nightshift.token';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
  /** The message the API gave for one field, or null. */
  field(name) {
    const d = this.details.find((x) => x.field === name);
    return d ? d.message : null;
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  const t = token.get();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

async function failure(res) {
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  const err = body && body.error;
  if (res.status === 401) onUnauthorized();
  const error = new ApiError(
    res.status,
    err ? err.code : 'http_' + res.status,
    err ? err.message : 'the server answered HTTP ' + res.status,
    err ? err.details : []
  );
  // How long the server asked to wait before the same request (seconds), when it said.
  error.retryAfter = Number(res.headers.get('Retry-After')) || 0;
  return error;
}

/** Calls the API; resolves to the JSON answer (null for 204), rejects with an ApiError. */
export async function api(method, path, body, options = {}) {
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers: headers({
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(options.key ? { 'Idempotency-Key': options.key } : {}),
      }),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'the server cannot be reached: ' + e.message, []);
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  return res.json();
}

/**
 * Failures that say nothing about the request: the network or a proxy failed, or a node stopped.
 * The same request may be sent again.
 */
export const TRANSIENT = [0, 502, 503, 504];

/** Whether the same request may succeed if sent again (a node without the secrets key will not). */
export function transient(e) {
  return TRANSIENT.includes(e.status) && e.code !== 'secrets_unavailable';
}

/** Keys of run starts sent and not answered yet, by path and body. */
const unanswered = new Map();

/** A random key; crypto.randomUUID needs a secure context, a console over plain http has none. */
function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Posts a request that starts a run (a run, a job's run-now, a retry) with an Idempotency-Key. The
 * key is kept until an answer says what happened: a click again after a network error, a 503 or a
 * load balancer's 502/504 sends the same request with the same key, and the server answers with the
 * run the first one started if it got through, so the run starts once.
 */
export async function startRun(path, body = {}) {
  const id = path + '\n' + JSON.stringify(body);
  const key = unanswered.get(id) || newKey();
  unanswered.set(id, key);
  try {
    const answer = await api('POST', path, body, { key });
    unanswered.delete(id);
    return answer;
  } catch (e) {
    if (!transient(e)) {
      unanswered.delete(id);
      throw e;
    }
    throw new ApiError(e.status, e.code, e.message + '. Trying again sends the same request: the run starts at most once.', e.details);
  }
}

export const get = (path, options) => api('GET', path, undefined, options);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

/** The whole body of a GET as a Blob (for downloads), with the bearer header. */
export async function blob(path) {
  const res = await fetch('/api/v1' + path, { headers: headers({ Accept: '*/*' }), cache: 'no-store' });
  if (!res.ok) throw await failure(res);
  return res.blob();
}

/** How long a stream's answer may take to begin. */
const STREAM_HEAD_MS = 30000;
/** How long a stream may stay silent: three of the server's keepalives (it says how often). */
const KEEPALIVES_MISSED = 3;

/**
 * Follows a Server-Sent Events endpoint with fetch (EventSource cannot send the bearer header).
 * Calls onEvent(type, data, id) for each event (id: its SSE id, or null); resolves when the stream
 * ends; rejects with an ApiError (status 0 when the connection failed or broke, or went silent for
 * longer than three of the keepalives the server says it sends: a network on the way may forget a
 * long-lived connection without closing anything); abort with the signal.
 */
export async function stream(path, onEvent, signal) {
  const own = new AbortController();
  const relay = () => own.abort();
  if (signal) {
    if (signal.aborted) own.abort();
    signal.addEventListener('abort', relay, { once: true });
  }
  const idle = { limit: STREAM_HEAD_MS, last: performance.now(), silent: false };
  const watch = setInterval(() => {
    if (performance.now() - idle.last > idle.limit) {
      idle.silent = true;
      own.abort();
    }
  }, 250);
  try {
    await follow(path, onEvent, own.signal, idle);
  } catch (e) {
    if (!idle.silent) throw e;
    throw new ApiError(0, 'network', `the server sent nothing for ${Math.round(idle.limit / 1000)} s: the connection is taken for broken`, []);
  } finally {
    clearInterval(watch);
    if (signal) signal.removeEventListener('abort', relay);
  }
}

/** Reads one stream (see stream); idle.last is when it last received something. */
async function follow(path, onEvent, signal, idle) {
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      headers: headers({ Accept: 'text/event-stream' }),
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'the server cannot be reached: ' + e.message, []);
  }
  if (!res.ok) throw await failure(res);
  const every = Number(res.headers.get('Nightshift-Keepalive-Ms'));
  idle.limit = every > 0 ? KEEPALIVES_MISSED * every : STREAM_HEAD_MS;
  idle.last = performance.now();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', 'the connection to the server broke: ' + e.message, []);
    }
    idle.last = performance.now();
    const { value, done } = chunk;
    if (done) break;
    buffer += value;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop();
    for (const block of blocks) {
      let type = 'message';
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      let parsed;
      try {
        parsed = JSON.parse(data.join('\n'));
      } catch (e) {
        parsed = data.join('\n');
      }
      onEvent(type, parsed, id);
    }
  }
}

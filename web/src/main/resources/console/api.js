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
  return new ApiError(
    res.status,
    err ? err.code : 'http_' + res.status,
    err ? err.message : 'the server answered HTTP ' + res.status,
    err ? err.details : []
  );
}

/** Calls the API; resolves to the JSON answer (null for 204), rejects with an ApiError. */
export async function api(method, path, body, options = {}) {
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method,
      headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
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

/**
 * Follows a Server-Sent Events endpoint with fetch (EventSource cannot send the bearer header).
 * Calls onEvent(type, data) for each event; resolves when the stream ends; abort with the signal.
 */
export async function stream(path, onEvent, signal) {
  const res = await fetch('/api/v1' + path, {
    headers: headers({ Accept: 'text/event-stream' }),
    signal,
    cache: 'no-store',
  });
  if (!res.ok) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop();
    for (const block of blocks) {
      let type = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) type = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      let parsed;
      try {
        parsed = JSON.parse(data.join('\n'));
      } catch (e) {
        parsed = data.join('\n');
      }
      onEvent(type, parsed);
    }
  }
}

// Times, durations and zones as people read them. Times from the API are ISO-8601 UTC.
const ZONE_KEY = 'nightshift.zone';

export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** 'local' (the browser's zone) or 'UTC', chosen in the header and kept in this browser. */
export function zone() {
  return localStorage.getItem(ZONE_KEY) === 'UTC' ? 'UTC' : browserZone();
}
export function setZone(useUtc) {
  localStorage.setItem(ZONE_KEY, useUtc ? 'UTC' : 'local');
}

/** An exact time in the given zone: 2026-12-02 04:05:06 (Europe/Berlin). */
export function exact(iso, tz = zone()) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${tz === 'UTC' ? 'UTC' : zoneName(d, tz)}`;
}

function zoneName(d, tz) {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'short' })
    .formatToParts(d)
    .find((x) => x.type === 'timeZoneName');
  return part ? part.value : tz;
}

/** "3 min ago", "in 2 h", "just now". */
export function relative(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  if (abs < 5000) return 'just now';
  const text = duration(abs, true);
  return ms < 0 ? text + ' ago' : 'in ' + text;
}

/** A human duration: 850 ms, 12 s, 3 min 20 s, 2 h 5 min, 3 d 4 h. */
export function duration(ms, coarse = false) {
  if (ms === null || ms === undefined || isNaN(ms)) return '';
  if (ms < 1000) return coarse ? Math.round(ms / 1000) + ' s' : Math.round(ms) + ' ms';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return coarse || s % 60 === 0 ? m + ' min' : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? h + ' h' : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? d + ' d' : `${d} d ${h % 24} h`;
}

/** How long something took or has been taking. */
export function elapsed(startIso, endIso, now = Date.now()) {
  if (!startIso) return '';
  const end = endIso ? new Date(endIso).getTime() : now;
  // The browser's clock may be a little behind the server's: never a negative time.
  return duration(Math.max(0, end - new Date(startIso).getTime()));
}

/** A cron expression (Quartz 6-7 fields or crontab 5 fields) in words, for the common shapes. */
export function scheduleWords(schedule) {
  if (!schedule) return 'on demand only';
  if (schedule.everySeconds) return 'every ' + duration(schedule.everySeconds * 1000);
  if (schedule.at) return 'once, at ' + exact(schedule.at);
  if (!schedule.cron) return JSON.stringify(schedule);
  const tz = schedule.timezone || 'UTC';
  const f = schedule.cron.trim().split(/\s+/);
  const [sec, min, hour, dom, mon, dow] = f.length === 5 ? ['0', ...f] : f;
  const num = (x) => /^\d+$/.test(x);
  const pad = (x) => String(x).padStart(2, '0');
  const any = (x) => x === '*' || x === '?';
  const days = { 0: 'Sunday', 1: 'Sunday', 2: 'Monday', 3: 'Tuesday', 4: 'Wednesday', 5: 'Thursday', 6: 'Friday', 7: 'Saturday' };
  const dowNames = { SUN: 'Sunday', MON: 'Monday', TUE: 'Tuesday', WED: 'Wednesday', THU: 'Thursday', FRI: 'Friday', SAT: 'Saturday' };
  let words = null;
  if (num(sec) && num(min) && num(hour) && any(mon)) {
    const at = `at ${pad(hour)}:${pad(min)}${sec !== '0' ? ':' + pad(sec) : ''}`;
    if (any(dom) && any(dow)) words = 'every day ' + at;
    else if (any(dom) && (dowNames[dow?.toUpperCase()] || (f.length === 6 || f.length === 7) && days[dow]))
      words = 'every ' + (dowNames[dow.toUpperCase()] || days[dow]) + ' ' + at;
    else if (num(dom) && any(dow)) words = `on day ${dom} of every month ${at}`;
  } else if (num(sec) && /^\*\/\d+$/.test(min) && any(hour) && any(dom) && any(mon)) {
    words = `every ${min.slice(2)} min`;
  } else if (num(sec) && num(min) && any(hour) && any(dom) && any(mon)) {
    words = `every hour at minute ${min}`;
  } else if (/^\*\/\d+$/.test(sec) && any(min)) {
    words = `every ${sec.slice(2)} s`;
  }
  return (words || 'cron ' + schedule.cron) + ' (' + tz + ')';
}

// Terminal control sequences in a log line: colours and cursor moves (CSI, also one cut off at the
// end of a line), titles and links (OSC), character-set and other escapes (ESC ( B from `tput
// sgr0`, ESC 7, ESC =). Tools that colour their output for a terminal printed them as garbage.
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]+[0-~]|\x1b\[[0-?]*[ -/]*$|\x1b[0-~]|\x1b$/g;
/** Other control characters a terminal does not print (tab, line feed and carriage return kept). */
const UNPRINTED = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/**
 * A log line as a terminal would leave it: control sequences removed, a backspace taking back the
 * character before it (a spinner), and of a line redrawn with carriage returns (a progress bar)
 * what was written last. The stored line and the downloaded log keep every byte; this is what the
 * page shows and searches.
 */
export function readable(line) {
  if (typeof line.line !== 'string' || !/[\x00-\x08\x0b-\x1f\x7f]/.test(line.line)) return line;
  let text = line.line.replace(CONTROL, '');
  const redrawn = text.replace(/\r+$/, '');
  const cr = redrawn.lastIndexOf('\r');
  text = cr >= 0 ? redrawn.slice(cr + 1) : redrawn;
  for (let before = ''; before !== text; ) {
    before = text;
    text = text.replace(/[^\x08]\x08/, '');
  }
  return { ...line, line: text.replace(UNPRINTED, '') };
}

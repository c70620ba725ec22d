// Steps as a graph that follows their `needs` edges: one column per depth, edges drawn in SVG.
// The layout is computed from the template alone (no measuring), so live updates never move it.
import { html } from './ui.js';
import { Status } from './ui.js';

const W = 176;
const H = 58;
const GAP_X = 46;
const GAP_Y = 14;

/** The edges of a template's steps: `needs` omitted means "after the previous step". */
export function edges(steps) {
  return steps.map((s, i) =>
    Array.isArray(s.needs) ? s.needs : i === 0 ? [] : [steps[i - 1].name]
  );
}

export function layout(steps) {
  const needs = edges(steps);
  const index = new Map(steps.map((s, i) => [s.name, i]));
  const depth = new Array(steps.length).fill(-1);
  const depthOf = (i, seen = new Set()) => {
    if (depth[i] >= 0) return depth[i];
    if (seen.has(i)) return 0;
    seen.add(i);
    let d = 0;
    for (const n of needs[i]) {
      const j = index.get(n);
      if (j !== undefined) d = Math.max(d, depthOf(j, seen) + 1);
    }
    depth[i] = d;
    return d;
  };
  steps.forEach((_, i) => depthOf(i));
  const rows = [];
  const pos = steps.map((s, i) => {
    const col = depth[i];
    rows[col] = (rows[col] || 0) + 1;
    return { x: col * (W + GAP_X), y: (rows[col] - 1) * (H + GAP_Y) };
  });
  const width = Math.max(1, ...depth.map((d) => d + 1)) * (W + GAP_X) - GAP_X;
  const height = Math.max(1, ...rows.filter(Boolean)) * (H + GAP_Y) - GAP_Y;
  const lines = [];
  steps.forEach((s, i) =>
    needs[i].forEach((n) => {
      const j = index.get(n);
      if (j !== undefined) lines.push([pos[j], pos[i]]);
    })
  );
  return { pos, width, height, lines };
}

/**
 * steps: the template's steps ({name, kind, needs}); state: name -> the run's step (status, ...);
 * detail(step, runStep) -> text under the name; selected: name; onSelect(name).
 */
export function Graph({ steps, state = {}, detail, selected, onSelect, label }) {
  const { pos, width, height, lines } = layout(steps);
  return html`<div class="graph-scroll" role="group" aria-label=${label || 'steps'}>
    <div class="graph" style=${{ width: width + 'px', height: height + 'px' }}>
      <svg width=${width} height=${height} aria-hidden="true">
        ${lines.map(
          ([a, b]) =>
            html`<path d=${`M${a.x + W} ${a.y + H / 2} C${a.x + W + GAP_X / 2} ${a.y + H / 2}, ${b.x - GAP_X / 2} ${b.y + H / 2}, ${b.x} ${b.y + H / 2}`} />`
        )}
      </svg>
      ${steps.map((s, i) => {
        const run = state[s.name];
        const status = run ? run.status : null;
        return html`<button type="button"
          class=${'node ' + (status ? 's-' + status.toLowerCase() : 's-none') + (selected === s.name ? ' selected' : '')}
          style=${{ left: pos[i].x + 'px', top: pos[i].y + 'px', width: W + 'px', height: H + 'px' }}
          data-step=${s.name}
          onClick=${() => onSelect && onSelect(s.name)}>
          <span class="node-name">${s.name}</span>
          <span class="node-meta">${status ? html`<${Status} value=${status} />` : html`<span class="kind">${s.kind}</span>`}
            ${detail ? ' ' + (detail(s, run) || '') : ''}</span>
        </button>`;
      })}
    </div>
  </div>`;
}

import { h, setText, svg } from '../h.js';
import type { SampleView } from '../../../src/http/apiTypes.js';

/** A status word with a coloured dot; the word carries the meaning, the colour only repeats it. */
export function badge(): { el: HTMLElement; set(state: string, label?: string): void } {
  const text = h('span');
  const el = h('span', { class: 'badge' }, h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }), text);
  return {
    el,
    set(state, label = state) {
      el.dataset['state'] = state;
      setText(text, label);
    },
  };
}

/** A labelled figure with a bar under it: `CPU 12% · 2 cores`. The bar is decoration; the text says it. */
export function meter(label: string): { el: HTMLElement; set(percent: number | null, detail: string): void } {
  const value = h('span', { class: 'meter-value' });
  const fillEl = h('span', { class: 'meter-fill' });
  const el = h('div', { class: 'meter' }, h('div', { class: 'meter-head' }, h('span', { class: 'meter-label', text: label }), value), h('div', { class: 'meter-track', attrs: { 'aria-hidden': 'true' } }, fillEl));
  return {
    el,
    set(percent, detail) {
      setText(value, detail);
      const p = percent === null ? 0 : Math.max(0, Math.min(100, percent));
      // CSSOM, not a style attribute: allowed under the CSP's style-src 'self'.
      fillEl.style.width = `${p}%`;
      fillEl.dataset['level'] = p >= 90 ? 'high' : p >= 70 ? 'mid' : 'low';
    },
  };
}

/** A sparkline of the last samples, 0..100; described in words for screen readers. */
export function sparkline(label: string): { el: HTMLElement; set(samples: readonly SampleView[], pick: (s: SampleView) => number): void } {
  const width = 120;
  const height = 28;
  const line = svg('polyline', { fill: 'none', 'stroke-width': '1.5', 'vector-effect': 'non-scaling-stroke', class: 'spark-line' });
  const area = svg('polygon', { class: 'spark-area' });
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', 'aria-hidden': 'true', class: 'spark-svg' }, area, line);
  const caption = h('span', { class: 'visually-hidden' });
  const el = h('div', { class: 'spark' }, h('span', { class: 'spark-label', text: label }), chart, caption);
  return {
    el,
    set(samples, pick) {
      const points = samples.slice(-60);
      if (points.length < 2) {
        line.setAttribute('points', '');
        area.setAttribute('points', '');
        setText(caption, `${label}: not enough samples yet`);
        return;
      }
      const step = width / (points.length - 1);
      const coords = points.map((s, i) => `${(i * step).toFixed(1)},${(height - (Math.max(0, Math.min(100, pick(s))) / 100) * (height - 2) - 1).toFixed(1)}`);
      line.setAttribute('points', coords.join(' '));
      area.setAttribute('points', `0,${height} ${coords.join(' ')} ${width},${height}`);
      const values = points.map(pick);
      setText(caption, `${label} over the last ${points.length} samples: low ${Math.round(Math.min(...values))}%, high ${Math.round(Math.max(...values))}%, now ${Math.round(values.at(-1)!)}%`);
    },
  };
}

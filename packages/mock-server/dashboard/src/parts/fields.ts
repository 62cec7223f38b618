import { h } from '../h.js';

let counter = 0;
/** A unique id for label and control. */
export const uid = (prefix: string) => `${prefix}-${++counter}`;

/** A labelled control: the label names it for screen readers and voice control. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  control.id ||= uid('f');
  const hintEl = hint ? h('span', { class: 'hint', attrs: { id: `${control.id}-hint` }, text: hint }) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { attrs: { for: control.id }, text: label }), control, hintEl);
}

export function input(attrs: Record<string, string | boolean>): HTMLInputElement {
  return h('input', { attrs: { type: 'text', ...attrs } });
}

export function select(options: readonly { value: string; label: string }[], attrs: Record<string, string | boolean> = {}): HTMLSelectElement {
  const el = h('select', { attrs });
  setOptions(el, options);
  return el;
}

/** Replaces a select's options, keeping the chosen value when it is still offered. */
export function setOptions(el: HTMLSelectElement, options: readonly { value: string; label: string }[]): void {
  const current = el.value;
  const same = el.options.length === options.length && options.every((o, i) => el.options[i]!.value === o.value && el.options[i]!.text === o.label);
  if (same) return;
  el.replaceChildren(...options.map((o) => h('option', { attrs: { value: o.value }, text: o.label })));
  if (options.some((o) => o.value === current)) el.value = current;
}

export function button(label: string, on: (event: MouseEvent) => void, attrs: Record<string, string | boolean> = {}, cls = 'btn'): HTMLButtonElement {
  return h('button', { class: cls, attrs: { type: 'button', ...attrs }, on: { click: on }, text: label });
}

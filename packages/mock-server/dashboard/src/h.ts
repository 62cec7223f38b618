/**
 * The one way the dashboard makes elements. Children are elements or strings, and strings
 * always become text nodes: nothing here, or anywhere in the dashboard, sets `innerHTML`,
 * so a node name or a log line that holds markup is shown as the characters it is.
 */
export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Attributes, set with `setAttribute` (never `style` or `on*`: the CSP forbids inline ones and events are listeners). */
  attrs?: Record<string, string | number | boolean | null | undefined>;
  /** Event listeners. */
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  text?: string;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el: Element, attrs: Props['attrs']): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (/^on/i.test(name) || name === 'style' || name === 'srcdoc') throw new TypeError(`h: attribute ${name} is not allowed`);
    if (value === null || value === undefined || value === false) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

/** Replaces `el`'s children with `children`, strings as text. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
}

/** An HTML element with props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  setAttrs(el, props.attrs);
  for (const [type, listener] of Object.entries(props.on ?? {})) el.addEventListener(type, listener as EventListener);
  if (props.text !== undefined) el.textContent = props.text;
  else fill(el, ...children);
  return el;
}

/** An SVG element (sparklines). */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Props['attrs'] = {}, ...children: SVGElement[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  el.append(...children);
  return el;
}

/** Sets `el.textContent` only when it changed, so live updates do not disturb selection or screen readers. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Keeps `parent`'s children in step with `items` by key: an element is made once per key
 * and updated in place after, so a row's buttons keep their focus while figures change.
 */
export function keyed<T, E extends Element>(parent: Element, items: readonly T[], key: (item: T) => string, make: (item: T) => { el: E; update(item: T): void }, cache: Map<string, { el: E; update(item: T): void }>): void {
  const seen = new Set<string>();
  let before: ChildNode | null = parent.firstChild;
  for (const item of items) {
    const k = key(item);
    seen.add(k);
    let entry = cache.get(k);
    if (!entry) cache.set(k, (entry = make(item)));
    entry.update(item);
    if (entry.el !== before) parent.insertBefore(entry.el, before);
    else before = before.nextSibling;
  }
  for (const [k, entry] of cache) {
    if (!seen.has(k)) {
      entry.el.remove();
      cache.delete(k);
    }
  }
}

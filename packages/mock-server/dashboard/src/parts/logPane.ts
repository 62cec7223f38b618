import { h, setText } from '../h.js';
import { button } from './fields.js';

/** Lines kept on the page; older ones scroll away so a chatty container cannot eat the tab's memory. */
const MAX_LINES = 2_000;

/**
 * A container's log, tailed and followed live over SSE (`/logs?follow&tail=200`). The
 * server joins every such viewer of a container to one shared agent stream. Lines are
 * text nodes: markup in a log line is shown, never run.
 */
export function logPane(onClose: () => void) {
  const title = h('h2', { class: 'pane-title' });
  const state = h('span', { class: 'pane-state', attrs: { role: 'status' } });
  const list = h('ol', { class: 'log-lines', attrs: { tabindex: '0', 'aria-label': 'Log lines' } });
  let source: EventSource | null = null;
  let follow = true;
  const followBtn = button('Pause scrolling', () => {
    follow = !follow;
    followBtn.textContent = follow ? 'Pause scrolling' : 'Resume scrolling';
    followBtn.setAttribute('aria-pressed', String(!follow));
  }, { 'aria-pressed': 'false' }, 'btn btn-small btn-quiet');
  const close = button('Close logs', () => onClose(), {}, 'btn btn-small');
  const el = h('section', { class: 'panel log-pane', attrs: { 'aria-label': 'Container logs' } }, h('div', { class: 'pane-head' }, title, state, h('div', { class: 'actions' }, followBtn, close)), list);
  el.hidden = true;

  const add = (stream: string, line: string) => {
    const item = h('li', { class: stream === 'stderr' ? 'stderr' : undefined }, line);
    list.append(item);
    while (list.childElementCount > MAX_LINES) list.firstElementChild!.remove();
    if (follow) list.scrollTop = list.scrollHeight;
  };

  return {
    el,
    /** The container shown, or null. */
    containerId: null as string | null,
    open(containerId: string, name: string) {
      this.close();
      this.containerId = containerId;
      el.hidden = false;
      setText(title, `Logs of ${name}`);
      setText(state, 'Connecting…');
      list.replaceChildren();
      const es = new EventSource(`/api/containers/${encodeURIComponent(containerId)}/logs?follow=true&tail=200`);
      source = es;
      es.addEventListener('open', () => setText(state, 'Following'));
      es.addEventListener('log', (event) => {
        const entry = JSON.parse((event as MessageEvent<string>).data) as { stream: string; line: string };
        add(entry.stream, entry.line);
      });
      es.addEventListener('end', () => {
        setText(state, 'The container stopped; its log ended.');
        es.close();
      });
      es.addEventListener('error', (event) => {
        const data = (event as MessageEvent<string>).data;
        if (data) {
          const { error } = JSON.parse(data) as { error: { code: string; message: string } };
          setText(state, `${error.message} [${error.code}]`);
          es.close();
        } else {
          // A resumed follow would repeat the tail: stop here and let the operator reopen.
          setText(state, 'Disconnected. Open the logs again to resume.');
          es.close();
        }
      });
      el.scrollIntoView({ block: 'nearest' });
      list.focus();
    },
    close() {
      source?.close();
      source = null;
      this.containerId = null;
      el.hidden = true;
    },
  };
}

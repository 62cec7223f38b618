import type { MigrationView } from '../../../src/http/apiTypes.js';
import { clock, duration } from '../format.js';
import { fill, h, keyed, setText } from '../h.js';
import { badge } from '../parts/figures.js';
import { stepList } from '../parts/stepList.js';
import type { Page, PageContext } from './Page.js';

const STATUS_STATE: Record<MigrationView['status'], string> = { running: 'pending', succeeded: 'online', 'rolled-back': 'suspect', failed: 'lost', cancelled: 'offline' };
const TRIGGER: Record<MigrationView['trigger'], string> = { 'node-lost': 'Node lost', manual: 'Manual' };

function migrationItem(ctx: PageContext, first: MigrationView) {
  const summary = h('summary', { class: 'mig-summary' });
  const body = h('div', { class: 'mig-body' });
  const status = badge();
  const what = h('span', { class: 'mig-what' });
  const route = h('span', { class: 'mig-route' });
  const times = h('span', { class: 'mig-times' });
  fill(summary, what, status.el, route, times);
  const el = h('details', { class: 'mig', attrs: { 'data-migration-id': first.id } }, summary, body);
  return {
    el,
    update(m: MigrationView) {
      const now = ctx.now();
      setText(what, `${m.containerName} · ${TRIGGER[m.trigger]}`);
      status.set(STATUS_STATE[m.status], m.status);
      setText(route, `${ctx.fleet.nodeName(m.sourceNodeId)} → ${m.targetNodeId ? ctx.fleet.nodeName(m.targetNodeId) : 'no target yet'}`);
      const took = m.endedAt ? duration(Date.parse(m.endedAt) - Date.parse(m.startedAt)) : `${duration(now - Date.parse(m.startedAt))} so far`;
      setText(times, `started ${clock(m.startedAt, now)}${m.endedAt ? `, ended ${clock(m.endedAt, now)}` : ''} · ${took}`);
      fill(body, m.error ? h('p', { class: 'notice', attrs: { 'data-kind': 'error' }, text: m.error }) : null, stepList(m, now, (id) => ctx.fleet.nodeName(id)));
    },
  };
}

/** `/dashboard/migrations`: the history, newest first; each opens to its steps with their times. */
export function migrationsPage(ctx: PageContext): Page {
  const list = h('div', { class: 'mig-list' });
  const items = new Map<string, ReturnType<typeof migrationItem>>();
  const summary = h('p', { class: 'summary', attrs: { 'aria-live': 'polite' } });
  const empty = h('p', { class: 'empty', text: 'No migrations yet. Failover records a move when a node is lost; Migrate on a container starts one.' });
  const el = h('section', { class: 'page' }, h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: 'Migrations' }), summary)), list, empty);
  return {
    title: 'Migrations',
    el,
    render() {
      const all = [...ctx.fleet.migrations.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      const running = all.filter((m) => m.status === 'running').length;
      setText(summary, `${all.length} migration${all.length === 1 ? '' : 's'}${running ? `, ${running} running` : ''}`);
      empty.hidden = all.length > 0 || !ctx.fleet.loaded;
      keyed(list, all, (m) => m.id, (m) => migrationItem(ctx, m), items);
    },
  };
}

import { api } from '../api.js';
import { nodeState } from '../FleetState.js';
import { duration } from '../format.js';
import { fill, h, setText } from '../h.js';
import type { PageContext } from '../pages/Page.js';
import { button, field, select, setOptions } from './fields.js';
import { notice, pending } from './notice.js';
import { stepList } from './stepList.js';

/**
 * Migrate a container: to a node the operator picks, or automatic (the server's chooser).
 * Once started, the dialog shows each step as the live stream brings it.
 */
export function migrateDialog(ctx: PageContext) {
  let containerId: string | null = null;
  let migrationId: string | null = null;
  const title = h('h2', { attrs: { id: 'migrate-title' } });
  const target = select([]);
  const note = notice();
  const status = h('p', { class: 'summary', attrs: { role: 'status' } });
  const steps = h('div');
  const go = h('button', { class: 'btn btn-primary', attrs: { type: 'submit' }, text: 'Migrate' });
  const form = h(
    'form',
    {
      on: {
        submit: (event) => {
          event.preventDefault();
          const id = containerId;
          if (!id) return;
          void pending(go, 'Starting…', note, async () => {
            const migration = await api('POST /api/containers/:id/migrate', { params: { id }, body: target.value ? { targetNodeId: target.value } : {} });
            migrationId = migration.id;
            if (!ctx.fleet.migrations.has(migration.id)) ctx.fleet.apply('migration', { action: 'started', migration });
            dialog.render();
          });
        },
      },
    },
    field('Target', target, 'Automatic: the least loaded online node, its own cluster first.'),
    h('div', { class: 'actions' }, go, button('Close', () => el.close(), {}, 'btn btn-quiet')),
  );
  const el = h('dialog', { class: 'dialog', attrs: { 'aria-labelledby': 'migrate-title' } }, title, form, note.el, status, steps);
  const dialog = {
    el,
    open(id: string) {
      containerId = id;
      migrationId = null;
      note.clear();
      fill(steps);
      setText(status, '');
      target.value = '';
      go.disabled = false;
      dialog.render();
      el.showModal();
    },
    render() {
      if (!containerId) return;
      const container = ctx.fleet.containers.get(containerId);
      setText(title, `Migrate ${container?.name ?? containerId}`);
      const others = [...ctx.fleet.nodes.values()].filter((n) => n.id !== container?.nodeId && nodeState(n) === 'online');
      setOptions(target, [{ value: '', label: 'Automatic' }, ...others.map((n) => ({ value: n.id, label: `${n.name}${n.cluster ? ` (${n.cluster.name})` : ''}` }))]);
      const migration = migrationId ? ctx.fleet.migrations.get(migrationId) : null;
      if (!migration) return;
      go.disabled = migration.status === 'running';
      const took = migration.endedAt ? ` in ${duration(Date.parse(migration.endedAt) - Date.parse(migration.startedAt))}` : '';
      setText(status, `${migration.status}${took}: ${ctx.fleet.nodeName(migration.sourceNodeId)} → ${ctx.fleet.nodeName(migration.targetNodeId)}${migration.error ? ` — ${migration.error}` : ''}`);
      fill(steps, stepList(migration, ctx.now(), (id) => ctx.fleet.nodeName(id)));
    },
  };
  return dialog;
}

import type { ContainerView, CreateContainerBody, ProgressLine } from '../../../src/http/apiTypes.js';
import { ApiError, api, ndjsonLines, send } from '../api.js';
import { nodeState } from '../FleetState.js';
import { bytes, parseEnv, parseVolumes, splitCommand } from '../format.js';
import { fill, h, keyed, setText } from '../h.js';
import { badge } from '../parts/figures.js';
import { button, field, input, select, setOptions } from '../parts/fields.js';
import { logPane } from '../parts/logPane.js';
import { drawer, formPanel } from '../parts/formPanel.js';
import { notice, pending } from '../parts/notice.js';
import { migrateDialog } from '../parts/migrateDialog.js';
import type { Page, PageContext } from './Page.js';

/** The create form; its progress area shows pull progress per layer while the agent pulls. */
function createForm(ctx: PageContext) {
  const name = input({ name: 'name', required: true, pattern: '[a-zA-Z0-9][a-zA-Z0-9_.\\-]*', autocomplete: 'off' });
  const image = input({ name: 'image', required: true, autocomplete: 'off', placeholder: 'lormas-test/busybox:latest' });
  const command = input({ name: 'command', autocomplete: 'off', placeholder: 'sh -c "echo hello; sleep 3600"' });
  const env = h('textarea', { attrs: { name: 'env', rows: '3', placeholder: 'KEY=value' } });
  const volumes = h('textarea', { attrs: { name: 'volumes', rows: '2', placeholder: 'data:/var/lib/data' } });
  const network = select([
    { value: 'none', label: 'none (no network)' },
    { value: 'bridge', label: 'bridge' },
    { value: 'host', label: 'host (if the node allows it)' },
    { value: '', label: 'engine default' },
  ]);
  const ha = h('input', { attrs: { type: 'checkbox', name: 'ha', id: 'create-ha' } });
  const where = select([]);
  const progress = h('ol', { class: 'progress', attrs: { 'aria-label': 'Progress', 'aria-live': 'polite' } });
  const layers = new Map<string, HTMLLIElement>();

  const step = (text: string) => progress.append(h('li', { text }));
  const layer = (id: string, status: string, current?: number, total?: number) => {
    let row = layers.get(id);
    if (!row) {
      row = h('li', { class: 'layer' });
      layers.set(id, row);
      progress.append(row);
    }
    const bar = h('progress', { attrs: { max: total ?? 1, value: total ? current ?? 0 : status.includes('complete') ? 1 : 0, 'aria-label': `Layer ${id}` } });
    fill(row, h('span', { class: 'mono', text: id }), ' ', status, total ? ` ${bytes(current ?? 0)} / ${bytes(total)}` : '', bar);
  };

  const body = (): CreateContainerBody => {
    const cmd = command.value.trim() ? splitCommand(command.value) : undefined;
    const mounts = parseVolumes(volumes.value);
    const [kind, id] = where.value.split(':') as ['any' | 'cluster' | 'node', string | undefined];
    return {
      spec: { name: name.value.trim(), image: image.value.trim(), ...(cmd ? { cmd } : {}), env: parseEnv(env.value), mounts, ...(network.value ? { networkMode: network.value } : {}) },
      ha: ha.checked,
      ...(kind === 'node' ? { nodeId: id! } : kind === 'cluster' ? { cluster: id! } : {}),
    };
  };

  const { form } = formPanel({
    label: 'Create a container',
    submit: 'Create and start',
    busy: 'Creating…',
    fields: [
      field('Name', name),
      field('Image', image, 'Pulled on the node if it is missing there.'),
      field('Command', command, 'Words split as a shell would; quotes keep spaces.'),
      field('Network', network),
      field('Environment', env, 'One KEY=value a line.'),
      field('Volumes', volumes, 'One named volume a line: name:/path, or name:/path:ro.'),
      field('Place on', where, 'Any node: the server picks the least loaded online node.'),
      h('div', { class: 'field field-check' }, ha, h('label', { attrs: { for: 'create-ha' }, text: 'High availability: move it to another node if its node is lost' })),
    ],
    after: [progress],
    run: async (note) => {
      progress.replaceChildren();
      layers.clear();
      let request: CreateContainerBody;
      try {
        request = body();
      } catch (error) {
        throw new Error(`Check the form: ${(error as Error).message}`);
      }
      const res = await send('POST /api/containers', { body: request, accept: 'application/x-ndjson' });
      for await (const raw of ndjsonLines(res)) {
        const line = raw as ProgressLine;
        if (line.type === 'pulling') layer(line.layer ?? line.image, line.status, line.currentBytes, line.totalBytes);
        else if (line.type === 'pulled') step(`Pulled ${line.image}`);
        else if (line.type === 'creating') step('Creating…');
        else if (line.type === 'created') step(`Created ${line.containerId.slice(0, 12)}`);
        else if (line.type === 'starting') step('Starting…');
        else if (line.type === 'running') step('Running');
        else if (line.type === 'failed') step(`Failed: ${line.error.message}`);
        else if (line.type === 'error') throw new ApiError(0, line.error.code, line.error.message, line.error.rule, line.error.issues);
        else if (line.type === 'result') {
          const created = line.result as ContainerView & { placement: { nodeName: string; reason: string } | null };
          note.ok(
            created.placement
              ? `Created ${created.name} on ${created.placement.nodeName}: ${created.placement.reason}.`
              : `Created ${created.name} on ${ctx.fleet.nodeName(created.nodeId)}.`,
          );
        }
      }
    },
  });
  return {
    el: drawer('New container', form),
    render() {
      setOptions(where, [
        { value: 'any', label: 'Any node' },
        ...[...ctx.fleet.clusters.values()].map((c) => ({ value: `cluster:${c.id}`, label: `Any node of cluster ${c.name}` })),
        ...[...ctx.fleet.nodes.values()].map((n) => ({ value: `node:${n.id}`, label: `Node ${n.name}` })),
      ]);
    },
  };
}

const STATE_OF: Record<string, string> = { running: 'online', exited: 'offline', created: 'offline', missing: 'lost', dead: 'lost', removed: 'lost', paused: 'suspect', restarting: 'suspect' };

function containerRow(ctx: PageContext, first: ContainerView, logs: ReturnType<typeof logPane>, migrate: ReturnType<typeof migrateDialog>) {
  const id = first.id;
  const name = h('th', { attrs: { scope: 'row' }, class: 'mono' });
  const node = h('td');
  const state = badge();
  const ha = h('td');
  const image = h('td', { class: 'mono' });
  const note = notice();
  let busy: string | null = null;
  const act = (label: string, busyLabel: string, run: () => Promise<unknown>) => {
    const b = button(label, () => {
      busy = busyLabel;
      row.update(ctx.fleet.containers.get(id) ?? first);
      void pending(b, `${busyLabel}…`, note, run).finally(() => {
        busy = null;
        const current = ctx.fleet.containers.get(id);
        if (current) row.update(current);
      });
    }, {}, 'btn btn-small');
    return b;
  };
  const start = act('Start', 'Starting', () => api('POST /api/containers/:id/start', { params: { id } }));
  const stop = act('Stop', 'Stopping', () => api('POST /api/containers/:id/stop', { params: { id }, body: {} }));
  const restart = act('Restart', 'Restarting', () => api('POST /api/containers/:id/restart', { params: { id }, body: {} }));
  const logsBtn = button('Logs', () => logs.open(id, ctx.fleet.containers.get(id)?.name ?? id), {}, 'btn btn-small btn-quiet');
  const migrateBtn = button('Migrate', () => migrate.open(id), {}, 'btn btn-small btn-quiet');
  const remove = act('Remove', 'Removing', async () => {
    if (!confirm(`Remove ${ctx.fleet.containers.get(id)?.name ?? id}? It is stopped and deleted on its node.`)) return;
    await api('DELETE /api/containers/:id', { params: { id } });
  });
  remove.classList.add('btn-danger');
  const buttons = [start, stop, restart, logsBtn, migrateBtn, remove];
  const row = {
    el: h('tr', { attrs: { 'data-container-id': id } }, name, node, h('td', {}, state.el), ha, image, h('td', { class: 'row-actions' }, h('div', { class: 'actions' }, ...buttons), note.el)),
    update(c: ContainerView) {
      setText(name, c.name);
      const host = ctx.fleet.nodes.get(c.nodeId);
      setText(node, `${ctx.fleet.nodeName(c.nodeId)}${host && nodeState(host) !== 'online' ? ` (${nodeState(host)})` : ''}`);
      const moving = [...ctx.fleet.migrations.values()].some((m) => m.containerId === c.id && m.status === 'running');
      const word = busy ? `${busy.toLowerCase()}…` : moving ? 'migrating…' : c.state ?? 'unknown';
      state.set(busy || moving ? 'pending' : STATE_OF[c.state ?? ''] ?? 'offline', word);
      setText(ha, c.ha ? 'HA' : '—');
      setText(image, c.image);
      const running = c.state === 'running';
      if (!busy) {
        start.disabled = running;
        stop.disabled = !running;
      }
      for (const b of buttons) b.setAttribute('aria-label', `${b.textContent} ${c.name}`);
    },
  };
  return row;
}

/** `/dashboard/containers`: every container with filters, the create form, actions, logs and migration. */
export function containersPage(ctx: PageContext): Page {
  const create = createForm(ctx);
  const byNode = select([], { 'aria-label': 'Filter by node' });
  const byCluster = select([], { 'aria-label': 'Filter by cluster' });
  const byState = select([], { 'aria-label': 'Filter by state' });
  const tbody = h('tbody');
  const rows = new Map<string, ReturnType<typeof containerRow>>();
  const empty = h('p', { class: 'empty' });
  const logs = logPane(() => logs.close());
  const migrate = migrateDialog(ctx);
  const render = () => page.render();
  for (const filter of [byNode, byCluster, byState]) filter.addEventListener('change', render);
  const table = h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'table' }, h('caption', { class: 'visually-hidden', text: 'Containers' }), h('thead', {}, h('tr', {}, ...['Name', 'Node', 'State', 'HA', 'Image', 'Actions'].map((t) => h('th', { attrs: { scope: 'col' }, text: t })))), tbody),
  );
  const summary = h('p', { class: 'summary', attrs: { 'aria-live': 'polite' } });
  const el = h(
    'section',
    { class: 'page' },
    h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: 'Containers' }), summary), create.el),
    h('div', { class: 'filters', attrs: { role: 'group', 'aria-label': 'Filters' } }, field('Node', byNode), field('Cluster', byCluster), field('State', byState)),
    table,
    empty,
    logs.el,
    migrate.el,
  );
  const page: Page = {
    title: 'Containers',
    el,
    render() {
      create.render();
      migrate.render();
      const nodes = [...ctx.fleet.nodes.values()];
      setOptions(byNode, [{ value: '', label: 'All nodes' }, ...nodes.map((n) => ({ value: n.id, label: n.name }))]);
      setOptions(byCluster, [{ value: '', label: 'All clusters' }, ...[...ctx.fleet.clusters.values()].map((c) => ({ value: c.id, label: c.name }))]);
      const all = [...ctx.fleet.containers.values()];
      const states = [...new Set(all.map((c) => c.state ?? 'unknown'))].sort();
      setOptions(byState, [{ value: '', label: 'Any state' }, ...states.map((s) => ({ value: s, label: s }))]);
      const inCluster = byCluster.value ? new Set(nodes.filter((n) => n.cluster?.id === byCluster.value).map((n) => n.id)) : null;
      const shown = all
        .filter((c) => (!byNode.value || c.nodeId === byNode.value) && (!inCluster || inCluster.has(c.nodeId)) && (!byState.value || (c.state ?? 'unknown') === byState.value))
        .sort((a, b) => a.name.localeCompare(b.name));
      setText(summary, `${all.length} container${all.length === 1 ? '' : 's'}, ${all.filter((c) => c.state === 'running').length} running${shown.length !== all.length ? `; ${shown.length} shown` : ''}`);
      keyed(tbody, shown, (c) => c.id, (c) => containerRow(ctx, c, logs, migrate), rows);
      empty.hidden = shown.length > 0 || !ctx.fleet.loaded;
      setText(empty, all.length ? 'No container matches the filters.' : 'No containers yet. Create one, on a node, a cluster, or wherever there is room.');
      if (logs.containerId && !ctx.fleet.containers.has(logs.containerId)) logs.close();
    },
    dispose() {
      logs.close();
    },
  };
  return page;
}

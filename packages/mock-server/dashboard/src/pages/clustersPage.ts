import type { ClusterView } from '../../../src/http/apiTypes.js';
import { api } from '../api.js';
import { nodeState } from '../FleetState.js';
import { bytes, percent, share } from '../format.js';
import { fill, h, keyed, setText } from '../h.js';
import { badge, meter } from '../parts/figures.js';
import { button, field, input, select, setOptions } from '../parts/fields.js';
import { drawer, formPanel } from '../parts/formPanel.js';
import { notice, pending } from '../parts/notice.js';
import type { Page, PageContext } from './Page.js';

function clusterCard(ctx: PageContext, first: ClusterView) {
  const id = first.id;
  const title = h('h3', { class: 'card-title' });
  const sub = h('p', { class: 'card-sub' });
  const stats = h('dl', { class: 'stats' });
  const cpu = meter('CPU (mean)');
  const mem = meter('Memory');
  const members = h('ul', { class: 'members', attrs: { 'aria-label': `Nodes of ${first.name}` } });
  const note = notice();
  const add = select([], { 'aria-label': `Add a node to ${first.name}` });
  add.addEventListener('change', () => {
    const nodeId = add.value;
    if (!nodeId) return;
    add.disabled = true;
    note.clear();
    api('PATCH /api/nodes/:id', { params: { id: nodeId }, body: { cluster: id } })
      .catch((error: unknown) => note.error(error))
      .finally(() => {
        add.disabled = false;
        add.value = '';
      });
  });
  const newName = input({ 'aria-label': `New name for ${first.name}`, placeholder: 'New name', maxlength: '128', required: true });
  const save = h('button', { class: 'btn', attrs: { type: 'submit' }, text: 'Rename' });
  const rename = h(
    'form',
    {
      class: 'inline-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          const name = newName.value.trim();
          void pending(save, 'Renaming…', note, async () => {
            await api('PATCH /api/clusters/:id', { params: { id }, body: { name } });
            newName.value = '';
            note.ok('Renamed. Its nodes and the containers that prefer it keep it: they refer to it by id.');
          });
        },
      },
    },
    newName,
    save,
  );
  const remove = button('Delete', () => {
    const cluster = ctx.fleet.clusters.get(id);
    if (!cluster) return;
    if (!confirm(`Delete cluster ${cluster.name}? Its ${cluster.nodes.length} node(s) stay registered, in no cluster, and containers that prefer it lose that preference. Nothing is moved or stopped.`)) return;
    void pending(remove, 'Deleting…', note, () => api('DELETE /api/clusters/:id', { params: { id } }));
  }, {}, 'btn btn-danger');
  const el = h(
    'article',
    { class: 'card', attrs: { 'data-cluster-id': id } },
    h('header', { class: 'card-head' }, h('div', {}, title, sub)),
    stats,
    h('div', { class: 'meters' }, cpu.el, mem.el),
    h('h4', { text: 'Nodes' }),
    members,
    field('Add node', add),
    h('footer', { class: 'card-foot' }, rename, remove),
    note.el,
  );
  const memberRows = new Map<string, { el: HTMLLIElement; update(nodeId: string): void }>();
  return {
    el,
    update(cluster: ClusterView) {
      setText(title, cluster.name);
      setText(sub, cluster.description ?? '');
      const t = ctx.fleet.totals(cluster.id);
      const stat = (label: string, value: string) => h('div', {}, h('dt', { text: label }), h('dd', { text: value }));
      fill(stats, stat('Nodes online', `${t.online} / ${t.nodes}`), stat('Containers', `${t.running} running / ${t.containers}`));
      cpu.set(t.cpuPercent, percent(t.cpuPercent));
      mem.set(t.memoryTotalBytes ? share(t.memoryUsedBytes, t.memoryTotalBytes) : null, t.memoryTotalBytes ? `${bytes(t.memoryUsedBytes)} / ${bytes(t.memoryTotalBytes)}` : '—');
      const nodes = [...ctx.fleet.nodes.values()].filter((n) => n.cluster?.id === cluster.id).map((n) => n.id);
      keyed(
        members,
        nodes,
        (nodeId) => nodeId,
        (nodeId) => {
          const state = badge();
          const name = h('span', { class: 'member-name' });
          const out = button('Remove', () => {
            out.disabled = true;
            api('PATCH /api/nodes/:id', { params: { id: nodeId }, body: { cluster: null } }).catch((error: unknown) => {
              out.disabled = false;
              note.error(error);
            });
          }, {}, 'btn btn-small btn-quiet');
          return {
            el: h('li', {}, name, state.el, out),
            update(nodeId: string) {
              const node = ctx.fleet.nodes.get(nodeId);
              const s = node ? nodeState(node) : 'offline';
              setText(name, ctx.fleet.nodeName(nodeId));
              state.set(s);
              out.setAttribute('aria-label', `Remove ${ctx.fleet.nodeName(nodeId)} from ${cluster.name}`);
            },
          };
        },
        memberRows,
      );
      if (!nodes.length) fill(members, h('li', { class: 'empty', text: 'No nodes.' }));
      else members.querySelector('.empty')?.remove();
      const others = [...ctx.fleet.nodes.values()].filter((n) => n.cluster?.id !== cluster.id);
      setOptions(add, [{ value: '', label: others.length ? 'Choose a node…' : 'Every node is in it' }, ...others.map((n) => ({ value: n.id, label: `${n.name}${n.cluster ? ` (from ${n.cluster.name})` : ''}` }))]);
    },
  };
}

/** `/dashboard/clusters`: groups of nodes with their totals; create, rename, delete, assign. */
export function clustersPage(ctx: PageContext): Page {
  const grid = h('div', { class: 'cards' });
  const cards = new Map<string, ReturnType<typeof clusterCard>>();
  const unassigned = h('p', { class: 'summary' });
  const empty = h('p', { class: 'empty', text: 'No clusters yet. A cluster groups nodes: failover and placement look there first.' });
  const name = input({ name: 'name', required: true, maxlength: '128', autocomplete: 'off' });
  const description = input({ name: 'description', maxlength: '1000', autocomplete: 'off' });
  const { form } = formPanel({
    label: 'Create a cluster',
    submit: 'Create',
    busy: 'Creating…',
    fields: [field('Name', name), field('Description', description)],
    run: async () => {
      await api('POST /api/clusters', { body: { name: name.value.trim(), description: description.value.trim() || null } });
    },
  });
  const create = drawer('New cluster', form);
  const el = h('section', { class: 'page' }, h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: 'Clusters' }), unassigned), create), grid, empty);
  return {
    title: 'Clusters',
    el,
    render() {
      const clusters = [...ctx.fleet.clusters.values()].sort((a, b) => a.name.localeCompare(b.name));
      const free = ctx.fleet.totals(null);
      setText(unassigned, `${clusters.length} cluster${clusters.length === 1 ? '' : 's'}; ${free.nodes} node${free.nodes === 1 ? '' : 's'} in no cluster`);
      empty.hidden = clusters.length > 0 || !ctx.fleet.loaded;
      keyed(grid, clusters, (c) => c.id, (c) => clusterCard(ctx, c), cards);
    },
  };
}

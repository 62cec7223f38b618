import type { NodeView, RolloutView } from '../../../src/http/apiTypes.js';
import { api } from '../api.js';
import { nodeState } from '../FleetState.js';
import { ago, bytes, share } from '../format.js';
import { fill, h, keyed, setText } from '../h.js';
import { badge, meter, sparkline } from '../parts/figures.js';
import { button, field, input, select, setOptions } from '../parts/fields.js';
import { drawer, formPanel } from '../parts/formPanel.js';
import { notice, pending } from '../parts/notice.js';
import type { Page, PageContext } from './Page.js';

const STATE_LABEL = { online: 'Online', suspect: 'Suspect', lost: 'Lost', offline: 'Offline' } as const;


/** The `.env` an operator copies to the node, with the token shown this once. */
function envLines(serverUrl: string, token: string, name: string): string {
  return [`SERVER_URL=${serverUrl}`, `NODE_TOKEN=${token}`, `NODE_NAME=${name}`, 'LOG_LEVEL=info'].join('\n');
}

/** A `pre` of text to copy, with its Copy button. */
function copyable(label: string, text: string, copied: ReturnType<typeof notice>): HTMLElement[] {
  return [
    h('pre', { class: 'code', attrs: { tabindex: '0', 'aria-label': label }, text }),
    button(`Copy ${label.toLowerCase()}`, () => {
      navigator.clipboard?.writeText(text).then(
        () => copied.ok('Copied.'),
        () => copied.error(new Error('Copying was refused; select the text instead.')),
      );
    }),
  ];
}

/** The one-line install of a node with its join code, or why the server offers none. */
function installBox(join: { command: string | null; note: string | null; expiresAt: string }): HTMLElement {
  const copied = notice();
  if (!join.command) return h('p', { class: 'note', text: join.note ?? 'No one-line install.' });
  return h(
    'div',
    { class: 'install-box' },
    h('p', { text: `Or install and join in one line, as root on the node (the code works once, until ${new Date(join.expiresAt).toLocaleTimeString()}):` }),
    ...copyable('Install command', join.command, copied),
    copied.el,
  );
}

/** A box that shows a freshly issued token once, with the lines to copy. */
function tokenBox(title: string, name: string, token: string, serverUrl: string, onClose: () => void): HTMLElement {
  const text = envLines(serverUrl, token, name);
  const copied = notice();
  const box = h(
    'section',
    { class: 'token-box', attrs: { 'aria-label': title } },
    h('h3', { text: title }),
    h('p', { text: 'This token is shown once. Put these lines in the agent\u2019s .env on the node:' }),
    h('pre', { class: 'code', attrs: { tabindex: '0', 'aria-label': '.env lines' }, text }),
    h(
      'div',
      { class: 'actions' },
      button('Copy', () => {
        navigator.clipboard?.writeText(text).then(
          () => copied.ok('Copied.'),
          () => copied.error(new Error('Copying was refused; select the text instead.')),
        );
      }),
      button('Done', () => onClose(), {}, 'btn btn-quiet'),
    ),
    copied.el,
  );
  return box;
}

function nodeCard(ctx: PageContext, first: NodeView) {
  const id = first.id;
  const title = h('h3', { class: 'card-title' });
  const status = badge();
  const sub = h('p', { class: 'card-sub' });
  const cpu = meter('CPU');
  const mem = meter('Memory');
  const disk = meter('Disk');
  const cpuSpark = sparkline('CPU');
  const memSpark = sparkline('Memory');
  const facts = h('dl', { class: 'facts' });
  const note = notice();
  const tokenSlot = h('div');
  const clusterSelect = select([], { 'aria-label': `Cluster of ${first.name}` });
  clusterSelect.addEventListener('change', () => {
    const value = clusterSelect.value;
    note.clear();
    clusterSelect.disabled = true;
    api('PATCH /api/nodes/:id', { params: { id }, body: { cluster: value === '' ? null : value } })
      .catch((error: unknown) => note.error(error))
      .finally(() => (clusterSelect.disabled = false));
  });
  const rotate = button('Rotate token', () => {
    void pending(rotate, 'Rotating…', note, async () => {
      const { token } = await api('POST /api/nodes/:id/token', { params: { id } });
      fill(tokenSlot, tokenBox(`New token for ${ctx.fleet.nodeName(id)}`, ctx.fleet.nodeName(id), token, ctx.session.agentUrl, () => fill(tokenSlot)));
    });
  }, {}, 'btn btn-quiet');
  rotate.hidden = !ctx.session.features.rotateNodeToken;
  const revoke = button('Revoke', () => {
    const name = ctx.fleet.nodeName(id);
    if (!confirm(`Revoke ${name}? Its agent is disconnected at once and its token stops working. The server forgets its containers; they keep running on the host.`)) return;
    void pending(revoke, 'Revoking…', note, () => api('DELETE /api/nodes/:id', { params: { id } }));
  }, {}, 'btn btn-danger');
  const el = h(
    'article',
    { class: 'card node-card', attrs: { 'data-node-id': id } },
    h('header', { class: 'card-head' }, h('div', {}, title, sub), status.el),
    h('div', { class: 'meters' }, cpu.el, mem.el, disk.el),
    h('div', { class: 'sparks' }, cpuSpark.el, memSpark.el),
    facts,
    h('footer', { class: 'card-foot' }, field('Cluster', clusterSelect), h('div', { class: 'actions' }, rotate, revoke)),
    note.el,
    tokenSlot,
  );
  const fact = (term: string, value: string) => [h('dt', { text: term }), h('dd', { text: value })];
  return {
    el,
    update(node: NodeView) {
      const state = nodeState(node);
      const now = ctx.now();
      setText(title, node.name);
      status.set(state, STATE_LABEL[state]);
      el.dataset['state'] = state;
      setText(sub, [node.cluster?.name ?? 'No cluster', node.description].filter(Boolean).join(' · '));
      cpu.set(node.cpu?.usagePercent ?? null, node.cpu ? `${Math.round(node.cpu.usagePercent)}% of ${node.cpu.cores} cores` : '—');
      const memPct = node.memory ? share(node.memory.usedBytes, node.memory.totalBytes) : null;
      mem.set(memPct, node.memory ? `${bytes(node.memory.usedBytes)} / ${bytes(node.memory.totalBytes)}` : '—');
      const diskPct = node.disk ? share(node.disk.usedBytes, node.disk.totalBytes) : null;
      disk.set(diskPct, node.disk ? `${bytes(node.disk.usedBytes)} / ${bytes(node.disk.totalBytes)}` : '—');
      const samples = ctx.fleet.samples.get(node.id) ?? [];
      cpuSpark.set(samples, (s) => s.cpuPercent);
      memSpark.set(samples, (s) => s.memoryPercent);
      const held = [...ctx.fleet.containers.values()].filter((c) => c.nodeId === node.id).length;
      fill(
        facts,
        ...fact('Containers', node.containers ? `${node.containers.running} running / ${node.containers.managed} managed` : `${held} placed`),
        ...fact('Last heartbeat', ago(node.lastHeartbeatAt, now)),
        ...fact('Connected since', node.connectedSince ? ago(node.connectedSince, now).replace(' ago', '') : 'not connected'),
        ...fact('Agent', node.agentVersion ? `${node.agentVersion} (protocol ${node.protocolVersion ?? '?'}${node.build ? `, ${node.build.kind}` : ''}) on ${node.runtime?.name ?? '?'} ${node.runtime?.version ?? ''}` : '—'),
        ...fact('Upgrade', upgradeText(node)),
        ...fact('Engine', node.engine ? (node.engine.up ? `Docker ${node.engine.version ?? ''}` : `down${node.engine.error ? `: ${node.engine.error}` : ''}`) : '—'),
      );
      setOptions(clusterSelect, [{ value: '', label: 'No cluster' }, ...[...ctx.fleet.clusters.values()].map((c) => ({ value: c.id, label: c.name }))]);
      if (document.activeElement !== clusterSelect) clusterSelect.value = node.cluster?.id ?? '';
    },
  };
}

/** What a node's card says of its agent against the server's newest build. */
function upgradeText(node: NodeView): string {
  if (node.refused) return `refused: ${node.refused.reason}`;
  const { status, latest, reason } = node.upgrade;
  if (status === 'available') return `${latest} available`;
  if (status === 'by-hand') return `needs ${latest}, by hand: ${reason}`;
  if (status === 'current') return node.lastUpgrade?.outcome === 'rolled-back' ? `current; ${node.lastUpgrade.version} was rolled back` : 'current';
  return '—';
}

const ROLLOUT_LABEL = { pending: 'Waiting', upgrading: 'Upgrading', succeeded: 'Done', failed: 'Failed', skipped: 'Skipped' } as const;

/** The newest rollout: its state, and each node's part, live. */
function rolloutPanel(ctx: PageContext) {
  const head = h('p', { class: 'summary', attrs: { 'aria-live': 'polite' } });
  const rows = h('tbody');
  const table = h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ...['Node', 'From', 'Status', 'Detail'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))), rows);
  const version = select([], { 'aria-label': 'Version to roll out' });
  const batch = input({ name: 'batchSize', type: 'number', min: '1', value: '1' });
  const away = input({ name: 'maxUnavailable', type: 'number', min: '1', value: '1' });
  const note = notice();
  const start = button('Roll out', () => {
    void pending(start, 'Starting…', note, () =>
      api('POST /api/agents/rollout', { body: { version: version.value, batchSize: Number(batch.value) || 1, maxUnavailable: Number(away.value) || 1 } }).then((rollout) => ctx.fleet.apply('rollout', { action: 'started', rollout })),
    );
  });
  const refreshReleases = () =>
    api('GET /api/agents/releases', {}).then(
      ({ releases }) => setOptions(version, [...new Set(releases.map((r) => r.version))].map((v) => ({ value: v, label: v }))),
      (error: unknown) => note.error(error),
    );
  void refreshReleases();
  const el = h(
    'section',
    { class: 'card rollout-panel', attrs: { 'aria-label': 'Agent upgrades' } },
    h('h2', { text: 'Agent upgrades' }),
    h('div', { class: 'form-row' }, field('Version', version), field('Batch size', batch), field('Nodes away at most', away), start),
    note.el,
    head,
    table,
  );
  return {
    el,
    render() {
      const latest: RolloutView | undefined = [...ctx.fleet.rollouts.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
      table.hidden = !latest;
      if (!latest) return setText(head, 'No rollout yet.');
      const done = latest.nodes.filter((n) => n.status === 'succeeded').length;
      setText(head, `Rollout of ${latest.version}: ${latest.status}, ${done} of ${latest.nodes.length} nodes done${latest.error ? ` (${latest.error})` : ''}`);
      fill(
        rows,
        ...latest.nodes.map((n) =>
          h('tr', { attrs: { 'data-node-id': n.nodeId, 'data-status': n.status } }, h('td', { text: n.nodeName }), h('td', { text: n.fromVersion ?? '—' }), h('td', { text: ROLLOUT_LABEL[n.status] }), h('td', { text: n.detail ?? '' })),
        ),
      );
    },
  };
}

/** `/dashboard/nodes`: every node as a card with live figures; register, assign, rotate, revoke. */
export function nodesPage(ctx: PageContext): Page {
  const summary = h('p', { class: 'summary', attrs: { 'aria-live': 'polite' } });
  const grid = h('div', { class: 'cards' });
  const empty = h('p', { class: 'empty', text: 'No nodes yet. Register one to get its token.' });
  const cards = new Map<string, ReturnType<typeof nodeCard>>();

  const name = input({ name: 'name', required: true, maxlength: '128', autocomplete: 'off' });
  const description = input({ name: 'description', maxlength: '1000', autocomplete: 'off' });
  const cluster = select([]);
  const result = h('div');
  const { form } = formPanel({
    label: 'Register a node',
    submit: 'Register',
    busy: 'Registering…',
    fields: [field('Name', name), field('Description', description), field('Cluster', cluster)],
    run: async () => {
      const created = await api('POST /api/nodes', { body: { name: name.value.trim(), description: description.value.trim() || null, cluster: cluster.value || null } });
      const token = tokenBox(`Token for ${created.name}`, created.name, created.token, ctx.session.agentUrl, () => fill(result));
      // The node exists and its token is shown only now: a join code that fails to come must not lose it.
      fill(result, token);
      const join = await api('POST /api/nodes/:id/join', { params: { id: created.id }, body: {} });
      fill(result, installBox(join), token);
    },
  });
  const register = drawer('Register node', form, result);

  const upgrades = rolloutPanel(ctx);
  const el = h('section', { class: 'page' }, h('div', { class: 'page-head' }, h('div', {}, h('h1', { text: 'Nodes' }), summary), register), grid, empty, upgrades.el);
  return {
    title: 'Nodes',
    el,
    render() {
      const nodes = [...ctx.fleet.nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
      const counts = { online: 0, suspect: 0, lost: 0, offline: 0 };
      for (const node of nodes) counts[nodeState(node)] += 1;
      setText(summary, `${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${counts.online} online, ${counts.suspect} suspect, ${counts.lost} lost, ${counts.offline} offline`);
      empty.hidden = nodes.length > 0 || !ctx.fleet.loaded;
      setOptions(cluster, [{ value: '', label: 'No cluster' }, ...[...ctx.fleet.clusters.values()].map((c) => ({ value: c.id, label: c.name }))]);
      keyed(grid, nodes, (n) => n.id, (n) => nodeCard(ctx, n), cards);
      upgrades.render();
    },
  };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerView, HeartbeatView, NodeView } from '../../src/http/apiTypes.js';
import { FleetState, nodeState } from './FleetState.js';

const node = (id: string, extra: Partial<NodeView> = {}): NodeView => ({
  id,
  name: id,
  description: null,
  cluster: null,
  createdAt: null,
  status: 'online',
  health: 'online',
  silentMs: 0,
  connectedSince: null,
  lastHeartbeatAt: null,
  agentVersion: '1.0.0',
  protocolVersion: '1.0',
  runtime: { name: 'node', version: '20' },
  build: null,
  upgrades: null,
  lastUpgrade: null,
  upgrade: { status: 'current', latest: null, reason: null },
  refused: null,
  engine: { up: true },
  cpu: { cores: 2, usagePercent: 10, loadAverage1m: 0 },
  memory: { totalBytes: 1000, usedBytes: 250 },
  disk: null,
  containers: null,
  uptime: null,
  replica: null,
  ...extra,
});

/** What a heartbeat batch says of node `id`: `node(id)`'s figures, with `extra` on top. */
const beat = (id: string, extra: Partial<HeartbeatView>): HeartbeatView => {
  const { status, health, silentMs, lastHeartbeatAt, engine, cpu, memory, disk, containers, uptime } = node(id);
  return { id, status, health, silentMs, lastHeartbeatAt, engine, cpu, memory, disk, containers, uptime, sample: null, ...extra };
};

const container = (id: string, nodeId: string, state = 'running'): ContainerView => ({
  id,
  name: id,
  nodeId,
  image: 'busybox',
  ha: false,
  preferredClusterId: 'cl_a',
  fenceAfterMs: null,
  desiredState: 'running',
  state,
  dockerId: null,
  spec: { name: id, image: 'busybox' },
  createdAt: '',
  updatedAt: '',
});

const empty = { nodes: [], clusters: [], containers: [], migrations: [], samples: {}, samplesPerNode: 3 };

describe('FleetState', () => {
  it('reads a node as suspect or lost from failover before its link status', () => {
    assert.equal(nodeState(node('a')), 'online');
    assert.equal(nodeState(node('a', { health: 'suspect' })), 'suspect');
    assert.equal(nodeState(node('a', { status: 'lost', health: 'lost' })), 'lost');
    assert.equal(nodeState(node('a', { status: 'offline', health: 'online' })), 'offline');
    assert.equal(nodeState(node('a', { status: 'offline', health: 'suspect', connectedSince: null, lastHeartbeatAt: null })), 'offline');
    assert.equal(nodeState(node('a', { status: 'offline', health: 'suspect', lastHeartbeatAt: '2026-01-01T00:00:00Z' })), 'suspect');
  });

  it('totals a cluster: online nodes, containers, mean CPU and memory of the online nodes', () => {
    const fleet = new FleetState();
    const cluster = { id: 'cl_a', name: 'a' };
    fleet.load({
      ...empty,
      nodes: [node('n1', { cluster }), node('n2', { cluster, cpu: { cores: 2, usagePercent: 30, loadAverage1m: 0 } }), node('n3', { cluster, health: 'suspect' }), node('n4')],
      containers: [container('c1', 'n1'), container('c2', 'n3', 'exited'), container('c3', 'n4')],
    });
    assert.deepEqual(fleet.totals('cl_a'), { nodes: 3, online: 2, containers: 2, running: 1, cpuPercent: 20, memoryUsedBytes: 500, memoryTotalBytes: 2000 });
    assert.equal(fleet.totals(null).nodes, 1);
  });

  it('applies a deleted cluster as the server did: nodes unassigned, preferences cleared', () => {
    const fleet = new FleetState();
    const cluster = { id: 'cl_a', name: 'a' };
    fleet.load({ ...empty, nodes: [node('n1', { cluster })], clusters: [{ id: 'cl_a', name: 'a', description: null, createdAt: null, nodes: ['n1'] }], containers: [container('c1', 'n1')] });
    fleet.apply('cluster', { action: 'deleted', cluster: { id: 'cl_a', name: 'a', description: null, createdAt: null, nodes: [] } });
    assert.equal(fleet.clusters.size, 0);
    assert.equal(fleet.nodes.get('n1')?.cluster, null);
    assert.equal(fleet.containers.get('c1')?.preferredClusterId, null);
    assert.equal(fleet.containers.get('c1')?.nodeId, 'n1');
  });

  it('keeps a bounded ring of samples from heartbeats, and tells subscribers of each batch', () => {
    const fleet = new FleetState();
    fleet.load({ ...empty, nodes: [node('n1')] });
    let changes = 0;
    fleet.subscribe(() => (changes += 1));
    for (let at = 1; at <= 5; at++) fleet.apply('heartbeats', { nodes: [beat('n1', { sample: { at, cpuPercent: at, memoryPercent: 1 } })] });
    assert.deepEqual(fleet.samples.get('n1')?.map((s) => s.at), [3, 4, 5]);
    assert.equal(changes, 5);
  });

  it('merges a batch of heartbeats into the nodes it knows, and skips a node it does not', () => {
    const fleet = new FleetState();
    fleet.load({ ...empty, nodes: [node('n1'), node('n2', { health: 'suspect' })] });
    const cpu = { cores: 2, usagePercent: 42, loadAverage1m: 0.5 };
    fleet.apply('heartbeats', { nodes: [beat('n1', { cpu }), beat('n2', { health: 'online' }), beat('n9', {})] });
    assert.equal(fleet.nodes.get('n1')?.cpu?.usagePercent, 42);
    assert.equal(fleet.nodes.get('n1')?.name, node('n1').name, 'what a heartbeat does not carry stays');
    assert.equal(nodeState(fleet.nodes.get('n2')!), 'online', 'a suspect node that beats again is online');
    assert.equal(fleet.nodes.has('n9'), false);
  });

  it('applies container moves and removals, and the same event twice harmlessly', () => {
    const fleet = new FleetState();
    fleet.load({ ...empty, containers: [container('c1', 'n1')] });
    const moved = { action: 'moved' as const, container: container('c1', 'n2'), previousNodeId: 'n1' };
    fleet.apply('container', moved);
    fleet.apply('container', moved);
    assert.equal(fleet.containers.get('c1')?.nodeId, 'n2');
    fleet.apply('container', { action: 'removed', container: container('c1', 'n2'), previousNodeId: null });
    assert.equal(fleet.containers.size, 0);
  });
});

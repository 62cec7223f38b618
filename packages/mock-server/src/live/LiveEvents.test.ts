import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { AgentGateway } from '../agents/AgentGateway.js';
import { NodeLiveness } from '../agents/NodeLiveness.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { LiveEventMap } from '../http/apiTypes.js';
import { STREAMED_EVENTS } from '../http/viewSchemas.js';
import type { ReleaseCatalog } from '../releases/ReleaseCatalog.js';
import type { RolloutRunner } from '../rollouts/RolloutRunner.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import { newId } from '../store/ids.js';
import { Store } from '../store/Store.js';
import { EventLog } from './EventLog.js';
import { containerAction, keptSamples, LiveEvents } from './LiveEvents.js';

const record = (changes: Partial<ContainerRecord>): ContainerRecord => ({
  id: 'ctr_1',
  nodeId: 'node_a',
  name: 'web',
  spec: { name: 'web', image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] },
  ha: false,
  preferredClusterId: null,
  fenceAfterMs: null,
  desiredState: 'running',
  dockerId: null,
  observedState: 'running',
  guardRailStop: null,
  createdAt: 0,
  updatedAt: 0,
  ...changes,
});

describe('containerAction', () => {
  it('names creation, removal and a move to another node', () => {
    assert.equal(containerAction(null, record({})), 'created');
    assert.equal(containerAction(record({}), null), 'removed');
    assert.equal(containerAction(record({}), record({ nodeId: 'node_b' })), 'moved');
  });

  it('tells a container that died from one stopped as asked', () => {
    assert.equal(containerAction(record({}), record({ observedState: 'exited' })), 'died');
    assert.equal(containerAction(record({ desiredState: 'stopped' }), record({ desiredState: 'stopped', observedState: 'exited' })), 'stopped');
    assert.equal(containerAction(record({ observedState: 'exited' }), record({ observedState: 'running' })), 'started');
  });

  it('calls any other change an update', () => {
    assert.equal(containerAction(record({}), record({ desiredState: 'stopped' })), 'updated');
    assert.equal(containerAction(record({}), record({ observedState: 'missing' })), 'updated');
  });
});

describe('keptSamples: the samples of a heartbeats batch that a replica keeps', () => {
  const known = (id: string) => id === 'node_aaaaaaaaaaaaaa';
  const sample = { at: 1_800_000_000_000, cpuPercent: 12.5, memoryPercent: 40 };
  const entry = (id: string, taken: typeof sample | null) => ({ id, status: 'online' as const, health: null, silentMs: null, lastHeartbeatAt: null, engine: null, cpu: null, memory: null, disk: null, containers: null, uptime: null, sample: taken });

  const within = { from: sample.at - 60_000, to: sample.at + 60_000 };

  it('keeps the sample of a known node', () => {
    assert.deepEqual(keptSamples({ nodes: [entry('node_aaaaaaaaaaaaaa', sample)] }, known, within), [['node_aaaaaaaaaaaaaa', sample]]);
  });

  it('keeps no sample taken outside the window: one from far ahead would stop the ring, which takes only newer ones', () => {
    for (const at of [Number.MAX_SAFE_INTEGER, within.to + 1, within.from - 1, 0]) {
      assert.deepEqual(keptSamples({ nodes: [entry('node_aaaaaaaaaaaaaa', { ...sample, at })] }, known, within), [], String(at));
    }
  });

  it('keeps no sample of a node this replica never heard of (a ring each, without end), and none where a beat gave none', () => {
    const strangers = Array.from({ length: 1_000 }, (_, i) => entry(`node_${String(i).padStart(14, '0')}`, sample));
    assert.deepEqual(keptSamples({ nodes: [...strangers, entry('node_aaaaaaaaaaaaaa', null)] }, known, within), []);
  });
});

/**
 * A `LiveEvents` on an in-memory store with nodes `a` (cluster east) and `b` (cluster west),
 * counting the store's reads of each node. Its log stands for the replicas' shared stream:
 * `streamed` records an event read back from it, as `ClusterEventLog` does.
 */
async function registryFixture() {
  const store = new Store({ dataDir: null });
  // Made before the events are watched: no node is read, nor kept, until a test makes an event.
  const east = await store.clusters.create({ name: 'east' });
  const west = await store.clusters.create({ name: 'west' });
  const a = await store.nodes.create({ name: 'a', clusterId: east.id });
  const b = await store.nodes.create({ name: 'b', clusterId: west.id });
  const liveness = new NodeLiveness();
  const log = new EventLog();
  const live = new LiveEvents({
    store,
    gateway: { liveness } as unknown as AgentGateway,
    failover: { healthOf: () => null, healthListener: null } as unknown as FailoverController,
    catalog: { latestVersion: () => null } as unknown as ReleaseCatalog,
    rollouts: new EventEmitter() as unknown as RolloutRunner,
    log,
  });
  const events: LiveEventMap['node'][] = [];
  log.subscribe((event) => event.type === 'node' && events.push(event.data as LiveEventMap['node']));
  const reads = new Map<string, number>();
  /** Awaited after every read of the store, before its answer is used: reads stay in flight while it waits. */
  let pause = async () => {};
  const holds: { nodes?: () => Promise<void>; clusters?: () => Promise<void> } = {};
  /** Holds the next read of a node's record (or of a cluster) in flight, as read, until `release`; `reached` once it is held. */
  const holdNextRead = (of: keyof typeof holds) => {
    let release!: () => void;
    const reached = new Promise<void>((held) => {
      holds[of] = () => {
        delete holds[of];
        held();
        return new Promise<void>((resolve) => (release = resolve));
      };
    });
    return { reached, release: () => release() };
  };
  const getNode = store.nodes.get.bind(store.nodes);
  store.nodes.get = async (id) => {
    reads.set(id, (reads.get(id) ?? 0) + 1);
    const node = await getNode(id);
    await (holds.nodes ?? pause)();
    return node;
  };
  const getCluster = store.clusters.get.bind(store.clusters);
  store.clusters.get = async (id) => {
    const cluster = await getCluster(id);
    await (holds.clusters ?? pause)();
    return cluster;
  };
  /** The `node` event its agent's link closing makes, as every node event is made. */
  const nodeEvent = async (nodeId: string) => {
    liveness.emit('disconnect', nodeId, 1000);
    await live.settled();
    return events.findLast((event) => event.node.id === nodeId)!.node;
  };
  return {
    store,
    live,
    east,
    west,
    a,
    b,
    events,
    nodeEvent,
    holdNextRead,
    pauseReads: (wait: () => Promise<void>) => (pause = wait),
    readsOf: (nodeId: string) => reads.get(nodeId) ?? 0,
    /** Another replica's event, checked as `ClusterEventLog` checks it (`STREAMED_EVENTS`) before it is recorded. */
    streamed: <K extends 'node' | 'cluster' | 'reset'>(type: K, data: LiveEventMap[K]) => log.append(type, STREAMED_EVENTS[type].parse(data)),
    close: async () => {
      live.close();
      await store.close();
    },
  };
}

describe("LiveEvents: the cache of each node's record and cluster", () => {
  it("keeps a node's entry through forged streamed events of another cluster and another node", async () => {
    const f = await registryFixture();
    const other = await f.nodeEvent(f.b.id);
    await f.nodeEvent(f.a.id);
    assert.equal(f.readsOf(f.a.id), 1);
    f.streamed('cluster', { action: 'updated', cluster: { id: f.west.id, name: 'forged', description: null, createdAt: null, nodes: [f.b.id] } });
    f.streamed('cluster', { action: 'deleted', cluster: { id: newId('cl'), name: '', description: null, createdAt: null, nodes: [] } });
    f.streamed('node', { action: 'updated', node: { ...other, name: 'forged' } });
    f.streamed('node', { action: 'revoked', node: { ...other, id: newId('node') } });
    assert.equal((await f.nodeEvent(f.a.id)).name, 'a');
    assert.equal(f.readsOf(f.a.id), 1);
    await f.close();
  });

  it('keeps a read made during a flood of 1,000 forged events, and every read after it', async () => {
    const f = await registryFixture();
    const other = await f.nodeEvent(f.b.id);
    const forged = [
      () => f.streamed('cluster', { action: 'updated', cluster: { id: f.west.id, name: 'forged', description: null, createdAt: null, nodes: [f.b.id] } }),
      () => f.streamed('node', { action: 'updated', node: { ...other, name: 'forged' } }),
    ];
    // Each read waits a turn of the event loop, so forged events arrive while it is in flight.
    f.pauseReads(() => nextTurn());
    for (let i = 0; i < 1_000; i++) {
      if (i % 50 === 0) void f.nodeEvent(f.a.id);
      forged[i % 2]!();
      await nextTurn();
    }
    await f.live.settled();
    assert.equal(f.events.filter((event) => event.node.id === f.a.id).length, 20);
    assert.ok(f.readsOf(f.a.id) <= 2, `${f.readsOf(f.a.id)} reads of the node for its 20 events`);
    await f.close();
  });

  it('shows a renamed cluster in the next node event', async () => {
    const f = await registryFixture();
    await f.nodeEvent(f.a.id);
    await f.store.clusters.update(f.east.id, { name: 'east-2' });
    assert.deepEqual((await f.nodeEvent(f.a.id)).cluster, { id: f.east.id, name: 'east-2' });
    await f.close();
  });

  it('shows a node without its cluster once the cluster is deleted, though no node event said so', async () => {
    const f = await registryFixture();
    await f.nodeEvent(f.a.id);
    await f.store.clusters.delete(f.east.id);
    assert.equal((await f.nodeEvent(f.a.id)).cluster, null);
    await f.close();
  });

  it('shows a node moved to another cluster in the next node event', async () => {
    const f = await registryFixture();
    await f.nodeEvent(f.a.id);
    await f.store.nodes.update(f.a.id, { clusterId: f.west.id });
    assert.deepEqual((await f.nodeEvent(f.a.id)).cluster, { id: f.west.id, name: 'west' });
    await f.close();
  });

  it('shows what another replica changed, from its streamed events: a renamed cluster, a deleted one, a node it lists', async () => {
    const f = await registryFixture();
    await f.nodeEvent(f.a.id);
    // Another replica's writes: the database changes, and this replica hears of it only from the stream.
    await f.store.db.run('UPDATE clusters SET name = ? WHERE id = ?', ['east-2', f.east.id]);
    f.streamed('cluster', { action: 'updated', cluster: { id: f.east.id, name: 'east-2', description: null, createdAt: null, nodes: [f.a.id] } });
    assert.deepEqual((await f.nodeEvent(f.a.id)).cluster, { id: f.east.id, name: 'east-2' });
    await f.store.db.run('UPDATE nodes SET cluster_id = NULL WHERE cluster_id = ?', [f.east.id]);
    await f.store.db.run('DELETE FROM clusters WHERE id = ?', [f.east.id]);
    f.streamed('cluster', { action: 'deleted', cluster: { id: f.east.id, name: '', description: null, createdAt: null, nodes: [] } });
    assert.equal((await f.nodeEvent(f.a.id)).cluster, null);
    await f.store.db.run('UPDATE nodes SET cluster_id = ? WHERE id = ?', [f.west.id, f.a.id]);
    f.streamed('cluster', { action: 'updated', cluster: { id: f.west.id, name: 'west', description: null, createdAt: null, nodes: [f.a.id, f.b.id] } });
    assert.deepEqual((await f.nodeEvent(f.a.id)).cluster, { id: f.west.id, name: 'west' });
    await f.close();
  });

  it('forgets every entry on a reset: the events another replica could not publish may have changed any', async () => {
    const f = await registryFixture();
    await f.nodeEvent(f.a.id);
    await f.store.db.run('UPDATE nodes SET description = ? WHERE id = ?', ['changed', f.a.id]);
    f.streamed('reset', { reason: 'events-lost' });
    assert.equal((await f.nodeEvent(f.a.id)).description, 'changed');
    await f.close();
  });

  it('uses a read in flight during a change of its node once, and does not keep it', async () => {
    const f = await registryFixture();
    const held = f.holdNextRead('nodes');
    const read = f.nodeEvent(f.a.id);
    await held.reached;
    await f.store.nodes.update(f.a.id, { description: 'changed' });
    held.release();
    assert.equal((await read).description, null);
    await f.live.settled();
    assert.deepEqual([f.events.at(-1)!.action, f.events.at(-1)!.node.description], ['updated', 'changed']);
    assert.equal((await f.nodeEvent(f.a.id)).description, 'changed');
    await f.close();
  });

  it("uses a read in flight during another replica's change of its cluster once, and does not keep it", async () => {
    const f = await registryFixture();
    const held = f.holdNextRead('clusters');
    const read = f.nodeEvent(f.a.id);
    await held.reached;
    await f.store.db.run('UPDATE clusters SET name = ? WHERE id = ?', ['east-2', f.east.id]);
    f.streamed('cluster', { action: 'updated', cluster: { id: f.east.id, name: 'east-2', description: null, createdAt: null, nodes: [f.a.id] } });
    held.release();
    assert.deepEqual((await read).cluster, { id: f.east.id, name: 'east' });
    assert.deepEqual((await f.nodeEvent(f.a.id)).cluster, { id: f.east.id, name: 'east-2' });
    await f.close();
  });
});

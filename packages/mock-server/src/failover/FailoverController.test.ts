import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AgentError, type ContainerResult, type Heartbeat, type Hello, type Inventory } from '@lormas/protocol';
import { NodeLiveness } from '../agents/NodeLiveness.js';
import { silentLogger } from '../logger.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import { Store } from '../store/Store.js';
import { type FailoverActions, FailoverController } from './FailoverController.js';
import { retryDelayMs } from './retryDelayMs.js';

const hello = { nodeName: 'n' } as Hello;
const beat = (engineUp = true) => ({ cpu: { usagePercent: 5 }, engine: { up: engineUp } }) as Heartbeat;
const spec = (name: string) => ({ name, image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] });

/** Nodes that do what they are told: create succeeds unless a failure is queued. */
class FakeActions implements FailoverActions {
  readonly moving = new Set<string>();
  readonly created: { container: string; node: string; at: number }[] = [];
  readonly commands: string[] = [];
  failures: AgentError[] = [];
  inventories = new Map<string, Inventory>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
  ) {}

  async createCopy(record: ContainerRecord, nodeId: string): Promise<ContainerResult> {
    this.created.push({ container: record.id, node: nodeId, at: this.clock() });
    const failure = this.failures.shift();
    if (failure) throw failure;
    return { containerId: `docker-${record.name}-${nodeId}`, name: record.name, state: 'running' };
  }

  async copyCommand(nodeId: string, action: string, dockerId: string): Promise<void> {
    this.commands.push(`${action} ${dockerId} on ${nodeId}`);
  }

  async place(id: string, nodeId: string, result: ContainerResult): Promise<ContainerRecord> {
    return (await this.store.containers.update(id, { nodeId, dockerId: result.containerId, observedState: result.state }))!;
  }

  async inventory(nodeId: string): Promise<Inventory> {
    return this.inventories.get(nodeId) ?? { nodeName: nodeId, containers: [] };
  }
}

describe('FailoverController', () => {
  let time: number;
  const clock = () => time;
  let store: Store;
  let liveness: NodeLiveness;
  let actions: FakeActions;

  beforeEach(() => {
    time = 1_000_000;
    store = new Store({ dataDir: null, now: clock });
    liveness = new NodeLiveness(clock);
    actions = new FakeActions(store, clock);
  });
  afterEach(() => store.close());

  const controller = (options: { graceMs?: number } = {}) =>
    new FailoverController({ store, liveness, actions, logger: silentLogger, now: clock, lostAfterMs: 3_000, graceMs: options.graceMs ?? 0, checkIntervalMs: 0, retryBaseMs: 1_000, retryMaxMs: 4_000 });
  const addNodes = async (...names: string[]) => {
    const ids: string[] = [];
    for (const name of names) {
      const node = await store.nodes.create({ name });
      liveness.connected(node.id, hello);
      liveness.heartbeat(node.id, beat());
      ids.push(node.id);
    }
    return ids;
  };
  /** Advances the clock in steps, the given nodes beating at each step, then judges. */
  const advance = async (failover: FailoverController, ms: number, beating: string[], engineUp = true) => {
    for (let passed = 0; passed < ms; passed += 250) {
      time += 250;
      for (const id of beating) liveness.heartbeat(id, beat(engineUp));
      await failover.tick();
      await failover.idle();
    }
  };
  const ha = async (nodeId: string, name: string, isHa = true) => (await store.containers.create({ nodeId, spec: spec(name), ha: isHa, desiredState: 'running' }));

  it('calls a silent node suspect, then lost after the window, and moves only its HA containers', async () => {
    const [a, b] = await addNodes('a', 'b');
    const web = await ha(a!, 'web');
    const batch = await ha(a!, 'batch', false);
    const failover = controller();
    liveness.disconnected(a!, 1006);
    await advance(failover, 1_500, [b!]);
    assert.equal(failover.healthOf(a!)?.health, 'suspect');
    assert.deepEqual(actions.created, []);
    await advance(failover, 2_000, [b!]);
    assert.equal(liveness.get(a!).status, 'lost');
    assert.equal((await store.containers.get(web.id))?.nodeId, b);
    assert.equal((await store.containers.get(batch.id))?.nodeId, a);
    const [migration, ...others] = (await store.migrations.list());
    assert.deepEqual(others, []);
    assert.equal(migration?.trigger, 'node-lost');
    assert.equal(migration?.status, 'succeeded');
    assert.deepEqual(migration?.steps.map((s) => s.name), ['node-lost', 'choose-target', 'create-and-start-target']);
  });

  it('moves nothing in the grace window after the start, and moves once it ends', async () => {
    const [a, b] = await addNodes('a', 'b');
    const web = await ha(a!, 'web');
    const failover = controller({ graceMs: 6_000 });
    liveness.disconnected(a!, 1006);
    await advance(failover, 5_000, [b!]);
    assert.equal(failover.status().hold, 'grace');
    assert.equal(liveness.get(a!).status, 'offline');
    assert.deepEqual(actions.created, []);
    await advance(failover, 1_500, [b!]);
    assert.equal((await store.containers.get(web.id))?.nodeId, b);
  });

  it('moves nothing while more than half of the nodes are silent, and reports the hold', async () => {
    const [a, b, c] = await addNodes('a', 'b', 'c');
    await ha(a!, 'web');
    await ha(b!, 'api');
    const failover = controller();
    await advance(failover, 10_000, [c!]);
    assert.equal(failover.status().hold, 'majority-silent');
    assert.deepEqual(actions.created, []);
    assert.deepEqual((await store.migrations.list()), []);
    assert.notEqual(liveness.get(a!).status, 'lost');
  });

  it('places on the least loaded healthy node of the same cluster first', async () => {
    const eu = await store.clusters.create({ name: 'eu' });
    const [a, b, c, d] = await addNodes('a', 'b', 'c', 'd');
    await store.nodes.update(a!, { clusterId: eu.id });
    await store.nodes.update(c!, { clusterId: eu.id });
    await ha(c!, 'already-there');
    const web = await ha(a!, 'web');
    const failover = controller();
    await advance(failover, 3_500, [b!, c!, d!]);
    // c holds a container and b none, but c shares the lost node's cluster.
    assert.equal((await store.containers.get(web.id))?.nodeId, c);
  });

  it('retries with a doubling delay when no target takes the container, and records every failure', async () => {
    const [a, b] = await addNodes('a', 'b');
    const web = await ha(a!, 'web');
    const failover = controller();
    // b beats but its engine is down: not a target.
    await advance(failover, 3_250, [b!], false);
    const [pending] = failover.status().pending;
    assert.equal(pending?.attempts, 1);
    actions.failures.push(new AgentError('ENGINE_UNAVAILABLE', 'engine restarting'));
    await advance(failover, 4_000, [b!]);
    assert.equal((await store.containers.get(web.id))?.nodeId, b);
    const gaps = actions.created.slice(1).map((call, i) => call.at - actions.created[i]!.at);
    assert.deepEqual(gaps, [retryDelayMs(2, { baseMs: 1_000, maxMs: 4_000 })]);
    const migration = (await store.migrations.list())[0]!;
    assert.equal(migration.status, 'succeeded');
    assert.deepEqual(
      migration.steps.map((s) => `${s.name} ${s.status}`),
      ['node-lost info', 'choose-target failed', 'choose-target ok', 'create-target failed', 'choose-target ok', 'create-and-start-target ok'],
    );
  });

  it('caps the retry delay', async () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, { baseMs: 1_000, maxMs: 4_000 })), [1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('removes the stale copies of a returning node, and cancels moves that found no target', async () => {
    const [a, b] = await addNodes('a', 'b');
    const moved = await ha(a!, 'moved');
    const failover = controller();
    await advance(failover, 3_500, [b!]);
    assert.equal((await store.containers.get(moved.id))?.nodeId, b);
    const stuck = await ha(a!, 'stuck');
    await advance(failover, 250, [b!], false);
    actions.inventories.set(a!, {
      nodeName: 'a',
      containers: [
        { id: 'stale-1', name: 'moved', image: 'busybox', state: 'running', status: 'Up', createdAt: 0, labels: {}, serverId: moved.id },
        { id: 'kept-1', name: 'stuck', image: 'busybox', state: 'running', status: 'Up', createdAt: 0, labels: {}, serverId: stuck.id },
      ],
    });
    await failover.admit(a!);
    assert.deepEqual(actions.commands, [`stop stale-1 on ${a}`, `remove stale-1 on ${a}`]);
    assert.equal((await store.migrations.list(moved.id))[0]?.steps.at(-1)?.name, 'remove-stale-source');
    assert.equal((await store.migrations.list(stuck.id))[0]?.status, 'cancelled');
    assert.deepEqual(failover.status().pending, []);
  });
});

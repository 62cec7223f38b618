import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AgentError, type ContainerResult, type Hello, type Inventory } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { NodeLiveness } from '../agents/NodeLiveness.js';
import { silentLogger } from '../logger.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import { Store } from '../store/Store.js';
import { copyOperationId, type FailoverActions, FailoverController } from './FailoverController.js';
import { retryDelayMs } from './retryDelayMs.js';

const hello = { nodeName: 'n' } as Hello;
const beat = (engineUp = true) => sampleHeartbeat({ seq: 1, cpu: { cores: 2, usagePercent: 5, loadAverage1m: 0 }, engine: { up: engineUp } });
const spec = (name: string) => ({ name, image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] });

/** Nodes that do what they are told: create succeeds unless a failure is queued. */
class FakeActions implements FailoverActions {
  readonly moving = new Set<string>();
  readonly created: { container: string; node: string; at: number; operationId?: string }[] = [];
  readonly commands: string[] = [];
  failures: AgentError[] = [];
  inventories = new Map<string, Inventory>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number,
  ) {}

  async createCopy(record: ContainerRecord, nodeId: string, _start: boolean, operationId?: string): Promise<ContainerResult> {
    this.created.push({ container: record.id, node: nodeId, at: this.clock(), operationId });
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

  const controller = (options: { graceMs?: number; isLeader?: () => boolean } = {}) =>
    new FailoverController({
      store,
      liveness,
      actions,
      logger: silentLogger,
      now: clock,
      lostAfterMs: 3_000,
      graceMs: options.graceMs ?? 0,
      checkIntervalMs: 0,
      retryBaseMs: 1_000,
      retryMaxMs: 4_000,
      isLeader: options.isLeader,
    });
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
  /** The nodes whose containers are read from the store from now on, one entry a read. */
  const recordContainerReads = () => {
    const reads: (string | undefined)[] = [];
    const list = store.containers.list.bind(store.containers);
    store.containers.list = (nodeId?: string) => (reads.push(nodeId), list(nodeId));
    return reads;
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
    // The status lists every node of the list judged, in its order, as `healthOf` finds each.
    assert.deepEqual(
      failover.status().nodes,
      [a!, b!].map((nodeId) => ({ nodeId, ...failover.healthOf(nodeId)! })),
    );
    assert.deepEqual(failover.status().nodes.map((n) => n.health), ['suspect', 'online']);
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

  it("reads a lost node's containers once, not at every check, and again when one is placed on it", async () => {
    const [a, b] = await addNodes('a', 'b');
    await ha(a!, 'web');
    const failover = controller();
    const reads = recordContainerReads();
    liveness.disconnected(a!, 1006);
    await advance(failover, 3_500, [b!]);
    assert.equal(liveness.get(a!).status, 'lost');
    assert.equal(actions.created.length, 1);
    const readsOfA = () => reads.filter((id) => id === a).length;
    const afterLost = readsOfA();
    await advance(failover, 5_000, [b!]);
    assert.equal(readsOfA(), afterLost, 'twenty checks later its containers were not read again');
    // A container written to the lost node afterwards is moved as before.
    const late = await ha(a!, 'late');
    await advance(failover, 250, [b!]);
    assert.equal((await store.containers.get(late.id))?.nodeId, b);
    assert.equal(actions.created.length, 2);
  });

  it('reads no container while no node is lost, and those of a node as soon as it is', async () => {
    const [a, b] = await addNodes('a', 'b');
    await ha(a!, 'web');
    const failover = controller();
    const reads = recordContainerReads();
    await advance(failover, 5_000, [a!, b!]);
    assert.deepEqual(reads, [], 'twenty checks of healthy nodes read no container');
    liveness.disconnected(a!, 1006);
    await advance(failover, 3_250, [b!]);
    assert.equal(liveness.get(a!).status, 'lost');
    assert.deepEqual(reads, [a], "the check that declared it lost read its containers, once");
    assert.equal(actions.created.length, 1);
  });

  it("announces each change of a node's health once, also when the node list changes", async () => {
    const [a, b, c] = await addNodes('a', 'b', 'c');
    const failover = controller();
    const announced: string[] = [];
    const names = new Map([[a, 'a'], [b, 'b'], [c, 'c']]);
    failover.healthListener = (nodeId, health) => announced.push(`${names.get(nodeId)} ${health}`);
    await advance(failover, 500, [a!, b!, c!]);
    assert.deepEqual(announced, ['a online', 'b online', 'c online']);
    liveness.disconnected(b!, 1006);
    await advance(failover, 250, [a!, c!]);
    assert.deepEqual(announced, ['a online', 'b online', 'c online', 'b suspect']);
    // The first node of the list goes: the others move up a place and keep their verdicts.
    await store.nodes.revoke(a!);
    await advance(failover, 500, [c!]);
    assert.deepEqual(announced, ['a online', 'b online', 'c online', 'b suspect'], 'no change, no announcement');
    const [d] = await addNodes('d');
    names.set(d, 'd');
    await advance(failover, 250, [c!, d!]);
    assert.deepEqual(announced.slice(4), ['d online']);
  });

  it('reads the node list of its own sqlite store once, and again only after a node change', async () => {
    const [, b] = await addNodes('a', 'b');
    const failover = controller();
    let reads = 0;
    const list = store.nodes.list.bind(store.nodes);
    store.nodes.list = (...args: Parameters<typeof list>) => (reads++, list(...args));
    await advance(failover, 30_000, [b!]);
    assert.equal(reads, 1, 'thirty seconds of checks read the list once');
    const c = (await store.nodes.create({ name: 'c' })).id;
    await advance(failover, 250, [b!]);
    assert.equal(reads, 2);
    assert.ok(failover.healthOf(c), 'the node registered since is judged');
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

  describe('handed over between replicas', () => {
    it('judges nothing while it is not the leader, and announces nothing', async () => {
      const [a, b] = await addNodes('a', 'b');
      await ha(a!, 'web');
      let leading = false;
      const follower = controller({ isLeader: () => leading });
      const announced: string[] = [];
      follower.healthListener = (nodeId, health) => announced.push(`${nodeId} ${health}`);
      liveness.disconnected(a!, 1006);
      await advance(follower, 5_000, [b!]);
      assert.notEqual(liveness.get(a!).status, 'lost');
      assert.deepEqual([actions.created, announced, await store.migrations.list()], [[], [], []]);
      assert.equal(follower.status().judging, false);
      leading = true;
      await follower.takeOver();
      await advance(follower, 3_500, [b!]);
      assert.equal(liveness.get(a!).status, 'lost', 'judged once it leads');
    });

    it('starts a new leader with the grace window, counting silence from the takeover: a node silent since before it is not lost at once', async () => {
      const [a, b] = await addNodes('a', 'b');
      const web = await ha(a!, 'web');
      const failover = controller({ graceMs: 1_000 });
      liveness.disconnected(a!, 1006);
      // The previous leader died before judging: a has been silent for longer than the window already.
      time += 5_000;
      await failover.takeOver();
      await advance(failover, 2_500, [b!]);
      assert.notEqual(liveness.get(a!).status, 'lost', 'silence counts from the takeover');
      assert.deepEqual(actions.created, []);
      await advance(failover, 1_000, [b!]);
      assert.equal((await store.containers.get(web.id))?.nodeId, b);
    });

    it('keeps the majority-silent hold across a handover: the new leader holds too, and moves nothing', async () => {
      const [a, b, c] = await addNodes('a', 'b', 'c');
      await ha(a!, 'web');
      await ha(b!, 'api');
      let first = true;
      const old = controller({ isLeader: () => first });
      await advance(old, 4_000, [c!]);
      assert.equal(old.status().hold, 'majority-silent');
      first = false;
      old.standDown();
      const next = controller({ isLeader: () => !first });
      await next.takeOver();
      await advance(next, 10_000, [c!]);
      assert.equal(next.status().hold, 'majority-silent');
      assert.deepEqual(actions.created, []);
      assert.deepEqual(await store.migrations.list(), []);
    });

    it("takes over its predecessor's running move on the target it chose, with the same operation id, so the agent answers it once", async () => {
      const [a, b, c] = await addNodes('a', 'b', 'c');
      const web = await ha(a!, 'web');
      // What the previous leader left: the move started, the target chosen, the copy perhaps made.
      const migration = await store.migrations.start({ containerId: web.id, containerName: web.name, trigger: 'node-lost', sourceNodeId: a!, targetNodeId: null });
      await store.migrations.setTarget(migration.id, c!);
      liveness.markLost(a!);
      const failover = controller();
      await failover.takeOver();
      await advance(failover, 250, [b!, c!]);
      assert.deepEqual(actions.created.map((call) => [call.node, call.operationId]), [[c, copyOperationId(migration.id, c!)]]);
      const [moved] = await store.migrations.list(web.id);
      assert.equal(moved?.status, 'succeeded');
      assert.ok(moved?.steps.some((step) => step.name === 'leader-changed'));
      assert.equal((await store.containers.get(web.id))?.nodeId, c);
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PROTOCOL_VERSION } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import { EventEmitter } from 'node:events';
import type { ClusterHub, LeaderLease } from '@lormas/protocol/cluster';
import type { NodeIdentity } from '@lormas/protocol/server';
import { FailoverController, type FailoverActions } from '../failover/FailoverController.js';
import { silentLogger } from '../logger.js';
import { Store } from '../store/Store.js';
import { ClusterLiveness } from './ClusterLiveness.js';
import { FailoverLeadership } from './FailoverLeadership.js';

/** Failover's hands, never used: these tests judge nodes and move nothing (no node has a container). */
const noActions: FailoverActions = {
  moving: new Set(),
  createCopy: () => assert.fail('nothing is to be created'),
  copyCommand: () => assert.fail('nothing is to be stopped'),
  place: () => assert.fail('nothing is to be placed'),
  inventory: () => assert.fail('no inventory is to be read'),
};

const hello = { agentVersion: '1', protocolVersion: PROTOCOL_VERSION, nodeName: 'n', runtime: { name: 'node' as const, version: '20' }, engineVersion: '20.10', startedAt: 0 };

describe('ClusterLiveness: node liveness shared by the replicas through a KV bucket', () => {
  let nats: NatsServer;
  const connections: NatsConnection[] = [];
  const copies: ClusterLiveness[] = [];
  let bucket = 0;

  /** Two replicas' copies of one bucket, each on its own connection. */
  const pair = async (now?: () => number) => {
    const name = `liveness_test_${process.pid}_${++bucket}`;
    const made: ClusterLiveness[] = [];
    for (const replica of ['r1', 'r2']) {
      const nc = await connect({ servers: nats.url });
      connections.push(nc);
      const liveness = new ClusterLiveness(await new Kvm(nc).create(name, { history: 1 }), replica, (error) => assert.fail(String(error)), now);
      await liveness.start();
      copies.push(liveness);
      made.push(liveness);
    }
    return made as [ClusterLiveness, ClusterLiveness];
  };

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const copy of copies) copy.stop();
    for (const nc of connections) await nc.close();
    await nats?.stop();
  });

  it("shows one replica's connect and heartbeats on the other, naming the replica, and emits the events only where they happened", async () => {
    const [owner, other] = await pair();
    const seenOnOther: string[] = [];
    other.on('connect', () => seenOnOther.push('connect'));
    other.on('heartbeat', () => seenOnOther.push('heartbeat'));
    owner.connected('n1', hello);
    owner.heartbeat('n1', sampleHeartbeat({ seq: 7 }));
    await waitFor(() => other.get('n1').lastHeartbeat?.seq === 7, { what: 'the heartbeat on the other replica' });
    assert.equal(other.get('n1').status, 'online');
    assert.equal(other.get('n1').replica, 'r1');
    assert.deepEqual(other.heldBy('r1'), ['n1']);
    assert.deepEqual(seenOnOther, []);
  });

  it("agrees on every replica when the leader's lost and the owner's heartbeat are written at the same moment, and keeps the heartbeat", async () => {
    const [owner, leader] = await pair();
    owner.connected('n2', hello);
    await waitFor(() => leader.get('n2').status === 'online', { what: 'the connect on the leader' });
    // Both write from the same revision: one of the two conflicts and is applied again to the
    // other's value. Heartbeat first: the node is not lost (a newer sign of life than the
    // judgement). Lost first: it stays lost, as a lost node's later heartbeats leave it.
    leader.markLost('n2');
    owner.heartbeat('n2', sampleHeartbeat({ seq: 42 }));
    await Promise.all([owner.flushed(), leader.flushed()]);
    await waitFor(() => [owner, leader].every((copy) => copy.get('n2').lastHeartbeat?.seq === 42), { what: 'the heartbeat on both replicas' });
    await waitFor(() => owner.get('n2').status === leader.get('n2').status, { what: 'one status on both replicas' });
  });

  it('forgets a node on every replica', async () => {
    const [one, two] = await pair();
    one.connected('n3', hello);
    await waitFor(() => two.has('n3'), { what: 'the node on the second replica' });
    two.forget('n3');
    await waitFor(() => !one.has('n3'), { what: 'the node forgotten on the first' });
  });

  it('never lets a socket closing at one replica undo the node\'s newer connection at another, whichever is written first', async () => {
    const [first, second] = await pair();
    first.connected('n4', hello);
    await waitFor(() => second.get('n4').replica === 'r1', { what: 'the first connection seen by the second replica' });
    // The agent dialled the second replica; the first learns its old socket closed at the same moment.
    second.connected('n4', hello);
    first.disconnected('n4', 1006);
    await Promise.all([first.flushed(), second.flushed()]);
    for (const copy of [first, second]) {
      await waitFor(() => copy.get('n4').replica === 'r2' && copy.get('n4').status === 'online', { what: 'the newer connection on both replicas' });
    }
  });

  describe('failover holds', () => {
    let time = 1_000_000;
    const clock = () => time;
    const stores: Store[] = [];
    after(() => stores.forEach((store) => void store.close()));

    /** A rollout's replica and the failover leader's, three nodes online, judged on one clock. */
    const judged = async () => {
      const [rollout, leader] = await pair(clock);
      const store = new Store({ dataDir: null, now: clock });
      stores.push(store);
      const nodes: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        const node = await store.nodes.create({ name });
        rollout.connected(node.id, hello);
        rollout.heartbeat(node.id, sampleHeartbeat({ seq: 1 }));
        nodes.push(node.id);
      }
      await waitFor(() => nodes.every((id) => leader.get(id).lastHeartbeatAt !== null), { what: 'the nodes on the leader' });
      const options = { store, actions: noActions, logger: silentLogger, now: clock, lostAfterMs: 3_000, graceMs: 0, checkIntervalMs: 0 };
      const following = new FailoverController({ ...options, liveness: rollout, isLeader: () => false });
      const judge = new FailoverController({ ...options, liveness: leader, isLeader: () => true });
      /** Time passes with every node but the first beating; then the leader judges. */
      const silence = async (ms: number) => {
        time += ms;
        for (const id of nodes.slice(1)) rollout.heartbeat(id, sampleHeartbeat({ seq: 1 }));
        await rollout.flushed();
        await waitFor(() => nodes.slice(1).every((id) => leader.get(id).lastHeartbeatAt === time), { what: 'the heartbeats on the leader' });
        await judge.tick();
      };
      return { rollout, leader, following, nodes, silence };
    };

    it("holds failover on the leader's replica for a node that a rollout on another replica holds, and ends the hold when the rollout releases it", async () => {
      const { rollout, leader, following, nodes, silence } = await judged();
      const upgraded = nodes[0]!;
      // The upgrade's gap is longer than the lost-after window: it must not move anything.
      following.hold(upgraded, time + 20_000);
      // The leader reads the bucket in order: once it has the later heartbeats, it has the hold.
      await silence(10_000);
      assert.equal(leader.get(upgraded).status, 'online');
      following.release(upgraded);
      await rollout.flushed();
      await silence(2_000);
      assert.equal(leader.get(upgraded).status, 'online', 'silence counts from the release');
      await silence(1_500);
      assert.equal(leader.get(upgraded).status, 'lost');
    });

    it('ends the holds of a replica that dies, when the leader hears of its death, and counts the silence from then', async () => {
      const { rollout, leader, following, nodes, silence } = await judged();
      const upgraded = nodes[0]!;
      following.hold(upgraded, time + 300_000);
      const replicas = Object.assign(new EventEmitter(), { isAlive: (id: string) => id !== 'r1' });
      const lease = Object.assign(new EventEmitter(), { isLeader: true, leader: 'r2', start() {}, stop: async () => {} });
      const failover = { takeOver: async () => {}, standDown() {} };
      const cluster = { replicaId: 'r2', replicas, ownerOf: () => 'r2' };
      new FailoverLeadership(lease as unknown as LeaderLease, failover as unknown as FailoverController, cluster as unknown as ClusterHub<NodeIdentity>, leader, silentLogger);
      await silence(10_000);
      assert.equal(leader.get(upgraded).status, 'online', 'held while its replica lives');
      replicas.emit('down', 'r1');
      assert.equal(leader.get(upgraded).hold?.untilMs, time);
      await silence(2_500);
      assert.equal(leader.get(upgraded).status, 'online', 'silence counts from the death');
      await silence(1_000);
      assert.equal(leader.get(upgraded).status, 'lost');
    });
  });
});

/**
 * A bucket in memory, with the engine's revision rules (one sequence for every key, writes
 * checked against a key's latest revision) and a watch the test feeds by hand, so that what
 * the engine would deliver, and when, is the test's to choose.
 */
class FakeBucket {
  private seq = 0;
  readonly entries = new Map<string, { revision: number; operation: 'PUT' | 'DEL'; value: Uint8Array }>();
  /** Writes the engine refused as stale. */
  conflicts = 0;
  private readonly feeds = new Set<(entry: KvEntry) => void>();

  /** Watches open on the bucket. */
  get watchers(): number {
    return this.feeds.size;
  }

  get kv(): KV {
    const stale = () => {
      this.conflicts++;
      return new Error('wrong last sequence');
    };
    const write = (key: string, operation: 'PUT' | 'DEL', value: string) => {
      this.entries.set(key, { revision: ++this.seq, operation, value: new TextEncoder().encode(value) });
      return this.seq;
    };
    return {
      status: async () => ({ values: this.entries.size }),
      watch: async () => {
        const queue: KvEntry[] = [];
        let wake: (() => void) | null = null;
        let stopped = false;
        const feed = (entry: KvEntry) => {
          queue.push(entry);
          wake?.();
        };
        this.feeds.add(feed);
        return {
          stop: () => {
            stopped = true;
            this.feeds.delete(feed);
            wake?.();
          },
          async *[Symbol.asyncIterator]() {
            while (!stopped) {
              if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
              while (queue.length > 0) yield queue.shift()!;
            }
          },
        };
      },
      create: async (key: string, value: string) => {
        if (this.entries.get(key)?.operation === 'PUT') throw stale();
        return write(key, 'PUT', value);
      },
      update: async (key: string, value: string, revision: number) => {
        if (this.entries.get(key)?.revision !== revision) throw stale();
        return write(key, 'PUT', value);
      },
      delete: async (key: string, options?: { previousSeq?: number }) => {
        if (options?.previousSeq !== undefined && this.entries.get(key)?.revision !== options.previousSeq) throw stale();
        write(key, 'DEL', '');
      },
      get: async (key: string) => {
        const entry = this.entries.get(key);
        return entry ? this.entry(key, entry.value, entry.revision, entry.operation) : null;
      },
    } as unknown as KV;
  }

  /** Delivers an entry to the watch, as the engine does after a write (by this replica or another). */
  deliver(key: string, value: string, operation: 'PUT' | 'DEL' = 'PUT'): void {
    const entry = this.entry(key, new TextEncoder().encode(value), ++this.seq, operation);
    for (const feed of this.feeds) feed(entry);
  }

  private entry(key: string, value: Uint8Array, revision: number, operation: 'PUT' | 'DEL'): KvEntry {
    return { key, value, revision, operation, delta: 0, isUpdate: true, created: new Date(), bucket: 'b', length: value.length } as unknown as KvEntry;
  }
}

describe('ClusterLiveness: what it reads and writes in the bucket', () => {
  const started = async () => {
    const bucket = new FakeBucket();
    const errors: unknown[] = [];
    const liveness = new ClusterLiveness(bucket.kv, 'r1', (error) => errors.push(error));
    await liveness.start();
    return { bucket, liveness, errors };
  };

  it('writes a node again after deleting it without a conflict, whatever was written between', async () => {
    const { bucket, liveness, errors } = await started();
    liveness.connected('n1', hello);
    liveness.connected('n2', hello);
    await liveness.flushed();
    // The delete's revision is not n1's last plus one: n2 was written between.
    liveness.forget('n1');
    await liveness.flushed();
    assert.equal(bucket.entries.get('n1')?.operation, 'DEL');
    liveness.connected('n1', hello);
    await liveness.flushed();
    assert.equal(bucket.entries.get('n1')?.operation, 'PUT');
    assert.equal(bucket.conflicts, 0);
    assert.deepEqual(errors, []);
    liveness.stop();
  });

  it('keeps a node whose value in the bucket is not a node liveness out of its copy, reports it, and carries on', async () => {
    const { bucket, liveness, errors } = await started();
    bucket.deliver('n1', '{"status":"online","connectedSince":1}');
    bucket.deliver('n2', 'not json');
    bucket.deliver('n3', JSON.stringify({ ...liveness.get('n3'), status: 'online', connectedSince: 5, hello }));
    await waitFor(() => liveness.has('n3'), { what: 'the valid node after the hostile ones' });
    assert.equal(liveness.has('n1'), false);
    assert.equal(liveness.has('n2'), false);
    assert.equal(errors.length, 2);
    assert.equal(liveness.get('n3').status, 'online');
    liveness.stop();
  });

  it('encodes node ids that are not valid keys, and reads them back', async () => {
    const { bucket, liveness } = await started();
    liveness.connected('node one.eu/a', hello);
    await liveness.flushed();
    const [key] = [...bucket.entries.keys()];
    assert.match(key!, /^~[0-9a-f]+$/);
    const other = new ClusterLiveness(bucket.kv, 'r2', () => {});
    const ready = other.start();
    await waitFor(() => bucket.watchers === 2, { what: 'the second replica watching' });
    bucket.deliver(key!, new TextDecoder().decode(bucket.entries.get(key!)!.value));
    await ready;
    assert.equal(other.get('node one.eu/a').status, 'online');
    other.stop();
    liveness.stop();
  });
});

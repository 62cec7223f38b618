import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_DOCKER_SOCKET, docker, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type ClusterFleet, startClusterFleet } from './support/clusterFleet.js';
import { call, forEachPart } from './support/http.js';
import type { ReplicaProcess } from './support/replicaProcess.js';
import { openSse } from './support/sse.js';
import { liveEventProblems } from './support/viewProblems.js';

const PREFIX = `lormas-cl-${process.pid}-`;
const LOST_AFTER_MS = 3_000;

/** A container that counts 1, 2, 3... one line every 20 ms: a log in which a lost or repeated line shows. */
const counter = (name: string, extra: Record<string, unknown> = {}) => ({
  name: `${PREFIX}${name}`,
  image: TEST_IMAGE,
  networkMode: 'none',
  cmd: ['sh', '-c', "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo $i; sleep 0.02; done"],
  stopTimeoutSeconds: 1,
  ...extra,
});

/** Follows a container's log as NDJSON through one replica; `numbers` fills as lines arrive. */
async function follow(replica: ReplicaProcess, containerId: string) {
  const aborter = new AbortController();
  const res = await fetch(`${replica.url}/api/containers/${containerId}/logs?follow=true`, {
    headers: { authorization: `Bearer ${replica.adminToken}`, accept: 'application/x-ndjson' },
    signal: aborter.signal,
  });
  assert.equal(res.status, 200);
  const numbers: number[] = [];
  const errors: unknown[] = [];
  void forEachPart(res.body, '\n', (text) => {
    const line = JSON.parse(text) as { line?: string; type?: string; error?: unknown };
    if (line.type === 'error') errors.push(line.error);
    else if (line.line !== undefined) numbers.push(Number(line.line));
  });
  return { numbers, errors, close: () => aborter.abort() };
}

describe('the mock server on three replicas: nats-server, PostgreSQL, a round-robin balancer, two engines', () => {
  let fleet: ClusterFleet;
  const node = (id: string, via: ReplicaProcess) => call(via, 'GET', `/api/nodes/${id}`).then((res) => res.body);
  const failover = (via: ReplicaProcess) => call(via, 'GET', '/api/failover').then((res) => res.body);
  /** A replica other than `ids`, alive. */
  const other = (...ids: (string | null)[]) => fleet.alive().find((replica) => !ids.includes(replica.id))!;
  const create = async (via: ReplicaProcess, nodeId: string, spec: Record<string, unknown>, ha = false) => {
    const res = await call(via, 'POST', '/api/containers', { body: { nodeId, ha, spec } });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; name: string; nodeId: string };
  };
  /** Each alive replica creates and removes a container on `nodeId`: an agent call forwarded from wherever it lands. */
  const callsWorkEverywhere = async (nodeId: string, tag: string) => {
    for (const replica of fleet.alive()) {
      const made = await create(replica, nodeId, counter(`${tag}-${replica.id}`));
      const removed = await call(replica, 'DELETE', `/api/containers/${made.id}`);
      assert.equal(removed.status, 200, `${replica.id}: ${removed.text}`);
    }
  };

  before(async () => {
    fleet = await startClusterFleet({ prefix: PREFIX, env: { LOST_AFTER_MS: String(LOST_AFTER_MS), SUSPECT_AFTER_MS: '1000', FAILOVER_GRACE_MS: '0' } });
  });

  after(async () => {
    await fleet?.close();
  });

  it('answers for every node on every replica: calls go to the replica holding the node, wherever they land', async () => {
    const owners = [await fleet.ownerOf(fleet.x.id), await fleet.ownerOf(fleet.y.id)];
    assert.ok(owners.every((owner) => owner !== null && ['r1', 'r2', 'r3'].includes(owner)), `owners ${owners}`);
    for (const replica of fleet.alive()) {
      const nodes = (await call(replica, 'GET', '/api/nodes')).body.nodes as { id: string; status: string; replica: string }[];
      assert.deepEqual(nodes.map((n) => [n.id, n.status, n.replica]).sort(), [[fleet.x.id, 'online', owners[0]], [fleet.y.id, 'online', owners[1]]].sort());
    }
    await callsWorkEverywhere(fleet.x.id, 'every');
    await callsWorkEverywhere(fleet.y.id, 'every');
  });

  it('shows a change made through one replica on the live events of every replica, and resumes an event id on another replica', async () => {
    const [a, b, c] = fleet.alive() as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    const headers = (replica: ReplicaProcess) => ({ authorization: `Bearer ${replica.adminToken}` });
    const onB = await openSse(`${b.url}/api/events`, headers(b));
    const onC = await openSse(`${c.url}/api/events`, headers(c));
    try {
      await onB.next((event) => event.event === 'hello');
      await onC.next((event) => event.event === 'hello');
      const made = (await call(a, 'POST', '/api/clusters', { body: { name: 'cl-events' } })).body;
      const seenOnB = await onB.next((event) => event.event === 'cluster' && event.data.cluster.id === made.id);
      const seenOnC = await onC.next((event) => event.event === 'cluster' && event.data.cluster.id === made.id);
      assert.equal(seenOnB.id, seenOnC.id, 'one event, one id on every replica');
      // Heartbeat batches cross the engine too (each replica checks every event's data on its way back in).
      const beats = await onC.next((event) => event.event === 'heartbeats');
      assert.deepEqual(liveEventProblems('heartbeats', beats.data), []);
      assert.deepEqual(liveEventProblems('cluster', seenOnC.data), []);
      await call(b, 'PATCH', `/api/clusters/${made.id}`, { body: { name: 'cl-events-renamed' } });
      // A reader that was at the creation and reconnects to the third replica gets exactly what it missed.
      const resumed = await openSse(`${a.url}/api/events`, { ...headers(a), 'last-event-id': seenOnB.id! });
      try {
        const next = await resumed.next((event) => event.event !== 'heartbeats');
        assert.equal(next.event, 'cluster');
        assert.equal(next.data.cluster.name, 'cl-events-renamed');
      } finally {
        resumed.close();
      }
    } finally {
      onB.close();
      onC.close();
    }
  });

  it("kills the replica holding a node (SIGKILL): the node dials another, calls keep working through every survivor, and a log follow continues with nothing lost or repeated", async () => {
    const owner = fleet.replica((await fleet.ownerOf(fleet.x.id))!);
    const reader = other(owner.id);
    const logged = await create(reader, fleet.x.id, counter('follow'));
    const stream = await follow(reader, logged.id);
    try {
      await waitFor(() => stream.numbers.length >= 30, { timeoutMs: 15_000, what: '30 lines through the reader' });
      const killedAt = Date.now();
      await owner.kill('SIGKILL');
      const newOwner = await waitFor(async () => {
        const now = await fleet.ownerOf(fleet.x.id, reader);
        return now !== null && now !== owner.id ? now : null;
      }, { timeoutMs: 15_000, what: 'the node at another replica' });
      const movedAfterMs = Date.now() - killedAt;
      const before = stream.numbers.length;
      await waitFor(() => stream.numbers.length >= before + 50, { timeoutMs: 15_000, what: '50 more lines after the move' });
      await callsWorkEverywhere(fleet.x.id, 'after-kill');
      stream.close();
      assert.deepEqual(stream.errors, []);
      assert.deepEqual(stream.numbers, stream.numbers.map((_, i) => i + 1), 'every line once, in order');
      assert.ok(movedAfterMs < 10_000, `moved to ${newOwner} after ${movedAfterMs} ms`);
    } finally {
      stream.close();
      await owner.restart();
    }
  });

  it('moves failover leadership when the leader is killed, and fails over no node for the replica\'s death alone', async () => {
    const survivor = fleet.alive()[0]!;
    const leaderId = await waitFor(async () => (await failover(survivor)).leader as string | null, { what: 'a failover leader' });
    const leader = fleet.replica(leaderId);
    // The leader must hold a node, or its death would fail over nothing anyway: the balancer takes replicas in turn.
    for (let tries = 0; (await fleet.ownerOf(fleet.x.id)) !== leaderId; tries++) {
      assert.ok(tries < 12, 'node X never landed on the leader');
      await fleet.x.agent!.stop('SIGKILL');
      await fleet.startAgent(fleet.x);
    }
    const watcher = other(leader.id);
    const migrationsBefore = (await call(watcher, 'GET', '/api/migrations')).body.migrations.length;
    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    const newLeader = await waitFor(async () => {
      const now = (await failover(watcher)).leader as string | null;
      return now !== null && now !== leader.id ? now : null;
    }, { timeoutMs: 10_000, what: 'a new leader' });
    assert.ok(Date.now() - killedAt < 1_500 + 3_000, `leadership moved to ${newLeader} after ${Date.now() - killedAt} ms`);
    // Past the lost-after window after the handover: nodes whose socket was at the dead replica dialled again; none is lost.
    await waitFor(async () => (await Promise.all([fleet.x.id, fleet.y.id].map((id) => node(id, watcher)))).every((view) => view.status === 'online'), {
      timeoutMs: 15_000,
      what: 'both nodes online again',
    });
    // A heartbeat of each node stamped after the window would have run out proves the window passed.
    await waitFor(async () => (await Promise.all([fleet.x.id, fleet.y.id].map((id) => node(id, watcher)))).every((view) => Date.parse(view.lastHeartbeatAt) > killedAt + LOST_AFTER_MS + 500), {
      timeoutMs: LOST_AFTER_MS + 10_000,
      what: 'heartbeats after the lost-after window',
    });
    const nodes = await Promise.all([fleet.x.id, fleet.y.id].map((id) => node(id, watcher)));
    assert.deepEqual(nodes.map((view) => view.status), ['online', 'online']);
    assert.equal((await call(watcher, 'GET', '/api/migrations')).body.migrations.length, migrationsBefore);
    await leader.restart();
  });

  it('kills nats-server and starts it again: the cluster recovers by itself', async () => {
    await fleet.nats.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await fleet.nats.restart();
    await waitFor(async () => {
      for (const replica of fleet.alive()) {
        const res = await call(replica, 'GET', '/api/failover');
        if (res.body?.leader === null) return false;
      }
      return true;
    }, { timeoutMs: 20_000, what: 'a leader known to every replica' });
    await waitFor(
      async () => {
        try {
          await callsWorkEverywhere(fleet.x.id, `nats-back-${Date.now() % 100_000}`);
          await callsWorkEverywhere(fleet.y.id, `nats-back-${Date.now() % 100_000}`);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'calls through every replica to both nodes' },
    );
  });

  it('runs an HA container of a node that is really lost exactly once afterwards, though the leader died meanwhile', async () => {
    const watcher = fleet.alive()[0]!;
    // From a working fleet: the test before stopped nats-server, and with windows this short a
    // node whose heartbeats could not be shared meanwhile may have been judged lost; it is
    // admitted back once it beats again. X must be healthy to take Y's container.
    await waitFor(async () => (await Promise.all([fleet.x.id, fleet.y.id].map((id) => node(id, watcher)))).every((view) => view.status === 'online' && view.health === 'online'), {
      timeoutMs: 30_000,
      what: 'both nodes online and healthy',
    });
    const ha = await create(watcher, fleet.y.id, counter('ha'), true);
    const leaderId = (await failover(watcher)).leader as string;
    // The node is really gone: its agent killed and its engine stopped, with the leader dying at the same moment.
    await fleet.y.agent!.stop('SIGKILL');
    await Promise.all([fleet.engineB.stop(), fleet.replica(leaderId).kill('SIGKILL')]);
    const survivor = other(leaderId);
    await waitFor(async () => {
      const record = (await call(survivor, 'GET', `/api/containers/${ha.id}`)).body;
      return record.nodeId === fleet.x.id && record.state === 'running';
    }, { timeoutMs: LOST_AFTER_MS + 30_000, intervalMs: 200, what: 'the HA container running on the other node' }).catch(async (error: unknown) => {
      // What the survivors saw, a line each and the judgement first, for whoever reads a failure.
      const seen = await Promise.all(fleet.alive().map(async (replica) => {
        const judged = await failover(replica);
        const nodes = (judged.nodes as { nodeId: string; health: string; silentMs: number }[]).map((n) => `${n.nodeId === fleet.x.id ? 'X' : n.nodeId === fleet.y.id ? 'Y' : n.nodeId}=${n.health}/${n.silentMs}ms`);
        const container = (await call(replica, 'GET', `/api/containers/${ha.id}`)).body;
        const moves = (await call(replica, 'GET', `/api/migrations?containerId=${ha.id}`)).body.migrations as { status: string; trigger: string }[];
        const log = replica.output().split('\n').filter((line) => /failover|lost|leader|move/i.test(line)).slice(-10);
        return [
          `${replica.id}: leader ${judged.leader} judging ${judged.judging} hold ${judged.hold} since ${judged.holdSince} nodes ${nodes.join(' ')}`,
          `  container on ${container.nodeId === fleet.x.id ? 'X' : container.nodeId === fleet.y.id ? 'Y' : container.nodeId} ${container.state}; moves ${JSON.stringify(moves.map((m) => [m.trigger, m.status]))}`,
          ...log.map((line) => `  ${line}`),
        ].join('\n');
      }));
      throw new Error(`${(error as Error).message}\n${seen.join('\n')}`);
    });
    // Given time to go wrong (a second leader or a retry would make a second copy now): two more seconds of X's heartbeats.
    const movedAt = Date.now();
    await waitFor(async () => Date.parse((await node(fleet.x.id, survivor)).lastHeartbeatAt) > movedAt + 2_000, { what: 'two more seconds' });
    const copies = (await docker(['ps', '-q', '--filter', `name=^/${ha.name}$`], DEFAULT_DOCKER_SOCKET)).split('\n').filter(Boolean);
    assert.equal(copies.length, 1, 'exactly one running copy');
    const moves = (await call(survivor, 'GET', `/api/migrations?containerId=${ha.id}`)).body.migrations as { status: string; trigger: string }[];
    assert.deepEqual(moves.map((m) => [m.trigger, m.status]), [['node-lost', 'succeeded']]);
    await fleet.replica(leaderId).restart();
  });
});

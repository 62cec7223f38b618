import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { CloseCode } from '../src/closeCodes.js';
import { AgentError } from '../src/errors.js';
import { dialTestAgent } from '../src/testing/index.js';
import type { AgentHandlers } from '../src/agent/handlers.js';
import { startReplica, type TestReplica } from './support/clusterReplica.js';
import { countingAgent } from './support/countingAgent.js';

/** What a closed socket was told. */
const closeOf = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

describe('ClusterHub: the server end on several replicas, through NATS', () => {
  let nats: NatsServer;
  const replicas: TestReplica[] = [];
  const sockets: WebSocket[] = [];
  let prefix = 0;
  /** Three replicas of a cluster of their own (a prefix per test keeps tests apart on one engine). */
  const cluster = async (options: Parameters<typeof startReplica>[2] = {}) => {
    const subjectPrefix = `t${process.pid}x${++prefix}`;
    const started = await Promise.all(['a', 'b', 'c'].map((name) => startReplica(nats.url, `${subjectPrefix}-${name}`, { subjectPrefix, ...options })));
    replicas.push(...started);
    return started as [TestReplica, TestReplica, TestReplica];
  };
  const dial = (replica: TestReplica, nodeId: string, handlers: AgentHandlers) => {
    const socket = dialTestAgent(replica.url, nodeId, handlers);
    sockets.push(socket);
    return socket;
  };
  const ownedBy = (replica: TestReplica, nodeId: string, viewers: TestReplica[]) =>
    waitFor(() => viewers.every((viewer) => viewer.hub.ownerOf(nodeId) === replica.hub.replicaId) && replica.hub.isLocal(nodeId), { what: `${nodeId} owned by ${replica.hub.replicaId}` });

  before(async () => {
    nats = await startNats();
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await Promise.all(replicas.map((replica) => replica.close()));
    await nats?.stop();
  });

  it('forwards a call from a replica that does not hold the node and answers it through the owner', async () => {
    const [a, b, c] = await cluster();
    dial(a, 'n1', countingAgent('node-one'));
    await ownedBy(a, 'n1', [a, b, c]);
    const hello = await b.hub.client('n1').hello.query();
    assert.equal(hello.nodeName, 'node-one');
    assert.equal((await c.hub.client('n1').inventory.query()).nodeName, 'node-one');
  });

  it('fails a forwarded call with the same coded error as a local call', async () => {
    const [a, b] = await cluster();
    dial(a, 'n2', countingAgent('node-two'));
    await ownedBy(a, 'n2', [a, b]);
    const local = await a.hub.client('n2').containers.start.mutate({ operationId: 'op-1', id: 'web' }).catch((error: unknown) => error);
    const remote = await b.hub.client('n2').containers.start.mutate({ operationId: 'op-1', id: 'web' }).catch((error: unknown) => error);
    assert.ok(remote instanceof AgentError);
    assert.ok(local instanceof AgentError);
    assert.equal(remote.code, 'POLICY_DENIED');
    assert.equal(remote.rule, 'privileged');
    assert.deepEqual(remote.toShape(), local.toShape());
  });

  it('keeps a call to an absent node waiting until its deadline, and answers it once the node dials any replica', async () => {
    const [a, b, c] = await cluster();
    const started = performance.now();
    const timedOut = await b.hub.client('n3').hello.query(undefined, { timeoutMs: 300 }).catch((error: unknown) => error);
    assert.ok(timedOut instanceof AgentError);
    assert.equal(timedOut.code, 'AGENT_TIMEOUT');
    assert.ok(performance.now() - started >= 290);
    const waiting = b.hub.client('n3').hello.query(undefined, { timeoutMs: 10_000 });
    setTimeout(() => dial(c, 'n3', countingAgent('node-three')), 200);
    assert.equal((await waiting).nodeName, 'node-three');
    assert.equal(a.hub.ownerOf('n3'), c.hub.replicaId);
  });

  it('lets a node that dials a second replica supersede the first across the cluster (4409 on the older socket)', async () => {
    const [a, b, c] = await cluster();
    const first = dial(a, 'n4', countingAgent('node-four'));
    await ownedBy(a, 'n4', [a, b, c]);
    const closed = closeOf(first);
    dial(b, 'n4', countingAgent('node-four'));
    assert.equal(await closed, 4409);
    await ownedBy(b, 'n4', [a, b, c]);
    assert.equal(a.hub.isLocal('n4'), false);
    assert.equal((await c.hub.client('n4').hello.query()).nodeName, 'node-four');
  });

  it('resumes a stream read through one replica when the node moves between two others: nothing lost, nothing repeated', async () => {
    const [a, b, c] = await cluster();
    dial(a, 'n5', countingAgent('node-five', { intervalMs: 3 }));
    await ownedBy(a, 'n5', [a, b, c]);
    const seen: number[] = [];
    const stream = b.hub.client('n5').containers.logs.subscribe({ id: 'web', follow: true }, { onData: ({ data }) => void seen.push(Number(data.entries[0]!.line.slice(5))) });
    // Waits with room for a loaded machine (a stalled replica is judged dead and comes back),
    // and still well inside the 30 s an unanswered open takes to be given up: a stream that
    // waits for a lost open fails here.
    const loaded = { timeoutMs: 20_000 };
    await waitFor(() => seen.length >= 50, { ...loaded, what: '50 items through b from a' });
    dial(c, 'n5', countingAgent('node-five', { intervalMs: 3 }));
    await ownedBy(c, 'n5', [a, b, c]);
    const moved = seen.length;
    await waitFor(() => seen.length >= moved + 50, { ...loaded, what: '50 more items through b from c' });
    stream.unsubscribe();
    assert.deepEqual(seen, seen.map((_, i) => i + 1));
  });

  it('reaches the owner it addresses, whoever else still listens for the node (an old owner mid-handover)', async () => {
    const [a, b] = await cluster();
    dial(a, 'n10', countingAgent('node-ten', { intervalMs: 3 }));
    await ownedBy(a, 'n10', [a, b]);
    // How a previous owner looked while it dropped the node: still subscribed to the node's own
    // subject, where the engine could route a request to it that its client then discarded.
    const prefix = a.hub.names.owners.replace(/_owners$/, '');
    b.nc.subscribe(`${prefix}.node.n10`, { queue: 'owner', callback: () => {} });
    await b.nc.flush();
    for (let i = 0; i < 8; i++) assert.equal((await b.hub.client('n10').hello.query(undefined, { timeoutMs: 3_000 })).nodeName, 'node-ten');
    const streams = Array.from({ length: 8 }, () => {
      const reader = { items: 0 };
      const stream = b.hub.client('n10').containers.logs.subscribe({ id: 'web', follow: true }, { onData: () => void reader.items++ });
      return { reader, stream };
    });
    await waitFor(() => streams.every(({ reader }) => reader.items >= 3), { timeoutMs: 3_000, what: 'items on every stream' });
    for (const { stream } of streams) stream.unsubscribe();
  });

  it('notices an owner that dies within its TTL; the node dials elsewhere and the stream continues from its last id', async () => {
    const [a, b, c] = await cluster({ replicaTtlMs: 800 });
    const agentSocket = dial(a, 'n6', countingAgent('node-six', { intervalMs: 3 }));
    await ownedBy(a, 'n6', [a, b, c]);
    const seen: number[] = [];
    const stream = b.hub.client('n6').containers.logs.subscribe({ id: 'web', follow: true }, { onData: ({ data }) => void seen.push(Number(data.entries[0]!.line.slice(5))) });
    await waitFor(() => seen.length >= 30, { what: '30 items through b from a' });
    const diedAt = performance.now();
    await a.crash();
    await waitFor(() => !b.hub.replicas.isAlive(a.hub.replicaId) && !c.hub.replicas.isAlive(a.hub.replicaId), { timeoutMs: 3_000, what: 'a judged dead' });
    assert.ok(performance.now() - diedAt <= 800 + 500, `noticed after ${Math.round(performance.now() - diedAt)} ms`);
    assert.equal(agentSocket.readyState, agentSocket.CLOSED);
    // The agent dials again with its backoff and lands on another replica.
    dial(c, 'n6', countingAgent('node-six', { intervalMs: 3 }));
    await ownedBy(c, 'n6', [b, c]);
    const before = seen.length;
    await waitFor(() => seen.length >= before + 30, { what: '30 more items through b from c' });
    stream.unsubscribe();
    assert.deepEqual(seen, seen.map((_, i) => i + 1));
  });

  it('holds a slow reader back at the agent: the owner stops the stream when credit runs out and resumes it from the last id', async () => {
    const [a, b] = await cluster({ streamCreditItems: 8 });
    const produced = { n: 0 };
    dial(a, 'n7', countingAgent('node-seven', { intervalMs: 1, produced }));
    await ownedBy(a, 'n7', [a, b]);
    const seen: number[] = [];
    let ahead = 0;
    const stream = b.hub.client('n7').containers.logs.subscribe(
      { id: 'web', follow: true },
      {
        onData: async ({ data }) => {
          seen.push(Number(data.entries[0]!.line.slice(5)));
          ahead = Math.max(ahead, produced.n - seen.length);
          await new Promise((resolve) => setTimeout(resolve, 20));
        },
      },
    );
    await waitFor(() => seen.length >= 60, { timeoutMs: 20_000, what: '60 items at 20 ms each' });
    const carried = a.hub.carriedStreams().find((s) => s.nodeId === 'n7');
    stream.unsubscribe();
    assert.deepEqual(seen, seen.map((_, i) => i + 1));
    // The agent produces every 1 ms; unbraked it would be hundreds of items ahead of a reader taking 20 ms an item.
    assert.ok(ahead <= 8 * 3, `the agent ran ${ahead} items ahead of the reader`);
    assert.ok(carried && carried.pauses >= 5, `the owner stopped the agent's stream ${carried?.pauses} times`);
  });

  it('fails the streams of a forgotten node with AGENT_UNAVAILABLE on every replica, as a local disconnect does, wherever forget is called', async () => {
    const [a, b, c] = await cluster();
    const agentSocket = dial(a, 'n9', countingAgent('node-nine', { intervalMs: 5 }));
    await ownedBy(a, 'n9', [a, b, c]);
    const readers = [a, b, c].map((replica) => {
      const reader = { items: 0, error: null as AgentError | null, completed: false };
      replica.hub.client('n9').containers.logs.subscribe(
        { id: 'web', follow: true },
        { onData: () => void reader.items++, onError: (error) => void (reader.error = error), onComplete: () => void (reader.completed = true) },
      );
      return reader;
    });
    await waitFor(() => readers.every((reader) => reader.items >= 5), { what: 'items on every replica' });
    const closed = closeOf(agentSocket);
    // Forgotten through a replica that neither holds the node nor is the only reader.
    await b.hub.forget('n9', CloseCode.Revoked, 'revoked');
    assert.equal(await closed, CloseCode.Revoked);
    await waitFor(() => readers.every((reader) => reader.error !== null), { what: 'every stream failed' });
    for (const reader of readers) {
      assert.equal(reader.error?.code, 'AGENT_UNAVAILABLE');
      assert.equal(reader.completed, false);
    }
  });

  // Last: it restarts the engine the other tests share.
  it('judges nobody dead while its own engine connection is down, and carries on when the engine is back', async () => {
    const [a, b, c] = await cluster({ replicaTtlMs: 500 });
    dial(a, 'n8', countingAgent('node-eight', { intervalMs: 5 }));
    await ownedBy(a, 'n8', [a, b, c]);
    const seen: number[] = [];
    const stream = b.hub.client('n8').containers.logs.subscribe({ id: 'web', follow: true }, { onData: ({ data }) => void seen.push(Number(data.entries[0]!.line.slice(5))) });
    await waitFor(() => seen.length >= 20, { what: '20 items through b' });
    const deaths: string[] = [];
    for (const replica of [a, b, c]) replica.hub.replicas.on('down', (id) => deaths.push(`${replica.hub.replicaId} saw ${id} die`));
    await nats.kill('SIGKILL');
    const downAt = performance.now();
    // Down for several TTLs: long enough that silence would have condemned everyone.
    await waitFor(() => performance.now() - downAt > 2_000, { intervalMs: 100, what: 'the engine down for four TTLs' });
    await nats.restart();
    await waitFor(async () => (await c.hub.client('n8').hello.query(undefined, { timeoutMs: 2_000 })).nodeName === 'node-eight', { timeoutMs: 20_000, what: 'a call through c again' });
    const resumed = seen.length;
    await waitFor(() => seen.length >= resumed + 20, { timeoutMs: 20_000, what: '20 more items through b' });
    stream.unsubscribe();
    assert.deepEqual(deaths, []);
    assert.deepEqual(seen, seen.map((_, i) => i + 1));
  });
});

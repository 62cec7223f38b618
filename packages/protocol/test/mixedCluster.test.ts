import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { dialTestAgent } from '../src/testing/index.js';
import { startReplica, type TestReplica } from './support/clusterReplica.js';
import { countingAgent } from './support/countingAgent.js';

/** The number a counting agent's log item carries. */
const itemNumber = ({ data }: { data: { entries: { line: string }[] } }) => Number(data.entries[0]!.line.slice(5));

/**
 * A rolling upgrade of the control plane: replicas from before per-replica subjects (played by
 * `actAsOldReplica`) and replicas of this version in one cluster, routing calls and streams to
 * each other both ways.
 */
describe('ClusterHub in a mixed cluster: replicas of before and of this version, during a rolling upgrade', () => {
  let nats: NatsServer;
  let spy: NatsConnection;
  const replicas: TestReplica[] = [];
  const sockets: WebSocket[] = [];
  let prefix = 0;
  /** Replicas of one cluster of their own: `old` ones act as replicas of before. */
  const cluster = async (kinds: ('old' | 'new')[]) => {
    const subjectPrefix = `mx${process.pid}x${++prefix}`;
    const started = await Promise.all(
      kinds.map((kind, i) => startReplica(nats.url, `${subjectPrefix}-${kind}${i}`, { subjectPrefix, streamCreditItems: 4, actAsOldReplica: kind === 'old' })),
    );
    replicas.push(...started);
    return { replicas: started, subjectPrefix };
  };
  const dial = (replica: TestReplica, nodeId: string) => {
    const socket = dialTestAgent(replica.url, nodeId, countingAgent(`name-${nodeId}`, { intervalMs: 3 }));
    sockets.push(socket);
    return socket;
  };
  const ownedBy = (owner: TestReplica, nodeId: string, viewers: TestReplica[]) =>
    waitFor(() => viewers.every((viewer) => viewer.hub.ownerOf(nodeId) === owner.hub.replicaId) && owner.hub.isLocal(nodeId), { what: `${nodeId} owned by ${owner.hub.replicaId}` });
  /** Reads `count` log items through `reader` (credit of 4, so credit flows back many times), then stops; resolves with their numbers. */
  const readLogs = async (reader: TestReplica, nodeId: string, count: number) => {
    const seen: number[] = [];
    const stream = reader.hub.client(nodeId).containers.logs.subscribe({ id: 'web', follow: true }, { onData: (item) => void seen.push(itemNumber(item)) });
    await waitFor(() => seen.length >= count, { timeoutMs: 15_000, what: `${count} items through ${reader.hub.replicaId}` });
    stream.unsubscribe();
    return seen;
  };
  const inOrder = (seen: number[]) => assert.deepEqual(seen, seen.map((_, i) => seen[0]! + i));

  before(async () => {
    nats = await startNats();
    spy = await connect({ servers: nats.url });
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await Promise.all(replicas.map((replica) => replica.close()));
    await spy?.close();
    await nats?.stop();
  });

  it('reaches a node held by a replica of before from one of this version: calls, stream items with credit, and the stop', async () => {
    const { replicas: [old, fresh] } = await cluster(['old', 'new']);
    dial(old!, 'm1');
    await ownedBy(old!, 'm1', [old!, fresh!]);
    assert.equal((await fresh!.hub.client('m1').hello.query(undefined, { timeoutMs: 5_000 })).nodeName, 'name-m1');
    assert.deepEqual(fresh!.hub.oldReplicas(), [old!.hub.replicaId]);
    inOrder(await readLogs(fresh!, 'm1', 40));
    await waitFor(() => old!.hub.carriedStreams().length === 0, { what: 'the stream stopped at the old owner' });
  });

  it('reaches a node held by a replica of this version from one of before: calls, stream items with credit, the stop and a forget', async () => {
    const { replicas: [old, fresh] } = await cluster(['old', 'new']);
    const socket = dial(fresh!, 'm2');
    await ownedBy(fresh!, 'm2', [old!, fresh!]);
    assert.equal((await old!.hub.client('m2').hello.query(undefined, { timeoutMs: 5_000 })).nodeName, 'name-m2');
    inOrder(await readLogs(old!, 'm2', 40));
    await waitFor(() => fresh!.hub.carriedStreams().length === 0, { what: 'the stream stopped at the new owner' });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await old!.hub.forget('m2', 4403, 'revoked');
    assert.equal(await closed, 4403);
  });

  it('keeps a stream going while the node moves from a replica of before to one of this version: nothing lost, nothing repeated', async () => {
    const { replicas: [old, reader, upgraded] } = await cluster(['old', 'new', 'new']);
    const all = [old!, reader!, upgraded!];
    dial(old!, 'm3');
    await ownedBy(old!, 'm3', all);
    const seen: number[] = [];
    const stream = reader!.hub.client('m3').containers.logs.subscribe({ id: 'web', follow: true }, { onData: (item) => void seen.push(itemNumber(item)) });
    await waitFor(() => seen.length >= 30, { timeoutMs: 15_000, what: '30 items from the old owner' });
    dial(upgraded!, 'm3');
    await ownedBy(upgraded!, 'm3', all);
    const moved = seen.length;
    await waitFor(() => seen.length >= moved + 30, { timeoutMs: 15_000, what: '30 more items from the upgraded owner' });
    stream.unsubscribe();
    assert.deepEqual(seen, seen.map((_, i) => i + 1));
  });

  it('never sends on a node\'s subject between two replicas of this version, though an old one is in the cluster', async () => {
    const { replicas: [, owner, reader], subjectPrefix } = await cluster(['old', 'new', 'new']);
    let onNodeSubjects = 0;
    const watch = spy.subscribe(`${subjectPrefix}.node.>`, { callback: () => void onNodeSubjects++ });
    await spy.flush();
    try {
      dial(owner!, 'm4');
      await ownedBy(owner!, 'm4', [owner!, reader!]);
      for (let i = 0; i < 5; i++) assert.equal((await reader!.hub.client('m4').hello.query(undefined, { timeoutMs: 5_000 })).nodeName, 'name-m4');
      inOrder(await readLogs(reader!, 'm4', 20));
      await reader!.hub.forget('m4');
      await spy.flush();
      assert.equal(onNodeSubjects, 0);
      assert.deepEqual(reader!.hub.oldReplicas(), []);
    } finally {
      watch.unsubscribe();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsServer, startNats } from '@lormas/testkit';
import { clusterNames } from './clusterNames.js';
import { decode, encode, isNoResponders, OwnerReply, packValue, unpackValue } from './clusterWire.js';
import { fakeClusterContext } from './fakeClusterContext.js';
import { OwnerEndpoint } from './OwnerEndpoint.js';

const encoder = new TextEncoder();

describe('OwnerEndpoint: what an owner serves, for senders of this version and of before', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const endpoints: OwnerEndpoint[] = [];
  let prefix = 0;

  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  after(async () => {
    for (const endpoint of endpoints) endpoint.close();
    await nc?.close();
    await nats?.stop();
  });

  /** An owner `o` whose local link holds the nodes in `connected`, each answering a call with its own id. */
  const owner = async (options: { actAsOldReplica?: boolean; connected?: string[]; onForget?: (nodeId: string, code: number, reason: string) => Promise<void> } = {}) => {
    const connected = new Set(options.connected ?? ['n1']);
    const local = {
      isConnected: (nodeId: string) => connected.has(nodeId),
      transport: (nodeId: string) => ({ call: async (_: unknown, path: string) => ({ nodeId, path }) }),
    };
    const context = fakeClusterContext(nc, clusterNames(`oe${process.pid}x${++prefix}`), {
      replicaId: 'o',
      local: local as never,
      actAsOldReplica: options.actAsOldReplica ?? false,
      liveOwner: () => 'o',
    });
    const endpoint = new OwnerEndpoint(context, options.onForget ?? (async () => {}));
    endpoints.push(endpoint);
    await nc.flush();
    return { endpoint, names: context.names };
  };
  /** A call as a replica of before sent it: on the node's subject, without naming the node. */
  const oldCall = (path: string) => encoder.encode(JSON.stringify({ t: 'call', path, input: packValue(undefined), timeoutMs: 1_000 }));
  const ask = async (subject: string, data: Uint8Array) => decode(OwnerReply, (await nc.request(subject, data, { timeout: 2_000 })).data);

  it('answers a call of before on the subject of a node it serves, the node taken from the subject, naming itself', async () => {
    const { endpoint, names } = await owner();
    endpoint.serve('n1');
    await nc.flush();
    const reply = await ask(names.node('n1'), oldCall('hello'));
    assert.equal(reply?.t, 'ok');
    assert.equal(reply?.from, 'o');
    assert.deepEqual(unpackValue(reply?.t === 'ok' ? reply.value : undefined), { nodeId: 'n1', path: 'hello' });
  });

  it('refuses a request on a node\'s subject that names another node', async () => {
    const { endpoint, names } = await owner({ connected: ['n1', 'n2'] });
    endpoint.serve('n1');
    await nc.flush();
    const reply = await ask(names.node('n1'), encode({ t: 'call', node: 'n2', path: 'hello', input: packValue(undefined), timeoutMs: 1_000 }));
    assert.equal(reply?.t, 'error');
  });

  it('stops serving a node\'s subject when it stops serving the node, and serves none it does not hold', async () => {
    const { endpoint, names } = await owner();
    const before = await nc.request(names.node('n1'), oldCall('hello'), { timeout: 2_000 }).catch((error: unknown) => error);
    assert.ok(isNoResponders(before));
    endpoint.serve('n1');
    await nc.flush();
    assert.equal((await ask(names.node('n1'), oldCall('hello')))?.t, 'ok');
    endpoint.unserve('n1');
    await nc.flush();
    const after = await nc.request(names.node('n1'), oldCall('hello'), { timeout: 2_000 }).catch((error: unknown) => error);
    assert.ok(isNoResponders(after));
  });

  it('still answers requests that name their node on its own subject', async () => {
    const { endpoint, names } = await owner();
    endpoint.serve('n1');
    const reply = await ask(names.owner('o'), encode({ t: 'call', node: 'n1', path: 'inventory', input: packValue(undefined), timeoutMs: 1_000 }));
    assert.deepEqual(unpackValue(reply?.t === 'ok' ? reply.value : undefined), { nodeId: 'n1', path: 'inventory' });
  });

  it('acting as a replica of before, serves no subject of its own and does not name itself', async () => {
    const { endpoint, names } = await owner({ actAsOldReplica: true });
    endpoint.serve('n1');
    await nc.flush();
    const own = await nc.request(names.owner('o'), encode({ t: 'call', node: 'n1', path: 'hello', input: packValue(undefined), timeoutMs: 1_000 }), { timeout: 2_000 }).catch((error: unknown) => error);
    assert.ok(isNoResponders(own));
    const reply = await ask(names.node('n1'), oldCall('hello'));
    assert.equal(reply?.t, 'ok');
    assert.equal(reply?.from, undefined);
  });
  it('forgets only a node it holds, with a close code and reason a socket can be closed with', async () => {
    const forgotten: unknown[] = [];
    const { endpoint, names } = await owner({ connected: ['n1'], onForget: async (...args) => void forgotten.push(args) });
    endpoint.serve('n1');
    await nc.flush();
    const forget = (body: Record<string, unknown>) => ask(names.owner('o'), encoder.encode(JSON.stringify({ t: 'forget', node: 'n1', ...body })));
    // What `ws` would throw on when closing: a code no endpoint may send, a reason past 123 bytes.
    for (const hostile of [{ code: 1, reason: 'x' }, { code: 1005, reason: 'x' }, { code: 5000, reason: 'x' }, { code: 4403, reason: 'é'.repeat(62) }]) {
      const reply = await forget(hostile);
      assert.equal(reply?.t, 'error', JSON.stringify(hostile));
    }
    assert.deepEqual(forgotten, []);
    // A node this replica does not hold (it moved on at a handover): not forgotten here.
    assert.equal((await ask(names.owner('o'), encode({ t: 'forget', node: 'n2', code: 4403, reason: 'revoked' })))?.t, 'away');
    assert.deepEqual(forgotten, []);
    assert.equal((await forget({ code: 4403, reason: 'revoked' }))?.t, 'ok');
    assert.deepEqual(forgotten, [['n1', 4403, 'revoked']]);
  });

  it('answers a forget that fails with an error, and goes on serving', async () => {
    const { endpoint, names } = await owner({ connected: ['n1'], onForget: async () => Promise.reject(new RangeError('close failed')) });
    endpoint.serve('n1');
    await nc.flush();
    assert.equal((await ask(names.owner('o'), encode({ t: 'forget', node: 'n1', code: 1000, reason: 'bye' })))?.t, 'error');
    assert.equal((await ask(names.owner('o'), encode({ t: 'call', node: 'n1', path: 'hello', input: packValue(undefined), timeoutMs: 1_000 })))?.t, 'ok');
  });
});

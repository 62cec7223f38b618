import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';
import { openSse } from './support/sse.js';
import { liveEventProblems } from './support/viewProblems.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

describe('GET /api/events', () => {
  let server: MockServer;
  let auth: Record<string, string>;
  const sockets: WebSocket[] = [];

  before(async () => {
    server = await startMockServer({
      dashboardDir: null,
      failoverGraceMs: 0,
      lostAfterMs: 3_000,
      heartbeatEventIntervalMs: 400,
      heartbeatBatchNodes: 2,
      sampleIntervalMs: 60_000,
      eventReplayEvents: 50,
      eventsMaxBufferedBytes: 64 * 1024,
    });
    auth = { authorization: `Bearer ${server.adminToken}` };
  });
  after(async () => {
    for (const socket of sockets) socket.close();
    await server?.close();
  });

  it('greets a new reader with hello, then streams a node registered, online and its heartbeats', async () => {
    const stream = await openSse(`${server.url}/api/events`, auth);
    assert.equal(stream.status, 200);
    const hello = await stream.next();
    assert.equal(hello.event, 'hello');
    assert.match(hello.id ?? '', /^[A-Za-z0-9_-]+\.\d+$/);
    const node = await registerNode(server, 'live-1');
    const registered = await stream.next((e) => e.event === 'node');
    assert.deepEqual([registered.data.action, registered.data.node.id, registered.data.node.status], ['registered', node.id, 'offline']);
    sockets.push(dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, stubHandlers('live-1')));
    const online = await stream.next((e) => e.event === 'node' && e.data.action === 'online');
    assert.equal(online.data.node.agentVersion, '0.0.0-stub');
    const batch = await stream.next((e) => e.event === 'heartbeats' && e.data.nodes.some((beat: { id: string }) => beat.id === node.id));
    const beat = batch.data.nodes.find((b: { id: string }) => b.id === node.id);
    assert.deepEqual([beat.status, beat.cpu.usagePercent], ['online', 3.5]);
    assert.equal(beat.name, undefined, 'a heartbeat carries what it changed, not the whole node');
    stream.close();
  });

  it('makes every event in the shape every replica checks it against (a cluster created, renamed and deleted among them)', async () => {
    const stream = await openSse(`${server.url}/api/events`, auth);
    await stream.next((e) => e.event === 'hello');
    const made = (await call(server, 'POST', '/api/clusters', { body: { name: 'live-cl' } })).body;
    await call(server, 'PATCH', `/api/clusters/${made.id}`, { body: { name: 'live-cl-2' } });
    assert.equal((await call(server, 'DELETE', `/api/clusters/${made.id}`)).status < 300, true);
    const seen: { event?: string; data: unknown }[] = [];
    await stream.next((e) => {
      seen.push(e);
      return e.event === 'cluster' && e.data.action === 'deleted';
    });
    stream.close();
    assert.deepEqual(
      seen.filter((e) => e.event === 'cluster').map((e) => (e.data as { action: string }).action),
      ['created', 'updated', 'deleted'],
    );
    assert.deepEqual(seen.flatMap((e) => liveEventProblems(e.event ?? '', e.data)), []);
  });

  it('batches heartbeats: each node at most once per interval, at most heartbeatBatchNodes to an event', async () => {
    const ids = [];
    for (const name of ['live-2', 'live-3']) {
      const node = await registerNode(server, name);
      sockets.push(dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, stubHandlers(name)));
      ids.push(node.id);
    }
    const stream = await openSse(`${server.url}/api/events`, auth);
    await stream.next((e) => e.event === 'hello');
    // Three nodes beat every 50 ms: about 24 beats per 400 ms interval, so every batch is full.
    const batches: { id: string }[][] = [];
    const started = Date.now();
    while (batches.length < 12) batches.push((await stream.next((e) => e.event === 'heartbeats')).data.nodes);
    const elapsed = Date.now() - started;
    for (const nodes of batches) assert.ok(nodes.length >= 1 && nodes.length <= 2, `a batch of ${nodes.length}`);
    assert.ok(batches.some((nodes) => nodes.length === 2), 'beats of several nodes share an event');
    const seen = batches.flat().map((beat) => beat.id);
    for (const id of ids) assert.ok(seen.includes(id), `${id} beat`);
    // One flush per 400 ms interval, of each of the three nodes once: two events of at most two.
    const perNode = Math.max(...[...new Set(seen)].map((id) => seen.filter((one) => one === id).length));
    assert.ok(perNode <= Math.ceil(elapsed / 400) + 1, `a node in ${perNode} batches within ${elapsed} ms`);
    stream.close();
  });

  it('resumes after Last-Event-ID with exactly the events missed', async () => {
    const first = await openSse(`${server.url}/api/events`, auth);
    const last = await first.next((e) => e.event === 'hello');
    first.close();
    for (const name of ['r1', 'r2', 'r3']) await call(server, 'POST', '/api/clusters', { body: { name } });
    const resumed = await openSse(`${server.url}/api/events`, { ...auth, 'last-event-id': last.id! });
    const names: string[] = [];
    let previous = Number(last.id!.split('.')[1]);
    while (names.length < 3) {
      const event = await resumed.next();
      assert.notEqual(event.event, 'hello');
      assert.equal(Number(event.id!.split('.')[1]), previous + 1, 'ids follow on with no gap');
      previous += 1;
      if (event.event === 'cluster') names.push(event.data.cluster.name);
    }
    assert.deepEqual(names, ['r1', 'r2', 'r3']);
    resumed.close();
  });

  it('answers reset to an id the buffer no longer holds, or of another server run', async () => {
    const first = await openSse(`${server.url}/api/events`, auth);
    const last = await first.next((e) => e.event === 'hello');
    first.close();
    for (let i = 0; i < 60; i++) server.live.log.append('test', { i });
    const behind = await openSse(`${server.url}/api/events`, { ...auth, 'last-event-id': last.id! });
    const reset = await behind.next();
    assert.deepEqual([reset.event, reset.data.reason], ['reset', 'too-far-behind']);
    behind.close();
    const foreign = await openSse(`${server.url}/api/events`, { ...auth, 'last-event-id': 'otherrun.12' });
    assert.deepEqual(((await foreign.next()).event), 'reset');
    foreign.close();
  });

  it('cuts off a reader that does not read, and keeps serving the others', async () => {
    await waitFor(() => server.live.log.subscribers === 0, { what: 'earlier readers gone' });
    const reader = await openSse(`${server.url}/api/events`, auth);
    await reader.next((e) => e.event === 'hello');
    const stalled = connect(server.port, '127.0.0.1');
    stalled.on('error', () => {});
    stalled.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.adminToken}\r\nAccept: text/event-stream\r\n\r\n`);
    stalled.pause();
    await waitFor(() => server.live.log.subscribers === 2, { what: 'both readers subscribed' });
    const big = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 300 && server.live.log.subscribers > 1; i++) {
      server.live.log.append('test', { i, big });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => server.live.log.subscribers === 1, { what: 'the stalled reader cut off' });
    const after = await reader.next((e) => e.event === 'test' && e.data.i === 0);
    assert.equal(after.data.big.length, big.length);
    stalled.destroy();
    reader.close();
  });
});

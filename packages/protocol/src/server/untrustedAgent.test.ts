import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { WebSocket } from 'ws';
import { CloseCode } from '../closeCodes.js';
import { AgentError } from '../errors.js';
import { linkTransformer } from '../link/transformer.js';
import type { Heartbeat } from '../schemas/heartbeat.js';
import { sampleHeartbeat, startTestHub } from '../testing/index.js';
import { PROTOCOL_VERSION } from '../version.js';
import type { AgentViolationEvent } from './AgentHub.js';

type Call = { id: number; method: string; params?: { path: string; input?: unknown; lastEventId?: string } };

const hello = (nodeName: string, protocolVersion = PROTOCOL_VERSION) => ({
  agentVersion: '9.9.9',
  protocolVersion,
  nodeName,
  runtime: { name: 'node', version: '20.0.0' },
  engineVersion: '20.10.0',
  startedAt: 1,
});

const beat = (seq: number): Heartbeat => sampleHeartbeat({ seq, nodeName: 'n' });

/**
 * An agent written frame by frame: it answers `hello`, and hands every other call to the
 * test, which can then send anything at all, as a compromised node would.
 */
class RawAgent {
  readonly socket: WebSocket;
  readonly calls: Call[] = [];
  closed: { code: number; reason: string } | null = null;
  /** tRPC's `PONG`s received: the hub answers `PING` in order, so one proves it read what came before. */
  pongs = 0;
  constructor(url: string, nodeId: string, protocolVersion = PROTOCOL_VERSION) {
    const target = new URL(url);
    target.searchParams.set('node', nodeId);
    this.socket = new WebSocket(target);
    this.socket.on('error', () => {});
    this.socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    this.socket.on('message', (data) => {
      const text = data.toString();
      if (text === 'PONG') return void this.pongs++;
      const parsed = JSON.parse(text) as Call | Call[];
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        if (call.params?.path === 'hello') this.result(call.id, hello(nodeId, protocolVersion));
        else this.calls.push(call);
      }
    });
  }
  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }
  result(id: number, value: unknown, eventId?: string): void {
    this.send({ id, result: { type: 'data', ...(eventId ? { id: eventId } : {}), data: linkTransformer.serialize(value) } });
  }
  /** Resolves once the hub has read everything sent before, or the socket closed first. */
  async readSoFar(): Promise<void> {
    const pongs = this.pongs;
    this.send('PING');
    await waitFor(() => this.pongs > pongs || this.closed, { what: 'a PONG or a close', timeoutMs: 5_000 });
  }
  next(path: string): Promise<Call> {
    return waitFor(() => this.calls.find((call) => call.params?.path === path), { what: `a call of ${path}`, timeoutMs: 5_000 });
  }
}

describe('AgentHub, facing an agent that breaks the protocol', () => {
  let fixture: Awaited<ReturnType<typeof startTestHub>>;
  const violations: AgentViolationEvent[] = [];
  const callbackErrors: unknown[] = [];
  const connected = new Set<string>();
  const agents: RawAgent[] = [];

  const dial = async (nodeId: string, protocolVersion?: string) => {
    const agent = new RawAgent(fixture.url, nodeId, protocolVersion);
    agents.push(agent);
    await waitFor(() => connected.has(nodeId), { what: `${nodeId} to connect`, timeoutMs: 5_000 });
    return agent;
  };
  const closedWith = (agent: RawAgent) => waitFor(() => agent.closed, { what: 'the socket to close', timeoutMs: 5_000 });

  before(async () => {
    fixture = await startTestHub({
      maxInvalidItems: 3,
      onConnect: ({ nodeId }) => connected.add(nodeId),
      onViolation: (event) => violations.push(event),
      onCallbackError: (error) => callbackErrors.push(error),
    });
  });
  afterEach(() => {
    for (const agent of agents.splice(0)) agent.socket.terminate();
  });
  after(() => fixture.close());

  for (const [what, frame] of [
    ['text that is not JSON', 'not json'],
    ['JSON that is not an object', '[1,2,3]'],
    ['null', 'null'],
    ['an object of the wrong shape', { id: 'x', result: 'yes' }],
    ['a result with an id of the wrong type', { id: { nested: true }, result: { type: 'data', data: {} } }],
    ['a binary frame', Buffer.from([0xde, 0xad])],
  ] as const) {
    it(`closes the socket with ProtocolViolation on ${what}, reports it once naming the node, and stays up`, async () => {
      const nodeId = `bad-${violations.length}-${Math.random().toString(36).slice(2, 8)}`;
      const agent = await dial(nodeId);
      const before = violations.length;
      agent.send(frame);
      agent.send(frame);
      const closed = await closedWith(agent);
      assert.equal(closed.code, CloseCode.ProtocolViolation);
      assert.match(closed.reason, /^protocol violation: a /, 'the close names the rule broken');
      await waitFor(() => violations.length > before, { what: 'the report' });
      assert.equal(violations.length, before + 1, 'one report per socket');
      assert.equal(violations.at(-1)!.nodeId, nodeId);
      // The hub still serves others.
      const other = await dial(`${nodeId}-next`);
      assert.equal(other.closed, null);
    });
  }

  it('drops frames that are legal without a live request, counts them, and keeps the agent connected', async () => {
    const agent = await dial('late-frames');
    agent.send({ id: 999, result: { type: 'stopped' } });
    agent.send({ id: 998, result: { type: 'data', data: linkTransformer.serialize({ late: true }) } });
    agent.send({ id: null, error: linkTransformer.serialize({ code: -32600, message: 'who knows', data: {} }) });
    agent.send({ id: null, method: 'reconnect' });
    agent.send('PING');
    agent.send('PONG');
    await waitFor(() => (fixture.hub.counters('late-frames')?.droppedFrames ?? 0) >= 6, { what: 'six dropped frames' });
    assert.equal(agent.closed, null);
    assert.ok(fixture.hub.isConnected('late-frames'));
  });

  it('fails a call whose result breaks the contract with BAD_AGENT_OUTPUT, and keeps the agent connected', async () => {
    const agent = await dial('bad-result');
    const pending = fixture.hub.client('bad-result').inventory.query();
    const call = await agent.next('inventory');
    agent.result(call.id, { nodeName: 'x'.repeat(2_000_000), containers: [] });
    const error = await pending.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => AgentError.from(e),
    );
    assert.equal(error.code, 'BAD_AGENT_OUTPUT');
    assert.equal(agent.closed, null);
  });

  it("fails a call whose result is in a broken encoding, or whose error is malformed, with BAD_AGENT_OUTPUT", async () => {
    const agent = await dial('bad-encoding');
    const client = fixture.hub.client('bad-encoding');
    const first = client.containers.list.query();
    const second = client.inventory.query();
    const calls = await waitFor(() => (agent.calls.length >= 2 ? agent.calls : null), { what: 'two calls' });
    agent.send({ id: calls[0]!.id, result: { type: 'data', data: { json: [], meta: { values: { '': ['class', 'NoSuchClass'] } } } } });
    agent.send({ id: calls[1]!.id, error: linkTransformer.serialize({ code: 'not a number', message: 7 }) });
    for (const pending of [first, second]) {
      const error = await (pending as Promise<unknown>).then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => AgentError.from(e),
      );
      assert.equal(error.code, 'BAD_AGENT_OUTPUT');
    }
  });

  it('drops stream items that break the contract while the stream goes on, then closes the agent after maxInvalidItems', async () => {
    const agent = await dial('bad-items');
    const beats: Heartbeat[] = [];
    fixture.hub.client('bad-items').node.heartbeats.subscribe(undefined, { onData: (item) => beats.push(item) });
    const call = await agent.next('node.heartbeats');
    agent.send({ id: call.id, result: { type: 'started' } });
    agent.result(call.id, beat(1));
    agent.result(call.id, {});
    agent.result(call.id, null);
    agent.result(call.id, beat(2));
    agent.result(call.id, { ...beat(3), nodeName: 'x'.repeat(1_000_000) });
    // The megabyte item comes after the second heartbeat: wait until the hub has read it too.
    await agent.readSoFar();
    await waitFor(() => beats.length === 2, { what: 'the two valid heartbeats' });
    assert.deepEqual(
      beats.map((b) => b.seq),
      [1, 2],
    );
    assert.equal(fixture.hub.counters('bad-items')!.invalidItems, 3);
    assert.equal(agent.closed, null, 'three invalid items are tolerated');
    agent.result(call.id, { seq: -1 });
    const closed = await closedWith(agent);
    assert.equal(closed.code, CloseCode.ProtocolViolation);
  });

  it('drops a tracked item whose envelope and event id disagree', async () => {
    const agent = await dial('bad-tracked');
    const items: unknown[] = [];
    fixture.hub.client('bad-tracked').containers.events.subscribe(undefined, { onData: (item) => items.push(item) });
    const call = await agent.next('containers.events');
    const event = { type: 'start', containerId: 'c', name: 'c', at: 1 };
    agent.result(call.id, { id: 'e2', data: event }, 'e1');
    agent.result(call.id, event, 'e3');
    agent.result(call.id, { id: 'e4', data: event }, 'e4');
    await waitFor(() => items.length === 1, { what: 'the valid item' });
    assert.deepEqual(items, [{ id: 'e4', data: event }]);
    assert.equal(fixture.hub.counters('bad-tracked')!.invalidItems, 2);
  });

  it('reports a throwing callback instead of letting it escape, and delivers the next item', async () => {
    const agent = await dial('throwing-callback');
    const seqs: number[] = [];
    fixture.hub.client('throwing-callback').node.heartbeats.subscribe(undefined, {
      onData: (item) => {
        seqs.push(item.seq);
        if (item.seq === 1) throw new Error('a bug in the caller');
      },
    });
    const call = await agent.next('node.heartbeats');
    const before = callbackErrors.length;
    agent.result(call.id, beat(1));
    agent.result(call.id, beat(2));
    await waitFor(() => seqs.length === 2, { what: 'both heartbeats' });
    assert.equal(callbackErrors.length, before + 1);
    assert.equal(agent.closed, null);
  });

  it('sends calls made in the same tick as one batched frame', async () => {
    const agent = await dial('batching');
    const frames: unknown[] = [];
    agent.socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
    const client = fixture.hub.client('batching');
    void client.inventory.query().catch(() => {});
    void client.containers.list.query().catch(() => {});
    void client.operations.get.query({ operationId: 'op' }).catch(() => {});
    await waitFor(() => agent.calls.length === 3, { what: 'three calls' });
    assert.equal(frames.length, 1);
    assert.ok(Array.isArray(frames[0]) && (frames[0] as unknown[]).length === 3);
  });

  it('refuses, without sending it, a procedure newer than the protocol the agent announced', async () => {
    const agent = await dial('old-minor', '1.0');
    const { agentContract } = await import('../contract/agentContract.js');
    const original = agentContract.containers.list.since;
    (agentContract.containers.list as { since: string }).since = '1.1';
    try {
      const error = await fixture.hub
        .client('old-minor')
        .containers.list.query()
        .then(
          () => assert.fail('expected a refusal'),
          (e: unknown) => AgentError.from(e),
        );
      assert.equal(error.code, 'NOT_SUPPORTED');
      assert.equal(agent.calls.length, 0);
    } finally {
      (agentContract.containers.list as { since: string }).since = original;
    }
  });
});

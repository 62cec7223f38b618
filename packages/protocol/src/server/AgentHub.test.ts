import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { nextEvent, waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { CloseCode } from '../closeCodes.js';
import { AgentError } from '../errors.js';
import type { AgentHandlers, Tracked } from '../agent/handlers.js';
import type { ContainerEvent } from '../schemas/events.js';
import { PROTOCOL_VERSION } from '../version.js';
import { AgentHub } from './AgentHub.js';
import { dialTestAgent, startTestHub, stubHandlers } from '../testing/index.js';

const EVENT_COUNT = 40;

/** Stub handlers with a counted create, a coded refusal and numbered, resumable events. */
function testHandlers(nodeName: string): AgentHandlers & { creates: number } {
  const counter = { creates: 0 };
  const handlers = stubHandlers({
    nodeName,
    heartbeatIntervalMs: 10,
    overrides: {
      containers: {
        create: async (input) => {
          counter.creates += 1;
          return { containerId: `id-${input.spec.name}`, name: input.spec.name, state: 'created' };
        },
        remove: async () => {
          throw new AgentError('NOT_MANAGED', 'container x is not managed by this agent');
        },
        // Numbered events 1..EVENT_COUNT, resuming after `lastEventId`, paced so a test can cut the socket mid-stream.
        events: async function* (input, { signal }): AsyncGenerator<Tracked<ContainerEvent>> {
          for (let i = Number(input?.lastEventId ?? 0) + 1; i <= EVENT_COUNT && !signal.aborted; i++) {
            yield { id: String(i), data: { type: 'start', containerId: `c${i}`, name: `n${i}`, at: i } };
            await delay(5);
          }
        },
      },
    },
  });
  return Object.defineProperty(handlers, 'creates', { get: () => counter.creates }) as AgentHandlers & { creates: number };
}

describe('AgentHub with an authenticate that names no node', () => {
  it('closes the socket with InternalError and reports the refusal, filing it under no node', async () => {
    const refused: number[] = [];
    const fixture = await startTestHub({ authenticate: () => ({}) as never, onRefused: ({ code }) => refused.push(code) });
    try {
      const socket = dialTestAgent(fixture.url, 'ignored', stubHandlers({ nodeName: 'nameless' }));
      const [code] = await nextEvent<[number, Buffer]>(socket, 'close');
      assert.equal(code, CloseCode.InternalError);
      assert.deepEqual(refused, [CloseCode.InternalError]);
      assert.equal(fixture.hub.isConnected('undefined'), false);
    } finally {
      await fixture.close();
    }
  });
});

describe('reverse link over loopback', () => {
  let fixture: Awaited<ReturnType<typeof startTestHub>>;
  const connects: string[] = [];
  const disconnects: { nodeId: string; code: number }[] = [];
  const refusals: number[] = [];
  const sockets: WebSocket[] = [];
  const dial = (...args: Parameters<typeof dialTestAgent>) => {
    const socket = dialTestAgent(...args);
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    fixture = await startTestHub({
      callTimeoutMs: 2_000,
      maxPayloadBytes: 64 * 1024,
      onConnect: ({ nodeId }) => connects.push(nodeId),
      onDisconnect: ({ nodeId, code }) => disconnects.push({ nodeId, code }),
      onRefused: ({ code }) => refusals.push(code),
    });
  });
  after(async () => {
    for (const socket of sockets) socket.terminate();
    await fixture.close();
  });

  it('answers a query from the server over a socket the agent dialled', async () => {
    dial(fixture.url, 'n-query', testHandlers('query-node'));
    const hello = await fixture.hub.client('n-query').hello.query();
    assert.equal(hello.nodeName, 'query-node');
    assert.equal(hello.protocolVersion, PROTOCOL_VERSION);
    await waitFor(() => connects.includes('n-query'), { what: 'connect event' });
  });

  it('runs a mutation and returns its validated result', async () => {
    const handlers = testHandlers('mutation-node');
    dial(fixture.url, 'n-mutation', handlers);
    const result = await fixture.hub.client('n-mutation').containers.create.mutate({
      operationId: 'op-1',
      spec: { name: 'web', image: 'busybox' },
    });
    assert.deepEqual(result, { containerId: 'id-web', name: 'web', state: 'created' });
    assert.equal(handlers.creates, 1);
  });

  it('refuses an input with an unknown field with BAD_INPUT naming it, and both ends live on', async () => {
    const handlers = testHandlers('zod-node');
    dial(fixture.url, 'n-zod', handlers);
    const client = fixture.hub.client('n-zod');
    const error = await client.containers.create
      .mutate({ operationId: 'op-2', spec: { name: 'web', image: 'busybox', privileged2: true } as never })
      .then(() => assert.fail('expected a refusal'), (e: unknown) => AgentError.from(e));
    assert.equal(error.code, 'BAD_INPUT');
    assert.ok(error.issues?.some((issue) => issue.code === 'unrecognized_keys' && issue.message.includes('privileged2')), JSON.stringify(error.issues));
    assert.equal(handlers.creates, 0);
    assert.equal((await client.hello.query()).nodeName, 'zod-node');
  });

  it("carries the agent's own error code to the server", async () => {
    dial(fixture.url, 'n-coded', testHandlers('coded-node'));
    const error = await fixture.hub
      .client('n-coded')
      .containers.remove.mutate({ operationId: 'op-3', id: 'x' })
      .then(() => assert.fail('expected a refusal'), (e: unknown) => AgentError.from(e));
    assert.equal(error.code, 'NOT_MANAGED');
  });

  it('streams a subscription', async () => {
    dial(fixture.url, 'n-sub', testHandlers('sub-node'));
    const beats: number[] = [];
    const subscription = fixture.hub.client('n-sub').node.heartbeats.subscribe(undefined, { onData: (beat) => beats.push(beat.seq) });
    await waitFor(() => beats.length >= 3, { what: 'three heartbeats' });
    subscription.unsubscribe();
    assert.deepEqual(beats.slice(0, 3), [1, 2, 3]);
  });

  it('resumes a subscription from lastEventId after the socket is cut and the agent dials again', async () => {
    let socket = dial(fixture.url, 'n-resume', testHandlers('resume-node'));
    const received: number[] = [];
    let done = false;
    const subscription = fixture.hub.client('n-resume').containers.events.subscribe(undefined, {
      onData: ({ data }) => received.push(at(data)),
      onComplete: () => (done = true),
    });
    for (const cutAt of [5, 15, 25]) {
      await waitFor(() => received.length >= cutAt, { what: `${cutAt} events` });
      socket.terminate();
      socket = dial(fixture.url, 'n-resume', testHandlers('resume-node'));
    }
    await waitFor(() => received.length >= EVENT_COUNT, { what: 'every event' });
    subscription.unsubscribe();
    assert.deepEqual(received, Array.from({ length: EVENT_COUNT }, (_, i) => i + 1));
    assert.ok(!done || received.length === EVENT_COUNT);
  });

  it('closes the older socket of a node with Superseded when the node dials again', async () => {
    const first = dial(fixture.url, 'n-super', testHandlers('super-node'));
    await fixture.hub.client('n-super').hello.query();
    const closed = nextEvent<[number, Buffer]>(first, 'close');
    dial(fixture.url, 'n-super', testHandlers('super-node-2'));
    const [code] = await closed;
    assert.equal(code, CloseCode.Superseded);
    await waitFor(async () => (await fixture.hub.client('n-super').hello.query()).nodeName === 'super-node-2', { what: 'the newer socket to serve' });
  });

  it('refuses an agent of an incompatible major protocol version with its own close code', async () => {
    const socket = dial(fixture.url, 'n-version', testHandlers('version-node'), { protocolVersion: '2.0' });
    const [code] = await nextEvent<[number, Buffer]>(socket, 'close');
    assert.equal(code, CloseCode.ProtocolVersionUnsupported);
    assert.ok(refusals.includes(CloseCode.ProtocolVersionUnsupported));
  });

  it('closes with 1009 when an agent sends a frame over the limit, and the hub lives on', async () => {
    const socket = dial(fixture.url, 'n-big', testHandlers('big-node'));
    await fixture.hub.client('n-big').hello.query();
    const closed = nextEvent<[number, Buffer]>(socket, 'close');
    socket.send('x'.repeat(128 * 1024));
    const [code] = await closed;
    assert.equal(code, CloseCode.MessageTooBig);
    dial(fixture.url, 'n-big', testHandlers('big-node'));
    assert.equal((await fixture.hub.client('n-big').hello.query()).nodeName, 'big-node');
  });

  it('closes with 1009 when the server sends an agent a frame over its limit, and the agent lives on', async () => {
    const socket = dial(fixture.url, 'n-big-in', testHandlers('big-in-node'), { maxPayloadBytes: 1024 });
    const client = fixture.hub.client('n-big-in');
    await client.hello.query();
    const agentError = nextEvent<[Error & { code?: string }]>(socket, 'error');
    const call = client.containers.create
      .mutate({ operationId: 'op-big', spec: { name: 'big', image: 'busybox', env: { BIG: 'x'.repeat(4096) } } })
      .then(() => assert.fail('expected the call to fail'), (e: unknown) => e);
    const [error] = await agentError;
    assert.equal(error.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    await waitFor(() => disconnects.find((d) => d.nodeId === 'n-big-in' && d.code === CloseCode.MessageTooBig), { what: 'a 1009 close' });
    await call;
    dial(fixture.url, 'n-big-in', testHandlers('big-in-node'));
    assert.equal((await client.hello.query()).nodeName, 'big-in-node');
  });

  it('fails a call to an agent that is gone with AGENT_TIMEOUT instead of hanging', async () => {
    const started = Date.now();
    const error = await fixture.hub
      .client('n-never-connected')
      .hello.query(undefined, { timeoutMs: 300 })
      .then(() => assert.fail('expected a timeout'), (e: unknown) => AgentError.from(e));
    assert.equal(error.code, 'AGENT_TIMEOUT');
    assert.match(error.message, /n-never-connected/);
    assert.ok(Date.now() - started < 5_000);
  });

  it('refuses a deadline that is not a positive number before the call goes out', async () => {
    for (const timeoutMs of [Number.NaN, -1, 0, 2 ** 31]) {
      const error = await fixture.hub
        .client('n-never-connected')
        .hello.query(undefined, { timeoutMs })
        .then(() => assert.fail('expected a refusal'), (e: unknown) => e as Error);
      assert.match(error.message, /timeoutMs must be a positive number/, String(timeoutMs));
    }
  });

  it('refuses hub deadlines that a timer would not honour', () => {
    const authenticate = () => ({ nodeId: 'n' });
    for (const value of [Number.NaN, 0, -5, 2 ** 31]) {
      assert.throws(() => new AgentHub({ authenticate, callTimeoutMs: value }), /callTimeoutMs must be a positive number/, String(value));
      assert.throws(() => new AgentHub({ authenticate, helloTimeoutMs: value }), /helloTimeoutMs must be a positive number/, String(value));
    }
  });

  it('reports a disconnect with its close code', async () => {
    const socket = dial(fixture.url, 'n-bye', testHandlers('bye-node'));
    await fixture.hub.client('n-bye').hello.query();
    socket.close(CloseCode.GoingAway, 'bye');
    await waitFor(() => disconnects.find((d) => d.nodeId === 'n-bye' && d.code === CloseCode.GoingAway), { what: 'disconnect event' });
  });
});

function at(event: ContainerEvent): number {
  return event.at;
}

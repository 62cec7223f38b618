import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTRPCUntypedClient, createWSClient, TRPCClientError, wsLink } from '@trpc/client';
import { waitFor } from '@lormas/testkit';
import { WebSocket, WebSocketServer } from 'ws';
import { serveAgentLink } from '../src/agent/index.js';
import { AgentError, type ContainerEvent } from '../src/index.js';
import { linkTransformer } from '../src/link/transformer.js';
import { dialTestAgent, startTestHub, stubHandlers } from '../src/testing/index.js';
import type { AgentHandlers } from '../src/agent/index.js';
import { serveWithTrpc } from './support/contractRouter.js';

/**
 * Both ends of the link speak tRPC's WebSocket message format without tRPC. These tests pin
 * that claim to the pinned tRPC release (an upgrade that changes the format fails them):
 * a stock tRPC client calls our agent end, and our server end calls a stock tRPC adapter
 * serving the same contract, which is how protocol 1.0 agents serve it.
 */

const event = (n: number): ContainerEvent => ({ type: 'start', containerId: `c${n}`, name: `c${n}`, at: n });

/** Stub handlers with a coded refusal and a resumable stream of numbered events. */
function handlers(): AgentHandlers {
  return stubHandlers({
    nodeName: 'conformance',
    overrides: {
      containers: {
        start: async () => {
          throw new AgentError('POLICY_DENIED', 'refused by a guard rail', { rule: 'privileged' });
        },
        events: async function* (input, { signal }) {
          const from = input?.lastEventId ? Number(input.lastEventId) + 1 : 1;
          for (let n = from; n < from + 3 && !signal.aborted; n++) yield { id: String(n), data: event(n) };
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        },
      },
    },
  });
}

describe('a stock tRPC client calling our agent end', () => {
  let wss: WebSocketServer;
  let client: ReturnType<typeof createTRPCUntypedClient>;
  let wsClient: ReturnType<typeof createWSClient>;

  before(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (socket) => serveAgentLink(socket, { handlers: handlers() }));
    const { port } = wss.address() as AddressInfo;
    wsClient = createWSClient({ url: `ws://127.0.0.1:${port}`, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
    client = createTRPCUntypedClient({ links: [wsLink({ client: wsClient, transformer: linkTransformer })] });
  });
  after(async () => {
    await wsClient.close();
    await new Promise((resolve) => wss.close(resolve));
  });

  it('gets the answer of a query', async () => {
    const hello = (await client.query('hello')) as { nodeName: string };
    assert.equal(hello.nodeName, 'conformance');
  });

  it("gets a refusal as a TRPCClientError carrying the agent's code and rule", async () => {
    const error = await client.mutation('containers.start', { operationId: 'op1', id: 'c1' }).then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TRPCClientError);
    const refusal = AgentError.from(error);
    assert.equal(refusal.code, 'POLICY_DENIED');
    assert.equal(refusal.rule, 'privileged');
  });

  it('receives tracked items with their event ids', async () => {
    const items: { id: string; data: ContainerEvent }[] = [];
    const subscription = client.subscription('containers.events', { lastEventId: '4' }, { onData: (item) => items.push(item as never), onError: () => {} });
    await waitFor(() => items.length === 3, { what: 'three events' });
    subscription.unsubscribe();
    assert.deepEqual(
      items.map((item) => item.id),
      ['5', '6', '7'],
    );
    assert.deepEqual(items[0]!.data, event(5));
  });
});

describe('our server end calling a stock tRPC adapter that serves the contract', () => {
  let fixture: Awaited<ReturnType<typeof startTestHub>>;
  let agent: WebSocket;
  const connected = new Set<string>();

  before(async () => {
    fixture = await startTestHub({ onConnect: ({ nodeId }) => connected.add(nodeId) });
    agent = dialStock('stock-1');
    await waitFor(() => connected.has('stock-1'), { what: 'the stock agent to connect' });
  });
  after(async () => {
    agent.terminate();
    await fixture.close();
  });

  function dialStock(nodeId: string): WebSocket {
    const target = new URL(fixture.url);
    target.searchParams.set('node', nodeId);
    const socket = new WebSocket(target);
    socket.on('error', () => {});
    serveWithTrpc(socket, handlers());
    return socket;
  }

  it('gets the answer of a query, checked against the contract', async () => {
    const hello = await fixture.hub.client('stock-1').hello.query();
    assert.equal(hello.nodeName, 'conformance');
  });

  it("gets a refusal as an AgentError with the agent's code and rule", async () => {
    const error = await fixture.hub
      .client('stock-1')
      .containers.start.mutate({ operationId: 'op1', id: 'c1' })
      .then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => AgentError.from(e),
      );
    assert.equal(error.code, 'POLICY_DENIED');
    assert.equal(error.rule, 'privileged');
  });

  it('refuses a bad input on the agent as BAD_INPUT, as our agent end does', async () => {
    const error = await fixture.hub
      .client('stock-1')
      .containers.inspect.query({ id: '' })
      .then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => AgentError.from(e),
      );
    assert.equal(error.code, 'BAD_INPUT');
  });

  it('resumes a tracked stream from the last event id on the next socket, losing nothing and repeating nothing', async () => {
    const ids: string[] = [];
    const subscription = fixture.hub.client('stock-1').containers.events.subscribe(undefined, { onData: (item) => ids.push(item.id) });
    await waitFor(() => ids.length === 3, { what: 'three events' });
    connected.delete('stock-1');
    agent.terminate();
    agent = dialStock('stock-1');
    await waitFor(() => ids.length === 6, { what: 'three more after the reconnect' });
    subscription.unsubscribe();
    assert.deepEqual(ids, ['1', '2', '3', '4', '5', '6']);
  });

  it('streams the heartbeats of the stub agent through the adapter', async () => {
    const seqs: number[] = [];
    const subscription = fixture.hub.client('stock-1').node.heartbeats.subscribe(undefined, { onData: (beat) => seqs.push(beat.seq) });
    await waitFor(() => seqs.length >= 2, { what: 'two heartbeats' });
    subscription.unsubscribe();
  });

  it('our own agent end behaves the same for the same calls', async () => {
    const ours = dialTestAgent(fixture.url, 'ours-1', handlers());
    await waitFor(() => connected.has('ours-1'), { what: 'our agent to connect' });
    const error = await fixture.hub
      .client('ours-1')
      .containers.start.mutate({ operationId: 'op1', id: 'c1' })
      .then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => AgentError.from(e),
      );
    assert.equal(error.code, 'POLICY_DENIED');
    ours.terminate();
  });
});

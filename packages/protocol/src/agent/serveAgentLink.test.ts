import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { AgentError } from '../errors.js';
import { linkTransformer } from '../link/transformer.js';
import { stubHandlers } from '../testing/stubHandlers.js';
import { type WsPair, wsPair } from '../testing/wsPair.js';
import type { AgentHandlers } from './handlers.js';
import { serveAgentLink } from './serveAgentLink.js';

type Frame = { id: number | string | null; jsonrpc?: string; result?: { type?: string; id?: string; data?: unknown }; error?: unknown };

/** The agent end served on `pair.client`; the test plays the server on `pair.peer`, frame by frame. */
describe('serveAgentLink', () => {
  let pair: WsPair;
  let server: WebSocket;
  let frames: Frame[];
  let texts: string[];
  let errors: AgentError[];

  const serve = (handlers: AgentHandlers, options: { maxSubscriptions?: number } = {}) => {
    serveAgentLink(pair.client, { handlers, onError: (error) => errors.push(error), ...options });
  };
  const send = (frame: unknown) => server.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  const call = (id: number, method: string, path: string, input?: unknown, extra: Record<string, unknown> = {}) =>
    send({ id, method, params: { path, input: linkTransformer.serialize(input), ...extra } });
  const answersTo = (id: number | null) => frames.filter((frame) => frame.id === id);
  const until = (predicate: () => boolean, what: string) => waitFor(predicate, { what, timeoutMs: 5_000 });
  const decodedError = (frame: Frame) => linkTransformer.deserialize(frame.error as never) as { code: number; message: string; data: { code: string; lormas: { code: string; issues?: { path: unknown[] }[] } } };

  beforeEach(async () => {
    pair = await wsPair();
    server = pair.peer;
    frames = [];
    texts = [];
    errors = [];
    server.on('message', (data: Buffer) => {
      const text = data.toString();
      texts.push(text);
      if (text.startsWith('{')) frames.push(JSON.parse(text) as Frame);
    });
  });
  afterEach(() => pair.close());

  it("answers a query in tRPC's result envelope, echoing jsonrpc", async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    send({ id: 1, jsonrpc: '2.0', method: 'query', params: { path: 'hello', input: linkTransformer.serialize(undefined) } });
    await until(() => answersTo(1).length === 1, 'the answer');
    const [answer] = answersTo(1);
    assert.equal(answer!.jsonrpc, '2.0');
    assert.equal(answer!.result!.type, 'data');
    assert.equal((linkTransformer.deserialize(answer!.result!.data as never) as { nodeName: string }).nodeName, 'n1');
  });

  it('refuses an input that breaks the strict schema with BAD_INPUT, naming the field', async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    call(2, 'query', 'containers.inspect', { id: 'c1', extra: true });
    await until(() => answersTo(2).length === 1, 'the refusal');
    const error = decodedError(answersTo(2)[0]!);
    assert.equal(error.data.lormas.code, 'BAD_INPUT');
    assert.equal(error.data.code, 'BAD_REQUEST');
    assert.equal(error.code, -32600);
    assert.ok(error.data.lormas.issues!.some((issue) => JSON.stringify(issue).includes('extra')));
  });

  it('refuses an input on a procedure that takes none', async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    call(3, 'query', 'hello', { surprise: 1 });
    await until(() => answersTo(3).length === 1, 'the refusal');
    assert.equal(decodedError(answersTo(3)[0]!).data.lormas.code, 'BAD_INPUT');
  });

  it('refuses an unknown procedure, and a known one called as the wrong kind, with NOT_SUPPORTED', async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    call(4, 'query', 'containers.teleport', {});
    call(5, 'mutation', 'hello');
    await until(() => answersTo(4).length === 1 && answersTo(5).length === 1, 'both refusals');
    assert.equal(decodedError(answersTo(4)[0]!).data.lormas.code, 'NOT_SUPPORTED');
    assert.equal(decodedError(answersTo(5)[0]!).data.lormas.code, 'NOT_SUPPORTED');
  });

  it('answers frames that are not JSON, not a request, or binary with an error of id null, and keeps serving', async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    send('not json');
    send({ id: 6, method: 'explode' });
    server.send(Buffer.from([1, 2, 3]), { binary: true });
    call(7, 'query', 'hello');
    await until(() => answersTo(7).length === 1, 'the answer after the junk');
    assert.equal(answersTo(null).length, 2);
    assert.equal(answersTo(6).length, 1, 'a frame with a usable id is answered under it');
    assert.ok(answersTo(7)[0]!.result);
  });

  it("answers tRPC's text PING with PONG", async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    send('PING');
    await until(() => texts.includes('PONG'), 'PONG');
  });

  it('answers every call of a batched frame', async () => {
    serve(stubHandlers({ nodeName: 'n1' }));
    send([1, 2, 3].map((n) => ({ id: 10 + n, method: 'query', params: { path: 'inventory', input: linkTransformer.serialize(undefined) } })));
    await until(() => [11, 12, 13].every((id) => answersTo(id).length === 1), 'three answers');
  });

  it("carries a handler's coded error, and refuses a result the contract does not allow instead of sending it", async () => {
    serve(
      stubHandlers({
        nodeName: 'n1',
        overrides: {
          containers: {
            start: async () => {
              throw new AgentError('POLICY_DENIED', 'no', { rule: 'privileged' });
            },
            list: async () => [{ id: 'x'.repeat(10_000) }] as never,
          },
        },
      }),
    );
    call(20, 'mutation', 'containers.start', { operationId: 'op1', id: 'c1' });
    call(21, 'query', 'containers.list');
    await until(() => answersTo(20).length === 1 && answersTo(21).length === 1, 'both answers');
    const refused = decodedError(answersTo(20)[0]!);
    assert.equal(refused.data.lormas.code, 'POLICY_DENIED');
    assert.equal((refused.data.lormas as { rule?: string }).rule, 'privileged');
    assert.equal(decodedError(answersTo(21)[0]!).data.lormas.code, 'INTERNAL');
    assert.ok(!JSON.stringify(answersTo(21)).includes('x'.repeat(1_000)));
  });

  it("sends log chunks as the agent built them, leaving their check to the server, and still checks other streams' items", async () => {
    // An entry with a key the contract does not have: the agent's own check would strip it; unchecked, it goes as built.
    const chunk = { entries: [{ stream: 'stdout', timestamp: '2026-01-01T00:00:00.000000000Z', line: 'a', extra: 1 }] };
    serve(
      stubHandlers({
        nodeName: 'n1',
        overrides: {
          containers: {
            logs: async function* () {
              yield { id: 'e1', data: chunk } as never;
            },
          },
          node: {
            heartbeats: async function* () {
              yield { not: 'a heartbeat' } as never;
            },
          },
        },
      }),
    );
    call(40, 'subscription', 'containers.logs', { id: 'c1' });
    call(41, 'subscription', 'node.heartbeats');
    await until(() => answersTo(40).some((frame) => frame.result?.type === 'data') && answersTo(41).some((frame) => frame.error !== undefined), 'the chunk and the refusal');
    const sent = answersTo(40).find((frame) => frame.result?.type === 'data')!;
    assert.deepEqual(linkTransformer.deserialize(sent.result!.data as never), { id: 'e1', data: chunk });
    assert.equal(decodedError(answersTo(41).find((frame) => frame.error !== undefined)!).data.lormas.code, 'INTERNAL');
  });

  it('streams a tracked subscription: started, items with their ids, and stopped when the server stops it', async () => {
    serve(stubHandlers({ nodeName: 'n1', heartbeatIntervalMs: 5 }));
    call(30, 'subscription', 'node.heartbeats');
    await until(() => answersTo(30).filter((frame) => frame.result?.type === 'data').length >= 3, 'three heartbeats');
    assert.equal(answersTo(30)[0]!.result!.type, 'started');
    send({ id: 30, method: 'subscription.stop' });
    await until(() => answersTo(30).some((frame) => frame.result?.type === 'stopped'), 'stopped');
  });

  it('hands a resumed subscription its lastEventId inside the input, and refuses a second stream under an open id', async () => {
    const seen: unknown[] = [];
    serve(
      stubHandlers({
        nodeName: 'n1',
        overrides: {
          containers: {
            events: async function* (input, { signal }) {
              seen.push(input);
              yield { id: 'e7', data: { type: 'start', containerId: 'c1', name: 'c1', at: 1 } };
              await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            },
          },
        },
      }),
    );
    call(40, 'subscription', 'containers.events', undefined, { lastEventId: 'e6' });
    await until(() => answersTo(40).some((frame) => frame.result?.type === 'data'), 'the item');
    const item = answersTo(40).find((frame) => frame.result?.type === 'data')!;
    assert.equal(item.result!.id, 'e7');
    assert.deepEqual(linkTransformer.deserialize(item.result!.data as never), { id: 'e7', data: { type: 'start', containerId: 'c1', name: 'c1', at: 1 } });
    assert.deepEqual(seen, [{ lastEventId: 'e6' }]);
    call(40, 'subscription', 'containers.events');
    await until(() => answersTo(40).some((frame) => frame.error), 'the refusal');
    assert.equal(decodedError(answersTo(40).find((frame) => frame.error)!).data.lormas.code, 'BAD_INPUT');
  });

  it('lets go of each stream item once it is sent (regression: every item kept reachable from the abort race)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const early: WeakRef<object>[] = [];
    let alive = -1;
    serve(
      stubHandlers({
        nodeName: 'n1',
        overrides: {
          containers: {
            events: async function* (_input, { signal }) {
              for (let n = 1; n <= 2_000 && !signal.aborted; n++) {
                const item = { id: String(n), data: { type: 'start' as const, containerId: 'c', name: 'c', at: n } };
                if (n <= 100) early.push(new WeakRef(item));
                if (n === 2_000) {
                  gc();
                  await new Promise((resolve) => setImmediate(resolve));
                  gc();
                  alive = early.filter((ref) => ref.deref() !== undefined).length;
                }
                yield item;
              }
            },
          },
        },
      }),
    );
    call(70, 'subscription', 'containers.events');
    await until(() => answersTo(70).some((frame) => frame.result?.type === 'stopped'), 'the end of the stream');
    assert.ok(alive >= 0 && alive <= 5, `${alive} of the first 100 items are still reachable after 2,000`);
  });

  it('refuses a subscription beyond maxSubscriptions with LIMIT_EXCEEDED', async () => {
    serve(stubHandlers({ nodeName: 'n1' }), { maxSubscriptions: 2 });
    for (const id of [50, 51, 52]) call(id, 'subscription', 'containers.events');
    await until(() => answersTo(52).length === 1, 'the third answer');
    assert.equal(decodedError(answersTo(52)[0]!).data.lormas.code, 'LIMIT_EXCEEDED');
    assert.equal(answersTo(50)[0]!.result!.type, 'started');
  });

  it('ends every subscription when the socket closes', async () => {
    let ended = 0;
    serve(
      stubHandlers({
        nodeName: 'n1',
        overrides: {
          containers: {
            events: async function* (_input, { signal }) {
              await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
              ended++;
            },
          },
        },
      }),
    );
    call(60, 'subscription', 'containers.events');
    call(61, 'subscription', 'containers.events');
    await until(() => answersTo(61).length === 1, 'both started');
    server.terminate();
    await until(() => ended === 2, 'both handlers to see the abort');
  });
});

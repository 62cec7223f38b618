import { after, before } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { WebSocket } from 'ws';
import type { AgentHubOptions, NodeIdentity } from '../../src/server/index.js';
import { startTestHub } from '../../src/testing/index.js';
import { linkTransformer } from '../../src/link/transformer.js';
import { PROTOCOL_VERSION } from '../../src/version.js';

type Call = { id: number; params?: { path: string } };

export interface RawAgent {
  socket: WebSocket;
  /** Sends a frame as it is: an object as JSON, a string or bytes untouched. */
  send(frame: object | string): void;
  /** Answers request `id` with `value`, encoded as the link encodes values; `eventId` makes it a tracked item. */
  result(id: number, value: unknown, eventId?: string): void;
  /** The first request of `path` the hub sent. */
  next(path: string): Promise<Call>;
  /** Whether the hub has sent a request of `path` so far. */
  asked(path: string): boolean;
  /** The close code, once closed. */
  closed(): number | null;
  /** Resolves once the hub has read everything sent so far (it answers tRPC's `PING` in order), or the socket closed first. */
  readSoFar(): Promise<void>;
}

/**
 * An agent written frame by frame for the regression tests: it dials a test hub as `node`,
 * answers `hello`, and hands every other request to the test, which may answer it with
 * anything at all, as a compromised node would. Resolves once the hub counts it connected
 * (`connected` is the test's record of the hub's `onConnect`).
 */
export async function dialRawAgent(url: string, node: string, connected: ReadonlySet<string>): Promise<RawAgent> {
  const socket = new WebSocket(`${url}?node=${node}`);
  const calls: Call[] = [];
  let closed: number | null = null;
  let pongs = 0;
  socket.on('error', () => {});
  socket.on('close', (code) => (closed = code));
  const send = (frame: object | string) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  const result = (id: number, value: unknown, eventId?: string) => send({ id, result: { type: 'data', ...(eventId ? { id: eventId } : {}), data: linkTransformer.serialize(value) } });
  socket.on('message', (data) => {
    const text = data.toString();
    if (text === 'PONG') return void pongs++;
    const parsed = JSON.parse(text) as Call | Call[];
    for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
      if (call.params?.path !== 'hello') calls.push(call);
      else result(call.id, { agentVersion: '9.9.9', protocolVersion: PROTOCOL_VERSION, nodeName: node, runtime: { name: 'node', version: '20.0.0' }, engineVersion: null, startedAt: 1 });
    }
  });
  await waitFor(() => connected.has(node), { what: `${node} connected`, timeoutMs: 5_000 });
  return {
    socket,
    send,
    result,
    next: (path) => waitFor(() => calls.find((call) => call.params?.path === path), { what: `a call of ${path}`, timeoutMs: 5_000 }),
    asked: (path) => calls.some((call) => call.params?.path === path),
    closed: () => closed,
    readSoFar: async () => {
      const before = pongs;
      send('PING');
      await waitFor(() => pongs > before || closed !== null, { what: 'a PONG or the close', timeoutMs: 5_000 });
    },
  };
}

/**
 * The test hub of a regression suite, started before its tests and closed after them, with
 * its record of the nodes it counted connected: `dial` is `dialRawAgent` against it. A test
 * that has a node dial again deletes the node from `connected` first.
 */
export function rawAgentHub(options: Omit<Partial<AgentHubOptions<NodeIdentity>>, 'onConnect'> = {}) {
  const connected = new Set<string>();
  let fixture: Awaited<ReturnType<typeof startTestHub>> | undefined;
  before(async () => {
    fixture = await startTestHub({ ...options, onConnect: ({ nodeId }) => connected.add(nodeId) });
  });
  after(() => fixture?.close());
  return {
    connected,
    get fixture() {
      if (!fixture) throw new Error('rawAgentHub: the hub starts in the suite\'s before hook');
      return fixture;
    },
    dial: (node: string) => dialRawAgent(fixture!.url, node, connected),
  };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
// @lormas/protocol/testing: a hub on loopback, a protocol-level agent without Docker, and a socket pair, for tests and benchmarks.
import { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '../version.js';
import type { AgentHandlers } from '../agent/handlers.js';
import { serveAgentLink } from '../agent/serveAgentLink.js';
import { AgentHub, type AgentHubOptions, type NodeIdentity } from '../server/AgentHub.js';

/**
 * A hub on an HTTP server on loopback, for tests. By default the node is named by the
 * `node` query parameter; pass `authenticate` to read it elsewhere, and `port` to listen
 * again where an earlier hub listened (a server that restarts).
 */
export async function startTestHub(options: Partial<AgentHubOptions<NodeIdentity>> = {}, listen: { port?: number } = {}) {
  const hub = new AgentHub<NodeIdentity>({
    authenticate: (request) => {
      const node = new URL(request.url ?? '/', 'http://x').searchParams.get('node');
      if (!node) throw new Error('no node');
      return { nodeId: node };
    },
    ...options,
  });
  const server: Server = createServer((_, res) => res.writeHead(404).end());
  server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(listen.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hub,
    port,
    url: `ws://127.0.0.1:${port}/agent`,
    async close() {
      await hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface DialOptions {
  protocolVersion?: string;
  maxPayloadBytes?: number;
  /** Sent as `Authorization: Bearer`, as a real agent sends its node token. */
  token?: string;
}

/**
 * Dials `url` as node `nodeId` and serves `handlers` over the socket, as an agent does.
 * The test hub reads the node from the `node` query parameter; a real server, from `token`.
 */
export function dialTestAgent(url: string, nodeId: string, handlers: AgentHandlers, options: DialOptions = {}): WebSocket {
  const target = new URL(url);
  target.searchParams.set('node', nodeId);
  const socket = new WebSocket(target, {
    headers: {
      [PROTOCOL_VERSION_HEADER]: options.protocolVersion ?? PROTOCOL_VERSION,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    maxPayload: options.maxPayloadBytes ?? 16 * 1024 * 1024,
  });
  socket.on('error', () => {});
  serveAgentLink(socket, { handlers });
  return socket;
}

export { stubHandlers, type StubHandlersOptions } from './stubHandlers.js';
export { wsPair, type WsPair } from './wsPair.js';
export { sampleHeartbeat } from './sampleHeartbeat.js';

import { type AgentHandlers, AgentError, createAgentRouter, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, serveAgentLink, type Heartbeat } from '@lormas/protocol';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';

/** Handlers that answer `hello`, `inventory` and heartbeats and refuse the rest; tests override what they need. */
export function stubHandlers(nodeName: string, overrides: Partial<AgentHandlers> = {}): AgentHandlers {
  const unused = () => Promise.reject(new AgentError('INTERNAL', 'not part of this test'));
  const base: AgentHandlers = {
    hello: async () => ({
      agentVersion: '0.0.0-stub',
      protocolVersion: PROTOCOL_VERSION,
      nodeName,
      runtime: { name: 'node', version: process.versions.node },
      engineVersion: '20.10.0',
      startedAt: Date.now(),
    }),
    inventory: async () => ({ nodeName, containers: [] }),
    containers: {
      list: async () => [],
      inspect: unused,
      create: unused,
      start: unused,
      stop: unused,
      restart: unused,
      remove: unused,
      events: async function* () {},
      logs: async function* () {},
    },
    images: { pull: unused },
    archives: { openRead: unused, read: unused, openWrite: unused, write: unused, abort: unused },
    operations: { get: unused, watch: async function* () {} },
    node: {
      heartbeats: async function* ({ signal }): AsyncGenerator<Heartbeat> {
        for (let seq = 1; !signal.aborted; seq++) {
          yield {
            seq,
            at: Date.now(),
            nodeName,
            cpu: { cores: 4, usagePercent: 12.5, loadAverage1m: 0.5 },
            memory: { totalBytes: 8e9, usedBytes: 2e9 },
            disk: { path: '/', totalBytes: 1e11, usedBytes: 4e10 },
            containers: { managed: 0, running: 0 },
            uptime: { hostSeconds: 1000, agentSeconds: seq },
            engine: { up: true, version: '20.10.0' },
          };
          await delay(50);
        }
      },
    },
  };
  return { ...base, ...overrides };
}

/**
 * Dials the mock server as an agent would (token in the header, protocol version header)
 * and serves `handlers`. For tests of the server that need no Docker engine.
 */
export function dialStubAgent(wsUrl: string, token: string, handlers: AgentHandlers): WebSocket {
  const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}`, [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION } });
  socket.on('error', () => {});
  serveAgentLink(socket, { router: createAgentRouter(handlers) });
  return socket;
}

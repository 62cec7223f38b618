import { setTimeout as delay } from 'node:timers/promises';
import { AgentError, type AgentHandlers, type Heartbeat, PROTOCOL_VERSION } from './workspace.js';

export interface StubOptions {
  nodeName: string;
  /** Milliseconds between heartbeats, on a fixed grid as the real agent schedules them. */
  heartbeatIntervalMs: number;
}

/** Epoch milliseconds with sub-millisecond precision; comparable across processes on one host. */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * A protocol-level agent without Docker: answers `hello` and `inventory`, streams heartbeats
 * (with the real agent's shape and schedule), and refuses everything else. What a server
 * pays per agent does not depend on what the agent does behind its router.
 */
export function stubHandlers({ nodeName, heartbeatIntervalMs }: StubOptions): AgentHandlers {
  const refuse = () => Promise.reject(new AgentError('INTERNAL', 'not served by a simulated agent'));
  const startedAt = Date.now();
  // An open stream with nothing to say: a server treats a stream that ends as a failure.
  async function* idle(_input: unknown, { signal }: { signal: AbortSignal }): AsyncGenerator<never> {
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }
  return {
    hello: async () => ({
      agentVersion: '0.0.0-bench',
      protocolVersion: PROTOCOL_VERSION,
      nodeName,
      runtime: { name: 'node', version: process.versions.node },
      engineVersion: null,
      startedAt,
    }),
    inventory: async () => ({ nodeName, containers: [] }),
    containers: {
      list: async () => [],
      inspect: refuse,
      create: refuse,
      start: refuse,
      stop: refuse,
      restart: refuse,
      remove: refuse,
      events: idle,
      logs: idle,
    },
    images: { pull: refuse },
    archives: { openRead: refuse, read: refuse, openWrite: refuse, write: refuse, abort: refuse },
    operations: { get: refuse, watch: idle },
    node: {
      heartbeats: async function* ({ signal }): AsyncGenerator<Heartbeat> {
        const started = epochMs();
        for (let seq = 1; !signal.aborted; seq++) {
          yield {
            seq,
            at: epochMs(),
            nodeName,
            cpu: { cores: 2, usagePercent: 3.5, loadAverage1m: 0.4 },
            memory: { totalBytes: 8 * 2 ** 30, usedBytes: 2 * 2 ** 30 },
            disk: { path: '/', totalBytes: 100 * 2 ** 30, usedBytes: 20 * 2 ** 30 },
            containers: { managed: 3, running: 3 },
            uptime: { hostSeconds: 3600, agentSeconds: (Date.now() - startedAt) / 1000 },
            engine: { up: true, version: '20.10.24' },
          };
          try {
            await delay(Math.max(0, started + seq * heartbeatIntervalMs - epochMs()), undefined, { signal });
          } catch {
            return;
          }
        }
      },
    },
  } as AgentHandlers;
}

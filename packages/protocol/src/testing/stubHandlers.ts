import { setTimeout as delay } from 'node:timers/promises';
import { AgentError } from '../errors.js';
import type { AgentHandlers } from '../agent/handlers.js';
import type { Heartbeat } from '../schemas/heartbeat.js';
import { sampleHeartbeat } from './sampleHeartbeat.js';
import { PROTOCOL_VERSION } from '../version.js';

type Overrides = { [K in keyof AgentHandlers]?: AgentHandlers[K] extends (...args: never[]) => unknown ? AgentHandlers[K] : Partial<AgentHandlers[K]> };

export interface StubHandlersOptions {
  nodeName: string;
  /** Milliseconds between heartbeats, on a fixed grid as the real agent keeps them. @default 50 */
  heartbeatIntervalMs?: number;
  /** Procedures a test serves itself; groups merge with the stub's. */
  overrides?: Overrides;
  /** The clock of heartbeats' `at` and schedule. @default Date.now */
  now?: () => number;
}

/**
 * A protocol-level agent without Docker, for tests and benchmarks of the link and of
 * servers: answers `hello` and `inventory`, streams heartbeats of the real agent's shape,
 * keeps event and log streams open but silent, and refuses every command with `INTERNAL`.
 */
export function stubHandlers({ nodeName, heartbeatIntervalMs = 50, overrides = {}, now = Date.now }: StubHandlersOptions): AgentHandlers {
  const refuse = () => Promise.reject(new AgentError('INTERNAL', 'not served by this stub agent'));
  const startedAt = Date.now();
  // An open stream with nothing to say: a server treats a stream that ends as a failure.
  async function* idle(_input: unknown, { signal }: { signal: AbortSignal }): AsyncGenerator<never> {
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  }
  const base: AgentHandlers = {
    hello: async () => ({
      agentVersion: '0.0.0-stub',
      protocolVersion: PROTOCOL_VERSION,
      nodeName,
      runtime: { name: 'node', version: process.versions.node },
      engineVersion: '20.10.0',
      startedAt,
    }),
    inventory: async () => ({ nodeName, containers: [] }),
    containers: { list: async () => [], inspect: refuse, create: refuse, start: refuse, stop: refuse, restart: refuse, remove: refuse, events: idle, logs: idle },
    images: { pull: refuse },
    archives: { openRead: refuse, read: refuse, openWrite: refuse, write: refuse, abort: refuse },
    operations: { get: refuse, watch: idle },
    node: {
      heartbeats: async function* (_input, { signal }): AsyncGenerator<Heartbeat> {
        const started = now();
        for (let seq = 1; !signal.aborted; seq++) {
          yield sampleHeartbeat({ seq, at: now(), nodeName, uptime: { hostSeconds: 1000, agentSeconds: (Date.now() - startedAt) / 1000 } });
          try {
            await delay(Math.max(0, started + seq * heartbeatIntervalMs - now()), undefined, { signal });
          } catch {
            return;
          }
        }
      },
    },
  };
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const current = merged[key];
    merged[key] = typeof value === 'function' || typeof current === 'function' ? value : { ...(current as object), ...(value as object) };
  }
  return merged as unknown as AgentHandlers;
}

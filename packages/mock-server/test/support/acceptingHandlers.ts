import { setTimeout as delay } from 'node:timers/promises';
import { AgentError, type ContainerResult, type PullResult } from '@lormas/protocol';
import type { AgentHandlers } from '@lormas/protocol/agent';
import { stubHandlers } from './stubAgent.js';

/**
 * A stub agent that carries out container commands without Docker: create, start, stop,
 * restart, remove and pulls succeed at once, each reported as a `succeeded` operation that
 * a watch replays; logs send one chunk and end; what it cannot do (inspect, archives) it
 * refuses with `NOT_FOUND`, never `INTERNAL`. It lets a test drive the API's container
 * routes as far as the store without touching an engine, and read any 500 as the server's.
 */
export function acceptingHandlers(nodeName: string): AgentHandlers {
  const results = new Map<string, ContainerResult | PullResult>();
  const done = <T extends ContainerResult | PullResult>(operationId: string, result: T) => {
    results.set(operationId, result);
    return Promise.resolve(result);
  };
  const missing = () => Promise.reject(new AgentError('NOT_FOUND', 'this stub agent has no engine'));
  const base = stubHandlers(nodeName);
  return stubHandlers(nodeName, {
    containers: {
      ...base.containers,
      inspect: missing,
      create: (input) => done(input.operationId, { containerId: `stub-${input.serverId ?? input.spec.name}`, name: input.spec.name, state: input.start ? 'running' : 'created' }),
      start: (input) => done(input.operationId, { containerId: input.id, name: input.id, state: 'running' }),
      stop: (input) => done(input.operationId, { containerId: input.id, name: input.id, state: 'exited' }),
      restart: (input) => done(input.operationId, { containerId: input.id, name: input.id, state: 'running' }),
      remove: (input) => done(input.operationId, { containerId: input.id, name: input.id, state: 'removed' }),
      logs: async function* (input) {
        yield { id: '1', data: { entries: [{ stream: 'stdout', timestamp: '2026-01-01T00:00:00.000000000Z', line: `hello from ${input.id}` }] } };
      },
    },
    images: { pull: (input) => done(input.operationId, { image: input.image, imageId: 'sha256:stub' }) },
    archives: { openRead: missing, read: missing, openWrite: missing, write: missing, abort: missing },
    operations: {
      get: missing,
      // Waits for the command to be known, as the real agent's watch does for an id it has not seen yet.
      watch: async function* (input, { signal }) {
        while (!results.has(input.operationId) && !signal.aborted) await delay(5);
        const result = results.get(input.operationId);
        if (result) yield { id: '0', data: { operationId: input.operationId, at: Date.now(), type: 'succeeded', result } };
      },
    },
  });
}

import { AgentError } from '../../src/errors.js';
import { stubHandlers } from '../../src/testing/index.js';
import type { AgentHandlers } from '../../src/agent/handlers.js';

/** A node whose `containers.logs` counts 1, 2, 3... as a tracked stream that resumes after `lastEventId`, at `intervalMs`. */
export function countingAgent(nodeName: string, options: { intervalMs?: number; produced?: { n: number } } = {}): AgentHandlers {
  return stubHandlers({
    nodeName,
    overrides: {
      containers: {
        logs: async function* (input, { signal }) {
          let n = input.lastEventId ? Number(input.lastEventId) : 0;
          while (!signal.aborted) {
            n += 1;
            if (options.produced) options.produced.n = Math.max(options.produced.n, n);
            yield { id: String(n), data: { entries: [{ stream: 'stdout' as const, timestamp: new Date().toISOString(), line: `line ${n}` }] } };
            await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 2));
          }
        },
        start: async () => {
          throw new AgentError('POLICY_DENIED', 'privileged mode is not allowed', { rule: 'privileged' });
        },
      },
    },
  });
}

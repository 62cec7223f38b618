import type { Readable } from 'node:stream';
import { AgentError } from '@lormas/protocol';
import type Docker from 'dockerode';
import type { RuntimeEvent } from './ContainerRuntime.js';
import { toRuntimeEvent } from './engineEvents.js';
import { engineCall, toAgentError } from './engineErrors.js';
import { jsonLines } from './jsonLines.js';

/** The engine's `label` filter values for `labels`. */
export function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/**
 * Container events of containers carrying `labels`, until `signal` aborts. The stream is
 * the engine's own long-lived `GET /events` response; aborting destroys it.
 */
export async function* watchEvents(docker: Docker, labels: Record<string, string>, signal: AbortSignal, onOpen?: () => void): AsyncGenerator<RuntimeEvent> {
  if (signal.aborted) return;
  const stream = (await engineCall(() => docker.getEvents({ filters: { type: ['container'], label: labelFilters(labels) } }))) as Readable;
  onOpen?.();
  const onAbort = () => stream.destroy();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const line of jsonLines(stream)) {
      const event = toRuntimeEvent(line);
      if (event !== undefined) yield event;
    }
  } catch (err) {
    if (!signal.aborted) throw toAgentError(err);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy();
  }
  // The engine ends its event stream only when it goes away (a restart, a stop).
  if (!signal.aborted) throw new AgentError('ENGINE_UNAVAILABLE', 'the Docker engine closed its event stream');
}

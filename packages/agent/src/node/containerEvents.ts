import type { ContainerEvent } from '@lormas/protocol';
import { ManagedLabel } from '@lormas/protocol';
import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay } from '../backoff.js';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import type { Journal } from '../journal.js';
import type { Logger } from '../logger.js';

/** What else runs off the engine's event stream. */
export interface ContainerEventHooks {
  /** The stream (re)opened: events before this moment may have been missed. */
  onOpen?(): void;
  /** A managed container started, by whatever cause. */
  onStart?(containerId: string): void;
}

/**
 * Feeds the engine's events for managed containers into `journal`, for as long as
 * `signal` is live. The engine's stream ends when the engine restarts or goes away; the
 * feed then reopens it with backoff, so events resume when the engine returns.
 */
export async function feedContainerEvents(
  runtime: ContainerRuntime,
  managedLabels: Record<string, string>,
  journal: Journal<ContainerEvent>,
  logger: Logger,
  signal: AbortSignal,
  hooks: ContainerEventHooks = {},
): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    try {
      for await (const event of runtime.events(managedLabels, signal, hooks.onOpen)) {
        attempt = 0;
        if (event.type === 'start') hooks.onStart?.(event.containerId);
        const serverId = event.labels[ManagedLabel.serverId];
        journal.append({
          type: event.type,
          containerId: event.containerId,
          name: event.name,
          at: event.at,
          ...(serverId ? { serverId } : {}),
          ...(event.exitCode !== undefined ? { exitCode: event.exitCode } : {}),
          ...(event.health !== undefined ? { health: event.health } : {}),
        });
      }
    } catch (error) {
      if (signal.aborted) return;
      logger.debug('container event stream failed', { error });
    }
    if (signal.aborted) return;
    try {
      await delay(backoffDelay(attempt++, { baseDelayMs: 250, maxDelayMs: 5_000 }) + 50, undefined, { signal });
    } catch {
      return;
    }
  }
}

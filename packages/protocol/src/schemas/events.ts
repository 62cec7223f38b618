import { z } from 'zod';
import { HealthStatus } from './container.js';

/** A state change of a managed container, whether a command caused it or not. */
export const ContainerEvent = z.object({
  type: z.enum(['create', 'start', 'die', 'oom', 'health', 'stop', 'restart', 'destroy', 'pause', 'unpause']),
  containerId: z.string(),
  name: z.string(),
  serverId: z.string().optional(),
  /** Epoch milliseconds, from the engine. */
  at: z.number(),
  /** For `die`. */
  exitCode: z.number().int().optional(),
  /** For `health`. */
  health: HealthStatus.optional(),
  /**
   * For a `stop` the agent made itself because a guard rail no longer holds for a running
   * container (a bind source that now resolves outside the allow-list): the rule and why.
   */
  guardRail: z.object({ rule: z.string(), message: z.string() }).optional(),
});
export type ContainerEvent = z.infer<typeof ContainerEvent>;

export const WatchEventsInput = z.strictObject({ lastEventId: z.string().nullish() }).optional();

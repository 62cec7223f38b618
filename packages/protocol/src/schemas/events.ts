import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { HealthStatus } from './container.js';
import { BoundedId, BoundedMessage, EpochMs, Limit } from './limits.js';

/** A state change of a managed container, whether a command caused it or not. */
export const ContainerEvent = lazySchema(() =>
  z.object({
    type: z.enum(['create', 'start', 'die', 'oom', 'health', 'stop', 'restart', 'destroy', 'pause', 'unpause']),
    /** Docker's container id; a server records it, so never empty. */
    containerId: BoundedId.min(1),
    name: BoundedId,
    serverId: BoundedId.optional(),
    /** Epoch milliseconds, from the engine. */
    at: EpochMs,
    /** For `die`. */
    exitCode: z.number().int().min(-(2 ** 31)).max(2 ** 32).optional(),
    /** For `health`. */
    health: HealthStatus.optional(),
    /**
     * For a `stop` the agent made itself because a guard rail no longer holds for a running
     * container (a bind source that now resolves outside the allow-list): the rule and why.
     * Protocol 1.1: agents of 1.0 never send it.
     */
    guardRail: z.object({ rule: BoundedId.min(1), message: BoundedMessage }).optional(),
  }),
);
export type ContainerEvent = z.infer<typeof ContainerEvent>;

export const WatchEventsInput = lazySchema(() =>
  z
    .strictObject({
      /** Set when a stream resumes: the stream continues after that event. */
      lastEventId: z.string().max(Limit.idChars).nullish(),
    })
    .optional(),
);

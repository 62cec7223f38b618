import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { BoundedMessage, BoundedName, BoundedShort, Count, EpochMs, Limit } from './limits.js';

export const EngineHealth = lazySchema(() =>
  z.object({
    /** Whether the Docker engine answered its last ping. */
    up: z.boolean(),
    version: BoundedShort.optional(),
    /** Why the engine is considered down. */
    error: BoundedMessage.optional(),
  }),
);
export type EngineHealth = z.infer<typeof EngineHealth>;

/** The node's vital signs, sent at the agent's heartbeat interval. */
export const Heartbeat = lazySchema(() =>
  z.object({
    /** Counts up from 1 on every connection. */
    seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    /** Epoch milliseconds on the agent's clock. */
    at: EpochMs,
    nodeName: BoundedName,
    cpu: z.object({
      cores: z.number().int().positive().max(1_000_000),
      /** Busy share of all cores since the previous heartbeat, 0..100. */
      usagePercent: z.number().min(0).max(100),
      loadAverage1m: z.number().min(0).max(1_000_000),
    }),
    memory: z.object({ totalBytes: Count, usedBytes: Count }),
    disk: z.object({ path: z.string().max(Limit.pathChars), totalBytes: Count, usedBytes: Count }),
    containers: z.object({ managed: z.number().int().min(0).max(1_000_000), running: z.number().int().min(0).max(1_000_000) }),
    uptime: z.object({ hostSeconds: Count, agentSeconds: Count }),
    engine: builtSchema(EngineHealth),
  }),
);
export type Heartbeat = z.infer<typeof Heartbeat>;

import { z } from 'zod';

export const EngineHealth = z.object({
  /** Whether the Docker engine answered its last ping. */
  up: z.boolean(),
  version: z.string().optional(),
  /** Why the engine is considered down. */
  error: z.string().optional(),
});
export type EngineHealth = z.infer<typeof EngineHealth>;

/** The node's vital signs, sent at the agent's heartbeat interval. */
export const Heartbeat = z.object({
  /** Counts up from 1 on every connection. */
  seq: z.number().int().positive(),
  /** Epoch milliseconds on the agent's clock. */
  at: z.number(),
  nodeName: z.string(),
  cpu: z.object({
    cores: z.number().int().positive(),
    /** Busy share of all cores since the previous heartbeat, 0..100. */
    usagePercent: z.number().min(0).max(100),
    loadAverage1m: z.number().min(0),
  }),
  memory: z.object({ totalBytes: z.number().min(0), usedBytes: z.number().min(0) }),
  disk: z.object({ path: z.string(), totalBytes: z.number().min(0), usedBytes: z.number().min(0) }),
  containers: z.object({ managed: z.number().int().min(0), running: z.number().int().min(0) }),
  uptime: z.object({ hostSeconds: z.number().min(0), agentSeconds: z.number().min(0) }),
  engine: EngineHealth,
});
export type Heartbeat = z.infer<typeof Heartbeat>;

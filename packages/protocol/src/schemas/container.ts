import { z } from 'zod';
import { ContainerSpec } from './containerSpec.js';

/** Docker's container states. */
export const ContainerState = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
export type ContainerState = z.infer<typeof ContainerState>;

export const HealthStatus = z.enum(['none', 'starting', 'healthy', 'unhealthy']);
export type HealthStatus = z.infer<typeof HealthStatus>;

/** One managed container, as listed in the agent's inventory. */
export const ContainerSummary = z.object({
  /** Docker's container id. */
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: ContainerState,
  /** Docker's human-readable status, e.g. `Up 3 minutes`. */
  status: z.string(),
  /** Creation time, epoch milliseconds. */
  createdAt: z.number(),
  labels: z.record(z.string(), z.string()),
  /** The server's own id for this container, when the server gave one at creation. */
  serverId: z.string().optional(),
});
export type ContainerSummary = z.infer<typeof ContainerSummary>;

/** One managed container, inspected. */
export const ContainerDetails = ContainerSummary.extend({
  /** The spec rebuilt from the engine's view, so a server can recreate it elsewhere. */
  spec: ContainerSpec,
  imageId: z.string(),
  running: z.boolean(),
  exitCode: z.number().int().nullable(),
  oomKilled: z.boolean(),
  restartCount: z.number().int(),
  health: HealthStatus,
  /** Epoch milliseconds, or null when never started / not yet finished. */
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  error: z.string().optional(),
});
export type ContainerDetails = z.infer<typeof ContainerDetails>;

/** The agent's whole inventory of managed containers, read after every (re)connect. */
export const Inventory = z.object({
  nodeName: z.string(),
  containers: z.array(ContainerSummary),
});
export type Inventory = z.infer<typeof Inventory>;

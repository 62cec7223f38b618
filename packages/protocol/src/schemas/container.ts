import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { ReportedContainerSpec } from './containerSpec.js';
import { BoundedId, BoundedMessage, BoundedName, EpochMs, Limit } from './limits.js';

/** Docker's container states. */
export const ContainerState = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);
export type ContainerState = z.infer<typeof ContainerState>;

export const HealthStatus = z.enum(['none', 'starting', 'healthy', 'unhealthy']);
export type HealthStatus = z.infer<typeof HealthStatus>;

/** One managed container, as listed in the agent's inventory. */
export const ContainerSummary = lazySchema(() =>
  z.object({
    /** Docker's container id; a server records it, so never empty. */
    id: BoundedId.min(1),
    name: BoundedId,
    image: BoundedName,
    state: ContainerState,
    /** Docker's human-readable status, e.g. `Up 3 minutes`. */
    status: BoundedMessage,
    /** Creation time, epoch milliseconds. */
    createdAt: EpochMs,
    labels: z
      .record(z.string().max(Limit.nameChars), z.string().max(Limit.valueChars))
      .refine((labels) => Object.keys(labels).length <= Limit.listItems, { message: `at most ${Limit.listItems} labels` }),
    /** The server's own id for this container, when the server gave one at creation. */
    serverId: BoundedId.optional(),
  }),
);
export type ContainerSummary = z.infer<typeof ContainerSummary>;

/** Every managed container, as `containers.list` answers. */
export const ContainerList = lazySchema(() => z.array(builtSchema(ContainerSummary)).max(Limit.containers));

export const InspectContainerInput = lazySchema(() =>
  z.strictObject({
    /** A managed container, by Docker id or by name. */
    id: z.string().min(1).max(Limit.idChars),
  }),
);

/** One managed container, inspected. */
export const ContainerDetails = lazySchema(() =>
  builtSchema(ContainerSummary).extend({
    /** The spec rebuilt from the engine's view, so a server can recreate it elsewhere. */
    spec: builtSchema(ReportedContainerSpec),
    imageId: BoundedId,
    running: z.boolean(),
    exitCode: z.number().int().min(-(2 ** 31)).max(2 ** 32).nullable(),
    oomKilled: z.boolean(),
    restartCount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    health: HealthStatus,
    /** Epoch milliseconds, or null when never started / not yet finished. */
    startedAt: EpochMs.nullable(),
    finishedAt: EpochMs.nullable(),
    error: BoundedMessage.optional(),
  }),
);
export type ContainerDetails = z.infer<typeof ContainerDetails>;

/** The agent's whole inventory of managed containers, read after every (re)connect. */
export const Inventory = lazySchema(() =>
  z.object({
    nodeName: BoundedName,
    containers: builtSchema(ContainerList),
  }),
);
export type Inventory = z.infer<typeof Inventory>;

import * as z from 'zod';
import { builtSchema, lazySchema } from './lazySchema.js';
import { ContainerSpec } from './containerSpec.js';
import { ErrorShape } from './error.js';
import { BoundedId, BoundedMessage, BoundedName, BoundedShort, Count, EpochMs, Limit } from './limits.js';

/**
 * Chosen by the caller for every mutating command. The agent remembers each id's result
 * for a bounded window, so a command replayed after a reconnect is answered with its first
 * result and never acts twice.
 */
export const OperationId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, "_", ".", ":" and "-"');
export type OperationId = z.infer<typeof OperationId>;

/** A managed container, named by Docker id, or by name. */
export const ContainerRef = z.string().min(1).max(Limit.idChars);

export const PullPolicy = z.enum(['missing', 'always', 'never']);

export const CreateContainerInput = lazySchema(() =>
  z.strictObject({
    operationId: OperationId,
    spec: builtSchema(ContainerSpec),
    /** The server's own id for the container; stored as a label and reported back. */
    serverId: z.string().min(1).max(128).optional(),
    /** Start the container once created. */
    start: z.boolean().default(false),
    /** When to pull the image first. `missing` pulls only if the engine lacks it. */
    pull: PullPolicy.default('missing'),
    /**
     * Fencing, off when absent: the agent stops this container itself once it has lost the
     * server for this long, so a node cut off from the server does not keep running a copy
     * the server has started elsewhere.
     */
    fenceAfterMs: z.number().int().min(100).max(24 * 3600 * 1000).optional(),
  }),
);
export type CreateContainerInput = z.input<typeof CreateContainerInput>;

export const StartContainerInput = lazySchema(() => z.strictObject({ operationId: OperationId, id: ContainerRef }));
export const StopContainerInput = lazySchema(() =>
  z.strictObject({
    operationId: OperationId,
    id: ContainerRef,
    /** Seconds to wait after SIGTERM before SIGKILL; the container's own setting when absent. */
    timeoutSeconds: z.number().int().min(0).max(3600).optional(),
  }),
);
export const RestartContainerInput = lazySchema(() => builtSchema(StopContainerInput).extend({}));
export const RemoveContainerInput = lazySchema(() =>
  z.strictObject({
    operationId: OperationId,
    id: ContainerRef,
    /** Kill a running container instead of refusing. */
    force: z.boolean().default(false),
    /** Also remove the container's anonymous volumes. */
    removeVolumes: z.boolean().default(false),
  }),
);
export const PullImageInput = lazySchema(() => z.strictObject({ operationId: OperationId, image: z.string().min(1).max(Limit.nameChars) }));

/** The result of a container command. */
export const ContainerResult = lazySchema(() =>
  z.object({
    /** The engine's id of the container: a server records it and names the container by it in later commands, so never empty. */
    containerId: BoundedId.min(1),
    name: BoundedId,
    /** The state after the command, which a server records and shows: never empty. */
    state: BoundedShort.min(1),
  }),
);
export type ContainerResult = z.infer<typeof ContainerResult>;

export const PullResult = lazySchema(() => z.object({ image: BoundedName, imageId: BoundedId }));
export type PullResult = z.infer<typeof PullResult>;

const eventBase = { operationId: OperationId, at: EpochMs };

/** One step of an operation, as the server watches it happen. */
export const OperationEvent = lazySchema(() =>
  z.discriminatedUnion('type', [
    z.object({
      ...eventBase,
      type: z.literal('pulling'),
      image: BoundedName,
      /** The layer id, absent for whole-image status lines. */
      layer: BoundedId.optional(),
      /** The engine's status text: `Downloading`, `Extracting`, `Pull complete`... */
      status: BoundedMessage,
      currentBytes: Count.optional(),
      totalBytes: Count.optional(),
    }),
    z.object({ ...eventBase, type: z.literal('pulled'), image: BoundedName, imageId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('creating'), name: BoundedId }),
    z.object({ ...eventBase, type: z.literal('created'), containerId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('starting'), containerId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('running'), containerId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('stopping'), containerId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('stopped'), containerId: BoundedId, exitCode: z.number().int().min(-(2 ** 31)).max(2 ** 32).nullable() }),
    z.object({ ...eventBase, type: z.literal('removing'), containerId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('removed'), containerId: BoundedId }),
    z.object({ ...eventBase, type: z.literal('succeeded'), result: z.union([builtSchema(ContainerResult), builtSchema(PullResult)]) }),
    z.object({ ...eventBase, type: z.literal('failed'), error: builtSchema(ErrorShape) }),
  ]),
);
export type OperationEvent = z.infer<typeof OperationEvent>;
export type OperationEventType = OperationEvent['type'];

/** Distributes `Omit` over a union, so each event keeps its own fields. */
export type OperationStep = OperationEvent extends infer E ? (E extends OperationEvent ? Omit<E, 'operationId' | 'at'> : never) : never;

export const WatchOperationInput = lazySchema(() =>
  z.strictObject({
    operationId: OperationId,
    /** Set when a watch resumes; the stream continues after that event. */
    lastEventId: z.string().max(Limit.idChars).nullish(),
  }),
);

export const GetOperationInput = lazySchema(() => z.strictObject({ operationId: OperationId }));

export const OperationStatus = lazySchema(() =>
  z.object({
    operationId: OperationId,
    kind: z.enum(['create', 'start', 'stop', 'restart', 'remove', 'pull']),
    state: z.enum(['running', 'succeeded', 'failed']),
    startedAt: EpochMs,
    endedAt: EpochMs.nullable(),
    result: z.union([builtSchema(ContainerResult), builtSchema(PullResult)]).nullable(),
    error: builtSchema(ErrorShape).nullable(),
  }),
);
export type OperationStatus = z.infer<typeof OperationStatus>;

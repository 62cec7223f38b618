import { initTRPC, tracked } from '@trpc/server';
import { z } from 'zod';
import { AgentError, agentErrorDataOf } from '../errors.js';
import { ArchiveChunk, ArchiveTransfer, OpenArchiveInput, ReadArchiveInput, TransferId, WriteArchiveInput, WriteArchiveResult } from '../schemas/archive.js';
import { ContainerDetails, ContainerSummary, Inventory } from '../schemas/container.js';
import { ContainerEvent, WatchEventsInput } from '../schemas/events.js';
import { Heartbeat } from '../schemas/heartbeat.js';
import { Hello } from '../schemas/hello.js';
import { LogChunk, LogsInput } from '../schemas/logs.js';
import {
  ContainerRef,
  ContainerResult,
  CreateContainerInput,
  OperationEvent,
  OperationId,
  OperationStatus,
  PullImageInput,
  PullResult,
  RemoveContainerInput,
  RestartContainerInput,
  StartContainerInput,
  StopContainerInput,
  WatchOperationInput,
} from '../schemas/operation.js';
import { linkTransformer } from '../link/transformer.js';
import type { AgentHandlers, LinkPressure, StreamContext, Tracked } from './handlers.js';

/** The context the agent end of the link creates for each connection. */
export interface AgentContext {
  link: LinkPressure;
}

const t = initTRPC.context<AgentContext>().create({
  transformer: linkTransformer,
  // Every error leaves with a stable code in `data.lormas`; see `AgentError`.
  errorFormatter: ({ shape, error }) => ({ ...shape, data: { ...shape.data, stack: undefined, lormas: agentErrorDataOf(error) } }),
});

/** Turns an `AgentError` thrown by a handler into a tRPC error that keeps its code. */
const agentErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AgentError) {
    const cause = result.error.cause;
    return { ...result, error: cause.toTRPCError() };
  }
  return result;
});

const procedure = t.procedure.use(agentErrors);

/** Validates every element of a handler's stream before it goes on the wire. */
async function* validated<T>(schema: z.ZodType<T>, source: AsyncIterable<Tracked<T>>) {
  for await (const { id, data } of source) yield tracked(id, schema.parse(data));
}

function streamContext(ctx: AgentContext, signal: AbortSignal | undefined): StreamContext {
  return { link: ctx.link, signal: signal ?? new AbortController().signal };
}

/**
 * Builds the router an agent serves. The agent supplies the handlers; this factory
 * supplies the contract: names, input and output schemas, and error codes.
 */
export function createAgentRouter(handlers: AgentHandlers) {
  return t.router({
    hello: procedure.output(Hello).query(() => handlers.hello()),
    inventory: procedure.output(Inventory).query(() => handlers.inventory()),
    containers: t.router({
      list: procedure.output(z.array(ContainerSummary)).query(() => handlers.containers.list()),
      inspect: procedure
        .input(z.strictObject({ id: ContainerRef }))
        .output(ContainerDetails)
        .query(({ input }) => handlers.containers.inspect(input.id)),
      create: procedure.input(CreateContainerInput).output(ContainerResult).mutation(({ input }) => handlers.containers.create(input)),
      start: procedure.input(StartContainerInput).output(ContainerResult).mutation(({ input }) => handlers.containers.start(input)),
      stop: procedure.input(StopContainerInput).output(ContainerResult).mutation(({ input }) => handlers.containers.stop(input)),
      restart: procedure.input(RestartContainerInput).output(ContainerResult).mutation(({ input }) => handlers.containers.restart(input)),
      remove: procedure.input(RemoveContainerInput).output(ContainerResult).mutation(({ input }) => handlers.containers.remove(input)),
      events: procedure
        .input(WatchEventsInput)
        .subscription(({ input, ctx, signal }) => validated(ContainerEvent, handlers.containers.events(input, streamContext(ctx, signal)))),
      logs: procedure
        .input(LogsInput)
        .subscription(({ input, ctx, signal }) => validated(LogChunk, handlers.containers.logs(input, streamContext(ctx, signal)))),
    }),
    images: t.router({
      pull: procedure.input(PullImageInput).output(PullResult).mutation(({ input }) => handlers.images.pull(input)),
    }),
    operations: t.router({
      get: procedure
        .input(z.strictObject({ operationId: OperationId }))
        .output(OperationStatus)
        .query(({ input }) => handlers.operations.get(input.operationId)),
      watch: procedure
        .input(WatchOperationInput)
        .subscription(({ input, ctx, signal }) => validated(OperationEvent, handlers.operations.watch(input, streamContext(ctx, signal)))),
    }),
    archives: t.router({
      openRead: procedure.input(OpenArchiveInput).output(ArchiveTransfer).mutation(({ input }) => handlers.archives.openRead(input)),
      read: procedure.input(ReadArchiveInput).output(ArchiveChunk).mutation(({ input }) => handlers.archives.read(input)),
      openWrite: procedure.input(OpenArchiveInput).output(ArchiveTransfer).mutation(({ input }) => handlers.archives.openWrite(input)),
      write: procedure.input(WriteArchiveInput).output(WriteArchiveResult).mutation(({ input }) => handlers.archives.write(input)),
      abort: procedure.input(z.strictObject({ transferId: TransferId })).mutation(({ input }) => handlers.archives.abort(input.transferId)),
    }),
    node: t.router({
      heartbeats: procedure.subscription(async function* ({ ctx, signal }) {
        for await (const beat of handlers.node.heartbeats(streamContext(ctx, signal))) yield Heartbeat.parse(beat);
      }),
    }),
  });
}

/** The agent's router type: what a server imports to get a typed client. */
export type AgentRouter = ReturnType<typeof createAgentRouter>;

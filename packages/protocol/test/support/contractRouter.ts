import { getWSConnectionHandler } from '@trpc/server/adapters/ws';
import { type AnyTRPCRouter, initTRPC, tracked, TRPCError } from '@trpc/server';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { AgentHandlers, StreamContext } from '../../src/agent/index.js';
import { AgentError, agentContract, type ContractGroup, ErrorCode, isProcedure } from '../../src/index.js';
import { linkTransformer } from '../../src/link/transformer.js';

/**
 * The contract served by stock tRPC instead of our agent end: a router built from the same
 * table, with the same transformer and the same error data. The conformance tests drive it
 * with our server end, to show that the two speak the same wire format. (It is also how the
 * agents of protocol 1.0 served the contract.)
 */
export function createContractRouter(handlers: AgentHandlers): AnyTRPCRouter {
  const t = initTRPC.context<{ ctx: StreamContext['link'] }>().create({
    transformer: linkTransformer,
    errorFormatter: ({ shape, error }) => {
      const cause = error.cause instanceof AgentError ? error.cause : AgentError.from(error.cause ?? error);
      const lormas = error.code === 'BAD_REQUEST' && !(error.cause instanceof AgentError) ? { code: 'BAD_INPUT' } : cause.toShape();
      return { ...shape, data: { ...shape.data, stack: undefined, lormas } };
    },
  });
  const at = (path: string) => path.split('.').reduce<unknown>((node, name) => (node as Record<string, unknown>)[name], handlers) as (...args: unknown[]) => unknown;
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AgentError) throw new TRPCError({ code: ErrorCode[error.code] as never, message: error.message, cause: error });
      throw error;
    }
  };
  const build = (group: ContractGroup, prefix: string): Record<string, unknown> => {
    const record: Record<string, unknown> = {};
    for (const [name, node] of Object.entries(group)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (!isProcedure(node)) {
        record[name] = t.router(build(node, path) as never);
        continue;
      }
      // One builder type for both branches; the contract, not tRPC's generics, types the values here.
      const base = (node.input ? t.procedure.input(node.input) : t.procedure) as typeof t.procedure;
      if (node.kind === 'subscription') {
        const procedure = node;
        record[name] = base.subscription(async function* ({ input, ctx, signal }: { input: unknown; ctx: { ctx: StreamContext['link'] }; signal: AbortSignal | undefined }) {
          const items = at(path)(input, { link: ctx.ctx, signal: signal ?? new AbortController().signal }) as AsyncIterable<unknown>;
          for await (const item of items) {
            if (!procedure.tracked) yield procedure.item.parse(item);
            else {
              const { id, data } = item as { id: string; data: unknown };
              yield tracked(id, procedure.item.parse(data));
            }
          }
        });
      } else {
        const output = base.output(node.output);
        const resolver = ({ input }: { input: unknown }) => run(() => at(path)(input) as Promise<unknown>);
        record[name] = node.kind === 'query' ? output.query(resolver) : output.mutation(resolver);
      }
    }
    return record;
  };
  return t.router(build(agentContract, '') as never);
}

/** Serves `handlers` with stock tRPC on a socket, as a protocol 1.0 agent did. */
export function serveWithTrpc(socket: WebSocket, handlers: AgentHandlers): void {
  const link: StreamContext['link'] = { bufferedAmount: () => socket.bufferedAmount, full: () => false, windowBytes: () => 1 << 20, writable: () => Promise.resolve() };
  const handler = getWSConnectionHandler({
    router: createContractRouter(handlers),
    wss: undefined as unknown as WebSocketServer,
    createContext: () => ({ ctx: link }),
  });
  handler(socket, { url: '/', headers: { host: 'agent' } } as IncomingMessage);
}

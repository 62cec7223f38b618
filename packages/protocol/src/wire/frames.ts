import * as z from 'zod';
import type { ProcedureKind } from '../contract/procedure.js';
import { Limit } from '../schemas/limits.js';
import { linkTransformer } from '../link/transformer.js';

/**
 * The frames of the link, in tRPC's WebSocket message format (JSON-RPC 2.0 envelopes; see
 * https://trpc.io/docs/server/websockets#websockets-rpc-specification). Each frame is one
 * JSON text message; values inside (`params.input`, `result.data`, `error`) are encoded
 * with the link's transformer (superjson's format). Both ends of the link parse every frame
 * with these schemas before anything else looks at it.
 */

/** A request id: tRPC's clients number their requests; strings are legal JSON-RPC too. */
export const RequestId = z.union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().min(1).max(Limit.idChars)]);
export type RequestId = z.infer<typeof RequestId>;

const jsonrpc = z.literal('2.0').optional();

/** Server to agent: call a procedure. */
export const CallFrame = z.object({
  id: RequestId,
  jsonrpc,
  method: z.enum(['query', 'mutation', 'subscription']),
  params: z.object({
    path: z.string().min(1).max(Limit.shortChars),
    /** The input, transformer-encoded; absent or an encoded `undefined` for a procedure without one. */
    input: z.unknown(),
    /** For a subscription that resumes: the id of the last item the server received. */
    lastEventId: z.string().max(Limit.idChars).optional(),
  }),
});
export type CallFrame = z.infer<typeof CallFrame>;

/** Server to agent: end a subscription. */
export const StopFrame = z.object({ id: RequestId, jsonrpc, method: z.literal('subscription.stop') });

/** Anything a server may send: one frame, or several batched in an array. */
export const ServerFrame = z.union([CallFrame, StopFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Agent to server: a result, or a subscription's `started`, item or `stopped`. */
export const ResultFrame = z.object({
  id: RequestId.nullable(),
  jsonrpc,
  // Items first: they are nearly every frame an agent sends (2,000 heartbeats a second at 10,000
  // agents), and a union tries its options in order. The options exclude one another by `type`,
  // so the order changes nothing else.
  result: z.union([
    z.object({
      type: z.literal('data').optional(),
      /** A tracked item's event id. */
      id: z.string().max(Limit.idChars).optional(),
      /** The value, transformer-encoded. */
      data: z.unknown(),
    }),
    z.object({ type: z.literal('started') }),
    z.object({ type: z.literal('stopped') }),
  ]),
});
export type ResultFrame = z.infer<typeof ResultFrame>;

/** Agent to server: a call or subscription failed. `error` is the transformer-encoded `WireError`. */
export const ErrorFrame = z.object({ id: RequestId.nullable(), jsonrpc, error: z.unknown() });

/** Agent to server: tRPC's request that the client dial again (a server could never act on it here). */
export const ReconnectFrame = z.object({ id: RequestId.nullable(), jsonrpc, method: z.literal('reconnect') });

/** Anything an agent may send, one frame per message. */
export const AgentFrame = z.union([ResultFrame, ErrorFrame, ReconnectFrame]);
export type AgentFrame = z.infer<typeof AgentFrame>;

/** The error inside an `ErrorFrame`, once decoded: tRPC's error shape, with our code in `data.lormas`. */
export const WireError = z.object({
  code: z.number().int(),
  message: z.string().max(Limit.messageChars),
  data: z
    .object({
      code: z.string().max(Limit.shortChars).optional(),
      httpStatus: z.number().int().optional(),
      path: z.string().max(Limit.shortChars).optional(),
      lormas: z.unknown().optional(),
    })
    .optional(),
});
export type WireError = z.infer<typeof WireError>;

/** tRPC's text keep-alive messages; the link answers `PING` and ignores `PONG`. */
export const PING = 'PING';
export const PONG = 'PONG';

/** Encodes a call. The input is encoded even when absent, as tRPC's client does: its servers decode it unconditionally. */
export function encodeCall(id: number, kind: ProcedureKind, path: string, input: unknown, lastEventId?: string): { id: number; method: ProcedureKind; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { input: linkTransformer.serialize(input), path };
  if (lastEventId !== undefined) params['lastEventId'] = lastEventId;
  return { id, method: kind, params };
}

export function encodeStop(id: RequestId): { id: RequestId; method: 'subscription.stop' } {
  return { id, method: 'subscription.stop' };
}

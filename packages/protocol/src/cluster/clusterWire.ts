import type { NatsConnection } from '@nats-io/transport-node';
import * as z from 'zod';
import { errorCodeNames } from '../errorCodes.js';
import { AgentError } from '../errors.js';
import { linkTransformer } from '../link/transformer.js';
import type { ErrorShape } from '../schemas/error.js';

/**
 * What replicas say to each other, as JSON with values in the link's superjson form. The
 * schemas check the envelope only: the values inside were checked against the contract by
 * the owner that received them from the agent, and replicas of one cluster trust each other.
 */
const Value = z.object({ json: z.unknown(), meta: z.unknown().optional() }).passthrough();
const Shape = z.object({ code: z.enum(errorCodeNames), message: z.string() }).passthrough();

/** The node a request is for: any id the hub accepts (a replica serves many). */
const NodeId = z.string().min(1);

/** To the owner's subject: run a query or mutation for `node`, open a stream of it, or forget it. */
export const OwnerRequest = z.discriminatedUnion('t', [
  z.object({ t: z.literal('call'), node: NodeId, path: z.string(), input: Value, timeoutMs: z.number().positive() }),
  z.object({
    t: z.literal('open'),
    node: NodeId,
    stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    reader: z.string(),
    path: z.string(),
    input: Value,
    credit: z.number().int().positive(),
  }),
  z.object({
    t: z.literal('forget'),
    node: NodeId,
    // What the socket is closed with: a code `ws` sends (1000, or 3000-4999 for an application's own) and at most 123 bytes of reason, else `close` throws.
    code: z.number().int().refine((code) => code === 1000 || (code >= 3000 && code <= 4999), 'a close code an endpoint may send'),
    reason: z.string().refine((reason) => Buffer.byteLength(reason) <= 123, 'at most 123 bytes'),
  }),
]);
export type OwnerRequest = z.infer<typeof OwnerRequest>;

/**
 * Who answered: the replica's id, sent by replicas that serve a subject of their own. A reply
 * without it on a node's subject came from a replica of before (see `requestOwner`); replicas
 * of before ignore the field.
 */
const From = z.string().optional();

/** The owner's answer: a value, a coded error, or `away` (the node is not connected here: ask again). */
export const OwnerReply = z.discriminatedUnion('t', [
  z.object({ t: z.literal('ok'), value: Value.optional(), from: From }),
  z.object({ t: z.literal('error'), error: Shape, from: From }),
  z.object({ t: z.literal('away'), from: From }),
]);
export type OwnerReply = z.infer<typeof OwnerReply>;

/** On a carried stream's item subject, from the owner. `moved`: the owner lost the node; open again at the new one. */
export const StreamMessage = z.discriminatedUnion('t', [
  z.object({ t: z.literal('started') }),
  z.object({ t: z.literal('data'), id: z.string().optional(), value: Value }),
  z.object({ t: z.literal('error'), error: Shape }),
  z.object({ t: z.literal('complete') }),
  z.object({ t: z.literal('moved') }),
]);
export type StreamMessage = z.infer<typeof StreamMessage>;

/** On a carried stream's control subject, from the reader. */
export const StreamControl = z.discriminatedUnion('t', [z.object({ t: z.literal('credit'), n: z.number().int().positive() }), z.object({ t: z.literal('stop') })]);
export type StreamControl = z.infer<typeof StreamControl>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(message: OwnerRequest | OwnerReply | StreamMessage | StreamControl): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

const parseJson = (data: Uint8Array): unknown => {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
};

/** Parses a message; null for anything that is not one (a replica of another version, a stray publisher). */
export function decode<T>(schema: z.ZodType<T>, data: Uint8Array): T | null {
  const parsed = schema.safeParse(parseJson(data));
  return parsed.success ? parsed.data : null;
}

/**
 * Parses a request that came on `nodeId`'s own subject, where replicas of before send it
 * without naming the node: the subject names it. One that names another node is not one.
 */
export function decodeNodeRequest(data: Uint8Array, nodeId: string): OwnerRequest | null {
  const json = parseJson(data);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const named = (json as { node?: unknown }).node;
  if (named !== undefined && named !== nodeId) return null;
  const parsed = OwnerRequest.safeParse({ ...json, node: nodeId });
  return parsed.success ? parsed.data : null;
}

/** A request as replicas of before read it on a node's subject: the subject names the node. */
export const encodeForNodeSubject = (request: OwnerRequest): Uint8Array => encode({ ...request, node: undefined } as unknown as OwnerRequest);

/**
 * Publishes a message, as fire and forget. While the engine is reconnecting the client
 * buffers it; once the connection is closed for good (the replica is shutting down) the
 * message has nobody to reach, and the client's throw is swallowed here.
 */
export function publish(nc: NatsConnection, subject: string, message: StreamMessage | StreamControl): void {
  try {
    nc.publish(subject, encode(message));
  } catch {
    // Closed: see above.
  }
}

/** Whether a NATS request failed because nobody serves the subject (the replica addressed is gone, or not subscribed yet). */
export const isNoResponders = (error: unknown) =>
  typeof (error as { isNoResponders?: () => boolean })?.isNoResponders === 'function' && (error as { isNoResponders(): boolean }).isNoResponders();

export const packValue = (value: unknown) => linkTransformer.serialize(value) as z.infer<typeof Value>;
export const unpackValue = (value: z.infer<typeof Value> | undefined): unknown =>
  value === undefined ? undefined : linkTransformer.deserialize(value as Parameters<typeof linkTransformer.deserialize>[0]);

export const errorReply = (error: unknown): OwnerReply => ({ t: 'error', error: AgentError.from(error).toShape() });
export const replyError = (shape: z.infer<typeof Shape>): AgentError => AgentError.fromShape(shape as ErrorShape);

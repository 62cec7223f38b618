import { Heartbeat, Hello } from '@lormas/protocol';
import { decode } from '@lormas/protocol/cluster';
import { z } from 'zod';
import type { NodeLive } from '../agents/NodeLiveness.js';

const epochMs = z.number().finite();

/**
 * A node's liveness as a replica writes it to the shared bucket. Another replica's copy is
 * fed from the bucket, so a value is checked before it is kept: anyone who can write to the
 * engine could write anything, and a value of the wrong shape would throw later, in a view
 * or in failover, far from its cause.
 */
export const NodeLiveRecord = z.object({
  status: z.enum(['online', 'offline', 'lost']),
  connectedSince: epochMs.nullable(),
  disconnectedAt: epochMs.nullable(),
  hello: Hello.nullable(),
  lastHeartbeat: Heartbeat.nullable(),
  lastHeartbeatAt: epochMs.nullable(),
  refused: z.object({ code: z.number().int(), reason: z.string(), at: epochMs }).nullable().optional(),
  replica: z.string().nullable().optional(),
  returning: z.boolean().optional(),
  hold: z.object({ untilMs: epochMs, by: z.string().nullable() }).nullable().optional(),
}) satisfies z.ZodType<NodeLive>;

/** A bucket value as a node's liveness; null for anything that is not one (malformed JSON included). */
export function parseNodeLive(value: Uint8Array): NodeLive | null {
  return decode(NodeLiveRecord, value) as NodeLive | null;
}

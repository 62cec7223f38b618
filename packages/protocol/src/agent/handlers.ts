import type { z } from 'zod';
import type { AgentContract } from '../contract/agentContract.js';
import type { CallProcedure, ContractGroup, InputOf, Procedure, SubscriptionProcedure } from '../contract/procedure.js';

/**
 * What a subscription handler gets besides its input: the signal that ends the stream,
 * and the link it streams over, for backpressure.
 */
export interface StreamContext {
  signal: AbortSignal;
  link: LinkPressure;
}

/** The link's backlog as a stream sees it. */
export interface LinkPressure {
  /**
   * Bytes sent on the link that the peer has not yet confirmed reading: what `ws` holds plus
   * what sits in the kernel's buffers on both sides. Anything sent now waits behind them.
   */
  bufferedAmount(): number;
  /** Whether a bulk stream must wait for room before its next chunk: the window is full, or others wait already. */
  full(): boolean;
  /**
   * How many bytes the link now lets be unread. A bulk stream keeps its chunks to a fraction
   * of it, so that one chunk is on its way while the next is sent: a window of one chunk
   * would leave a slow link idle for every round trip.
   */
  windowBytes(): number;
  /**
   * Resolves when a bulk stream (logs) may send its next chunk: at once while the link's send
   * window has room, else in turn with the link's other bulk streams as the peer reads. The
   * window keeps what is queued ahead of a heartbeat short. Resolves at once, room or not,
   * if `signal` aborts or the link closes.
   */
  writable(signal?: AbortSignal): Promise<void>;
}

/** One event of a resumable stream, with the id a resumed stream starts after. */
export interface Tracked<T> {
  id: string;
  data: T;
}

/** The handler of one procedure: it gets the parsed input, and returns what the output schema accepts. */
export type HandlerOf<P extends Procedure> =
  P extends SubscriptionProcedure<z.ZodType | undefined, infer T, infer Tr>
    ? (input: InputOf<P>, ctx: StreamContext) => AsyncIterable<Tr extends true ? Tracked<z.input<T>> : z.input<T>>
    : P extends CallProcedure<'query' | 'mutation', z.ZodType | undefined, infer O>
      ? (input: InputOf<P>) => Promise<z.input<O>>
      : never;

/** The handlers of a contract group, by the same names. */
export type HandlersOf<G extends ContractGroup> = {
  -readonly [K in keyof G]: G[K] extends Procedure ? HandlerOf<G[K]> : G[K] extends ContractGroup ? HandlersOf<G[K]> : never;
};

/**
 * The agent's implementation of the contract. `serveAgentLink` validates every input before
 * a handler runs and every output before it leaves.
 */
export type AgentHandlers = HandlersOf<AgentContract>;

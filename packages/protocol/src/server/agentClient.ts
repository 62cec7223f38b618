import type { z } from 'zod';
import { type AgentContract, agentContract } from '../contract/agentContract.js';
import { type CallerInputOf, type CallProcedure, type ContractGroup, isProcedure, type Procedure, type SubscriptionProcedure } from '../contract/procedure.js';
import type { CallOptions, SubscriptionHandlers, Unsubscribable } from './NodeLink.js';

/**
 * What a typed client calls through: one node's link on this server (`NodeLink`), or in
 * cluster mode the route to whichever replica holds the node's socket.
 */
export interface AgentTransport {
  call(procedure: CallProcedure, path: string, input: unknown, options?: CallOptions): Promise<unknown>;
  subscribe(procedure: SubscriptionProcedure, path: string, input: unknown, handlers: SubscriptionHandlers<unknown>): Unsubscribable;
}

/** An item of a tracked stream, with the event id a resumed stream continues after. */
export interface TrackedItem<T> {
  id: string;
  data: T;
}

/** The client side of one procedure. */
export type ClientProcedure<P extends Procedure> =
  P extends CallProcedure<'query', z.ZodType | undefined, infer O>
    ? { query(input: CallerInputOf<P>, options?: CallOptions): Promise<z.output<O>> }
    : P extends CallProcedure<'mutation', z.ZodType | undefined, infer O>
      ? { mutate(input: CallerInputOf<P>, options?: CallOptions): Promise<z.output<O>> }
      : P extends SubscriptionProcedure<z.ZodType | undefined, infer T, infer Tr>
        ? { subscribe(input: CallerInputOf<P>, handlers: SubscriptionHandlers<Tr extends true ? TrackedItem<z.output<T>> : z.output<T>>): Unsubscribable }
        : never;

/** The client of a contract group, by the same names. */
export type ClientOf<G extends ContractGroup> = {
  readonly [K in keyof G]: G[K] extends Procedure ? ClientProcedure<G[K]> : G[K] extends ContractGroup ? ClientOf<G[K]> : never;
};

/**
 * A typed client of one node's agent: `client.containers.create.mutate(input)`,
 * `client.containers.logs.subscribe(input, { onData })`. Every answer it hands out was
 * checked against the contract.
 */
export type AgentClient = ClientOf<AgentContract>;

/** Builds the client of `link`: plain objects and closures, made per call of `hub.client()`, so an idle node holds none. */
export function createAgentClient(link: AgentTransport): AgentClient {
  return build(agentContract, '', link) as AgentClient;
}

function build(group: ContractGroup, prefix: string, link: AgentTransport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(group)) {
    const path = prefix ? `${prefix}.${name}` : name;
    out[name] = isProcedure(node) ? procedureClient(node, path, link) : build(node, path, link);
  }
  return out;
}

function procedureClient(procedure: Procedure, path: string, link: AgentTransport): unknown {
  switch (procedure.kind) {
    case 'query':
      return { query: (input: unknown, options?: CallOptions) => link.call(procedure, path, input, options) };
    case 'mutation':
      return { mutate: (input: unknown, options?: CallOptions) => link.call(procedure, path, input, options) };
    case 'subscription':
      return { subscribe: (input: unknown, handlers: SubscriptionHandlers<unknown>) => link.subscribe(procedure, path, input, handlers) };
  }
}

import type { z } from 'zod';
import { builtSchema } from '../schemas/lazySchema.js';

/** The three kinds of procedure, in tRPC's words (they are the `method` of a request frame). */
export type ProcedureKind = 'query' | 'mutation' | 'subscription';

interface Common<I extends z.ZodType | undefined> {
  /** The input schema; `undefined` for a procedure that takes none. Inputs are strict. */
  readonly input: I;
  /** The protocol version (`MAJOR.MINOR`) that added the procedure. A server calls it only on agents that speak that version or later. */
  readonly since: string;
  /** One line for people, carried into the JSON Schema. */
  readonly description: string;
}

export interface CallProcedure<K extends 'query' | 'mutation' = 'query' | 'mutation', I extends z.ZodType | undefined = z.ZodType | undefined, O extends z.ZodType = z.ZodType>
  extends Common<I> {
  readonly kind: K;
  /** The result schema: the agent checks what it sends, the server what it receives. */
  readonly output: O;
}

export interface SubscriptionProcedure<I extends z.ZodType | undefined = z.ZodType | undefined, T extends z.ZodType = z.ZodType, Tracked extends boolean = boolean>
  extends Common<I> {
  readonly kind: 'subscription';
  /** The schema of each item of the stream. */
  readonly item: T;
  /**
   * Whether each item carries an event id (tRPC's `tracked`), from which a resumed
   * subscription continues: the server sends the last id it saw as `lastEventId`.
   */
  readonly tracked: Tracked;
  /**
   * Whether the agent checks each item against `item` before sending it. The server checks
   * every item it receives whatever this says (the agent is untrusted); a bulk stream whose
   * items the agent builds itself, field by field within the contract's bounds, skips the
   * agent's copy of that check: on a log stream it was a zod parse and a copy of every entry,
   * measured at about a fifth of the agent's CPU per MB of log (figure 3 of the bench).
   * @default true
   */
  readonly checkedBySender: boolean;
  /**
   * A check cheaper than `item` for the server's end, on values as `JSON.parse` made them:
   * `true` only for an item the schema accepts and gives back unchanged (the server then takes
   * it as it is); `false` leaves the item to the schema. For a stream whose items come by the
   * thousand a second (heartbeats), where the schema's walk and copy are a cost of their own.
   * Untracked streams only: a tracked item comes as `{ id, data }`, which the schema reads.
   * @default none: the schema checks every item
   */
  readonly isExactItem: ((value: unknown) => boolean) | undefined;
}

export type Procedure = CallProcedure | SubscriptionProcedure;

/** A node of the contract: a procedure, or a group of them by name. */
export interface ContractGroup {
  readonly [name: string]: Procedure | ContractGroup;
}

interface Described<I extends z.ZodType | undefined> {
  input?: I;
  since?: string;
  description: string;
}

/**
 * A procedure's schemas are `lazySchema` stand-ins until first read: its getters build them
 * then, so an agent builds only the schemas of the procedures a server calls (issue 16), and
 * every reader (the agent's dispatch, the server's validation, the JSON Schema) gets the
 * built schema, the same object each time.
 */
function call<K extends 'query' | 'mutation', O extends z.ZodType, I extends z.ZodType | undefined>(kind: K, def: Described<I> & { output: O }): CallProcedure<K, I, O> {
  return {
    kind,
    get input() {
      return (def.input && builtSchema(def.input)) as I;
    },
    get output() {
      return builtSchema(def.output);
    },
    since: def.since ?? '1.0',
    description: def.description,
  };
}

export function query<O extends z.ZodType, I extends z.ZodType | undefined = undefined>(def: Described<I> & { output: O }): CallProcedure<'query', I, O> {
  return call('query', def);
}

export function mutation<O extends z.ZodType, I extends z.ZodType | undefined = undefined>(def: Described<I> & { output: O }): CallProcedure<'mutation', I, O> {
  return call('mutation', def);
}

export function subscription<T extends z.ZodType, Tr extends boolean, I extends z.ZodType | undefined = undefined>(
  def: Described<I> & { item: T; tracked: Tr; checkedBySender?: boolean; isExactItem?: (value: unknown) => value is z.output<T> },
): SubscriptionProcedure<I, T, Tr> {
  // The server's end would never call it: a tracked item is `{ id, data }`, read by the schema.
  if (def.tracked && def.isExactItem) throw new TypeError('subscription: isExactItem is for untracked streams only');
  return {
    kind: 'subscription',
    get input() {
      return (def.input && builtSchema(def.input)) as I;
    },
    get item() {
      return builtSchema(def.item);
    },
    tracked: def.tracked,
    checkedBySender: def.checkedBySender ?? true,
    isExactItem: def.isExactItem,
    since: def.since ?? '1.0',
    description: def.description,
  };
}

export function isProcedure(node: Procedure | ContractGroup): node is Procedure {
  return typeof (node as Procedure).kind === 'string' && ((node as Procedure).kind === 'query' || (node as Procedure).kind === 'mutation' || (node as Procedure).kind === 'subscription');
}

/** Every procedure of a contract by its dotted path (`containers.create`), in table order. */
export function flattenContract(group: ContractGroup, prefix = ''): Map<string, Procedure> {
  const out = new Map<string, Procedure>();
  for (const [name, node] of Object.entries(group)) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (isProcedure(node)) out.set(path, node);
    else for (const [inner, procedure] of flattenContract(node, path)) out.set(inner, procedure);
  }
  return out;
}

/** What a procedure's handler receives as input: the parsed input, or nothing. */
export type InputOf<P extends Procedure> = P['input'] extends z.ZodType ? z.output<P['input']> : void;
/** What a caller passes as input: the input before defaults, or nothing. */
export type CallerInputOf<P extends Procedure> = P['input'] extends z.ZodType ? z.input<P['input']> : void | undefined;

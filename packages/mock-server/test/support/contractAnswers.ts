import { agentContract, contractJsonSchema, flattenContract, PROTOCOL_VERSION, RpcCode } from '@lormas/protocol';
import { arbitraryFromJsonSchema, type JsonSchema } from '@lormas/testkit';
import fc from 'fast-check';
import type { z } from 'zod';
import { brokenEncoding, type EncodedValue, type EncodingOptions, mutatedEncoding, validEncoding } from './encodedValue.js';

/** Put in the message of every error the fake agent sends, so the server's log lines that quote one can be told from its own failures. */
export const FAKE_AGENT_ERROR_MARKER = 'fake-agent-error';

/** A request the server sent, as the fake agent reads it. */
export interface ServerRequest {
  id: number;
  method: 'query' | 'mutation' | 'subscription';
  path: string;
  /** The decoded input. */
  input: unknown;
  lastEventId?: string;
}

/**
 * What the main part of an answer is. Every procedure the server asks gets each of the
 * first four (`COVERED_KINDS`) at least once in a run; the rest come at random.
 */
export type AnswerKind = 'valid' | 'mutated' | 'broken-encoding' | 'error' | 'malformed-error' | 'stream-frame' | 'close';
export const COVERED_KINDS = ['valid', 'mutated', 'broken-encoding', 'error'] as const satisfies readonly AnswerKind[];

/** How hostile the answers are: `calm` lets the server's flows (a migration's eight calls) run to their end now and then. */
export type Temper = 'calm' | 'wild';

/** One frame of an answer, before it is addressed. */
export type AnswerPart =
  | { kind: 'result'; data: EncodedValue }
  /** A subscription item; `eventId` is the tracked id in the frame (absent: none). */
  | { kind: 'item'; eventId: string | undefined; data: EncodedValue }
  | { kind: 'started' }
  | { kind: 'stopped' }
  | { kind: 'error'; error: EncodedValue }
  | { kind: 'reconnect' }
  /** Not a frame: the agent drops its socket, as a crash would. */
  | { kind: 'close' }
  /** Bytes as they are, for frames that are no answer at all. */
  | { kind: 'raw'; bytes: Buffer; binary: boolean; label: string };

/**
 * Which id a part carries: the request's own, one the server never used, one already
 * answered, null, a string, or another request still open on the socket.
 */
export type Address = 'self' | 'unknown' | 'reused' | 'null' | 'string' | 'live';

export interface AddressedPart {
  to: Address;
  part: AnswerPart;
}

export interface Answer {
  kind: AnswerKind;
  /** Sent in this order. */
  parts: AddressedPart[];
  /** A pause before the first part. */
  delayMs: number;
}

type Treatment = 'valid' | 'mutated' | 'broken';
type ValueRecipe = { value: unknown; treatment: Treatment; seed: number };
type EventIdChoice = 'match' | 'mismatch' | 'missing' | 'overlong';
type PartRecipe =
  | { kind: 'result'; data: ValueRecipe }
  | { kind: 'item'; data: ValueRecipe; eventId: EventIdChoice }
  | { kind: 'error'; error: ValueRecipe }
  | { kind: 'started' | 'stopped' | 'reconnect' | 'close' };
type AnswerRecipe = { kind: AnswerKind; parts: { to: Address; part: PartRecipe }[]; delayMs: number };

/** One procedure of the contract, as the fuzzer answers it. */
export interface ProcedureAnswers {
  path: string;
  kind: 'query' | 'mutation' | 'subscription';
  tracked: boolean;
  /** The contract's schema of the result or of each item: the verdict on what the agent sends. */
  schema: z.ZodType;
}

export interface ContractAnswersOptions extends EncodingOptions {
  /** Ids and names the server handed out, mixed into generated strings so that values name real records. */
  known: () => readonly string[];
}

/**
 * What the server needs beyond the schema to go on: a `hello` in this server's protocol
 * (else it refuses the agent with 4426); watch events of the operation watched, half of
 * them its end (else the server waits for the end a while before it answers). Applied to
 * nine in ten valid values (by their seed); the tenth tests that the server copes without.
 */
const REALISM: Record<string, (value: unknown, input: unknown, seed: number) => unknown> = {
  // A realistic hello takes remote upgrades as a JS build, so a rollout asks the node for `agent.upgrade`;
  // the one in ten left as generated covers the nodes that cannot (skipped by the rollout).
  hello: (value) => ({
    ...(value as object),
    protocolVersion: PROTOCOL_VERSION,
    build: { kind: 'js', arch: process.arch },
    upgrades: { enabled: true, releaseKey: null, allowDowngrade: false },
  }),
  'operations.watch': (value, input, seed) => {
    const operationId = (input as { operationId?: unknown })?.operationId;
    const event = value as { at: number };
    return seed % 2 === 0 ? { ...event, operationId } : { operationId, at: event.at, type: 'succeeded', result: { image: 'fuzz', imageId: 'sha256:fuzz' } };
  },
};

const WEIGHTS: Record<Temper, Record<AnswerKind, number>> = {
  calm: { valid: 96, mutated: 2, 'broken-encoding': 1, error: 1, 'malformed-error': 0, 'stream-frame': 0, close: 0 },
  wild: { valid: 40, mutated: 30, 'broken-encoding': 10, error: 10, 'malformed-error': 6, 'stream-frame': 2, close: 2 },
};

const weighted = <T>(weights: Record<string, number>, make: (key: string) => fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof(...Object.entries(weights).filter(([, weight]) => weight > 0).map(([key, weight]) => ({ weight, arbitrary: make(key) })));

/**
 * Answers for every procedure of the contract, derived from `contractJsonSchema()`'s
 * `procedures` map: valid values generated from each procedure's JSON Schema, then mutated,
 * wrapped in broken encodings, replaced by errors, or answered with frames that belong to
 * another kind of procedure; decoys addressed to other ids; streams of items with right,
 * wrong, missing and overlong event ids. A procedure added to the table is answered
 * without a line here.
 */
export class ContractAnswers {
  readonly procedures = new Map<string, ProcedureAnswers>();
  private readonly valid = new Map<string, fc.Arbitrary<unknown>>();
  private readonly recipes = new Map<string, fc.Arbitrary<AnswerRecipe>>();
  private readonly wireError: fc.Arbitrary<(path: string) => unknown>;
  private readonly options: ContractAnswersOptions;

  constructor(options: ContractAnswersOptions) {
    this.options = options;
    const root = contractJsonSchema() as { procedures: Record<string, { kind: ProcedureAnswers['kind']; output?: object; item?: object; tracked?: boolean }> };
    const table = flattenContract(agentContract);
    // Strings that name what the server knows, now and then: random ones would never match a record.
    const strings = (generated: fc.Arbitrary<string>, node: JsonSchema) => {
      const open = typeof node === 'object' && node['pattern'] === undefined && node['format'] === undefined;
      const known = fc.nat().map((pick) => options.known()[pick % Math.max(1, options.known().length)] ?? 'nothing-known');
      return open ? fc.oneof({ weight: 3, arbitrary: generated }, { weight: 1, arbitrary: known }) : generated;
    };
    for (const [path, entry] of Object.entries(root.procedures)) {
      const procedure = table.get(path);
      if (!procedure) throw new TypeError(`contractJsonSchema lists ${path}, which the contract table lacks`);
      const schema = procedure.kind === 'subscription' ? procedure.item : procedure.output;
      this.procedures.set(path, { path, kind: entry.kind, tracked: entry.tracked ?? false, schema });
      const generated = arbitraryFromJsonSchema({ ...root, ...(entry.output ?? entry.item) } as JsonSchema, { strings, maxItems: 3 });
      // JSON Schema cannot say "no value" (`z.void()`): what it leaves open and the contract refuses is sent as the contract wants it.
      this.valid.set(
        path,
        generated.map((value) => (schema.safeParse(value).success || !schema.safeParse(undefined).success ? value : undefined)),
      );
    }
    const lormas = arbitraryFromJsonSchema({ ...root, $ref: '#/$defs/AgentErrorData' } as JsonSchema, { maxItems: 2 });
    this.wireError = fc
      .record({ rpc: fc.constantFrom(...Object.entries(RpcCode)), lormas, text: fc.string({ maxLength: 40 }) })
      .map(({ rpc: [name, { number, httpStatus }], lormas, text }) => (path: string) => ({
        code: number,
        message: `${FAKE_AGENT_ERROR_MARKER}: ${text}`,
        data: { code: name, httpStatus, path, lormas },
      }));
  }

  /** The answer to `request`, the same for the same seed (given the same ids known). */
  answer(request: ServerRequest, seed: number, temper: Temper, forced?: AnswerKind): Answer {
    const key = `${request.path}|${temper}|${forced ?? ''}`;
    let recipes = this.recipes.get(key);
    if (!recipes) this.recipes.set(key, (recipes = this.recipe(request.path, temper, forced)));
    const [recipe] = fc.sample(recipes, { seed, numRuns: 1 });
    return this.realize(request, recipe!, seed);
  }

  private recipe(path: string, temper: Temper, forced: AnswerKind | undefined): fc.Arbitrary<AnswerRecipe> {
    const procedure = this.procedures.get(path);
    const valid = this.valid.get(path) ?? fc.jsonValue({ maxDepth: 2 });
    const value = (treatment: Treatment): fc.Arbitrary<ValueRecipe> => fc.record({ value: valid, treatment: fc.constant(treatment), seed: fc.integer() });
    const error = (treatment: Treatment): fc.Arbitrary<PartRecipe> => fc.record({ kind: fc.constant('error' as const), error: fc.record({ value: this.wireError.map((make) => make(path)), treatment: fc.constant(treatment), seed: fc.integer() }) });
    const kind = forced ? fc.constant(forced) : weighted(WEIGHTS[temper], (name) => fc.constant(name as AnswerKind));
    const decoy: fc.Arbitrary<{ to: Address; part: PartRecipe }> = fc.record({
      to: fc.constantFrom<Address>('unknown', 'reused', 'null', 'string', 'live'),
      part: fc.oneof(
        fc.record({ kind: fc.constant('result' as const), data: fc.oneof(value('valid'), value('mutated')) }),
        error('valid'),
        fc.constantFrom<PartRecipe>({ kind: 'started' }, { kind: 'stopped' }, { kind: 'reconnect' }),
      ),
    });
    const decoys = temper === 'wild' ? fc.array(decoy, { maxLength: 2 }) : fc.constant([]);
    const delayMs = fc.constantFrom(0, 0, 0, 2, 10);
    const self = (part: PartRecipe) => ({ to: 'self' as const, part });

    if (procedure?.kind !== 'subscription') {
      const main = kind.chain((k): fc.Arbitrary<[AnswerKind, PartRecipe]> => {
        const tag = <P extends PartRecipe>(arbitrary: fc.Arbitrary<P>) => arbitrary.map((part): [AnswerKind, PartRecipe] => [k, part]);
        switch (k) {
          case 'valid':
          case 'mutated':
          case 'broken-encoding':
            return tag(fc.record({ kind: fc.constant('result' as const), data: value(k === 'broken-encoding' ? 'broken' : k) }));
          case 'error':
            return tag(error('valid'));
          case 'malformed-error':
            return tag(fc.oneof(error('mutated'), error('broken')));
          case 'stream-frame':
            return tag(fc.constantFrom<PartRecipe>({ kind: 'started' }, { kind: 'stopped' }, { kind: 'reconnect' }));
          case 'close':
            return tag(fc.constant<PartRecipe>({ kind: 'close' }));
        }
      });
      return fc
        .record({ main, decoys, twice: temper === 'wild' ? fc.boolean() : fc.constant(false), delayMs })
        .map(({ main: [k, part], decoys, twice, delayMs }) => ({ kind: k, delayMs, parts: [...decoys, self(part), ...(twice ? [self(part)] : [])] }));
    }

    const treatments: Record<Treatment, number> = temper === 'calm' ? { valid: 20, mutated: 1, broken: 0 } : { valid: 5, mutated: 4, broken: 1 };
    const eventIds: Record<EventIdChoice, number> = temper === 'calm' ? { match: 1, mismatch: 0, missing: 0, overlong: 0 } : { match: 12, mismatch: 2, missing: 2, overlong: 1 };
    const item = (first?: Treatment): fc.Arbitrary<PartRecipe> =>
      fc.record({
        kind: fc.constant('item' as const),
        data: first ? value(first) : weighted(treatments, (t) => value(t as Treatment)),
        eventId: first ? fc.constant<EventIdChoice>('match') : weighted(eventIds, (choice) => fc.constant(choice as EventIdChoice)),
      });
    const ends: Record<string, number> = temper === 'calm' ? { open: 6, stopped: 4 } : { open: 60, stopped: 4, error: 2, 'malformed-error': 2, close: 1 };
    // The kind decides the first item, or how the stream ends; the rest is as drawn.
    const lead = (k: AnswerKind): fc.Arbitrary<PartRecipe | null> =>
      k === 'mutated' ? item('mutated') : k === 'broken-encoding' ? item('broken') : k === 'valid' || k === 'stream-frame' ? item('valid') : fc.constant(null);
    const closing = (k: AnswerKind, end: string): fc.Arbitrary<PartRecipe | null> =>
      k === 'error' || end === 'error'
        ? error('valid')
        : k === 'malformed-error' || end === 'malformed-error'
          ? fc.oneof(error('mutated'), error('broken'))
          : fc.constant(k === 'close' || end === 'close' ? { kind: 'close' } : end === 'stopped' ? { kind: 'stopped' } : null);
    const started = temper === 'calm' ? fc.constant(true) : fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });
    return fc.tuple(kind, weighted(ends, (end) => fc.constant(end))).chain(([k, end]) =>
      fc.record({ started, lead: lead(k), items: fc.array(item(), { maxLength: 3 }), closing: closing(k, end), decoys, delayMs }).map(({ started, lead, items, closing, decoys, delayMs }) => {
        const parts: PartRecipe[] = [...(started ? [{ kind: 'started' } as const] : []), ...(lead ? [lead] : []), ...items, ...(closing ? [closing] : [])];
        return { kind: k, delayMs, parts: [...decoys, ...parts.map(self)] };
      }),
    );
  }

  private realize(request: ServerRequest, recipe: AnswerRecipe, seed: number): Answer {
    const procedure = this.procedures.get(request.path);
    const pin = REALISM[request.path];
    let event = 0;
    // Results and items only, never errors: nine in ten (by the value's seed) made as the server needs them.
    const encode = (recipe: ValueRecipe, envelope?: (value: unknown) => unknown, realistic = true): EncodedValue => {
      const pinned = realistic && pin && recipe.treatment !== 'broken' && recipe.seed % 10 !== 0 ? pin(recipe.value, request.input, Math.floor(recipe.seed / 10)) : recipe.value;
      const value = envelope ? envelope(pinned) : pinned;
      if (recipe.treatment === 'valid') return validEncoding(value);
      const arbitrary = recipe.treatment === 'mutated' ? mutatedEncoding(value, this.options) : brokenEncoding(value);
      return fc.sample(arbitrary, { seed: recipe.seed, numRuns: 1 })[0]!;
    };
    const part = (recipe: PartRecipe): AnswerPart => {
      switch (recipe.kind) {
        case 'result':
          return { kind: 'result', data: encode(recipe.data) };
        case 'error':
          return { kind: 'error', error: encode(recipe.error, undefined, false) };
        case 'item': {
          const id = `ev-${seed >>> 0}-${event++}`;
          if (!procedure?.tracked) return { kind: 'item', eventId: undefined, data: encode(recipe.data) };
          const data = encode(recipe.data, (value) => ({ id: recipe.eventId === 'mismatch' ? `${id}-other` : id, data: value }));
          const eventId = recipe.eventId === 'missing' ? undefined : recipe.eventId === 'overlong' ? `${id}-${'x'.repeat(300)}` : id;
          return { kind: 'item', eventId, data };
        }
        default:
          return { kind: recipe.kind };
      }
    };
    return { kind: recipe.kind, delayMs: recipe.delayMs, parts: recipe.parts.map(({ to, part: p }) => ({ to, part: part(p) })) };
  }
}

import { isDeepStrictEqual } from 'node:util';
import { checkFuzz, type FuzzSettings } from '@lormas/testkit';
import fc from 'fast-check';
import type * as z from 'zod';

/**
 * Changes of a valid value for the tests of the exact-form checks (`isExactHeartbeat`,
 * `isExactItemFrame`): a value replaced by one of the test's edges (values at and past the
 * schema's bounds, and of every other kind), a key deleted or added (`__proto__` too, as
 * `JSON.parse` makes it), the keys of an object put in the reverse order.
 */
interface Change {
  kind: 'replace' | 'delete' | 'add' | 'reverse';
  at: number;
  edge: number;
  key: number;
}

/** Up to three changes; `replace` the most likely. */
const exactFormChanges: fc.Arbitrary<Change[]> = fc.array(
  fc.record({ kind: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'add', 'reverse'), at: fc.nat(), edge: fc.nat(), key: fc.nat() }) as fc.Arbitrary<Change>,
  { maxLength: 3 },
);

/** Values any check must tell apart, besides each schema's own bounds. */
export const COMMON_EDGES: unknown[] = [0, -0, 1, -1, 0.5, 1.5, NaN, Infinity, -Infinity, '', 'x', true, false, null, undefined, [], [1], {}, Object.create(null), new Date(0), 10n];

const EXTRA_KEYS = ['unexpected', '__proto__', 'constructor', 'prototype', '0', 'id', 'data', 'seq', 'up', 'version'];

type Path = string[];

/** Paths to every value inside plain objects, the root first. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  const out: Path[] = [path];
  if (value && typeof value === 'object' && !Array.isArray(value)) for (const key of Object.keys(value)) out.push(...pathsOf((value as Record<string, unknown>)[key], [...path, key]));
  return out;
}

const objectAt = (value: unknown, path: Path) => path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value) as Record<string, unknown>;

/** Sets an own, enumerable property, even `__proto__`, as `JSON.parse` does. */
const defineKey = (object: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });

/** An edge of its own for each use, so a later change never alters the list of edges; a null prototype kept. */
const copyOf = (edge: unknown): unknown =>
  typeof edge === 'object' && edge !== null ? (Object.getPrototypeOf(edge) === null ? Object.assign(Object.create(null) as object, edge) : structuredClone(edge)) : edge;

/** A copy of `value` with `list` applied, edges taken from `edges`. */
function changed(value: unknown, list: Change[], edges: readonly unknown[]): unknown {
  let out = structuredClone(value);
  for (const change of list) {
    const paths = pathsOf(out);
    const path = paths[change.at % paths.length]!;
    if (change.kind === 'replace') {
      const edge = copyOf(edges[change.edge % edges.length]);
      if (path.length === 0) out = edge;
      else objectAt(out, path.slice(0, -1))[path.at(-1)!] = edge;
      continue;
    }
    const target = objectAt(out, path);
    if (!target || typeof target !== 'object' || Array.isArray(target) || Object.getPrototypeOf(target) !== Object.prototype) continue;
    const keys = Object.keys(target);
    if (change.kind === 'delete' && keys.length > 0) delete target[keys[change.key % keys.length]!];
    if (change.kind === 'add') defineKey(target, EXTRA_KEYS[change.key % EXTRA_KEYS.length]!, copyOf(edges[change.edge % edges.length]));
    if (change.kind === 'reverse') {
      const entries = Object.entries(target).reverse();
      for (const key of keys) delete target[key];
      for (const [key, item] of entries) defineKey(target, key, item);
    }
  }
  return out;
}

/** `value` as JSON text, keys in their order (a BigInt as its digits). */
const jsonText = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? 'null';

/** `value` as `JSON.parse` gives it back. */
const throughJson = (value: unknown): unknown => JSON.parse(jsonText(value));

/** Whether serialized JSON holds a surrogate pair: a string the checks measure in UTF-16 units, zod in code points. */
export const hasSurrogatePair = (text: string) => /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text);

export interface ExactFormCheck<T> {
  /** Values of the schema, before the changes. */
  values: fc.Arbitrary<unknown>;
  edges: readonly unknown[];
  schema: z.ZodType<T>;
  isExact(value: unknown): boolean;
  /** Whether the check must take this output of the schema once it has crossed the wire. */
  mustTake(output: T): boolean;
  settings: FuzzSettings;
}

/**
 * Holds an exact-form check to its schema, on changed values as they are and as `JSON.parse`
 * gives them back: what the check takes, the schema accepts and gives back equal, keys in the
 * same order; what the schema accepts, the check takes once it has crossed the wire (where
 * `mustTake` says so). Fails unless both sides were seen in at least a twentieth of the runs.
 */
export async function checkExactForm<T>({ values, edges, schema, isExact, mustTake, settings }: ExactFormCheck<T>): Promise<void> {
  let taken = 0;
  let leftToSchema = 0;
  await checkFuzz(
    fc.property(values, exactFormChanges, fc.boolean(), (generated, list, parsedBack) => {
      const value = parsedBack ? throughJson(changed(generated, list, edges)) : changed(generated, list, edges);
      const parsed = schema.safeParse(value);
      if (isExact(value)) {
        taken++;
        return parsed.success && isDeepStrictEqual(parsed.data, value) && jsonText(parsed.data) === jsonText(value);
      }
      leftToSchema++;
      return !parsed.success || !mustTake(parsed.data) || isExact(throughJson(parsed.data));
    }),
    settings,
  );
  if (taken < settings.numRuns / 20 || leftToSchema < settings.numRuns / 20) throw new Error(`one side was hardly seen: taken ${taken}, left to the schema ${leftToSchema}`);
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { arbitraryFromJsonSchema, checkFuzz, describeFuzz, fuzzSettings, type JsonSchema } from '@lormas/testkit';
import fc from 'fast-check';
import { contractJsonSchema } from '../jsonSchema.js';
import { sampleHeartbeat } from '../testing/sampleHeartbeat.js';
import { Heartbeat } from './heartbeat.js';
import { isExactHeartbeat } from './isExactHeartbeat.js';
import { Limit, MAX_EPOCH_MS } from './limits.js';

const settings = fuzzSettings({ quick: 3_000, long: 100_000 });

const root = contractJsonSchema();
/** Heartbeats the contract allows, as a server in another language would read the contract. */
const heartbeats = arbitraryFromJsonSchema({ ...root, $ref: '#/$defs/Heartbeat' } as JsonSchema, { maxStringLength: 12 });

/** Values at and just past every bound of the schema, and of every other kind. */
const EDGES: unknown[] = [
  0, -0, 1, -1, 0.5, 1.5, 100, 100.000_001, 1_000_000, 1_000_001, 1_000_000.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2,
  MAX_EPOCH_MS, MAX_EPOCH_MS + 1, Number.MIN_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, 1e308,
  '', 'x', 'x'.repeat(Limit.shortChars), 'x'.repeat(Limit.shortChars + 1), 'x'.repeat(Limit.nameChars), 'x'.repeat(Limit.nameChars + 1),
  'x'.repeat(Limit.pathChars), 'x'.repeat(Limit.pathChars + 1), '\u{1F4A5}'.repeat(Limit.shortChars / 2), '\u{1F4A5}'.repeat(Limit.shortChars / 2 + 1),
  true, false, null, undefined, [], [1], {}, { up: true }, Object.create(null), new Date(0), 10n,
];
const EXTRA_KEYS = ['unexpected', '__proto__', 'constructor', 'prototype', '0', 'seq', 'up', 'version'];

const SURROGATE_PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/;

type Path = string[];

/** Paths to every value of a heartbeat, the root first. */
function pathsOf(value: unknown, path: Path = []): Path[] {
  const out: Path[] = [path];
  if (value && typeof value === 'object' && !Array.isArray(value)) for (const key of Object.keys(value)) out.push(...pathsOf((value as Record<string, unknown>)[key], [...path, key]));
  return out;
}

const objectAt = (value: unknown, path: Path) => path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value) as Record<string, unknown>;

/** Sets an own, enumerable property, even `__proto__`, as `JSON.parse` does. */
const defineKey = (object: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });

/** One change of a heartbeat: a value replaced by an edge, a key deleted or added, keys reordered. */
type Change = { kind: 'replace' | 'delete' | 'add' | 'reverse'; at: number; edge: number; key: number };
const changes = fc.array(
  fc.record({ kind: fc.constantFrom('replace', 'replace', 'replace', 'delete', 'add', 'reverse'), at: fc.nat(), edge: fc.nat(), key: fc.nat() }) as fc.Arbitrary<Change>,
  { maxLength: 3 },
);

function changed(value: unknown, list: Change[]): unknown {
  let out = structuredClone(value);
  for (const change of list) {
    const paths = pathsOf(out);
    const path = paths[change.at % paths.length]!;
    if (change.kind === 'replace') {
      const edge = EDGES[change.edge % EDGES.length];
      if (path.length === 0) out = edge;
      else objectAt(out, path.slice(0, -1))[path.at(-1)!] = edge;
      continue;
    }
    const target = objectAt(out, path);
    if (!target || typeof target !== 'object' || Array.isArray(target) || Object.getPrototypeOf(target) !== Object.prototype) continue;
    const keys = Object.keys(target);
    if (change.kind === 'delete' && keys.length > 0) delete target[keys[change.key % keys.length]!];
    if (change.kind === 'add') defineKey(target, EXTRA_KEYS[change.key % EXTRA_KEYS.length]!, EDGES[change.edge % EDGES.length]);
    if (change.kind === 'reverse') {
      const entries = Object.entries(target).reverse();
      for (const key of keys) delete target[key];
      for (const [key, item] of entries) defineKey(target, key, item);
    }
  }
  return out;
}

describe('isExactHeartbeat', () => {
  it('takes a heartbeat of the real agent as it arrives', () => {
    assert.equal(isExactHeartbeat(JSON.parse(JSON.stringify(Heartbeat.parse(sampleHeartbeat({ seq: 1 }))))), true);
    assert.equal(isExactHeartbeat(JSON.parse(JSON.stringify(Heartbeat.parse(sampleHeartbeat({ seq: 1, engine: { up: false, error: 'down' } }))))), true);
    assert.equal(isExactHeartbeat(JSON.parse(JSON.stringify(Heartbeat.parse(sampleHeartbeat({ seq: 1, engine: { up: false } }))))), true);
  });

  it('leaves to the schema a heartbeat whose keys the schema would strip or reorder', () => {
    const beat = JSON.parse(JSON.stringify(sampleHeartbeat({ seq: 1 }))) as Record<string, unknown>;
    assert.equal(isExactHeartbeat({ ...beat, extra: 1 }), false);
    assert.equal(isExactHeartbeat(JSON.parse(`{"__proto__":{},${JSON.stringify(beat).slice(1)}`)), false);
    const { seq, ...rest } = beat;
    assert.equal(isExactHeartbeat({ ...rest, seq }), false);
    assert.equal(isExactHeartbeat({ ...beat, engine: { version: '1', up: true } }), false);
    assert.equal(isExactHeartbeat({ ...beat, engine: { up: true, version: undefined } }), false);
  });

  it(`accepts only what the schema accepts and gives back unchanged, and every heartbeat the schema gives back (${describeFuzz(settings)})`, async () => {
    let taken = 0;
    let leftToSchema = 0;
    await checkFuzz(
      fc.property(heartbeats, changes, fc.boolean(), (generated, list, throughJson) => {
        const changedValue = changed(generated, list);
        // What the server sees is what `JSON.parse` makes; the check is held to the schema on other values too.
        const value = throughJson ? (JSON.parse(JSON.stringify(changedValue, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ?? 'null') as unknown) : changedValue;
        const parsed = Heartbeat.safeParse(value);
        if (isExactHeartbeat(value)) {
          taken++;
          // Same values, same keys in the same order: the server may keep the value as it is.
          return parsed.success && isDeepStrictEqual(parsed.data, value) && JSON.stringify(parsed.data) === JSON.stringify(value);
        }
        leftToSchema++;
        // Whatever the schema accepts, it gives back in a form the check takes once it has crossed
        // the wire; but for strings of surrogate pairs, which the check measures in UTF-16 units
        // (never shorter than the code points zod counts) and may leave to the schema.
        if (!parsed.success) return true;
        const text = JSON.stringify(parsed.data);
        return SURROGATE_PAIR.test(text) || isExactHeartbeat(JSON.parse(text));
      }),
      settings,
    );
    // Both branches ran: the property held something to account on either side.
    assert.ok(taken > settings.numRuns / 20 && leftToSchema > settings.numRuns / 20, `taken ${taken}, left to the schema ${leftToSchema}`);
  });
});

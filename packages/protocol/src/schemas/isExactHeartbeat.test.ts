import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arbitraryFromJsonSchema, describeFuzz, fuzzSettings, type JsonSchema } from '@lormas/testkit';
import { checkExactForm, COMMON_EDGES, hasSurrogatePair } from '../../test/support/exactFormChanges.js';
import { contractJsonSchema } from '../jsonSchema.js';
import { sampleHeartbeat } from '../testing/sampleHeartbeat.js';
import { Heartbeat } from './heartbeat.js';
import { isExactHeartbeat } from './isExactHeartbeat.js';
import { Limit, MAX_EPOCH_MS } from './limits.js';

const settings = fuzzSettings({ quick: 3_000, long: 100_000 });

const root = contractJsonSchema();
/** Heartbeats the contract allows, as a server in another language would read the contract. */
const heartbeats = arbitraryFromJsonSchema({ ...root, $ref: '#/$defs/Heartbeat' } as JsonSchema, { maxStringLength: 12 });

/** Values at and just past every bound of the schema. */
const EDGES: unknown[] = [
  ...COMMON_EDGES,
  100, 100.000_001, 1_000_000, 1_000_001, 1_000_000.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2,
  MAX_EPOCH_MS, MAX_EPOCH_MS + 1, Number.MIN_VALUE, Number.EPSILON, 1e308,
  'x'.repeat(Limit.shortChars), 'x'.repeat(Limit.shortChars + 1), 'x'.repeat(Limit.nameChars), 'x'.repeat(Limit.nameChars + 1),
  'x'.repeat(Limit.pathChars), 'x'.repeat(Limit.pathChars + 1), '\u{1F4A5}'.repeat(Limit.shortChars / 2), '\u{1F4A5}'.repeat(Limit.shortChars / 2 + 1),
  { up: true },
];

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
    await checkExactForm({
      values: heartbeats,
      edges: EDGES,
      schema: Heartbeat,
      isExact: isExactHeartbeat,
      // Strings of surrogate pairs the check measures in UTF-16 units (never shorter than the code points zod counts): it may leave them to the schema.
      mustTake: (output) => !hasSurrogatePair(JSON.stringify(output)),
      settings,
    });
  });
});

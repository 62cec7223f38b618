import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { JSON_MUTATIONS, mutatedJson } from './mutatedJson.js';

const Strict = z.strictObject({
  name: z.string().max(100),
  count: z.number().int(),
  tags: z.array(z.string().max(10)).max(10),
  inner: z.strictObject({ flag: z.boolean() }),
});
const valid = fc.record({
  name: fc.string({ maxLength: 20 }),
  count: fc.integer(),
  tags: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  inner: fc.record({ flag: fc.boolean() }),
});

/** Whether a receiver that decodes strict UTF-8, parses JSON and then the schema refuses the bytes. */
function refused(bytes: Buffer): boolean {
  try {
    return !Strict.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))).success;
  } catch {
    return true;
  }
}

describe('mutatedJson', () => {
  const small = { hugeLengths: [200], nestingDepths: [50] };

  it('breaks every valid value so that a strict schema of bounded fields refuses it', () => {
    fc.assert(
      fc.property(mutatedJson(valid, small), ({ mutation, bytes }) => {
        assert.ok(refused(bytes), `${mutation} was accepted: ${bytes.toString()}`);
      }),
      { numRuns: 500, seed: 5 },
    );
  });

  it('uses every mutation', () => {
    const seen = new Set(fc.sample(mutatedJson(valid, small), { numRuns: 500, seed: 6 }).map((mutated) => mutated.mutation));
    assert.deepEqual([...seen].sort(), [...JSON_MUTATIONS].sort());
  });

  it('writes a __proto__ key as an own key of the JSON text, as JSON.parse reads it', () => {
    const [mutated] = fc.sample(mutatedJson(fc.constant({ a: 1 })).filter((m) => m.mutation === 'proto-key'), { numRuns: 1, seed: 7 });
    const parsed = JSON.parse(mutated!.bytes.toString());
    assert.ok(Object.hasOwn(parsed, '__proto__'));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  it('builds huge and deep values of the chosen size', () => {
    const sizes = fc.sample(mutatedJson(fc.constant({ a: 'x' }), { hugeLengths: [300_000], nestingDepths: [100_000] }).filter((m) => m.mutation === 'huge-string' || m.mutation === 'deep-nesting'), { numRuns: 20, seed: 8 });
    for (const { bytes } of sizes) assert.ok(bytes.length >= 200_000, `only ${bytes.length} bytes`);
  });
});

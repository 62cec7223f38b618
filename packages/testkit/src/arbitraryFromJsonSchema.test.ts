import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { arbitraryFromJsonSchema, type JsonSchema } from './arbitraryFromJsonSchema.js';

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** The share of generated values that the zod schema itself accepts, after a JSON round trip. */
function validShare(schema: z.ZodType, runs = 300): number {
  const values = fc.sample(arbitraryFromJsonSchema(jsonSchema(schema)), { numRuns: runs, seed: 1 });
  return values.filter((value) => schema.safeParse(JSON.parse(JSON.stringify(value))).success).length / runs;
}

describe('arbitraryFromJsonSchema', () => {
  it('generates only values a strict schema of bounded fields accepts', () => {
    const schema = z.strictObject({
      name: z.string().min(1).max(16),
      count: z.number().int().min(0).max(10),
      ratio: z.number().gt(0).lt(1),
      kind: z.enum(['a', 'b']),
      tags: z.array(z.string().regex(/^[a-z]{1,4}$/)).max(3),
      flag: z.boolean().optional(),
      note: z.string().nullable(),
      pair: z.tuple([z.literal('x'), z.number()]),
    });
    assert.equal(validShare(schema), 1);
  });

  it('generates unions, maps with key patterns and nested strict objects', () => {
    const schema = z.strictObject({
      mount: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('volume'), source: z.string().min(1) }), z.strictObject({ type: z.literal('tmpfs'), sizeBytes: z.number().int().positive() })]),
      env: z.record(z.string().regex(/^[A-Z_]+$/), z.string()),
      when: z.union([z.number(), z.iso.datetime({ offset: true })]),
    });
    assert.equal(validShare(schema), 1);
  });

  it('makes strings of a repeated character class as long as the schema needs, not only as long as the pattern alone would', () => {
    const schema = z.strictObject({
      code: z.string().min(22).max(256).regex(/^[A-Za-z0-9_-]+$/),
      name: z.string().min(30).max(40).regex(/^[a-z][a-z0-9.-]*$/),
      signature: z.string().regex(/^[A-Za-z0-9+/]{86}==$/),
    });
    assert.equal(validShare(schema), 1);
  });

  it('follows $ref through definitions, ending recursive schemas', () => {
    const Tree: z.ZodType<{ label: string; children?: unknown[] }> = z.lazy(() => z.strictObject({ label: z.string(), children: z.array(Tree).optional() }));
    assert.equal(validShare(Tree, 100), 1);
  });

  it('leaves each optional property out as often as optionalChance says', () => {
    const schema = jsonSchema(z.strictObject({ always: z.literal(1), sometimes: z.literal(2).optional() }));
    const share = (chance: number) => fc.sample(arbitraryFromJsonSchema(schema, { optionalChance: chance }), { numRuns: 400, seed: 9 }).filter((value) => 'sometimes' in (value as object)).length / 400;
    assert.equal(share(0), 0);
    assert.equal(share(1), 1);
    assert.ok(Math.abs(share(0.25) - 0.25) < 0.08, String(share(0.25)));
  });

  it('generates every option of an enum and both sides of a union', () => {
    const values = fc.sample(arbitraryFromJsonSchema(jsonSchema(z.union([z.enum(['one', 'two', 'three']), z.null()]))), { numRuns: 200, seed: 2 });
    assert.deepEqual(new Set(values), new Set(['one', 'two', 'three', null]));
  });
});

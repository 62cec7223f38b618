import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { contractJsonSchema, wireSchemas } from './jsonSchema.js';

describe('contractJsonSchema', () => {
  it('defines every wire schema', () => {
    const defs = contractJsonSchema()['$defs'] as Record<string, { type?: string }>;
    for (const name of Object.keys(wireSchemas)) assert.ok(defs[name], name);
  });

  it('keeps spec objects closed, as the agent parses them', () => {
    const defs = contractJsonSchema()['$defs'] as Record<string, { additionalProperties?: unknown }>;
    assert.equal(defs['ContainerSpec']!.additionalProperties, false);
  });

  it('matches the committed schema/protocol.schema.json (run `pnpm --filter @lormas/protocol schema` after changing a schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/protocol.schema.json', import.meta.url), 'utf8'));
    assert.deepEqual(committed, contractJsonSchema());
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractJsonSchema } from '../jsonSchema.js';

type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; additionalProperties?: unknown; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[] };

/** Every object schema reachable from `schema`, with the path that reaches it. */
function objectsOf(schema: Schema, defs: Record<string, Schema>, path: string, seen = new Set<Schema>()): [string, Schema][] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  if (schema.$ref) return objectsOf(defs[schema.$ref.replace('#/$defs/', '')]!, defs, path, seen);
  const found: [string, Schema][] = schema.type === 'object' || schema.properties ? [[path, schema]] : [];
  for (const [key, value] of Object.entries(schema.properties ?? {})) found.push(...objectsOf(value, defs, `${path}.${key}`, seen));
  if (schema.items) found.push(...objectsOf(schema.items, defs, `${path}[]`, seen));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) found.push(...objectsOf(branch, defs, path, seen));
  return found;
}

describe('the inputs of the contract', () => {
  it('are strict everywhere: every object of every input refuses fields it does not know', () => {
    const schema = contractJsonSchema();
    const defs = schema['$defs'] as Record<string, Schema>;
    const procedures = schema['procedures'] as Record<string, { input?: Schema }>;
    const open: string[] = [];
    for (const [name, procedure] of Object.entries(procedures)) {
      if (!procedure.input) continue;
      for (const [path, object] of objectsOf(procedure.input, defs, name)) {
        // A record (`env`, `labels`) is a map of any keys to checked values, not an object with fields.
        const isRecord = object.properties === undefined && typeof object.additionalProperties === 'object';
        if (!isRecord && object.additionalProperties !== false) open.push(path);
      }
    }
    assert.deepEqual(open, []);
  });
});

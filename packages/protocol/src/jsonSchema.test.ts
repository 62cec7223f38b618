import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { agentContract } from './contract/agentContract.js';
import { flattenContract } from './contract/procedure.js';
import { contractJsonSchema, wireSchemas } from './jsonSchema.js';
import { stubHandlers } from './testing/stubHandlers.js';

type Entry = { kind: string; since: string; input?: { $ref: string }; output?: { $ref: string }; item?: { $ref: string }; tracked?: boolean };

describe('contractJsonSchema', () => {
  const schema = contractJsonSchema();
  const defs = schema['$defs'] as Record<string, { additionalProperties?: unknown }>;
  const procedures = schema['procedures'] as Record<string, Entry>;

  it('defines every exported schema', () => {
    for (const name of Object.keys(wireSchemas())) assert.ok(defs[name], name);
  });

  it('maps every procedure of the contract, and nothing else, to its kind and its schemas', () => {
    const paths = [...flattenContract(agentContract).keys()];
    assert.deepEqual(Object.keys(procedures), paths);
    for (const [path, procedure] of flattenContract(agentContract)) {
      const entry = procedures[path]!;
      assert.equal(entry.kind, procedure.kind, path);
      assert.equal(!!entry.input, !!procedure.input, `${path} input`);
      if (procedure.kind === 'subscription') {
        assert.ok(entry.item && !entry.output, `${path} item`);
        assert.equal(entry.tracked, procedure.tracked, path);
      } else {
        assert.ok(entry.output && !entry.item, `${path} output`);
      }
    }
  });

  it('resolves every $ref of the procedures map, inline inputs and outputs included', () => {
    for (const [path, entry] of Object.entries(procedures)) {
      for (const ref of [entry.input, entry.output, entry.item]) {
        if (!ref) continue;
        const name = ref.$ref.replace('#/$defs/', '');
        assert.ok(defs[name], `${path}: ${ref.$ref}`);
      }
    }
    assert.equal(procedures['containers.inspect']!.input!.$ref, '#/$defs/InspectContainerInput');
    assert.equal(procedures['operations.get']!.input!.$ref, '#/$defs/GetOperationInput');
    assert.equal(procedures['archives.abort']!.input!.$ref, '#/$defs/AbortArchiveInput');
    assert.equal(procedures['containers.events']!.input!.$ref, '#/$defs/WatchEventsInput');
  });

  it('keeps inputs closed, as the agent parses them, and reported specs open', () => {
    assert.equal(defs['ContainerSpec']!.additionalProperties, false);
    assert.equal(defs['WatchEventsInput'] && JSON.stringify(defs['WatchEventsInput']).includes('"additionalProperties":false'), true);
    assert.notEqual(defs['ReportedContainerSpec']!.additionalProperties, false);
  });

  it('has a handler in the stub agent for every procedure, so a test agent serves the whole contract', () => {
    const handlers = stubHandlers({ nodeName: 'n' }) as unknown as Record<string, unknown>;
    for (const path of flattenContract(agentContract).keys()) {
      const handler = path.split('.').reduce<unknown>((node, name) => (node as Record<string, unknown> | undefined)?.[name], handlers);
      assert.equal(typeof handler, 'function', path);
    }
  });

  it('matches the committed schema/protocol.schema.json (run `pnpm --filter @lormas/protocol schema` after changing the contract)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/protocol.schema.json', import.meta.url), 'utf8'));
    assert.deepEqual(committed, schema);
  });
});

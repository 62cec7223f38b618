import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { agentContract } from '../contract/agentContract.js';
import { flattenContract } from '../contract/procedure.js';
import { wireSchemas } from '../jsonSchema.js';
import { ContainerSpec } from './containerSpec.js';
import { builtSchema, lazySchema } from './lazySchema.js';
import { LogChunk, LogEntry } from './logs.js';
import { CreateContainerInput } from './operation.js';

function counted() {
  let builds = 0;
  const schema = lazySchema(() => {
    builds += 1;
    return z.object({ name: z.string().max(8) });
  });
  return { schema, builds: () => builds };
}

describe('lazySchema', () => {
  it('builds nothing until the schema is first looked at, then builds it once', () => {
    const { schema, builds } = counted();
    assert.equal(builds(), 0);
    assert.deepEqual(schema.parse({ name: 'a' }), { name: 'a' });
    assert.equal(schema.safeParse({ name: 'too long a name' }).success, false);
    assert.ok(schema.shape.name instanceof z.ZodString);
    assert.equal(builds(), 1);
  });

  it('looks like the schema it stands for: instanceof, keys, extend, optional, embedding', () => {
    const { schema } = counted();
    assert.ok(schema instanceof z.ZodObject);
    assert.ok(schema instanceof z.ZodType);
    assert.deepEqual(Reflect.ownKeys(schema), Reflect.ownKeys(builtSchema(schema)));
    assert.deepEqual(Object.keys(schema), Object.keys(builtSchema(schema)));
    assert.deepEqual(schema.extend({ size: z.number() }).parse({ name: 'a', size: 1 }), { name: 'a', size: 1 });
    assert.equal(schema.optional().parse(undefined), undefined);
    assert.deepEqual(z.object({ inner: schema }).parse({ inner: { name: 'b' } }), { inner: { name: 'b' } });
    assert.throws(() => z.object({ inner: schema }).parse({ inner: { name: 1 } }), z.ZodError);
  });

  it('gives the same built schema every time, and passes a schema that is not a stand-in through', () => {
    const { schema } = counted();
    assert.equal(builtSchema(schema), builtSchema(schema));
    assert.notEqual(builtSchema(schema), schema);
    const plain = z.string();
    assert.equal(builtSchema(plain), plain);
  });
});

describe('the contract with lazy schemas', () => {
  it('gives every procedure the built schemas, the same objects the JSON Schema names and the schemas embed', () => {
    assert.equal(agentContract.containers.logs.item, builtSchema(LogChunk));
    assert.equal(agentContract.containers.logs.item.shape.entries.element, builtSchema(LogEntry));
    assert.equal(agentContract.containers.create.input.shape.spec, builtSchema(ContainerSpec));
    assert.equal(agentContract.containers.create.input, builtSchema(CreateContainerInput));
    assert.equal(wireSchemas()['LogChunk'], builtSchema(LogChunk));
    for (const [path, procedure] of flattenContract(agentContract)) {
      const schemas = [procedure.input, procedure.kind === 'subscription' ? procedure.item : procedure.output].filter((s) => s !== undefined);
      for (const schema of schemas) assert.equal(builtSchema(schema), schema, `${path}: a built schema`);
    }
  });
});

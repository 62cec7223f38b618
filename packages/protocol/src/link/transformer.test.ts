import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import superjson from 'superjson';
import { linkTransformer } from './transformer.js';

const roundTrip = (value: unknown) => linkTransformer.deserialize(JSON.parse(JSON.stringify(linkTransformer.serialize(value))));

describe('linkTransformer', () => {
  it('sends plain JSON as it is, with no meta and no copy on arrival', () => {
    const chunk = { entries: [{ stream: 'stdout', timestamp: '2026-11-27T12:00:00.000000001Z', line: 'hello' }], n: 1.5, ok: true, none: null };
    assert.deepEqual(linkTransformer.serialize(chunk), { json: chunk });
    assert.deepEqual(roundTrip(chunk), chunk);
    const payload = { json: chunk };
    assert.equal(linkTransformer.deserialize(payload), chunk);
  });

  it('hands anything JSON cannot carry to superjson, at any depth', () => {
    const cases: unknown[] = [
      new Date('2026-11-27T12:00:00Z'),
      { at: new Date('2026-11-27T12:00:00Z') },
      { missing: undefined },
      [1, undefined, 3],
      { deep: { deeper: [{ n: Number.NaN }] } },
      { inf: Number.POSITIVE_INFINITY },
      { zero: -0 },
      { big: 10n },
      new Map([['a', 1]]),
      { set: new Set([1, 2]) },
    ];
    for (const value of cases) {
      assert.ok(linkTransformer.serialize(value).meta, `meta for ${String(superjson.stringify(value))}`);
      assert.deepEqual(roundTrip(value), value);
    }
  });

  it('speaks superjson both ways, so either end may be plain superjson', () => {
    const values = [{ a: [1, 'x', null] }, { at: new Date(0), missing: undefined }];
    for (const value of values) {
      assert.deepEqual(superjson.deserialize(JSON.parse(JSON.stringify(linkTransformer.serialize(value)))), value);
      assert.deepEqual(linkTransformer.deserialize(JSON.parse(JSON.stringify(superjson.serialize(value)))), value);
    }
  });

  it('leaves a value too deep to check, or circular, to superjson', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    assert.ok(linkTransformer.serialize(circular).meta, 'meta for a circular value');
    const back = roundTrip(circular) as Record<string, unknown>;
    assert.equal(back.self, back);
  });

  it('leaves keys superjson guards against to superjson: refused on the way out, __proto__ dropped on arrival', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      assert.throws(() => linkTransformer.serialize(JSON.parse(`{"labels":{"${key}":{"polluted":true}}}`)), /prototype pollution/, key);
    }
    const arrived = linkTransformer.deserialize<{ labels: Record<string, unknown> }>({ json: JSON.parse('{"labels":{"__proto__":{"polluted":true}}}') });
    assert.equal(Object.hasOwn(arrived.labels, '__proto__'), false);
    assert.equal((Object.assign({}, arrived.labels) as { polluted?: boolean }).polluted, undefined);
  });
});

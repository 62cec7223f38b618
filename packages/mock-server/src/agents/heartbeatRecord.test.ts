import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contractJsonSchema, type Heartbeat } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { arbitraryFromJsonSchema, checkFuzz, describeFuzz, fuzzSettings, type JsonSchema } from '@lormas/testkit';
import fc from 'fast-check';
import { assignHeartbeat, heartbeatFigures, recordHeartbeat } from './heartbeatRecord.js';

const settings = fuzzSettings({ quick: 500, long: 50_000 });
/** Heartbeats the contract allows, every optional key present or not. */
const heartbeats = arbitraryFromJsonSchema({ ...contractJsonSchema(), $ref: '#/$defs/Heartbeat' } as JsonSchema, { maxStringLength: 8 }) as fc.Arbitrary<Heartbeat>;

const WRITTEN_OVER = ['cpu', 'memory', 'disk', 'containers', 'uptime'] as const;

describe('heartbeatRecord', () => {
  it('records a heartbeat in objects of its own, and writes the next one over them', () => {
    const first = sampleHeartbeat({ seq: 1 });
    const record = recordHeartbeat(first);
    assert.deepEqual(record, first);
    for (const key of WRITTEN_OVER) assert.notEqual(record[key], first[key], key);
    const objects = WRITTEN_OVER.map((key) => record[key]);
    const engine = record.engine;

    const second = sampleHeartbeat({ seq: 2, nodeName: 'renamed', cpu: { cores: 4, usagePercent: 99, loadAverage1m: 3 }, disk: { path: '/data', totalBytes: 9, usedBytes: 8 } });
    assignHeartbeat(record, second);
    assert.deepEqual(record, second);
    assert.deepEqual(
      WRITTEN_OVER.map((key) => record[key]),
      objects,
      'the same objects, written over',
    );
    assert.equal(record.engine, engine, 'an engine that did not change is kept as it was');
    assert.deepEqual(first, sampleHeartbeat({ seq: 1, at: first.at }), 'the heartbeat recorded first is untouched');
  });

  it('replaces the engine when it changes, never writes over it: a view may hold it', () => {
    const record = recordHeartbeat(sampleHeartbeat({ seq: 1, engine: { up: true, version: '28.2.2' } }));
    const up = record.engine;
    // The last two differ in a key's presence alone: `{ version: undefined }` is not `{}`.
    for (const engine of [{ up: false, error: 'connect ENOENT' }, { up: false }, { up: true, version: '28.2.2' }, { up: true }, { up: true, version: undefined }]) {
      const before = record.engine;
      assignHeartbeat(record, sampleHeartbeat({ seq: 2, engine }));
      assert.deepEqual(record.engine, engine);
      assert.notEqual(record.engine, before);
    }
    assert.deepEqual(up, { up: true, version: '28.2.2' });
  });

  it('gives figures that the next heartbeat does not change', () => {
    const record = recordHeartbeat(sampleHeartbeat({ seq: 1 }));
    const figures = heartbeatFigures(record);
    const copy = structuredClone(figures);
    assignHeartbeat(record, sampleHeartbeat({ seq: 2, cpu: { cores: 8, usagePercent: 50, loadAverage1m: 1 }, memory: { totalBytes: 1, usedBytes: 1 }, engine: { up: false } }));
    assert.deepEqual(figures, copy);
    assert.notDeepEqual(heartbeatFigures(record), copy);
  });

  it(`holds any heartbeat the contract allows exactly, after any other (${describeFuzz(settings)})`, async () => {
    await checkFuzz(
      fc.property(heartbeats, heartbeats, (first, second) => {
        const record = recordHeartbeat(first);
        assert.deepEqual(record, first);
        const figures = heartbeatFigures(record);
        const kept = structuredClone(figures);
        assignHeartbeat(record, second);
        assert.deepEqual(record, second);
        assert.deepEqual(figures, kept);
      }),
      settings,
    );
  });

  it("keeps the contract's keys of the engine only, whatever an object beside them carries", () => {
    // The hub's checks refuse these (issue-16-heartbeats-past-the-fast-path); the record must not depend on it.
    const hostile = JSON.parse('{"up":false,"error":"down","extra":"x","__proto__":{"polluted":true}}') as Heartbeat['engine'];
    const record = recordHeartbeat(sampleHeartbeat({ seq: 1, engine: hostile }));
    assert.deepEqual(Object.keys(record.engine), ['up', 'error']);
    assert.equal(Object.getPrototypeOf(record.engine), Object.prototype);
    assert.equal((record.engine as { polluted?: unknown }).polluted, undefined);
    assignHeartbeat(record, sampleHeartbeat({ seq: 2, engine: JSON.parse('{"up":true,"version":"27.0","extra":"y"}') as Heartbeat['engine'] }));
    assert.deepEqual(Object.keys(record.engine), ['up', 'version']);
  });
});

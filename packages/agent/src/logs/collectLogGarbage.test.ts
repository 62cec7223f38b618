import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countLogBytes, logGarbageCollector } from './collectLogGarbage.js';

describe('logGarbageCollector', () => {
  it('collects once each time the bytes read reach the threshold, counting across calls', () => {
    let collections = 0;
    const count = logGarbageCollector(() => collections++, { everyBytes: 100, now: () => 0 });
    count(60);
    assert.equal(collections, 0);
    count(40);
    assert.equal(collections, 1);
    count(99);
    assert.equal(collections, 1);
    count(250);
    assert.equal(collections, 2);
  });

  it('collects a slow flood once the interval has passed and enough has been read, and never a trickle', () => {
    let collections = 0;
    let now = 0;
    const count = logGarbageCollector(() => collections++, { everyBytes: 1_000, slowBytes: 100, maxIntervalMs: 2_000, now: () => now });
    now = 1_999;
    count(500);
    assert.equal(collections, 0, 'before the interval');
    now = 2_000;
    count(1);
    assert.equal(collections, 1, 'the interval passed with 501 bytes read');
    now = 10_000;
    count(99);
    assert.equal(collections, 1, 'a trickle under slowBytes, however long');
    count(1);
    assert.equal(collections, 2);
    now = 10_500;
    count(1_000);
    assert.equal(collections, 3, 'the bytes alone, within the interval');
  });

  it('does nothing where the runtime offers no collection (Node)', () => {
    assert.doesNotThrow(() => logGarbageCollector(undefined, { everyBytes: 1 })(10));
    assert.doesNotThrow(() => countLogBytes(64 * 1024 * 1024));
  });
});

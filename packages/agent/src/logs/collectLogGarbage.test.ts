import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countLogBytes, logGarbageCollector } from './collectLogGarbage.js';

describe('logGarbageCollector', () => {
  it('collects once each time the bytes read reach the threshold, counting across calls', () => {
    let collections = 0;
    const count = logGarbageCollector(() => collections++, 100);
    count(60);
    assert.equal(collections, 0);
    count(40);
    assert.equal(collections, 1);
    count(99);
    assert.equal(collections, 1);
    count(250);
    assert.equal(collections, 2);
  });

  it('does nothing where the runtime offers no collection (Node)', () => {
    assert.doesNotThrow(() => logGarbageCollector(undefined, 1)(10));
    assert.doesNotThrow(() => countLogBytes(64 * 1024 * 1024));
  });
});

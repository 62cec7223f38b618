import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const options = { baseDelayMs: 500, maxDelayMs: 30_000 };

  it('doubles the ceiling with each attempt', () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, options, () => 0.999999);
    assert.equal(ceiling(0), 499);
    assert.equal(ceiling(1), 999);
    assert.equal(ceiling(3), 3999);
  });

  it('never exceeds the cap, however many attempts', () => {
    assert.ok(backoffDelay(100, options, () => 0.999999) < 30_000);
  });

  it('spreads delays over the whole range (full jitter)', () => {
    assert.equal(backoffDelay(5, options, () => 0), 0);
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(6, options)));
    assert.ok(delays.size > 40);
  });
});

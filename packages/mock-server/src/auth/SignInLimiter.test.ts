import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignInLimiter } from './SignInLimiter.js';

describe('SignInLimiter', () => {
  it('refuses an address after maxFailures failures within the window, until the oldest leaves it', () => {
    let now = 0;
    const limiter = new SignInLimiter({ maxFailures: 3, windowMs: 1_000, now: () => now });
    for (const at of [0, 100, 200]) {
      now = at;
      assert.equal(limiter.retryAfterMs('a'), 0);
      limiter.failed('a');
    }
    assert.equal(limiter.retryAfterMs('a'), 800);
    assert.equal(limiter.retryAfterMs('b'), 0, 'other addresses are not held');
    now = 1_001;
    assert.equal(limiter.retryAfterMs('a'), 0);
  });

  it('forgets an address that signed in', () => {
    const limiter = new SignInLimiter({ maxFailures: 1, now: () => 0 });
    limiter.failed('a');
    assert.ok(limiter.retryAfterMs('a') > 0);
    limiter.succeeded('a');
    assert.equal(limiter.retryAfterMs('a'), 0);
  });

  it('tracks at most maxTrackedAddresses addresses, forgetting the longest quiet first', () => {
    const limiter = new SignInLimiter({ maxFailures: 1, maxTrackedAddresses: 2, now: () => 0 });
    limiter.failed('a');
    limiter.failed('b');
    limiter.failed('c');
    assert.equal(limiter.retryAfterMs('a'), 0);
    assert.ok(limiter.retryAfterMs('b') > 0 && limiter.retryAfterMs('c') > 0);
  });

  it('refuses a limit below one failure at construction', () => {
    assert.throws(() => new SignInLimiter({ maxFailures: 0 }), TypeError);
  });
});

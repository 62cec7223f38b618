import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_HTTP_LIMITS, httpLimits } from './HttpLimits.js';

describe('httpLimits', () => {
  it('fills in every default', () => {
    assert.deepEqual(httpLimits({}), DEFAULT_HTTP_LIMITS);
    assert.equal(httpLimits({ maxBodyBytes: 10 }).maxBodyBytes, 10);
  });

  it('refuses a limit that is not a positive whole number with a TypeError naming it', () => {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => httpLimits({ maxHeaderBytes: value }), (error: unknown) => error instanceof TypeError && /maxHeaderBytes/.test(error.message), String(value));
    }
  });

  it('refuses a headersTimeoutMs above requestTimeoutMs: Node would never apply it', () => {
    assert.throws(() => httpLimits({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }), /headersTimeoutMs \(5000\) must not exceed requestTimeoutMs \(1000\)/);
  });
});

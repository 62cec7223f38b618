import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../configError.js';
import { MAX_TIMER_MS } from './LaunchState.js';
import { parseHandoverUntil } from './parseHandoverUntil.js';

describe('parseHandoverUntil', () => {
  const now = 1_800_000_000_000;
  const refused = (text: string) =>
    assert.throws(
      () => parseHandoverUntil(text, now),
      (error: unknown) => error instanceof ConfigError && error.variable === 'LORMAS_HANDOVER_UNTIL',
      text,
    );

  it('is null when unset or empty: no handover', () => {
    assert.equal(parseHandoverUntil(undefined, now), null);
    assert.equal(parseHandoverUntil('', now), null);
  });

  it('reads epoch milliseconds up to the longest trial deadline ahead, and any time past', () => {
    assert.equal(parseHandoverUntil(String(now + 20_000), now), now + 20_000);
    assert.equal(parseHandoverUntil(String(now + MAX_TIMER_MS), now), now + MAX_TIMER_MS);
    assert.equal(parseHandoverUntil(String(now - 5_000), now), now - 5_000);
  });

  it('refuses a value that is not epoch milliseconds', () => {
    for (const text of ['soon', '1e15', '-1', '1.5', ' 1800000000000', '0x1A', 'Infinity', '1800000000000ms', '9'.repeat(400)]) refused(text);
  });

  it('refuses a time further ahead than a handover can last', () => {
    refused(String(now + MAX_TIMER_MS + 1));
    refused('9999999999999999');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../configError.js';
import { MAX_TIMER_MS } from './LaunchState.js';
import { parseHandoverUntil, parseLauncherFd } from './launcherVariables.js';

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

describe('parseLauncherFd', () => {
  it('is null when unset or empty: no launcher', () => {
    assert.equal(parseLauncherFd(undefined), null);
    assert.equal(parseLauncherFd(''), null);
  });

  it('reads the pipe the launcher passes', () => {
    assert.equal(parseLauncherFd('3'), 3);
    assert.equal(parseLauncherFd('17'), 17);
  });

  it('refuses the agent\'s own input and output, and anything not a whole number', () => {
    for (const text of ['0', '1', '2', 'three', '3.5', ' 3', '-3', '0x3', '1e1', '9'.repeat(12)]) {
      assert.throws(() => parseLauncherFd(text), (error: unknown) => error instanceof ConfigError && error.variable === 'LORMAS_LAUNCHER_FD', text);
    }
  });
});

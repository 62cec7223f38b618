import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFuzz, describeFuzz, fuzzSettings } from '@lormas/testkit';
import fc from 'fast-check';
import { isoTime } from './isoTime.js';

const settings = fuzzSettings({ quick: 20_000, long: 1_000_000 });

/** Times near one another (as a batch's are), at the edges of the four-digit years, and anything else. */
const times = fc.oneof(
  fc.integer({ min: 1_700_000_000_000, max: 1_700_000_004_000 }),
  fc.integer({ min: -62_167_219_202_000, max: -62_167_219_198_000 }),
  fc.integer({ min: 253_402_300_798_000, max: 253_402_300_802_000 }),
  fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
  fc.double({ min: -1e15, max: 1e15, noNaN: true }),
  fc.constantFrom(0, -1, 999, 1_000, -1_000, -1_001, 0.5, -0),
);

describe('isoTime', () => {
  it(`writes what toISOString writes, whatever came before (${describeFuzz(settings)})`, async () => {
    await checkFuzz(
      fc.property(fc.array(times, { minLength: 1, maxLength: 8 }), (list) => list.every((ms) => isoTime(ms) === new Date(ms).toISOString())),
      settings,
    );
  });

  it('throws as toISOString does for a time that is not one', () => {
    assert.throws(() => isoTime(Number.NaN), RangeError);
    assert.throws(() => isoTime(8_640_000_000_000_001), RangeError);
  });
});

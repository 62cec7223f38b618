import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compare, median, trimmedMean } from './stats.js';

describe('bench statistics', () => {
  it('takes the trimmed mean of the middle samples, whatever their order', () => {
    assert.equal(trimmedMean([100, 1, 2, 3, 4, 5, 6, 7, 8, -50]), 4.5);
    assert.equal(trimmedMean([3, 1, 2], 0.2), 2);
    assert.ok(Number.isNaN(trimmedMean([])));
  });

  it('compares by medians unless told to take trimmed means, and keeps the median either way', () => {
    const subject = [10, 11, 12, 13, 100];
    const floor = [10, 10, 10, 10, 10];
    const byMedian = compare({ name: 'm', unit: 'ms', workload: 'w', rounds: 5 }, subject, floor);
    assert.equal(byMedian.value, median(subject));
    assert.equal(byMedian.center, undefined);
    const byTrim = compare({ name: 't', unit: 'ms', workload: 'w', rounds: 5, center: 'trimmed mean' }, [1, ...subject], [1, ...floor]);
    assert.equal(byTrim.value, 11.5);
    assert.equal(byTrim.ratio, 1.15);
    assert.equal(byTrim.median, 11);
    assert.equal(byTrim.center, 'trimmed mean');
  });
});

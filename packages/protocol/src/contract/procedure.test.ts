import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { subscription } from './procedure.js';

describe('subscription', () => {
  it('refuses an exact-form check on a tracked stream, where the server would never call it', () => {
    const isNumber = (value: unknown): value is number => typeof value === 'number';
    assert.throws(() => subscription({ item: z.number(), tracked: true, isExactItem: isNumber, description: 'x' }), /untracked streams only/);
    assert.equal(subscription({ item: z.number(), tracked: false, isExactItem: isNumber, description: 'x' }).isExactItem, isNumber);
  });
});

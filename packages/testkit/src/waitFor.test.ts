import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor, WaitTimeout } from './waitFor.js';

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let asked = 0;
    assert.equal(await waitFor(() => (++asked >= 3 ? 'ready' : null), { intervalMs: 1 }), 'ready');
    assert.equal(asked, 3);
  });

  it('names what it waited for when the wait expires, asking a function only then', async () => {
    let said = 'starting';
    let asked = 0;
    const waiting = waitFor(() => false, {
      timeoutMs: 30,
      intervalMs: 5,
      what: () => {
        asked++;
        return `the agent (it said: ${said})`;
      },
    });
    said = 'cannot reach the engine';
    await assert.rejects(waiting, (error: unknown) => error instanceof WaitTimeout && error.message === 'timed out after 30 ms waiting for the agent (it said: cannot reach the engine)');
    assert.equal(asked, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import { createLogger } from '../logger.js';
import { EngineWatch } from './engineWatch.js';

describe('EngineWatch', () => {
  it('runs onUp at the first answer and again each time the engine comes back, not while it stays up', async () => {
    let up = true;
    const runtime = {
      ping: async () => {
        if (!up) throw new Error('connect ENOENT');
        return { version: '20.10', apiVersion: '1.41' };
      },
      list: async () => [],
    } as unknown as ContainerRuntime;
    let ups = 0;
    const watch = new EngineWatch({ runtime, managedLabels: {}, logger: createLogger({ level: 'error', write: () => {} }), intervalMs: 1_000, onUp: async () => void ups++ });
    await watch.ready();
    await watch.ready();
    assert.equal(ups, 1);
    up = false;
    await watch.ready();
    up = true;
    await watch.ready();
    assert.equal(ups, 2);
  });

  it('resolves ready only once onUp has run, so the agent dials knowing the data root', async () => {
    const runtime = { ping: async () => ({ version: '20.10', apiVersion: '1.41' }), list: async () => [] } as unknown as ContainerRuntime;
    let done = false;
    const watch = new EngineWatch({
      runtime,
      managedLabels: {},
      logger: createLogger({ level: 'error', write: () => {} }),
      intervalMs: 1_000,
      onUp: () => new Promise<void>((resolve) => setTimeout(() => ((done = true), resolve()), 30)),
    });
    await watch.ready();
    assert.equal(done, true);
  });
});

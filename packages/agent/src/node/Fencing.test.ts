import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerSummary } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import { createLogger } from '../logger.js';
import { Fencing } from './Fencing.js';

function fakeRuntime(containers: ContainerSummary[]) {
  const stopped: string[] = [];
  const filters: unknown[] = [];
  const runtime = {
    list: async (_labels: unknown, filter: unknown) => {
      filters.push(filter);
      return containers;
    },
    stop: async (id: string) => {
      stopped.push(id);
      const c = containers.find((x) => x.id === id)!;
      c.state = 'exited';
      return 0;
    },
  } as unknown as ContainerRuntime;
  return { runtime, stopped, filters };
}

const container = (id: string, fenceAfterMs?: number): ContainerSummary => ({
  id,
  name: id,
  image: 'busybox',
  state: 'running',
  status: 'Up',
  createdAt: 0,
  labels: fenceAfterMs === undefined ? {} : { 'lormas.fence-after-ms': String(fenceAfterMs) },
});

describe('Fencing', () => {
  const logger = createLogger({ level: 'error', write: () => {} });

  it('stops a fenced container once the server has been away for its time, and no other', async () => {
    let now = 1_000;
    const { runtime, stopped, filters } = fakeRuntime([container('fenced', 5_000), container('late', 60_000), container('plain')]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.serverBack();
    fencing.serverLost();
    now += 4_999;
    assert.deepEqual(await fencing.check(), []);
    assert.deepEqual(filters, [{ running: true, withLabel: 'lormas.fence-after-ms' }], 'the engine is asked for running fenced containers only');
    now += 1;
    assert.deepEqual(await fencing.check(), ['fenced']);
    assert.deepEqual(stopped, ['fenced']);
    fencing.stop();
  });

  it('does nothing while the server is there', async () => {
    let now = 0;
    const { runtime, stopped } = fakeRuntime([container('fenced', 100)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.serverBack();
    now += 10_000;
    assert.deepEqual(await fencing.check(), []);
    assert.deepEqual(stopped, []);
  });

  it('counts from start-up when the server was never reached', async () => {
    let now = 0;
    const { runtime } = fakeRuntime([container('fenced', 100)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    now = 100;
    assert.deepEqual(await fencing.check(), ['fenced']);
  });

  it('counts afresh after the server came back', async () => {
    let now = 0;
    const { runtime } = fakeRuntime([container('fenced', 1_000)]);
    const fencing = new Fencing({ runtime, managedLabels: {}, logger, now: () => now });
    fencing.serverBack();
    fencing.serverLost();
    now = 900;
    fencing.serverBack();
    now = 1_500;
    fencing.serverLost();
    now = 2_000;
    assert.deepEqual(await fencing.check(), []);
    fencing.stop();
  });
});

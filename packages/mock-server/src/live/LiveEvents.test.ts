import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerRecord } from '../store/ContainerStore.js';
import { containerAction, keptSamples } from './LiveEvents.js';

const record = (changes: Partial<ContainerRecord>): ContainerRecord => ({
  id: 'ctr_1',
  nodeId: 'node_a',
  name: 'web',
  spec: { name: 'web', image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] },
  ha: false,
  preferredClusterId: null,
  fenceAfterMs: null,
  desiredState: 'running',
  dockerId: null,
  observedState: 'running',
  guardRailStop: null,
  createdAt: 0,
  updatedAt: 0,
  ...changes,
});

describe('containerAction', () => {
  it('names creation, removal and a move to another node', () => {
    assert.equal(containerAction(null, record({})), 'created');
    assert.equal(containerAction(record({}), null), 'removed');
    assert.equal(containerAction(record({}), record({ nodeId: 'node_b' })), 'moved');
  });

  it('tells a container that died from one stopped as asked', () => {
    assert.equal(containerAction(record({}), record({ observedState: 'exited' })), 'died');
    assert.equal(containerAction(record({ desiredState: 'stopped' }), record({ desiredState: 'stopped', observedState: 'exited' })), 'stopped');
    assert.equal(containerAction(record({ observedState: 'exited' }), record({ observedState: 'running' })), 'started');
  });

  it('calls any other change an update', () => {
    assert.equal(containerAction(record({}), record({ desiredState: 'stopped' })), 'updated');
    assert.equal(containerAction(record({}), record({ observedState: 'missing' })), 'updated');
  });
});

describe('keptSamples: the samples of a heartbeats batch that a replica keeps', () => {
  const known = (id: string) => id === 'node_aaaaaaaaaaaaaa';
  const sample = { at: 1_800_000_000_000, cpuPercent: 12.5, memoryPercent: 40 };
  const entry = (id: string, taken: typeof sample | null) => ({ id, status: 'online' as const, health: null, silentMs: null, lastHeartbeatAt: null, engine: null, cpu: null, memory: null, disk: null, containers: null, uptime: null, sample: taken });

  const within = { from: sample.at - 60_000, to: sample.at + 60_000 };

  it('keeps the sample of a known node', () => {
    assert.deepEqual(keptSamples({ nodes: [entry('node_aaaaaaaaaaaaaa', sample)] }, known, within), [['node_aaaaaaaaaaaaaa', sample]]);
  });

  it('keeps no sample taken outside the window: one from far ahead would stop the ring, which takes only newer ones', () => {
    for (const at of [Number.MAX_SAFE_INTEGER, within.to + 1, within.from - 1, 0]) {
      assert.deepEqual(keptSamples({ nodes: [entry('node_aaaaaaaaaaaaaa', { ...sample, at })] }, known, within), [], String(at));
    }
  });

  it('keeps no sample of a node this replica never heard of (a ring each, without end), and none where a beat gave none', () => {
    const strangers = Array.from({ length: 1_000 }, (_, i) => entry(`node_${String(i).padStart(14, '0')}`, sample));
    assert.deepEqual(keptSamples({ nodes: [...strangers, entry('node_aaaaaaaaaaaaaa', null)] }, known, within), []);
  });
});

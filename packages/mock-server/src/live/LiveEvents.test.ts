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

describe('keptSamples: the samples of another replica\'s heartbeats batch', () => {
  const known = (id: string) => id === 'node_aaaaaaaaaaaaaa';
  const sample = { at: 1_800_000_000_000, cpuPercent: 12.5, memoryPercent: 40 };

  it('keeps a well-formed sample of a known node', () => {
    assert.deepEqual(keptSamples({ nodes: [{ id: 'node_aaaaaaaaaaaaaa', status: 'online', sample }] }, known), [['node_aaaaaaaaaaaaaa', sample]]);
  });

  it('keeps nothing a stray publisher could grow memory or lie with', () => {
    const hostile: unknown[] = [
      null,
      'nodes',
      { nodes: 'x' },
      { nodes: [null, 7, { id: 'node_aaaaaaaaaaaaaa' }, { id: 'node_aaaaaaaaaaaaaa', sample: null }] },
      // Nodes this replica never heard of: a ring each, without end.
      { nodes: Array.from({ length: 1_000 }, (_, i) => ({ id: `node_${String(i).padStart(14, '0')}`, sample })) },
      { nodes: [{ id: 'x'.repeat(10_000), sample }] },
      { nodes: [{ id: 'node_aaaaaaaaaaaaaa', sample: { ...sample, cpuPercent: 1e9 } }] },
      { nodes: [{ id: 'node_aaaaaaaaaaaaaa', sample: { ...sample, at: -1 } }] },
      { nodes: [{ id: 'node_aaaaaaaaaaaaaa', sample: { ...sample, memoryPercent: Number.NaN } }] },
      { nodes: [{ id: 'node_aaaaaaaaaaaaaa', sample: { at: 'now', cpuPercent: 1, memoryPercent: 1 } }] },
    ];
    for (const data of hostile) assert.deepEqual(keptSamples(data, known), [], JSON.stringify(data)?.slice(0, 80));
  });
});

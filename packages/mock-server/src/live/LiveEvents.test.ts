import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerRecord } from '../store/ContainerStore.js';
import { containerAction } from './LiveEvents.js';

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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { assertManaged, managedLabels } from './assertManaged.js';

function refusedAsNotManaged(labels: Record<string, string>): void {
  assert.throws(() => assertManaged(labels, 'node-a'), (err: unknown) => err instanceof AgentError && err.code === 'NOT_MANAGED');
}

describe('assertManaged', () => {
  it('accepts a container labelled managed by this node', () => {
    assert.doesNotThrow(() => assertManaged(managedLabels('node-a'), 'node-a'));
  });

  it('refuses a container without labels', () => {
    refusedAsNotManaged({});
  });

  it('refuses a container managed by another node', () => {
    refusedAsNotManaged(managedLabels('node-b'));
  });

  it('refuses a container naming this node without lormas.managed=true', () => {
    refusedAsNotManaged({ 'lormas.node': 'node-a', 'lormas.managed': 'false' });
  });

  it('puts the server id among the labels when given', () => {
    assert.deepEqual(managedLabels('node-a', 'srv-1'), { 'lormas.managed': 'true', 'lormas.node': 'node-a', 'lormas.server-id': 'srv-1' });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { assertReservedLabels, reservedLabels } from './reservedLabels.js';

describe('reservedLabels', () => {
  it("sets the agent's own keys to their values, whatever the image says", () => {
    const labels = reservedLabels(
      { nodeId: 'node-a', serverId: 'ctr_1', fenceAfterMs: 5_000 },
      { 'lormas.node': 'node-z', 'lormas.managed': 'false', 'lormas.server-id': 'ctr_evil', 'lormas.fence-after-ms': '1' },
    );
    assert.deepEqual(labels, { 'lormas.managed': 'true', 'lormas.node': 'node-a', 'lormas.server-id': 'ctr_1', 'lormas.fence-after-ms': '5000' });
  });

  it('blanks the keys it has no value for, and every other lormas.* key of the image', () => {
    const labels = reservedLabels({ nodeId: 'node-a' }, { 'lormas.fence-after-ms': '1', 'lormas.server-id': 'ctr_evil', 'lormas.future': 'x', app: 'web' });
    assert.deepEqual(labels, { 'lormas.managed': 'true', 'lormas.node': 'node-a', 'lormas.server-id': '', 'lormas.fence-after-ms': '', 'lormas.future': '' });
  });
});

describe('assertReservedLabels', () => {
  const expected = reservedLabels({ nodeId: 'node-a' }, {});

  it('accepts a container whose lormas.* labels are exactly those set, other labels aside', () => {
    assert.doesNotThrow(() => assertReservedLabels({ ...expected, app: 'web' }, expected));
  });

  it('refuses a lormas.* key the agent did not set, and one it set that is missing', () => {
    const internal = (err: unknown) => err instanceof AgentError && err.code === 'INTERNAL';
    assert.throws(() => assertReservedLabels({ ...expected, 'lormas.future': 'x' }, expected), internal);
    const { 'lormas.server-id': _dropped, ...missing } = expected;
    assert.throws(() => assertReservedLabels(missing, expected), internal);
  });
});

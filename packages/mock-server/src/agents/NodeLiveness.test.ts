import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { NodeLiveness } from './NodeLiveness.js';

const hello = { agentVersion: '1', protocolVersion: PROTOCOL_VERSION, nodeName: 'n', runtime: { name: 'node' as const, version: '20' }, engineVersion: '20.10', startedAt: 0 };
const beat = (seq: number) => sampleHeartbeat({ seq, at: seq, nodeName: 'n' });

describe('NodeLiveness', () => {
  it('tracks connect, heartbeat and disconnect times on its injected clock, and emits each', () => {
    let now = 1_000;
    const liveness = new NodeLiveness(() => now);
    const seen: string[] = [];
    liveness.on('connect', (id) => seen.push(`connect ${id}`));
    liveness.on('heartbeat', (id, b) => seen.push(`beat ${id} ${b.seq}`));
    liveness.on('disconnect', (id, code) => seen.push(`disconnect ${id} ${code}`));

    assert.equal(liveness.get('n').status, 'offline');
    liveness.connected('n', hello);
    now = 2_000;
    liveness.heartbeat('n', beat(1));
    now = 3_000;
    liveness.disconnected('n', 1006);
    liveness.disconnected('n', 1006);

    assert.deepEqual(liveness.get('n'), { status: 'offline', connectedSince: null, disconnectedAt: 3_000, hello, lastHeartbeat: beat(1), lastHeartbeatAt: 2_000 });
    assert.deepEqual(seen, ['connect n', 'beat n 1', 'disconnect n 1006']);
  });

  it('forgets a node', () => {
    const liveness = new NodeLiveness();
    liveness.connected('n', hello);
    liveness.forget('n');
    assert.equal(liveness.get('n').hello, null);
  });
});

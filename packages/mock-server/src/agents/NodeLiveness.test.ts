import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { heartbeatView } from '../http/views.js';
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

    assert.deepEqual(liveness.get('n'), { status: 'offline', connectedSince: null, disconnectedAt: 3_000, hello, lastHeartbeat: beat(1), lastHeartbeatAt: 2_000, refused: null });
    assert.deepEqual(seen, ['connect n', 'beat n 1', 'disconnect n 1006']);
  });

  it('keeps the heartbeats of a node in one record, which views copy, and hands listeners each heartbeat as it came', () => {
    let now = 1_000;
    const liveness = new NodeLiveness(() => now);
    const heard: unknown[] = [];
    liveness.on('heartbeat', (_id, b) => heard.push(b));
    liveness.connected('n', hello);
    const first = beat(1);
    liveness.heartbeat('n', first);
    const record = liveness.get('n').lastHeartbeat;
    const view = heartbeatView('n', liveness.get('n'), null, null);
    const shown = structuredClone(view);

    now = 2_000;
    const second = sampleHeartbeat({ seq: 2, at: 2, nodeName: 'n', cpu: { cores: 2, usagePercent: 90, loadAverage1m: 1 }, engine: { up: false, error: 'gone' } });
    liveness.heartbeat('n', second);
    assert.equal(liveness.get('n').lastHeartbeat, record, 'written over, not replaced');
    assert.deepEqual(liveness.get('n').lastHeartbeat, second);
    assert.equal(liveness.get('n').lastHeartbeatAt, 2_000);
    assert.deepEqual(view, shown, 'a view made before keeps what it showed');
    assert.deepEqual(first, beat(1), 'the first heartbeat is untouched');
    assert.equal(heard[0], first);
    assert.equal(heard[1], second);

    // A node forgotten and heard again starts a new record.
    liveness.forget('n');
    liveness.heartbeat('n', beat(3));
    assert.notEqual(liveness.get('n').lastHeartbeat, record);
    assert.deepEqual(record, second);
  });

  it('forgets a node', () => {
    const liveness = new NodeLiveness();
    liveness.connected('n', hello);
    liveness.forget('n');
    assert.equal(liveness.get('n').hello, null);
  });
});

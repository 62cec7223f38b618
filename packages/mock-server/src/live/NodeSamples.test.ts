import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeSamples } from './NodeSamples.js';

const sample = (at: number) => ({ at, cpuPercent: at % 100, memoryPercent: 50 });

describe('NodeSamples', () => {
  it('keeps at most samplesPerNode samples per node, dropping the oldest', () => {
    const samples = new NodeSamples({ samplesPerNode: 3, sampleIntervalMs: 0 });
    for (let at = 1; at <= 10; at++) samples.record('n1', sample(at));
    assert.deepEqual(samples.get('n1').map((s) => s.at), [8, 9, 10]);
    assert.deepEqual(samples.get('n2'), []);
  });

  it('samples a node at most once per interval', () => {
    const samples = new NodeSamples({ sampleIntervalMs: 1_000 });
    assert.ok(samples.record('n1', sample(0)));
    assert.equal(samples.record('n1', sample(999)), null);
    assert.ok(samples.record('n1', sample(1_000)));
    assert.ok(samples.record('n2', sample(10)));
    assert.deepEqual(samples.get('n1').map((s) => s.at), [0, 1_000]);
  });

  it('forgets a node', () => {
    const samples = new NodeSamples();
    samples.record('n1', sample(0));
    samples.forget('n1');
    assert.deepEqual(samples.get('n1'), []);
  });
});

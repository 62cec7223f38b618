import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AssessInput, assessNodes, type NodeSignal } from './assessNodes.js';

const windows = { lostAfterMs: 3_000, suspectAfterMs: 1_000, graceMs: 0 };
const node = (nodeId: string, lastSignAt: number | null, extra: Partial<NodeSignal> = {}): NodeSignal => ({ nodeId, lost: false, connected: true, lastSignAt, ...extra });
const assess = (now: number, nodes: NodeSignal[], extra: Partial<AssessInput> = {}) =>
  assessNodes({ now, startedAt: 0, silenceResetAt: null, previousHold: null, nodes, windows, ...extra });
const healthOf = (result: ReturnType<typeof assessNodes>) => Object.fromEntries([...result.health].map(([id, judged]) => [id, judged.health]));

describe('assessNodes', () => {
  it('calls a node online while it beats, suspect after missed heartbeats, lost after the window', () => {
    const nodes = [node('a', 10_000), node('b', 10_000), node('c', 10_000)];
    assert.deepEqual(healthOf(assess(10_500, nodes)), { a: 'online', b: 'online', c: 'online' });
    const later = [node('a', 10_000), node('b', 13_900), node('c', 13_900)];
    assert.deepEqual(healthOf(assess(12_000, later)), { a: 'suspect', b: 'online', c: 'online' });
    const result = assess(13_001, later);
    assert.deepEqual(healthOf(result), { a: 'lost', b: 'online', c: 'online' });
    assert.deepEqual(result.newlyLost, ['a']);
  });

  it('calls a disconnected node suspect at once, and keeps a lost node lost without announcing it again', () => {
    const result = assess(5_000, [node('a', 4_900, { connected: false }), node('b', 4_900, { lost: true }), node('c', 4_900), node('d', 4_900), node('e', 4_900)]);
    assert.deepEqual(healthOf(result), { a: 'suspect', b: 'lost', c: 'online', d: 'online', e: 'online' });
    assert.deepEqual(result.newlyLost, []);
  });

  it('counts silence from the start for a node never heard since', () => {
    const result = assess(103_500, [node('a', null), node('b', 103_400), node('c', 103_400)], { startedAt: 100_000 });
    assert.equal(result.health.get('a')?.silentMs, 3_500);
    assert.deepEqual(result.newlyLost, ['a']);
  });

  it('declares nobody lost in the grace window after the start', () => {
    const result = assess(5_000, [node('a', null), node('b', 4_900), node('c', 4_900)], { windows: { ...windows, graceMs: 10_000 } });
    assert.equal(result.hold, 'grace');
    assert.deepEqual(result.newlyLost, []);
  });

  it('holds when more than half of the nodes are silent, and declares none of them lost', () => {
    const result = assess(20_000, [node('a', 10_000), node('b', 10_000), node('c', 19_900)]);
    assert.equal(result.hold, 'majority-silent');
    assert.deepEqual(result.newlyLost, []);
    assert.deepEqual(healthOf(result), { a: 'suspect', b: 'suspect', c: 'online' });
  });

  it('does not hold when exactly half are silent: one of two nodes can fail over', () => {
    const result = assess(20_000, [node('a', 10_000), node('b', 19_900)]);
    assert.equal(result.hold, null);
    assert.deepEqual(result.newlyLost, ['a']);
  });

  it('restarts every silence when a majority-silent hold ends, so a straggler is not lost at once', () => {
    const result = assess(20_000, [node('a', 19_900), node('b', 10_000)], { previousHold: 'majority-silent' });
    assert.equal(result.hold, null);
    assert.equal(result.silenceResetAt, 20_000);
    assert.deepEqual(result.newlyLost, []);
    const laterStill = assess(23_001, [node('a', 23_000), node('b', 10_000)], { silenceResetAt: result.silenceResetAt });
    assert.deepEqual(laterStill.newlyLost, ['b']);
  });
});

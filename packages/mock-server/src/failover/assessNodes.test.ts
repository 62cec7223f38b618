import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AssessInput, assessNodes, type NodeSignal } from './assessNodes.js';

const windows = { lostAfterMs: 3_000, suspectAfterMs: 1_000, graceMs: 0 };
const node = (nodeId: string, lastSignAt: number | null, extra: Partial<NodeSignal> = {}): NodeSignal => ({ nodeId, lost: false, connected: true, lastSignAt, ...extra });
const assess = (now: number, nodes: NodeSignal[], extra: Partial<AssessInput> = {}) => {
  const result = assessNodes({ now, startedAt: 0, memory: null, nodes, windows, ...extra });
  return { ...result, health: new Map(nodes.map((n, i) => [n.nodeId, result.verdicts[i]!])) };
};
const healthOf = (result: ReturnType<typeof assess>) => Object.fromEntries([...result.health].map(([id, judged]) => [id, judged.health]));

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

  it('restarts every silence when a hold longer than the lost-after window ends, so a straggler is not lost at once', () => {
    const result = assess(20_000, [node('a', 19_900), node('b', 10_000)], { memory: { heldSince: 11_000, silenceResetAt: null, briefHolds: [] } });
    assert.equal(result.hold, null);
    assert.deepEqual(result.memory, { heldSince: null, silenceResetAt: 20_000, briefHolds: [] });
    assert.deepEqual(result.newlyLost, []);
    assert.deepEqual(assess(23_000, [node('a', 23_000), node('b', 10_000)], { memory: result.memory }).newlyLost, []);
    assert.deepEqual(assess(23_001, [node('a', 23_000), node('b', 10_000)], { memory: result.memory }).newlyLost, ['b']);
  });

  it('counts no time of a brief hold as silence, and a node late again and again does not shield a lost one', () => {
    // b is gone from 10,000; a, the only other node, goes 1.1 s without a beat in each 2 s, so failover holds 0.1 s of each 2 s.
    let memory: AssessInput['memory'] = null;
    let lostAt: number | null = null;
    for (let now = 10_000; now <= 20_000 && lostAt === null; now += 100) {
      const aLast = now - ((now - 10_000) % 2_000 < 1_200 ? (now - 10_000) % 2_000 : 0);
      const result = assess(now, [node('a', aLast), node('b', 10_000, { connected: false })], { memory });
      if (result.hold) assert.deepEqual(result.newlyLost, []);
      if (result.newlyLost.includes('b')) lostAt = now;
      memory = result.memory;
      assert.ok(memory.briefHolds.length <= 10, 'only the holds within the silence judged are kept');
    }
    // Lost once its silence outside the holds (11.1-11.2 s, 13.1-13.2 s) passes 3 s.
    assert.equal(lostAt, 13_300);
  });

  it('still subtracts a brief hold from a silence that turns out to have begun before it', () => {
    // a's last beat is at 10,000; c is late from 10,100, which holds failover from 11,200 to
    // 12,000. a connects at 12,100 and drops again before a heartbeat: its last sign of life
    // goes back to 10,000, and the hold it was silent through still counts for it.
    let memory: AssessInput['memory'] = null;
    let lostAt: number | null = null;
    for (let now = 10_000; now <= 16_000 && lostAt === null; now += 100) {
      const a = now === 12_100 ? node('a', 12_100) : node('a', 10_000, { connected: false });
      const c = node('c', now >= 10_100 && now < 12_000 ? 10_100 : now);
      const result = assess(now, [a, c, node('d', now)], { memory });
      memory = result.memory;
      if (result.newlyLost.includes('a')) lostAt = now;
    }
    assert.equal(lostAt, 13_900);
  });

  it('forgets brief holds older than ten lost-after windows', () => {
    const memory = { heldSince: null, silenceResetAt: null, briefHolds: [[12_000, 12_500], [35_000, 35_200]] as [number, number][] };
    const result = assess(45_000, [node('a', 44_900), node('b', 44_900)], { memory });
    assert.deepEqual(result.memory.briefHolds, [[35_000, 35_200]]);
  });
});

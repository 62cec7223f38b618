import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OldReplicaMemory } from './OldReplicaMemory.js';

describe('OldReplicaMemory: owner replicas that serve only nodes\' subjects, for a while', () => {
  const clock = () => {
    const time = { ms: 1_000 };
    return { time, now: () => time.ms };
  };

  it('remembers a replica marked old until its memory lapses, and no longer', () => {
    const { time, now } = clock();
    const memory = new OldReplicaMemory(60_000, now);
    assert.equal(memory.isOld('r1'), false);
    memory.markOld('r1');
    time.ms += 59_999;
    assert.equal(memory.isOld('r1'), true);
    time.ms += 1;
    assert.equal(memory.isOld('r1'), false);
    assert.deepEqual(memory.oldReplicas(), []);
  });

  it('counts the memory from the latest mark', () => {
    const { time, now } = clock();
    const memory = new OldReplicaMemory(100, now);
    memory.markOld('r1');
    time.ms += 90;
    memory.markOld('r1');
    time.ms += 90;
    assert.equal(memory.isOld('r1'), true);
  });

  it('forgets a replica at once when told (it answered on its own subject, or died)', () => {
    const { now } = clock();
    const memory = new OldReplicaMemory(60_000, now);
    memory.markOld('r1');
    memory.markOld('r2');
    memory.forget('r1');
    assert.equal(memory.isOld('r1'), false);
    assert.deepEqual(memory.oldReplicas(), ['r2']);
  });

  it('drops lapsed replicas as new ones are marked, so it holds no more than the replicas met within the memory', () => {
    const { time, now } = clock();
    const memory = new OldReplicaMemory(100, now);
    for (let i = 0; i < 1_000; i++) {
      memory.markOld(`r${i}`);
      time.ms += 10;
    }
    // Marked 10 ms apart, a 100 ms memory holds the last nine (the tenth lapses as the clock reaches it).
    assert.equal(memory.oldReplicas().length, 9);
  });
});

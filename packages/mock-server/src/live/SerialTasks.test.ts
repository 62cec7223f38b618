import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SerialTasks } from './SerialTasks.js';

describe('SerialTasks', () => {
  it('runs tasks one at a time in the order given, each after the one before has finished', async () => {
    const tasks = new SerialTasks();
    const seen: string[] = [];
    tasks.run(async () => {
      seen.push('a start');
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push('a end');
    });
    tasks.run(() => void seen.push('b'));
    await tasks.settled();
    assert.deepEqual(seen, ['a start', 'a end', 'b']);
  });

  it('lets the event loop turn once a run of tasks has lasted sliceMs, and not before', async () => {
    let time = 0;
    const tasks = new SerialTasks({ sliceMs: 5, now: () => time });
    const seen: string[] = [];
    for (let i = 1; i <= 4; i++) {
      tasks.run(() => {
        seen.push(`task ${i}`);
        time += 2;
      });
    }
    setImmediate(() => seen.push('loop turn'));
    await tasks.settled();
    // Tasks 1 to 3 take 6 ms: the fourth waits for the loop.
    assert.deepEqual(seen, ['task 1', 'task 2', 'task 3', 'loop turn', 'task 4']);
  });

  it('goes on after a task that fails, and reports it', async () => {
    const errors: unknown[] = [];
    const tasks = new SerialTasks({ onError: (error) => errors.push(error) });
    let ran = false;
    tasks.run(() => {
      throw new Error('broken view');
    });
    tasks.run(() => void (ran = true));
    await tasks.settled();
    assert.equal(ran, true);
    assert.equal((errors[0] as Error).message, 'broken view');
  });

  it('refuses a slice that is not a number of milliseconds >= 0', () => {
    assert.throws(() => new SerialTasks({ sliceMs: -1 }), /sliceMs/);
  });
});

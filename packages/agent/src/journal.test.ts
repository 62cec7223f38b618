import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { Journal } from './journal.js';

async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length === count) break;
  }
  return out;
}

describe('Journal', () => {
  it('replays held events after the given id, then delivers live ones', async () => {
    const journal = new Journal<string>(10);
    journal.append('a');
    journal.append('b');
    const reading = take(journal.read('1', new AbortController().signal), 2);
    journal.append('c');
    assert.deepEqual(await reading, [
      { id: '2', data: 'b' },
      { id: '3', data: 'c' },
    ]);
  });

  it("reads every held event after an id from before a restart, and refuses an id that is not one", async () => {
    const journal = new Journal<string>(10);
    journal.append('a');
    journal.append('b');
    journal.close();
    const all = await take(journal.read('500', new AbortController().signal), 10);
    assert.deepEqual(all.map((e) => e.data), ['a', 'b']);
    for (const id of ['abc', '-1', '1.5']) {
      await assert.rejects(take(journal.read(id, new AbortController().signal), 1), (e: unknown) => e instanceof AgentError && e.code === 'BAD_INPUT', id);
    }
  });

  it('keeps only the newest `capacity` events', async () => {
    const journal = new Journal<number>(2);
    for (let i = 1; i <= 5; i++) journal.append(i);
    journal.close();
    const all = await take(journal.read(null, new AbortController().signal), 10);
    assert.deepEqual(
      all.map((e) => e.data),
      [4, 5],
    );
  });

  it('ends a waiting reader when its signal aborts', async () => {
    const journal = new Journal<number>(2);
    const controller = new AbortController();
    const reading = take(journal.read(null, controller.signal), 1);
    controller.abort();
    assert.deepEqual(await reading, []);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new Journal(0), TypeError);
  });
});

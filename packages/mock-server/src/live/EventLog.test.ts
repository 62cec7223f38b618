import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLog } from './EventLog.js';

describe('EventLog', () => {
  it('replays exactly the events after the id a reader last saw', () => {
    const log = new EventLog({ capacity: 10, epoch: 'e1' });
    const first = log.append('node', { n: 1 });
    log.append('node', { n: 2 });
    log.append('container', { n: 3 });
    const replay = log.since(first.id);
    assert.equal(replay.kind, 'events');
    assert.deepEqual(replay.kind === 'events' && replay.events.map((e) => e.data), [{ n: 2 }, { n: 3 }]);
    assert.deepEqual(log.since(log.lastId), { kind: 'events', events: [] });
  });

  it('answers reset for an id older than the buffer holds', () => {
    const log = new EventLog({ capacity: 3, epoch: 'e1' });
    const first = log.append('a', 1);
    const second = log.append('a', 2);
    for (let i = 3; i <= 5; i++) log.append('a', i);
    assert.deepEqual(log.since(first.id), { kind: 'reset', reason: 'too-far-behind' });
    // Event 3 onwards is still held: nothing after the second is lost.
    const replay = log.since(second.id);
    assert.deepEqual(replay.kind === 'events' && replay.events.map((e) => e.data), [3, 4, 5]);
  });

  it('answers reset for an id of another server run, a future id and a malformed one', () => {
    const log = new EventLog({ epoch: 'now' });
    log.append('a', 1);
    assert.deepEqual(log.since('before.1'), { kind: 'reset', reason: 'unknown-epoch' });
    assert.deepEqual(log.since('now.7'), { kind: 'reset', reason: 'unknown-epoch' });
    assert.deepEqual(log.since('<script>'), { kind: 'reset', reason: 'malformed' });
  });

  it('keeps at most capacity events', () => {
    const log = new EventLog({ capacity: 2, epoch: 'e' });
    for (let i = 1; i <= 100; i++) log.append('a', i);
    const replay = log.since('e.98');
    assert.deepEqual(replay.kind === 'events' && replay.events.map((e) => e.data), [99, 100]);
    assert.equal(log.since('e.97').kind, 'reset');
  });

  it('counts each event by its weight against the capacity, and always keeps the newest', () => {
    const log = new EventLog({ capacity: 10, epoch: 'e', weigh: (_type, data) => (data as { items: unknown[] }).items.length });
    log.append('batch', { items: [1, 2, 3, 4] });
    log.append('batch', { items: [5, 6, 7, 8] });
    log.append('batch', { items: [9, 10] });
    assert.deepEqual(log.since('e.0').kind, 'events', 'three events of weight 10 in all are held');
    log.append('batch', { items: [11] });
    assert.equal(log.since('e.0').kind, 'reset', 'the oldest went to make room');
    assert.equal(log.since('e.1').kind, 'events');
    log.append('batch', { items: Array.from({ length: 50 }, (_, i) => i) });
    const replay = log.since('e.4');
    assert.deepEqual(replay.kind === 'events' && replay.events.map((e) => e.id), ['e.5'], 'an event heavier than the capacity is still held alone');
    assert.equal(log.since('e.3').kind, 'reset');
  });

  it('counts a weight that is not a number of at least one as one', () => {
    const log = new EventLog({ capacity: 2, epoch: 'e', weigh: (_type, data) => data as number });
    for (const weight of [Number.NaN, -5, 0, Number.POSITIVE_INFINITY]) log.append('a', weight);
    const replay = log.since('e.2');
    assert.deepEqual(replay.kind === 'events' && replay.events.map((e) => e.data), [0, Number.POSITIVE_INFINITY]);
  });

  it('tells subscribers of each new event until they leave', () => {
    const log = new EventLog({ epoch: 'e' });
    const seen: unknown[] = [];
    const leave = log.subscribe((event) => seen.push(event.data));
    log.append('a', 1);
    leave();
    log.append('a', 2);
    assert.deepEqual(seen, [1]);
    assert.equal(log.subscribers, 0);
  });

  it('refuses a capacity below one event at construction', () => {
    assert.throws(() => new EventLog({ capacity: 0 }), TypeError);
  });
});

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it, mock } from 'node:test';
import { EventStream } from './EventStream.js';

/** The parts of a `ServerResponse` a stream uses, recording each write the socket would see. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  writableLength = 0;
  writableNeedDrain = false;
  writes: string[] = [];
  ended = false;
  writeHead() {
    this.headersSent = true;
    return this;
  }
  write(text: string) {
    this.writes.push(text);
    return true;
  }
  end() {
    this.ended = true;
    this.emit('close');
  }
}

const open = (options: ConstructorParameters<typeof EventStream>[2]) => {
  const res = new FakeResponse();
  const stream = new EventStream(res as unknown as ServerResponse, 'sse', options);
  stream.start();
  res.writes.length = 0;
  return { res, stream };
};

describe('EventStream', () => {
  it('sends every event written within one flush interval as one write, in order', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const { res, stream } = open({ flushIntervalMs: 25 });
      for (let i = 0; i < 100; i++) assert.equal(stream.write({ i }, { event: 'beat', id: `e.${i}` }), true);
      assert.equal(res.writes.length, 0, 'nothing is written before the interval passed');
      mock.timers.tick(25);
      assert.equal(res.writes.length, 1);
      const events = res.writes[0]!.split('\n\n').filter(Boolean);
      assert.equal(events.length, 100);
      assert.equal(events[42], 'event: beat\nid: e.42\ndata: {"i":42}');
      stream.write({ i: 100 });
      mock.timers.tick(25);
      assert.equal(res.writes.length, 2, 'the next interval starts with the next write');
    } finally {
      mock.timers.reset();
    }
  });

  it('without an interval sends the writes of one tick as one write at its end', async () => {
    const { res, stream } = open({});
    stream.write({ a: 1 });
    stream.write({ b: 2 });
    assert.equal(res.writes.length, 0);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.deepEqual(res.writes, ['data: {"a":1}\n\ndata: {"b":2}\n\n']);
  });

  it('sends what it holds before the end and before an error', () => {
    const { res, stream } = open({ flushIntervalMs: 60_000 });
    stream.write({ a: 1 });
    stream.fail({ code: 'X', message: 'broken' });
    assert.deepEqual(res.writes, ['data: {"a":1}\n\nevent: error\ndata: {"error":{"code":"X","message":"broken"}}\n\n']);
    assert.equal(res.ended, true);
    assert.equal(stream.write({ b: 2 }), false, 'an ended stream takes nothing more');
  });

  it('sends what it holds at once when it reaches flushAtBytes, before the interval', () => {
    const { res, stream } = open({ flushIntervalMs: 60_000, flushAtBytes: 100 });
    stream.write({ text: 'x'.repeat(40) });
    assert.equal(res.writes.length, 0);
    stream.write({ text: 'y'.repeat(40) });
    assert.equal(res.writes.length, 1, 'two events of 57 bytes pass 100');
  });

  it('cuts off a reader that leaves more than maxBufferedBytes unread', () => {
    const { res, stream } = open({ maxBufferedBytes: 100 });
    res.writableLength = 101;
    assert.equal(stream.write({ a: 1 }), false);
    assert.equal(res.ended, true);
    assert.match(res.writes.join(''), /SLOW_READER/);
  });

  it('refuses a flush interval or size that is out of range, naming the option', () => {
    const make = (options: ConstructorParameters<typeof EventStream>[2]) => () => new EventStream(new FakeResponse() as unknown as ServerResponse, 'sse', options);
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(make({ flushIntervalMs: value }), /flushIntervalMs/);
    for (const value of [0, 1.5, Number.NaN]) assert.throws(make({ flushAtBytes: value }), /flushAtBytes/);
  });
});

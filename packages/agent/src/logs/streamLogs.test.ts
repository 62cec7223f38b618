import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AgentError, type LogChunk, type LogEntry } from '@lormas/protocol';
import type { Tracked } from '@lormas/protocol/agent';
import { waitFor } from '@lormas/testkit';
import type { ContainerRuntime, RawLogsOptions } from '../docker/ContainerRuntime.js';
import { decodeCursor } from './logCursor.js';
import { streamLogs } from './streamLogs.js';

const ts = (n: number) => `2026-11-27T12:00:${String(Math.floor(n / 1e6) % 60).padStart(2, '0')}.${String(n % 1e6).padStart(9, '0')}Z`;

function frame(kind: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** An engine stream of `count` numbered stdout lines, produced on demand, counting what was read. */
function engineStream(count: number, lineBytes = 100) {
  let next = 0;
  const state = { producedBytes: 0, destroyed: false, stream: undefined as unknown as Readable };
  state.stream = new Readable({
    read() {
      const frames: Buffer[] = [];
      for (let i = 0; i < 64 && next < count; i++, next++) frames.push(frame(1, `${ts(next)} ${String(next).padStart(lineBytes, '0')}\n`));
      const chunk = Buffer.concat(frames);
      state.producedBytes += chunk.length;
      this.push(next < count || frames.length ? chunk : null);
      if (next >= count && frames.length) this.push(null);
    },
    destroy(error, callback) {
      state.destroyed = true;
      callback(error);
    },
  });
  return state;
}

/**
 * A runtime whose only working calls are the two a log stream makes; its container is running
 * unless told, and `state` can tell each inspect something else.
 */
function fakeRuntime(stream: () => Readable, tty = false, running: boolean | ((inspect: number) => { running: boolean; startedAt: string }) = true) {
  const calls: RawLogsOptions[] = [];
  let inspects = 0;
  const runtime = {
    labelsOf: async (id: string) => ({ id, name: id, labels: {}, tty, ...(typeof running === 'function' ? running(++inspects) : { running, startedAt: ts(0) }) }),
    logs: async (_id: string, options: RawLogsOptions) => {
      calls.push(options);
      return stream();
    },
  } as unknown as ContainerRuntime;
  return { runtime, calls };
}

/** A link that never makes a stream wait. */
const openLink = { bufferedAmount: () => 0, full: () => false, windowBytes: () => 1 << 30, writable: () => Promise.resolve() };

const input = (extra: Record<string, unknown> = {}) => ({ id: 'c1', follow: false, stdout: true, stderr: true, ...extra });

async function collect(source: AsyncIterable<Tracked<LogChunk>>): Promise<{ chunks: Tracked<LogChunk>[]; entries: LogEntry[] }> {
  const chunks: Tracked<LogChunk>[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return { chunks, entries: chunks.flatMap((c) => c.data.entries) };
}

describe('streamLogs', () => {
  it('delivers every line in order in chunks no larger than maxChunkBytes, each tracked with its position', async () => {
    const engine = engineStream(5_000);
    const { runtime } = fakeRuntime(() => engine.stream);
    const ctx = { signal: new AbortController().signal, link: openLink };
    const { chunks, entries } = await collect(streamLogs(runtime, input(), ctx, { maxChunkBytes: 16 * 1024 }));
    assert.deepEqual(entries.map((e) => Number(e.line)), Array.from({ length: 5_000 }, (_, i) => i));
    assert.ok(chunks.length > 10);
    for (const chunk of chunks) assert.ok(JSON.stringify(chunk.data).length < 2 * 16 * 1024, `chunk of ${JSON.stringify(chunk.data).length}`);
    const last = entries.at(-1)!;
    assert.deepEqual(decodeCursor(chunks.at(-1)!.id).stdout, { timestamp: last.timestamp, count: 1 });
    assert.ok(engine.destroyed, 'engine stream destroyed');
  });

  it("pauses reading the engine while the link's window is full, and catches up once the reader confirms", async () => {
    const engine = engineStream(200_000);
    const { runtime } = fakeRuntime(() => engine.stream);
    const windowBytes = 256 * 1024;
    // A link whose reader confirms nothing until told to; then everything, at once.
    let unread = 0;
    let reading = false;
    const readers: (() => void)[] = [];
    const link = {
      bufferedAmount: () => unread,
      full: () => !reading && unread >= windowBytes,
      windowBytes: () => windowBytes,
      writable: () => (reading || unread < windowBytes ? Promise.resolve() : new Promise<void>((resolve) => readers.push(resolve))),
    };
    const events: string[] = [];
    const ctx = { signal: new AbortController().signal, link };
    const stream = streamLogs(runtime, input(), ctx, { onBackpressure: (state) => events.push(state) });
    let count = 0;
    const consumer = (async () => {
      for await (const chunk of stream) {
        unread += JSON.stringify(chunk.data).length;
        count += chunk.data.entries.length;
      }
    })();
    await waitFor(() => events.includes('paused'), { what: 'the stream to pause' });
    const readWhilePaused = engine.producedBytes;
    // While nothing is confirmed the stream stays paused: the engine is not read further.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(engine.producedBytes, readWhilePaused);
    assert.ok(unread < windowBytes + 2 * 64 * 1024, `unread ${unread}`);
    assert.ok(count < 200_000);
    reading = true;
    for (const resolve of readers.splice(0)) resolve();
    await consumer;
    assert.equal(count, 200_000);
    assert.deepEqual(events, ['paused', 'resumed']);
  });

  it("keeps chunks to half the link's window, so a slow link always has one on its way", async () => {
    const engine = engineStream(5_000);
    const { runtime } = fakeRuntime(() => engine.stream);
    const ctx = { signal: new AbortController().signal, link: { ...openLink, windowBytes: () => 32 * 1024 } };
    const { chunks, entries } = await collect(streamLogs(runtime, input(), ctx));
    assert.equal(entries.length, 5_000);
    // An entry here is about 100 bytes of line and 72 of keys; a chunk closes at 16 KiB.
    for (const chunk of chunks) assert.ok(chunk.data.entries.length <= Math.ceil((16 * 1024) / 172) + 1, `${chunk.data.entries.length} entries`);
  });

  it('keeps the event loop turning while it streams a log that is all in memory', async () => {
    const engine = engineStream(100_000);
    const { runtime } = fakeRuntime(() => engine.stream);
    const ctx = { signal: new AbortController().signal, link: openLink };
    let ticks = 0;
    let worstGapMs = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstGapMs = Math.max(worstGapMs, now - last);
      last = now;
      ticks += 1;
    }, 1);
    try {
      const started = performance.now();
      await collect(streamLogs(runtime, input(), ctx));
      const elapsed = performance.now() - started;
      assert.ok(ticks > 3, `timer ran ${ticks} times in ${elapsed} ms`);
      assert.ok(worstGapMs < 200, `worst timer gap ${worstGapMs} ms`);
    } finally {
      clearInterval(timer);
    }
  });

  it('lets a partly filled chunk wait lingerMs for more output, then sends it without waiting for a full chunk', async () => {
    const source = new Readable({ read() {} });
    const { runtime } = fakeRuntime(() => source);
    const ctx = { signal: new AbortController().signal, link: openLink };
    const chunks: string[][] = [];
    const done = (async () => {
      for await (const chunk of streamLogs(runtime, input({ follow: true }), ctx, { lingerMs: 200 })) chunks.push(chunk.data.entries.map((e) => e.line));
    })();
    source.push(frame(1, `${ts(1)} one\n`));
    setTimeout(() => source.push(frame(1, `${ts(2)} two\n`)), 20);
    await waitFor(() => chunks.length === 1, { what: 'the first chunk' });
    assert.deepEqual(chunks, [['one', 'two']]);
    source.push(null);
    await done;
  });

  it('destroys the engine stream and ends when the signal aborts during a follow', async () => {
    let destroyed = false;
    const idle = new Readable({ read() {}, destroy: (e, cb) => ((destroyed = true), cb(e)) });
    idle.push(frame(1, `${ts(1)} first\n`));
    const { runtime } = fakeRuntime(() => idle);
    const controller = new AbortController();
    const ctx = { signal: controller.signal, link: openLink };
    const received: string[] = [];
    const done = (async () => {
      for await (const chunk of streamLogs(runtime, input({ follow: true }), ctx)) received.push(...chunk.data.entries.map((e) => e.line));
    })();
    await waitFor(() => received.length === 1, { what: 'the first line' });
    controller.abort();
    await done;
    assert.ok(destroyed);
    assert.deepEqual(received, ['first']);
  });

  it('destroys the engine stream when the consumer stops reading', async () => {
    const engine = engineStream(100_000);
    const { runtime } = fakeRuntime(() => engine.stream);
    const ctx = { signal: new AbortController().signal, link: openLink };
    for await (const chunk of streamLogs(runtime, input(), ctx)) if (chunk) break;
    assert.ok(engine.destroyed);
  });

  it('ends cleanly when the engine ends a follow (the container stopped), delivering a last line without newline', async () => {
    const source = new Readable({ read() {} });
    // The read after the follow finds the same log.
    const { runtime, calls } = fakeRuntime(() => (calls.length === 1 ? source : Readable.from([frame(2, `${ts(1)} bye`)])));
    const ctx = { signal: new AbortController().signal, link: openLink };
    const result = collect(streamLogs(runtime, input({ follow: true }), ctx));
    source.push(frame(2, `${ts(1)} bye`));
    source.push(null);
    assert.deepEqual((await result).entries, [{ stream: 'stderr', timestamp: ts(1), line: 'bye' }]);
  });

  it('fails with ENGINE_ERROR when the engine stream breaks', async () => {
    const source = new Readable({ read() {} });
    const { runtime, calls } = fakeRuntime(() => source);
    const ctx = { signal: new AbortController().signal, link: openLink };
    const result = collect(streamLogs(runtime, input({ follow: true }), ctx));
    await waitFor(() => calls.length === 1 && source.listenerCount('error') > 0, { what: 'the engine stream to be read' });
    source.destroy(new Error('socket hang up'));
    await assert.rejects(result, (e: unknown) => e instanceof AgentError && e.code === 'ENGINE_ERROR');
  });

  it('asks the engine for tail, since and until, and on resume for the cursor instead of the tail', async () => {
    const { runtime, calls } = fakeRuntime(() => Readable.from([]));
    const ctx = { signal: new AbortController().signal, link: openLink };
    await collect(streamLogs(runtime, input({ tail: 10, since: '2026-11-27T12:00:00.5+01:00', until: 1_800_000_000 }), ctx));
    const cursor = `l1|${ts(7)}|${ts(7)}|2||`;
    await collect(streamLogs(runtime, input({ tail: 10, until: 1_800_000_000, lastEventId: cursor }), ctx));
    assert.deepEqual(calls[0], { follow: false, stdout: true, stderr: true, tail: 10, since: Date.parse('2026-11-27T11:00:00Z') / 1000 + 0.5, until: 1_800_000_000 });
    assert.equal(calls[1]!.tail, undefined);
    assert.ok(calls[1]!.since! < Date.parse('2026-11-27T12:00:00Z') / 1000 + 7e-9);
    assert.equal(calls[1]!.until, 1_800_000_000);
  });

  it('skips exactly the entries a resumed cursor already delivered', async () => {
    const log = [`${ts(5)} a\n`, `${ts(5)} b\n`, `${ts(5)} c\n`, `${ts(6)} d\n`];
    const { runtime } = fakeRuntime(() => Readable.from([Buffer.concat(log.map((l) => frame(1, l)))]));
    const ctx = { signal: new AbortController().signal, link: openLink };
    const { entries } = await collect(streamLogs(runtime, input({ lastEventId: `l1|${ts(5)}|${ts(5)}|2||` }), ctx));
    assert.deepEqual(entries.map((e) => e.line), ['c', 'd']);
  });

  it('reads once more without follow when a follow ends, so lines the engine dropped at container exit still arrive, once', async () => {
    // The engine's follow ends after 3,000 of 5,000 lines; a plain read has them all.
    const { runtime, calls } = fakeRuntime(() => engineStream(calls.length === 1 ? 3_000 : 5_000).stream);
    const ctx = { signal: new AbortController().signal, link: openLink };
    const { entries } = await collect(streamLogs(runtime, input({ follow: true }), ctx, { maxChunkBytes: 16 * 1024 }));
    assert.deepEqual(entries.map((e) => Number(e.line)), Array.from({ length: 5_000 }, (_, i) => i));
    assert.equal(calls.length, 2);
    assert.equal(calls[1]!.follow, false);
    assert.ok(Math.abs(calls[1]!.since! - Date.parse(ts(2_999)) / 1000) < 0.001, `the plain read starts at the last line sent, not at ${calls[1]!.since}`);
  });

  it('reads a container that was not running when the follow began only once: the engine sent it whole', async () => {
    const { runtime, calls } = fakeRuntime(() => engineStream(calls.length === 1 ? 3_000 : 5_000).stream, false, false);
    const ctx = { signal: new AbortController().signal, link: openLink };
    const { entries } = await collect(streamLogs(runtime, input({ follow: true }), ctx));
    assert.equal(entries.length, 3_000);
    assert.equal(calls.length, 1);
    // Its last line, without a newline, is delivered: no read comes after to complete it.
    const unterminated = fakeRuntime(() => Readable.from([Buffer.concat([frame(1, `${ts(1)} first\n`), frame(1, `${ts(2)} last`)])]), false, false);
    const { entries: whole } = await collect(streamLogs(unterminated.runtime, input({ follow: true }), ctx));
    assert.deepEqual(whole.map((e) => e.line), ['first', 'last']);
  });

  it('reads once more when the container started between its inspect and the logs call (the engine then followed it)', async () => {
    for (const after of [
      { running: true, startedAt: ts(1) },
      { running: false, startedAt: ts(1) },
    ]) {
      const { runtime, calls } = fakeRuntime(
        () => engineStream(calls.length === 1 ? 3_000 : 5_000).stream,
        false,
        (inspect) => (inspect === 1 ? { running: false, startedAt: ts(0) } : after),
      );
      const ctx = { signal: new AbortController().signal, link: openLink };
      const { entries } = await collect(streamLogs(runtime, input({ follow: true }), ctx));
      assert.equal(entries.length, 5_000, `running ${after.running}`);
      assert.equal(calls.length, 2);
    }
  });

  it('holds back a long line that a follow cut between its pieces, and delivers it whole from the read after it', async () => {
    const head = 'h'.repeat(16 * 1024);
    const pieces = [frame(1, `${ts(1)} first\n`), frame(1, `${ts(2)} ${head}`)];
    const whole = [...pieces, frame(1, `${ts(2)} tail\n`)];
    for (const gone of [false, true]) {
      const { runtime, calls } = fakeRuntime(() => {
        if (calls.length === 1) return Readable.from([Buffer.concat(pieces)]);
        if (gone) throw new AgentError('NOT_FOUND', 'removed');
        return Readable.from([Buffer.concat(whole)]);
      });
      const ctx = { signal: new AbortController().signal, link: openLink };
      const { entries } = await collect(streamLogs(runtime, input({ follow: true }), ctx));
      // Gone before the second read: the piece received is all there is.
      assert.deepEqual(entries.map((e) => e.line), ['first', gone ? head : `${head}tail`], gone ? 'container gone' : 'container there');
    }
  });

  it('ends a follow quietly when the container is already gone for the read after it', async () => {
    for (const code of ['NOT_FOUND', 'CONFLICT'] as const) {
      const { runtime, calls } = fakeRuntime(() => {
        if (calls.length === 1) return engineStream(10).stream;
        throw new AgentError(code, 'removed');
      });
      const ctx = { signal: new AbortController().signal, link: openLink };
      const { entries } = await collect(streamLogs(runtime, input({ follow: true }), ctx));
      assert.equal(entries.length, 10, code);
    }
  });

  it('refuses a stream with neither stdout nor stderr, and a foreign event id, with BAD_INPUT', async () => {
    const { runtime } = fakeRuntime(() => Readable.from([]));
    const ctx = { signal: new AbortController().signal, link: openLink };
    const isBadInput = (e: unknown) => e instanceof AgentError && e.code === 'BAD_INPUT';
    await assert.rejects(collect(streamLogs(runtime, input({ stdout: false, stderr: false }), ctx)), isBadInput);
    await assert.rejects(collect(streamLogs(runtime, input({ lastEventId: '17' }), ctx)), isBadInput);
  });

  it('throws a TypeError naming an option that makes no sense', () => {
    const { runtime } = fakeRuntime(() => Readable.from([]));
    const ctx = { signal: new AbortController().signal, link: openLink };
    assert.rejects(collect(streamLogs(runtime, input(), ctx, { maxChunkBytes: 0 })), /maxChunkBytes/);
    return assert.rejects(collect(streamLogs(runtime, input(), ctx, { lingerMs: -1 })), /lingerMs/);
  });
});

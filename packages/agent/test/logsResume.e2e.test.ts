import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { EngineBody } from '../src/docker/engineGet.js';
import { linesOf, startLogsFixture, type LogsFixture } from './logsFixture.js';
import type { LogEntry } from '@lormas/protocol';

const PREFIX = `lxresume${process.pid}`;
/** The link's send window at its default ceiling. */
const HIGH_WATER_BYTES = 1024 * 1024;
const MAX_CHUNK_BYTES = 64 * 1024;

/** A TCP hop in front of the hub whose agent-to-server direction the test can stop and slow. */
async function startThrottle(target: string) {
  const { port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  let mode: 'stopped' | 'slow' | 'open' = 'open';
  const waiting = new Set<Socket>();
  const server: Server = createServer((agent) => {
    const hub = connect(Number(targetPort), '127.0.0.1');
    for (const s of [agent, hub]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => (agent.destroy(), hub.destroy(), sockets.delete(s)));
    }
    hub.pipe(agent);
    agent.on('data', (data) => {
      hub.write(data);
      if (mode === 'open') return;
      agent.pause();
      waiting.add(agent);
      // Slow: one socket read each 20 ms. Stopped: no read until the mode changes.
      if (mode === 'slow') setTimeout(() => (waiting.delete(agent), mode !== 'stopped' && agent.resume()), 20);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: target.replace(`:${targetPort}`, `:${address.port}`),
    set(next: typeof mode) {
      mode = next;
      if (next !== 'stopped') for (const s of waiting) s.resume();
      if (next !== 'stopped') waiting.clear();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('log streams across connection cuts and slow readers, against the real engine', () => {
  let f: LogsFixture;
  let throttle: Awaited<ReturnType<typeof startThrottle>>;
  const pressure: string[] = [];
  before(async () => {
    f = await startLogsFixture(PREFIX, {
      streamOptions: { maxChunkBytes: MAX_CHUNK_BYTES, onBackpressure: (state) => pressure.push(state) },
      // The slow reader must not be mistaken for a dead agent.
      hubOptions: { keepAlive: { pingIntervalMs: 60_000, pongTimeoutMs: 60_000 } },
      dialUrl: async (hubUrl) => (throttle = await startThrottle(hubUrl)).url,
    });
  });
  after(async () => {
    await f?.close();
    await throttle?.close();
  });

  it('continues a follow after three connection cuts with no line lost, none repeated, on both streams', async (t) => {
    const total = 30_000;
    const script = `i=0; while [ $i -lt ${total} ]; do i=$((i+1)); echo "seq $i"; if [ $((i % 50)) -eq 0 ]; then echo "err $i" >&2; fi; if [ $((i % 100)) -eq 0 ]; then usleep 20000; fi; done`;
    const id = await f.run('cuts', script);
    const received: LogEntry[] = [];
    let completed = false;
    const subscription = f.client.containers.logs.subscribe(
      { id, follow: true },
      { onData: ({ data }) => received.push(...data.entries), onComplete: () => (completed = true) },
    );
    for (const cutAt of [3_000, 10_000, 20_000]) {
      await waitFor(() => received.length >= cutAt, { what: `${cutAt} lines`, timeoutMs: 30_000 });
      f.cut();
    }
    await waitFor(() => completed, { what: 'the stream to end with the container', timeoutMs: 60_000 });
    subscription.unsubscribe();
    t.diagnostic(`${f.engineStreams.length} engine reads for one subscription`);
    const out = linesOf(received, 'stdout');
    const err = linesOf(received, 'stderr');
    assert.equal(out.length, total, 'stdout count');
    out.forEach((line, i) => line === `seq ${i + 1}` || assert.fail(`stdout line ${i + 1} is ${line}`));
    assert.deepEqual(err, Array.from({ length: total / 50 }, (_, i) => `err ${(i + 1) * 50}`));
    await waitFor(() => f.openEngineStreams() === 0, { what: 'every engine stream to close' });
    assert.ok(f.engineStreams.length >= 4, `the stream was resumed (${f.engineStreams.length} engine reads)`);
  });

  it('stops reading the engine while the reader stalls, stays bounded while it is slow, and catches up once it is fast', async (t) => {
    const total = 200_000;
    const pad = 'y'.repeat(100);
    const id = await f.run('flood', `awk 'BEGIN{for(i=1;i<=${total};i++) printf "%d ${pad}\\n", i}'`);
    throttle.set('stopped');
    pressure.length = 0;
    const received: string[] = [];
    let completed = false;
    const subscription = f.client.containers.logs.subscribe(
      { id, follow: true },
      { onData: ({ data }) => received.push(...linesOf(data.entries)), onComplete: () => (completed = true) },
    );
    try {
      await waitFor(() => pressure.includes('paused'), { what: 'the stream to pause', timeoutMs: 30_000 });
      const engine = f.engineStreams.at(-1) as EngineBody;
      let maxSocketBytes = 0;
      let maxEngineBytes = 0;
      const sample = () => {
        maxSocketBytes = Math.max(maxSocketBytes, f.socket.bufferedAmount);
        maxEngineBytes = Math.max(maxEngineBytes, engine.readableLength);
      };
      const sampler = setInterval(sample, 5);
      try {
        // Stalled: after the buffers settle, not one more byte comes from the engine.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const readAt = engine.bytesRead;
        await new Promise((resolve) => setTimeout(resolve, 700));
        assert.equal(engine.bytesRead, readAt, 'engine bytes read while the reader stalls');
        // Slow: the reader takes a little; the agent reads only what the socket lets through.
        throttle.set('slow');
        const before = received.length;
        await waitFor(() => received.length > before, { what: 'the slow reader to get lines', timeoutMs: 10_000 });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      } finally {
        clearInterval(sampler);
      }
      t.diagnostic(`socket buffered at most ${maxSocketBytes} bytes, engine stream ${maxEngineBytes} bytes; ${received.length} lines before the reader sped up`);
      assert.ok(received.length < total, 'the slow phase did not read everything');
      assert.ok(maxSocketBytes <= HIGH_WATER_BYTES + 2 * MAX_CHUNK_BYTES, `socket buffered up to ${maxSocketBytes} bytes`);
      assert.ok(maxEngineBytes <= 1024 * 1024, `engine stream buffered up to ${maxEngineBytes} bytes`);
      throttle.set('open');
      await waitFor(() => completed, { what: 'the fast reader to catch up', timeoutMs: 60_000 });
    } finally {
      throttle.set('open');
      subscription.unsubscribe();
    }
    assert.equal(received.length, total);
    received.forEach((line, i) => line === `${i + 1} ${pad}` || assert.fail(`line ${i + 1} is ${line.slice(0, 40)}`));
    assert.ok(pressure.includes('resumed'));
  });
});

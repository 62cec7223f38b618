import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { docker, waitFor } from '@lormas/testkit';
import { linesOf, startLogsFixture, type LogsFixture } from './logsFixture.js';

const PREFIX = `lxlogs${process.pid}`;
const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

describe('container logs through the link, against the real engine', () => {
  let f: LogsFixture;
  before(async () => {
    f = await startLogsFixture(PREFIX);
  });
  after(async () => {
    await f?.close();
  });

  it('delivers only the last N lines with tail', async () => {
    const id = await f.run('tail', 'seq 1 10');
    await f.wait(id);
    assert.deepEqual(linesOf(await f.read({ id, tail: 3 })), ['8', '9', '10']);
    assert.equal(f.openEngineStreams(), 0);
  });

  it('marks each entry with its stream and delivers stdout only or stderr only on request', async () => {
    const id = await f.run('streams', 'echo out1; echo err1 >&2; echo out2; echo err2 >&2');
    await f.wait(id);
    const both = await f.read({ id });
    assert.deepEqual(linesOf(both, 'stdout'), ['out1', 'out2']);
    assert.deepEqual(linesOf(both, 'stderr'), ['err1', 'err2']);
    const out = await f.read({ id, stderr: false });
    assert.deepEqual(out.map((e) => [e.stream, e.line]), [['stdout', 'out1'], ['stdout', 'out2']]);
    const err = await f.read({ id, stdout: false });
    assert.deepEqual(err.map((e) => [e.stream, e.line]), [['stderr', 'err1'], ['stderr', 'err2']]);
  });

  it("puts the engine's nanosecond timestamp on every entry, in order, within the container's run", async () => {
    const before = Date.now();
    const id = await f.run('times', 'for i in 1 2 3 4 5; do echo $i; echo e$i >&2; done');
    await f.wait(id);
    const entries = await f.read({ id });
    assert.equal(entries.length, 10);
    for (const stream of ['stdout', 'stderr'] as const) {
      const times = entries.filter((e) => e.stream === stream).map((e) => e.timestamp);
      for (const time of times) {
        assert.match(time, RFC3339_NANO);
        const ms = Date.parse(time);
        assert.ok(ms >= before - 2_000 && ms <= Date.now() + 2_000, time);
      }
      assert.deepEqual([...times].sort(), times);
    }
  });

  it('delivers lines at or after since and before until, given as RFC 3339 or epoch seconds', async () => {
    const id = await f.run('window', 'echo a; sleep 1; echo b; sleep 1; echo c');
    await f.wait(id);
    const all = await f.read({ id });
    assert.deepEqual(linesOf(all), ['a', 'b', 'c']);
    const ms = all.map((e) => Date.parse(e.timestamp));
    const betweenAB = new Date((ms[0]! + ms[1]!) / 2).toISOString();
    const betweenBC = (ms[1]! + ms[2]!) / 2 / 1000;
    assert.deepEqual(linesOf(await f.read({ id, since: betweenAB })), ['b', 'c']);
    assert.deepEqual(linesOf(await f.read({ id, until: betweenBC })), ['a', 'b']);
    assert.deepEqual(linesOf(await f.read({ id, since: Date.parse(betweenAB) / 1000, until: new Date(betweenBC * 1000).toISOString() })), ['b']);
  });

  it('follows a running container and ends the stream when the container stops', async () => {
    const id = await f.run('follow', 'for i in 1 2 3 4 5 6; do echo line$i; sleep 0.2; done');
    const entries = await f.read({ id, follow: true });
    assert.deepEqual(linesOf(entries), ['line1', 'line2', 'line3', 'line4', 'line5', 'line6']);
    await waitFor(() => f.openEngineStreams() === 0, { what: 'the engine stream to close' });
  });

  it('reads a TTY container: lines without the terminal CR, all on stdout, long lines whole', async () => {
    const long = Array.from({ length: 15_000 }, (_, i) => i + 1).join(',');
    const id = await f.run('tty', 'echo one; echo two >&2; seq -s , 1 15000; printf last', ['-t']);
    await f.wait(id);
    const entries = await f.read({ id });
    assert.deepEqual(entries.map((e) => e.stream), ['stdout', 'stdout', 'stdout', 'stdout']);
    assert.deepEqual(linesOf(entries), ['one', 'two', long, 'last']);
    assert.ok(entries.every((e) => RFC3339_NANO.test(e.timestamp)));
  });

  it('delivers a line longer than 64 KiB exactly as written, between its neighbours', async () => {
    const long = Array.from({ length: 30_000 }, (_, i) => i + 1).join(',');
    assert.ok(long.length > 64 * 1024);
    const id = await f.run('long', 'echo before; seq -s , 1 30000; echo after; echo err >&2');
    await f.wait(id);
    const entries = await f.read({ id });
    assert.deepEqual(linesOf(entries, 'stdout'), ['before', long, 'after']);
    assert.deepEqual(linesOf(entries, 'stderr'), ['err']);
  });

  it('delivers all 100,000 lines of a container, in order, each exactly', async () => {
    const id = await f.run('many', 'seq 1 100000');
    await f.wait(id);
    const lines = linesOf(await f.read({ id }));
    assert.equal(lines.length, 100_000);
    lines.forEach((line, i) => {
      if (line !== String(i + 1)) assert.fail(`line ${i + 1} is ${JSON.stringify(line)}`);
    });
    assert.equal(f.openEngineStreams(), 0);
  });

  it('ends a follow and closes the engine stream when the container is removed', async () => {
    const id = await f.run('removed', 'echo alive; sleep 3600');
    const entries: string[] = [];
    let completed = false;
    const opened = f.engineStreams.length;
    const subscription = f.client.containers.logs.subscribe(
      { id, follow: true },
      { onData: ({ data }) => entries.push(...linesOf(data.entries)), onComplete: () => (completed = true) },
    );
    await waitFor(() => entries.length === 1, { what: 'the first line' });
    await docker(['rm', '-f', id]);
    await waitFor(() => completed, { what: 'the stream to end' });
    subscription.unsubscribe();
    assert.deepEqual(entries, ['alive']);
    // The follow, and the plain read after it if the container was not yet gone.
    assert.ok(f.engineStreams.length - opened <= 2, `${f.engineStreams.length - opened} engine reads`);
    await waitFor(() => f.openEngineStreams() === 0, { what: 'the engine stream to close' });
  });

  it('closes the engine stream when the server unsubscribes from a follow', async () => {
    const id = await f.run('unsub', 'while true; do echo tick; sleep 0.1; done');
    let count = 0;
    const subscription = f.client.containers.logs.subscribe({ id, follow: true }, { onData: ({ data }) => (count += data.entries.length) });
    await waitFor(() => count >= 2, { what: 'two ticks' });
    assert.equal(f.openEngineStreams(), 1);
    subscription.unsubscribe();
    await waitFor(() => f.openEngineStreams() === 0, { what: 'the engine stream to close' });
  });

  it('closes the engine stream when the link goes down (agent shutdown)', async () => {
    const id = await f.run('shutdown', 'while true; do echo tick; sleep 0.1; done');
    let count = 0;
    const subscription = f.client.containers.logs.subscribe({ id, follow: true }, { onData: ({ data }) => (count += data.entries.length) });
    await waitFor(() => count >= 2, { what: 'two ticks' });
    f.socket.close();
    await waitFor(() => f.openEngineStreams() === 0, { what: 'the engine stream to close' });
    subscription.unsubscribe();
    f.cut();
  });

  it('refuses a container the engine does not know with NOT_FOUND', async () => {
    await assert.rejects(f.read({ id: `${PREFIX}-missing` }), (e: unknown) => (e as { code?: string }).code === 'NOT_FOUND');
  });
});

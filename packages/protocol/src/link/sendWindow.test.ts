import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendWindow, type SendWindowOptions } from './sendWindow.js';

const KiB = 1024;

interface LinkModel {
  /** What the reader takes, in bytes per millisecond, at a given millisecond. */
  rate: (t: number) => number;
  /** One-way delay in milliseconds. */
  delayMs: number;
}

/**
 * A greedy bulk sender on a simulated link, one millisecond per step: it sends 16 KiB chunks
 * whenever the window has room (and probes when told, as `FlowMeter` does); the reader takes
 * `rate` bytes a millisecond of what has arrived; a probe reaches the reader `delayMs` after
 * it was sent and is answered once the reader has read up to its count; the answer takes
 * `delayMs` back. Returns, per millisecond, the queueing delay a frame sent then would see,
 * the bytes read, and the window.
 */
function simulate(link: LinkModel, ms: number, options: SendWindowOptions = {}, sendEveryMs = 0) {
  const window = new SendWindow(options);
  const chunk = 16 * KiB;
  let sent = 0;
  let read = 0;
  const arrivals: { at: number; upTo: number }[] = [];
  let arrived = 0;
  const probes: { count: number; at: number }[] = [];
  const answers: { at: number; count: number }[] = [];
  const queueDelayMs: number[] = [];
  const readPerMs: number[] = [];
  const sizes: number[] = [];
  const probe = (count: number | null, t: number) => count !== null && probes.push({ count, at: t });
  for (let t = 0; t < ms; t++) {
    while (answers.length > 0 && answers[0]!.at <= t) window.confirmed(answers.shift()!.count, t);
    const send = () => {
      sent += chunk;
      arrivals.push({ at: t + link.delayMs, upTo: sent });
      probe(window.sent(chunk, t), t);
    };
    if (sendEveryMs === 0) {
      while (window.hasRoom()) send();
      probe(window.probeIfIdle(t), t);
    } else if (t % sendEveryMs === 0) send();
    while (arrivals.length > 0 && arrivals[0]!.at <= t) arrived = arrivals.shift()!.upTo;
    const before = read;
    read = Math.min(arrived, read + link.rate(t));
    readPerMs.push(read - before);
    while (probes.length > 0 && probes[0]!.count <= read && probes[0]!.at + link.delayMs <= t) answers.push({ at: t + link.delayMs, count: probes.shift()!.count });
    queueDelayMs.push((sent - read) / link.rate(t));
    sizes.push(window.size);
  }
  return { window, queueDelayMs, readPerMs, sizes };
}

const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), -Infinity);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('SendWindow', () => {
  it('keeps the queue ahead of a new frame near the target behind a 1 MiB/s reader, and the reader busy', () => {
    const { queueDelayMs, readPerMs } = simulate({ rate: () => KiB, delayMs: 1 }, 5_000);
    const lastSecond = queueDelayMs.slice(-1_000);
    // Target 25 ms, plus the chunk that may go out when the window has any room (16 ms at this rate).
    assert.ok(max(lastSecond) <= 60, `queueing delay up to ${max(lastSecond)} ms`);
    assert.ok(sum(readPerMs.slice(-1_000)) >= 0.95 * 1_000 * KiB, `read ${sum(readPerMs.slice(-1_000))} bytes in the last second`);
  });

  it('grows to its ceiling on a fast link, so throughput is not capped by the window', () => {
    const { window, readPerMs } = simulate({ rate: () => 100 * KiB, delayMs: 1 }, 2_000, { maxBytes: 2 * 1024 * KiB });
    assert.equal(window.size, 2 * 1024 * KiB);
    assert.ok(sum(readPerMs.slice(-1_000)) >= 0.95 * 100 * 1_000 * KiB, `read ${sum(readPerMs.slice(-1_000))} bytes in the last second`);
  });

  it('shrinks within a few round trips when the reader slows a hundredfold', () => {
    const slowFrom = 2_000;
    const { queueDelayMs, sizes } = simulate({ rate: (t) => (t < slowFrom ? 100 * KiB : KiB), delayMs: 1 }, 4_000);
    assert.equal(sizes[slowFrom - 1], 1024 * KiB, 'at its ceiling before');
    const settled = queueDelayMs.slice(slowFrom + 1_500);
    assert.ok(max(settled) <= 60, `queueing delay up to ${max(settled)} ms after the slowdown settled`);
    // The whole window was queued when the reader slowed: it drains once, then stays short.
    assert.ok(sizes.slice(slowFrom + 1_500).every((size) => size <= 64 * KiB), `window ${max(sizes.slice(slowFrom + 1_500))}`);
  });

  it('tolerates a long base delay: the target is queueing beyond the base, not the round trip', () => {
    const { queueDelayMs, readPerMs } = simulate({ rate: () => 10 * KiB, delayMs: 40 }, 8_000);
    // In flight: 80 ms of round trip at 10 KiB/ms, plus the target's worth queued.
    const queued = queueDelayMs.slice(-2_000).map((delay) => delay - 40);
    assert.ok(max(queued) <= 100, `queued up to ${max(queued)} ms beyond the one-way delay`);
    assert.ok(sum(readPerMs.slice(-2_000)) >= 0.9 * 2_000 * 10 * KiB, `read ${sum(readPerMs.slice(-2_000))} bytes in the last 2 s`);
  });

  it('does not creep up behind a queue that never empties: it drains now and then to time the empty link', () => {
    const { queueDelayMs, readPerMs } = simulate({ rate: () => KiB, delayMs: 40 }, 300_000);
    const lastMinute = queueDelayMs.slice(-60_000).map((delay) => delay - 40);
    assert.ok(max(lastMinute) <= 100, `queued up to ${max(lastMinute)} ms beyond the one-way delay after 5 minutes`);
    assert.ok(sum(readPerMs.slice(-60_000)) >= 0.85 * 60_000 * KiB, `read ${sum(readPerMs.slice(-60_000))} bytes in the last minute`);
  });

  it('keeps its window through a quiet spell: samples of a link barely used do not shrink it', () => {
    const { window } = simulate({ rate: () => 100 * KiB, delayMs: 50 }, 5_000, {}, 50);
    assert.equal(window.size, 64 * KiB);
  });

  it('does not grow while the sender leaves it unfilled', () => {
    const { window } = simulate({ rate: () => 100 * KiB, delayMs: 1 }, 2_000, {}, 10);
    assert.equal(window.size, 64 * KiB);
  });

  it('counts unconfirmed bytes, probes every probeEveryBytes (an eighth of the window at least), and once when idle with something unconfirmed', () => {
    const window = new SendWindow({ probeEveryBytes: 1_000, initialBytes: 8_000, minBytes: 1_000 });
    assert.equal(window.sent(600, 0), null);
    assert.equal(window.sent(600, 0), 1_200);
    assert.equal(window.probeIfIdle(0), null, 'a probe is out');
    window.confirmed(1_200, 5);
    assert.equal(window.unconfirmed, 0);
    assert.equal(window.probeIfIdle(5), null, 'nothing unconfirmed');
    window.sent(10, 6);
    assert.equal(window.probeIfIdle(6), 1_210);
    assert.ok(window.hasRoom());
    window.sent(8_000, 7);
    assert.equal(window.hasRoom(), false);
    const wide = new SendWindow({ initialBytes: 1024 * KiB });
    assert.equal(wide.sent(64 * KiB, 0), null, 'a 1 MiB window probes every 128 KiB');
    assert.equal(wide.sent(64 * KiB, 0), 128 * KiB);
  });

  it('ignores confirmations of counts never sent or already confirmed', () => {
    const window = new SendWindow();
    window.sent(20 * KiB, 0);
    window.confirmed(1 << 30, 1);
    assert.equal(window.unconfirmed, 20 * KiB);
    window.confirmed(20 * KiB, 1);
    window.confirmed(10 * KiB, 2);
    assert.equal(window.unconfirmed, 0);
  });

  it('throws a TypeError naming an option that makes no sense', () => {
    assert.throws(() => new SendWindow({ targetDelayMs: 0 }), /targetDelayMs/);
    assert.throws(() => new SendWindow({ initialBytes: Number.NaN }), /initialBytes/);
    assert.throws(() => new SendWindow({ minBytes: 2 * KiB, maxBytes: KiB }), /minBytes/);
    assert.equal(new SendWindow({ maxBytes: 8 * KiB }).size, 8 * KiB, 'a small ceiling lowers the default floor');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError, type LogEntry } from '@lormas/protocol';
import { compareTimestamps, sinceSecondsFor } from './engineTime.js';
import { CursorTracker, decodeCursor, encodeCursor, resumeFilter, type LogCursor } from './logCursor.js';

const ts = (n: number) => `2026-11-27T12:00:00.${String(n).padStart(9, '0')}Z`;
const out = (n: number, line: string): LogEntry => ({ stream: 'stdout', timestamp: ts(n), line });
const err = (n: number, line: string): LogEntry => ({ stream: 'stderr', timestamp: ts(n), line });

/**
 * A log as the engine keeps it: each stream's times never go back, but stderr's and
 * stdout's interleave out of order, and several entries share a time.
 */
const LOG: LogEntry[] = [
  out(1, 'a'), out(1, 'b'), err(1, 'e1'), out(1, 'c'), out(2, 'd'), err(5, 'e2'), out(3, 'long line'),
  out(3, 'f'), err(5, 'e3'), err(5, 'e4'), out(6, 'g'), out(6, 'h'), out(6, 'i'), err(6, 'e5'),
];

/** What the engine sends for `since`: every entry at or after it, in file order. */
const replay = (since: string) => LOG.filter((e) => compareTimestamps(e.timestamp, since) >= 0);

/** Delivers `LOG`, cutting after each count in `cuts`, resuming each time from the last id. */
function deliverWithCuts(cuts: number[]): LogEntry[] {
  const received: LogEntry[] = [];
  let cursor: LogCursor | null = null;
  let source = LOG;
  for (const cut of [...cuts, Infinity]) {
    const keep = cursor ? resumeFilter(cursor) : () => true;
    const tracker = new CursorTracker(cursor);
    for (const entry of source) {
      if (received.length >= cut) break;
      if (!keep(entry)) continue;
      received.push(entry);
      tracker.record(entry);
    }
    if (cut === Infinity) break;
    cursor = decodeCursor(tracker.encode({ stdout: null, stderr: null }));
    source = replay(cursor.floor);
  }
  return received;
}

describe('log cursor', () => {
  it('round-trips through its event id', () => {
    const cursor: LogCursor = { floor: ts(1), stdout: { timestamp: ts(3), count: 2 }, stderr: null };
    assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
  });

  it('refuses an event id it did not issue with BAD_INPUT', () => {
    for (const id of ['', '42', 'l1|x||||', `l1|${ts(1)}|${ts(1)}|0||`, `l2|${ts(1)}|${ts(1)}|1||`, `l1|${ts(1)}|||||extra`]) {
      assert.throws(() => decodeCursor(id), (e: unknown) => e instanceof AgentError && e.code === 'BAD_INPUT', id);
    }
  });

  it('counts the delivered entries that share the last timestamp, per stream', () => {
    const tracker = new CursorTracker(null);
    for (const entry of LOG.slice(0, 4)) tracker.record(entry);
    assert.deepEqual(decodeCursor(tracker.encode({ stdout: null, stderr: null })), {
      floor: ts(1),
      stdout: { timestamp: ts(1), count: 3 },
      stderr: { timestamp: ts(1), count: 1 },
    });
  });

  it('resumes after every possible cut with no entry lost and none repeated, entries sharing a time included', () => {
    for (let cut = 1; cut < LOG.length; cut++) assert.deepEqual(deliverWithCuts([cut]), LOG, `cut after ${cut}`);
  });

  it('survives three cuts in a row at every combination of positions', () => {
    for (let a = 1; a < LOG.length; a++) {
      for (let b = a; b < LOG.length; b++) {
        for (let c = b; c < LOG.length; c++) assert.deepEqual(deliverWithCuts([a, b, c]), LOG, `cuts after ${a}, ${b}, ${c}`);
      }
    }
  });

  it("starts a stream that delivered nothing yet from the time of its line still being joined", () => {
    const tracker = new CursorTracker(null);
    tracker.record(out(4, 'x'));
    const cursor = decodeCursor(tracker.encode({ stdout: null, stderr: ts(2) }));
    assert.equal(cursor.floor, ts(2));
    const keep = resumeFilter(cursor);
    assert.deepEqual([out(4, 'x'), err(2, 'joined'), out(5, 'y')].filter(keep).map((e) => e.line), ['joined', 'y']);
  });

  it('asks the engine for a since no later than the cursor despite a number holding only microseconds', () => {
    for (const nanos of [0, 1, 999, 1000, 123_456_789, 999_999_999]) {
      const time = ts(nanos);
      const since = sinceSecondsFor(time);
      const whole = Math.floor(since);
      const fractionNs = Math.round((since - whole) * 1e9);
      const sinceNs = BigInt(whole) * 1_000_000_000n + BigInt(fractionNs);
      const timeNs = BigInt(Date.parse('2026-11-27T12:00:00Z') / 1000) * 1_000_000_000n + BigInt(nanos);
      assert.ok(sinceNs <= timeNs, `${time}: ${since}`);
      assert.ok(timeNs - sinceNs < 3_000n, `${time}: ${since} is close`);
    }
  });
});

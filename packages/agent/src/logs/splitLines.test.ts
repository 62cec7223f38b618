import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogEntry } from '@lormas/protocol';
import { DRIVER_PIECE_BYTES, LineSplitter } from './splitLines.js';

const T1 = '2026-11-27T12:14:35.466012485Z';
const T2 = '2026-11-27T12:14:35.478959256Z';

function splitter(tty: boolean, maxLineBytes?: number) {
  const entries: LogEntry[] = [];
  const s = new LineSplitter({ stream: 'stdout', tty, onEntry: (e) => entries.push(e), ...(maxLineBytes ? { maxLineBytes } : {}) });
  return { s, entries };
}

const message = (ts: string, content: string | Buffer) => Buffer.concat([Buffer.from(`${ts} `), Buffer.from(content)]);

/** A long line as the json-file driver stores it: pieces of 16 KiB under the first piece's time. */
function pieces(ts: string, line: Buffer, ending = '\n'): Buffer[] {
  const content = Buffer.concat([line, Buffer.from(ending)]);
  const out: Buffer[] = [];
  for (let i = 0; i < content.length; i += DRIVER_PIECE_BYTES) out.push(message(ts, content.subarray(i, i + DRIVER_PIECE_BYTES)));
  return out;
}

describe('LineSplitter, framed (non-TTY)', () => {
  it('turns each complete message into an entry without its newline and with its timestamp', () => {
    const { s, entries } = splitter(false);
    s.pushFrame(message(T1, 'hello\n'), true);
    s.pushFrame(message(T2, '\n'), true);
    assert.deepEqual(entries, [
      { stream: 'stdout', timestamp: T1, line: 'hello' },
      { stream: 'stdout', timestamp: T2, line: '' },
    ]);
  });

  it('keeps a carriage return that is part of a non-TTY line', () => {
    const { s, entries } = splitter(false);
    s.pushFrame(message(T1, 'dos\r\n'), true);
    assert.equal(entries[0]!.line, 'dos\r');
  });

  it('reads a message delivered in pieces at every position, the timestamp included', () => {
    const frame = message(T1, 'grüße\n');
    for (let cut = 0; cut <= frame.length; cut++) {
      const { s, entries } = splitter(false);
      s.pushFrame(frame.subarray(0, cut), false);
      s.pushFrame(frame.subarray(cut), true);
      assert.deepEqual(entries, [{ stream: 'stdout', timestamp: T1, line: 'grüße' }], `cut at ${cut}`);
    }
  });

  it("joins the driver's partial messages into the original line, under the first piece's time, across a cut character", () => {
    // 'é' is two bytes; the prefix makes a piece boundary fall between them.
    const line = Buffer.from('x'.repeat(DRIVER_PIECE_BYTES - 1) + 'é'.repeat(40_000));
    const { s, entries } = splitter(false);
    for (const piece of pieces(T1, line)) s.pushFrame(piece, true);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.timestamp, T1);
    assert.equal(entries[0]!.line, line.toString());
    assert.equal(s.pendingTimestamp, null);
  });

  it('names the time of a line still being joined', () => {
    const { s } = splitter(false);
    s.pushFrame(pieces(T2, Buffer.alloc(20_000, 'a'))[0]!, true);
    assert.equal(s.pendingTimestamp, T2);
  });

  it('delivers a last line without newline when the stream ends', () => {
    const { s, entries } = splitter(false);
    s.pushFrame(message(T1, 'no eol'), true);
    assert.equal(entries.length, 0);
    s.end();
    assert.deepEqual(entries, [{ stream: 'stdout', timestamp: T1, line: 'no eol' }]);
  });

  it('cuts a line longer than maxLineBytes into several entries, losing no byte', () => {
    const line = 'b'.repeat(50_000);
    const { s, entries } = splitter(false, 20_000);
    for (const piece of pieces(T1, Buffer.from(line))) s.pushFrame(piece, true);
    assert.ok(entries.length > 1);
    assert.equal(entries.map((e) => e.line).join(''), line);
    assert.ok(entries.every((e) => e.timestamp === T1));
  });
});

describe('LineSplitter, raw (TTY)', () => {
  const wire = Buffer.concat([message(T1, 'first\r\n'), message(T2, 'zwëite\r\n'), message(T2, 'tail')]);

  it('splits lines, drops the terminal CR LF and keeps the timestamps, whatever the chunk cut', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const { s, entries } = splitter(true);
      s.pushRaw(wire.subarray(0, cut));
      s.pushRaw(wire.subarray(cut));
      s.end();
      assert.deepEqual(
        entries.map((e) => [e.timestamp, e.line]),
        [
          [T1, 'first'],
          [T2, 'zwëite'],
          [T2, 'tail'],
        ],
        `cut at ${cut}`,
      );
    }
  });

  it('joins the 16 KiB pieces of a long TTY line, with a CR falling at a piece boundary', () => {
    const line = Buffer.from('y'.repeat(DRIVER_PIECE_BYTES - 1) + 'ö'.repeat(30_000));
    for (const body of [line, line.subarray(0, DRIVER_PIECE_BYTES - 1)]) {
      const { s, entries } = splitter(true);
      const bytes = Buffer.concat(pieces(T1, body, '\r\n'));
      for (let i = 0; i < bytes.length; i += 1000) s.pushRaw(bytes.subarray(i, i + 1000));
      assert.deepEqual(entries, [{ stream: 'stdout', timestamp: T1, line: body.toString() }]);
    }
  });
});

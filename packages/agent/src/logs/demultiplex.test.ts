import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Demultiplexer, type StreamKind } from './demultiplex.js';

function frame(kind: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Feeds `chunks` and returns the frames rebuilt from the pieces handed on. */
function run(chunks: Buffer[]): { frames: [StreamKind, string][]; pieces: number; midFrame: boolean } {
  const frames: [StreamKind, string][] = [];
  let current: Buffer[] = [];
  let pieces = 0;
  const demux = new Demultiplexer((stream, bytes, frameEnd) => {
    pieces += 1;
    current.push(Buffer.from(bytes));
    if (frameEnd) {
      frames.push([stream, Buffer.concat(current).toString()]);
      current = [];
    }
  });
  for (const chunk of chunks) demux.push(chunk);
  return { frames, pieces, midFrame: demux.midFrame };
}

const wire = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err ü\n'), frame(1, ''), frame(1, 'out two without newline')]);
const expected: [StreamKind, string][] = [
  ['stdout', 'out one\n'],
  ['stderr', 'err ü\n'],
  ['stdout', ''],
  ['stdout', 'out two without newline'],
];

describe('Demultiplexer', () => {
  it('splits several frames in one chunk into their streams', () => {
    assert.deepEqual(run([wire]).frames, expected);
  });

  it('rebuilds every frame whatever position a chunk is cut at, headers included', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const { frames, midFrame } = run([wire.subarray(0, cut), wire.subarray(cut)]);
      assert.deepEqual(frames, expected, `cut at ${cut}`);
      assert.equal(midFrame, false);
    }
  });

  it('rebuilds every frame when cut at every pair of positions', () => {
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b++) {
        assert.deepEqual(run([wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)]).frames, expected, `cuts at ${a} and ${b}`);
      }
    }
  });

  it('rebuilds every frame from a stream delivered one byte at a time', () => {
    const bytes = [...wire].map((b) => Buffer.from([b]));
    assert.deepEqual(run(bytes).frames, expected);
  });

  it('hands a frame on without copying it when the frame lies in one chunk', () => {
    assert.equal(run([wire]).pieces, 4);
  });

  it('drops stdin frames and tells a truncated stream apart', () => {
    const { frames, midFrame } = run([Buffer.concat([frame(0, 'in\n'), frame(2, 'e\n')]), frame(1, 'cut short').subarray(0, 12)]);
    assert.deepEqual(frames, [['stderr', 'e\n']]);
    assert.equal(midFrame, true);
  });
});

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { jsonLines } from './jsonLines.js';

async function collect(chunks: string[]): Promise<unknown[]> {
  const out = [];
  for await (const value of jsonLines(Readable.from(chunks.map((c) => Buffer.from(c))))) out.push(value);
  return out;
}

describe('jsonLines', () => {
  it('joins a JSON line split across chunks', async () => {
    assert.deepEqual(await collect(['{"a":', '1}\n{"b"', ':2}\n']), [{ a: 1 }, { b: 2 }]);
  });

  it('reads several lines in one chunk, with CRLF endings and blank lines', async () => {
    assert.deepEqual(await collect(['{"a":1}\r\n\r\n{"a":2}\n']), [{ a: 1 }, { a: 2 }]);
  });

  it('reads a last line without a newline', async () => {
    assert.deepEqual(await collect(['{"a":1}\n{"a":2}']), [{ a: 1 }, { a: 2 }]);
  });

  it('skips a line that is not JSON', async () => {
    assert.deepEqual(await collect(['not json\n{"a":1}\n']), [{ a: 1 }]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyDecoder, MAX_HEAD_BYTES, parseHead, type ResponseHead } from './httpResponse.js';

const head = (text: string) => parseHead(Buffer.from(text, 'latin1'));

/** Everything `body` decodes from `wire` fed in the given pieces, and whether it ended. */
function decode(decoder: ReturnType<typeof bodyDecoder>, pieces: Buffer[]): { content: string; done: boolean } {
  const out: Buffer[] = [];
  for (const piece of pieces) {
    const content = decoder.push(piece);
    if (content) out.push(content);
  }
  return { content: Buffer.concat(out).toString('latin1'), done: decoder.done };
}

/** `wire` cut at every position in `cuts`. */
function cutAt(wire: Buffer, cuts: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of cuts) {
    pieces.push(wire.subarray(from, at));
    from = at;
  }
  pieces.push(wire.subarray(from));
  return pieces;
}

const withHeaders = (headers: Record<string, string>): ResponseHead => ({ status: 200, headers: new Map(Object.entries(headers)), length: 0 });

describe('parseHead', () => {
  it('waits for the blank line, then reads the status and headers, names in lower case', () => {
    assert.equal(head('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n'), null);
    const parsed = head('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nApi-Version:1.41\r\nVary: a\r\nvary: b\r\n\r\nbody');
    assert.equal(parsed?.status, 200);
    assert.equal(parsed?.length, 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nApi-Version:1.41\r\nVary: a\r\nvary: b\r\n\r\n'.length);
    assert.deepEqual([...parsed!.headers], [
      ['content-type', 'text/plain'],
      ['api-version', '1.41'],
      ['vary', 'a, b'],
    ]);
    assert.equal(head('HTTP/1.1 404 Not Found\r\n\r\n')?.status, 404);
    assert.equal(head('HTTP/1.1 204\r\n\r\n')?.status, 204);
  });

  it('refuses what is not an HTTP/1.x head, and a head that never ends', () => {
    assert.throws(() => head('SSH-2.0-OpenSSH\r\n\r\n'), /status line/);
    assert.throws(() => head('HTTP/2 200\r\n\r\n'), /status line/);
    assert.throws(() => head('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'), /header/);
    assert.throws(() => parseHead(Buffer.alloc(MAX_HEAD_BYTES + 1, 'a')), /exceeds/);
  });
});

describe('bodyDecoder', () => {
  const content = 'first line\nsecond\n' + 'x'.repeat(300) + '\n';
  const chunked = Buffer.from(
    `a;name=value\r\n${content.slice(0, 10)}\r\n` + `8\r\n${content.slice(10, 18)}\r\n` + `${(content.length - 18).toString(16).toUpperCase()}\r\n${content.slice(18)}\r\n` + '0\r\nTrailer: x\r\n\r\n',
    'latin1',
  );

  it('decodes a chunked body cut at any byte, extensions and trailers included, and says when it is done', () => {
    for (let at = 0; at <= chunked.length; at++) {
      const { content: got, done } = decode(bodyDecoder(withHeaders({ 'transfer-encoding': 'chunked' })), cutAt(chunked, [at]));
      assert.equal(got, content, `cut at ${at}`);
      assert.ok(done, `done, cut at ${at}`);
    }
    const bytewise = Array.from(chunked, (byte) => Buffer.from([byte]));
    assert.deepEqual(decode(bodyDecoder(withHeaders({ 'transfer-encoding': 'chunked' })), bytewise), { content, done: true });
  });

  it('gives nothing after the last chunk, and is not done before it', () => {
    const decoder = bodyDecoder(withHeaders({ 'transfer-encoding': 'chunked' }));
    assert.deepEqual(decode(decoder, [chunked.subarray(0, chunked.length - 2)]), { content, done: false });
    assert.equal(decoder.closeEnds, false);
    assert.deepEqual(decode(decoder, [Buffer.from('\r\nHTTP/1.1 200 OK\r\n')]), { content: '', done: true });
  });

  it('refuses a malformed chunked body', () => {
    const decoder = () => bodyDecoder(withHeaders({ 'transfer-encoding': 'chunked' }));
    assert.throws(() => decoder().push(Buffer.from('zz\r\nab\r\n')), /chunk size/);
    assert.throws(() => decoder().push(Buffer.from('2\r\nabc\r\n')), /CRLF/);
    assert.throws(() => decoder().push(Buffer.from('1'.repeat(5000))), /too long/);
    assert.throws(() => bodyDecoder(withHeaders({ 'transfer-encoding': 'gzip, chunked' })), /transfer coding/);
  });

  it('takes exactly Content-Length bytes', () => {
    const decoder = bodyDecoder(withHeaders({ 'content-length': '5' }));
    assert.deepEqual(decode(decoder, [Buffer.from('ab'), Buffer.from('cdefg')]), { content: 'abcde', done: true });
    assert.equal(decoder.closeEnds, false);
    assert.equal(bodyDecoder(withHeaders({ 'content-length': '0' })).done, true);
    assert.throws(() => bodyDecoder(withHeaders({ 'content-length': '-1' })), /content length/);
  });

  it('without either, takes everything until the connection closes (the engine answering HTTP/1.0)', () => {
    const decoder = bodyDecoder(withHeaders({}));
    assert.deepEqual(decode(decoder, [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('0\r\n\r\n')]), { content: 'ab0\r\n\r\n', done: false });
    assert.equal(decoder.closeEnds, true);
  });
});

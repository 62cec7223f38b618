/**
 * The reading side of an HTTP/1.x response, for the engine's streamed answers (see
 * `engineGet.ts`): the head, then the body in whichever framing the head announced. Pure:
 * bytes in, parts out, split anywhere.
 */

/** A response head bigger than this is refused; the engine's are a few hundred bytes. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size or trailer line longer than this is refused. */
const MAX_LINE_BYTES = 4 * 1024;

export interface ResponseHead {
  status: number;
  /** Header names in lower case; a repeated header's values joined with `, `. */
  headers: Map<string, string>;
  /** Bytes of the head, blank line included: the body starts there. */
  length: number;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/;

/** The head at the start of `bytes`, or null while its blank line has not arrived. */
export function parseHead(bytes: Buffer): ResponseHead | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) {
    if (bytes.length > MAX_HEAD_BYTES) throw new Error(`the engine's response head exceeds ${MAX_HEAD_BYTES} bytes`);
    return null;
  }
  const [statusLine = '', ...lines] = bytes.toString('latin1', 0, end).split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (!status) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`not an HTTP header: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const earlier = headers.get(name);
    headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return { status: Number(status[1]), headers, length: end + 4 };
}

/** Takes a body's bytes as they arrive and gives back its content, without the framing. */
export interface BodyDecoder {
  /** The content in `bytes`, copied into a buffer of its own (`bytes` may be a read buffer used again), or null for none. */
  push(bytes: Buffer): Buffer | null;
  /** True once the framing says the body is complete; bytes after that are not the body's. */
  readonly done: boolean;
  /** Whether the connection closing now ends the body as it should, rather than cutting it. */
  readonly closeEnds: boolean;
}

/**
 * The decoder the head asks for: chunked transfer coding, a `Content-Length`, or (HTTP/1.0,
 * which the engine answers without either) everything until the connection closes.
 */
export function bodyDecoder(head: ResponseHead): BodyDecoder {
  const coding = head.headers.get('transfer-encoding');
  if (coding !== undefined) {
    if (coding.toLowerCase() !== 'chunked') throw new Error(`unsupported transfer coding: ${coding}`);
    return new ChunkedDecoder();
  }
  const length = head.headers.get('content-length');
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) throw new Error(`not a content length: ${JSON.stringify(length)}`);
    return new LengthDecoder(Number(length));
  }
  return new UntilCloseDecoder();
}

class UntilCloseDecoder implements BodyDecoder {
  readonly done = false;
  readonly closeEnds = true;
  push(bytes: Buffer): Buffer | null {
    return bytes.length > 0 ? Buffer.from(bytes) : null;
  }
}

class LengthDecoder implements BodyDecoder {
  readonly closeEnds = false;
  #left: number;
  constructor(length: number) {
    this.#left = length;
  }
  get done(): boolean {
    return this.#left === 0;
  }
  push(bytes: Buffer): Buffer | null {
    const take = Math.min(this.#left, bytes.length);
    this.#left -= take;
    return take > 0 ? Buffer.from(bytes.subarray(0, take)) : null;
  }
}

/** Hex digit values by byte; -1 for any other byte. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/**
 * RFC 9112 section 7.1: size line (extensions ignored), data, CRLF; a zero size, trailers, a
 * blank line. The engine sends a followed log as one chunk per line, so a read holds hundreds
 * of chunks: their data is copied into one buffer per push, and a size line that lies whole in
 * the read is parsed from the bytes, without a string.
 */
class ChunkedDecoder implements BodyDecoder {
  readonly closeEnds = false;
  #state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  /** The part of a size or trailer line received so far, when a read ended inside one. */
  #line = '';
  /** Data bytes left in the current chunk; in 'data-end', CRLF bytes left. */
  #left = 0;

  get done(): boolean {
    return this.#state === 'done';
  }

  push(bytes: Buffer): Buffer | null {
    let out: Buffer | null = null;
    let length = 0;
    let at = 0;
    while (at < bytes.length && this.#state !== 'done') {
      switch (this.#state) {
        case 'data': {
          const take = Math.min(this.#left, bytes.length - at);
          out ??= Buffer.allocUnsafe(bytes.length);
          length += bytes.copy(out, length, at, at + take);
          at += take;
          this.#left -= take;
          if (this.#left === 0) {
            this.#state = 'data-end';
            this.#left = 2;
          }
          break;
        }
        case 'data-end': {
          const expected = this.#left === 2 ? 13 : 10;
          if (bytes[at] !== expected) throw new Error('malformed chunked body: no CRLF after a chunk');
          at += 1;
          this.#left -= 1;
          if (this.#left === 0) this.#state = 'size';
          break;
        }
        case 'size': {
          const next = this.#line === '' ? this.#sizeLineAt(bytes, at) : -1;
          if (next !== -1) {
            at = next;
            break;
          }
          const line = this.#readLine(bytes, at);
          at = line.next;
          if (line.text !== null) this.#onSize(line.text);
          break;
        }
        default: {
          const line = this.#readLine(bytes, at);
          at = line.next;
          if (line.text === '') this.#state = 'done';
        }
      }
    }
    return out === null || length === 0 ? null : out.subarray(0, length);
  }

  /** Parses a size line lying whole in `bytes` from `at`; the index after it, or -1 when it does not end in `bytes`. */
  #sizeLineAt(bytes: Buffer, at: number): number {
    let size = 0;
    let i = at;
    for (; i < bytes.length; i++) {
      const digit = HEX[bytes[i]!]!;
      if (digit === -1) break;
      if (i - at === 12) throw new Error('malformed chunked body: a chunk size too long');
      size = size * 16 + digit;
    }
    const lf = bytes.indexOf(10, i);
    if (lf === -1) return -1;
    const after = bytes[i];
    // After the digits: the line's end, or an extension (";name=value"), perhaps after blanks.
    if (i === at || (after !== 13 && after !== 59 && after !== 32 && after !== 9)) {
      throw new Error(`malformed chunked body: chunk size ${JSON.stringify(bytes.toString('latin1', at, Math.min(lf, at + 20)))}`);
    }
    if (lf - at > MAX_LINE_BYTES) throw new Error('malformed chunked body: a line too long');
    this.#sized(size);
    return lf + 1;
  }

  /** Reads up to the next LF; `text` is null while the line is incomplete. */
  #readLine(bytes: Buffer, at: number): { text: string | null; next: number } {
    const lf = bytes.indexOf(10, at);
    const end = lf === -1 ? bytes.length : lf;
    this.#line += bytes.toString('latin1', at, end);
    if (this.#line.length > MAX_LINE_BYTES) throw new Error('malformed chunked body: a line too long');
    if (lf === -1) return { text: null, next: bytes.length };
    const text = this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line;
    this.#line = '';
    return { text, next: lf + 1 };
  }

  #onSize(line: string): void {
    const hex = line.split(';', 1)[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new Error(`malformed chunked body: chunk size ${JSON.stringify(hex.slice(0, 20))}`);
    this.#sized(Number.parseInt(hex, 16));
  }

  #sized(size: number): void {
    if (size === 0) this.#state = 'trailer';
    else {
      this.#state = 'data';
      this.#left = size;
    }
  }
}

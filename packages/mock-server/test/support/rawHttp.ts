import { connect } from 'node:net';

/** One HTTP/1.1 response as it came off the socket. */
export interface RawResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface ExchangeOptions {
  port: number;
  /** What to send: one request, several pipelined, or the first part of one. */
  payload: Buffer;
  /** Method of each request, in order: the answer to a HEAD has no body whatever its length says. */
  methods: string[];
  /** Half-close the socket after the payload, as a client cut off mid-request does. @default false */
  endAfterPayload?: boolean;
  /** How long to wait for the answers or the close. @default 15_000 (milliseconds) */
  timeoutMs?: number;
  /** Wait for the server to close the connection after the answers, up to `timeoutMs`. @default false */
  waitForClose?: boolean;
  /** How long an answer that streams without end is read before the exchange ends. @default 100 (milliseconds) */
  openStreamMs?: number;
}

export interface Exchange {
  responses: RawResponse[];
  /**
   * An answer that streams without end (`GET /api/events`): its status, headers and what
   * came of its body so far. Requests pipelined behind it wait for it, so they go unanswered.
   */
  openStream: RawResponse | null;
  /** Whether the server closed (or reset) the connection. */
  closed: boolean;
  /** Whether the wait expired before every answer came or the connection closed. */
  timedOut: boolean;
  /** Bytes after the last whole response: an answer cut short, or garbage. */
  leftover: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Decodes a chunked body at `start`; null while incomplete. */
function dechunk(buffer: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) throw new Error(`malformed chunk size at byte ${at}`);
    if (size === 0) {
      const trailerEnd = buffer.indexOf(HEAD_END, lineEnd);
      const end = buffer.subarray(lineEnd, lineEnd + 4).equals(HEAD_END) ? lineEnd + 4 : trailerEnd < 0 ? -1 : trailerEnd + 4;
      return end < 0 ? null : { body: Buffer.concat(parts), end };
    }
    if (buffer.length < lineEnd + 2 + size + 2) return null;
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * Parses the whole responses at the start of `buffer`. A response with neither length nor
 * chunking runs to the close; 1xx interim answers are skipped, and a 101 ends the HTTP
 * part of the connection.
 */
/** Whether an answer is a stream that may never end: Server-Sent Events or NDJSON. */
const streams = (headers: Record<string, string>) => /^(text\/event-stream|application\/x-ndjson)/.test(headers['content-type'] ?? '');

export function parseResponses(buffer: Buffer, methods: string[], closed: boolean): { responses: RawResponse[]; rest: number; upgraded: boolean; open: RawResponse | null } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < buffer.length) {
    const headEnd = buffer.indexOf(HEAD_END, at);
    if (headEnd < 0) break;
    const [statusLine, ...lines] = buffer.subarray(at, headEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!);
    if (!match) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine!.slice(0, 80))}`);
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] = headers[name] === undefined ? line.slice(colon + 1).trim() : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
    }
    const bodyStart = headEnd + 4;
    if (status === 101) return { responses: [...responses, { status, headers, body: Buffer.alloc(0) }], rest: 0, upgraded: true, open: null };
    if (status >= 100 && status < 200) {
      at = bodyStart;
      continue;
    }
    const noBody = methods[responses.length]?.toUpperCase() === 'HEAD' || status === 204 || status === 304;
    let body: Buffer;
    let end: number;
    if (noBody) {
      body = Buffer.alloc(0);
      end = bodyStart;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunked = dechunk(buffer, bodyStart);
      if (!chunked) {
        if (streams(headers)) return { responses, rest: buffer.length - at, upgraded: false, open: { status, headers, body: partialChunks(buffer, bodyStart) } };
        break;
      }
      ({ body, end } = chunked);
    } else if (headers['content-length'] !== undefined) {
      end = bodyStart + Number(headers['content-length']);
      if (buffer.length < end) break;
      body = buffer.subarray(bodyStart, end);
    } else {
      // No length and no chunks (an HTTP/1.0 client): the body runs until the server closes, which a stream never does.
      if (!closed) {
        if (streams(headers)) return { responses, rest: buffer.length - at, upgraded: false, open: { status, headers, body: buffer.subarray(bodyStart) } };
        break;
      }
      body = buffer.subarray(bodyStart);
      end = buffer.length;
    }
    responses.push({ status, headers, body });
    at = end;
  }
  return { responses, rest: buffer.length - at, upgraded: false, open: null };
}

/** The whole chunks of a chunked body that has not ended yet. */
function partialChunks(buffer: Buffer, start: number): Buffer {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    const size = lineEnd < 0 ? Number.NaN : Number.parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0) || buffer.length < lineEnd + 2 + size + 2) return Buffer.concat(parts);
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * Sends raw bytes to the server over a fresh TCP connection and reads what comes back:
 * until one answer per request arrived, the server closed the connection, or the wait
 * expired. Nothing here can throw on what the server sends; a malformed answer throws
 * from the parser, which is a finding.
 */
export function exchange(options: ExchangeOptions): Promise<Exchange> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const socket = connect(options.port, '127.0.0.1');
    const received: Buffer[] = [];
    let settled = false;
    let streamTimer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(streamTimer);
      socket.destroy();
      try {
        const { responses, rest, open } = parseResponses(Buffer.concat(received), options.methods, closed);
        resolve({ responses, openStream: open, closed, timedOut, leftover: rest });
      } catch (error) {
        reject(error);
      }
    };
    const timer = setTimeout(() => {
      // Waiting for a close that never came: the answers are all there, the connection stayed open.
      const answered = options.waitForClose && parseResponses(Buffer.concat(received), options.methods, false).responses.length >= options.methods.length;
      finish(false, !answered);
    }, timeoutMs);
    socket.on('error', () => finish(true, false));
    socket.on('close', () => finish(true, false));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      try {
        const { responses, upgraded, open } = parseResponses(Buffer.concat(received), options.methods, false);
        if (upgraded || (responses.length >= options.methods.length && !options.waitForClose)) finish(false, false);
        // A stream without end answers its request; read a little of it, then stop.
        else if (open && !streamTimer) streamTimer = setTimeout(() => finish(false, false), options.openStreamMs ?? 100);
      } catch {
        // Judged once the exchange ends, on everything received.
      }
    });
    socket.on('connect', () => {
      socket.write(options.payload);
      if (options.endAfterPayload) socket.end();
    });
  });
}

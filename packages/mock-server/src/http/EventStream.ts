import type { IncomingMessage, ServerResponse } from 'node:http';

export type StreamFormat = 'ndjson' | 'sse';

/**
 * The stream format a request asks for with `Accept`: `application/x-ndjson`, or
 * `text/event-stream` where `sse` is offered; `null` asks for one plain JSON answer.
 */
export function streamFormat(req: IncomingMessage, offers: readonly StreamFormat[]): StreamFormat | null {
  const accept = req.headers.accept ?? '';
  if (offers.includes('ndjson') && /application\/(x-)?ndjson/i.test(accept)) return 'ndjson';
  if (offers.includes('sse') && /text\/event-stream/i.test(accept)) return 'sse';
  return null;
}

export interface EventStreamOptions {
  /**
   * A reader this far behind is cut off with a `SLOW_READER` error instead of letting the
   * server buffer without bound (agent streams cannot be paused from here).
   * @default 8 MiB (bytes)
   */
  maxBufferedBytes?: number;
  /**
   * Writes are gathered and sent as one socket write at most this often; 0 sends the writes
   * of each tick together at its end. A live stream of thousands of nodes' heartbeats (2,000
   * events a second at 10,000 nodes) otherwise pays a socket write per event, since each
   * agent's frame arrives in a tick of its own: in a CPU profile at 10,000 agents those
   * writes held a fifth of the server's samples.
   * @default 0 (milliseconds)
   */
  flushIntervalMs?: number;
  /**
   * Gathered text is sent at once when it reaches this much, whatever the interval: a burst
   * (thousands of nodes going online together) or a loop busy past the interval must not
   * pile up text the reader has had no chance to read.
   * @default 65_536 (bytes)
   */
  flushAtBytes?: number;
}

/**
 * One streamed HTTP answer: NDJSON (one JSON value per line) or Server-Sent Events. The
 * 200 and its headers go out with the first write, so a route can still answer with a
 * plain JSON error if it fails before streaming anything.
 */
export class EventStream {
  private readonly maxBufferedBytes: number;
  private readonly flushIntervalMs: number;
  private readonly flushAtBytes: number;
  private readonly aborter = new AbortController();
  /** Text written since the last flush, sent as one write. */
  private pending: string[] = [];
  /** Characters in `pending`: about its bytes (mostly ASCII JSON), without encoding it twice. */
  private pendingLength = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushQueued = false;

  constructor(
    private readonly res: ServerResponse,
    readonly format: StreamFormat,
    options: EventStreamOptions = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.flushIntervalMs = options.flushIntervalMs ?? 0;
    if (!Number.isFinite(this.flushIntervalMs) || this.flushIntervalMs < 0) throw new TypeError('EventStream: options.flushIntervalMs must be a number of milliseconds >= 0');
    this.flushAtBytes = options.flushAtBytes ?? 65_536;
    if (!Number.isInteger(this.flushAtBytes) || this.flushAtBytes < 1) throw new TypeError('EventStream: options.flushAtBytes must be a whole number of bytes >= 1');
    res.once('close', () => {
      this.aborter.abort();
      this.dropPending();
    });
  }

  /** Aborts when the HTTP client goes away or the stream ended. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  get started(): boolean {
    return this.res.headersSent;
  }

  /** Sends the status and headers now, e.g. before a long wait for the first event. */
  start(): void {
    if (this.res.headersSent || this.signal.aborted) return;
    this.res.writeHead(200, {
      'content-type': this.format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies such as nginx would otherwise hold the stream back.
      'x-accel-buffering': 'no',
    });
    if (this.format === 'sse') this.res.write(': stream open\n\n');
  }

  /**
   * Resolves when the client has read what the server holds for it (at once if it has), or
   * when the stream ends. A stream carried from another replica waits for it before taking
   * more, so a slow reader slows the agent instead of filling memory.
   */
  drained(): Promise<void> | undefined {
    this.flush();
    if (!this.res.writableNeedDrain || this.signal.aborted) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.res.on('drain', done);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Writes one value; `event` and `id` are used by SSE only. Returns false once the stream is over. */
  write(value: unknown, options: { event?: string; id?: string } = {}): boolean {
    if (!this.admit()) return false;
    const json = JSON.stringify(value);
    this.queue(this.format === 'ndjson' ? `${json}\n` : `${options.event ? `event: ${options.event}\n` : ''}${options.id ? `id: ${options.id}\n` : ''}data: ${json}\n\n`);
    return true;
  }

  /** Whether the stream takes more: not over, and its reader not too far behind (else it is cut off). */
  private admit(): boolean {
    if (this.signal.aborted) return false;
    this.start();
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.fail({ code: 'SLOW_READER', message: 'the client reads too slowly; stream ended' });
      return false;
    }
    return true;
  }

  /** Holds `text` for the next flush, which sends everything held as one write. */
  private queue(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= this.flushAtBytes) return this.flush();
    if (this.flushTimer || this.flushQueued) return;
    if (this.flushIntervalMs > 0) {
      this.flushTimer = setTimeout(() => this.flush(), this.flushIntervalMs);
    } else {
      this.flushQueued = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    const { pending } = this;
    this.flushQueued = false;
    this.dropPending();
    if (pending.length === 0 || this.signal.aborted) return;
    this.res.write(pending.length === 1 ? pending[0]! : pending.join(''));
  }

  private dropPending(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.pending = [];
    this.pendingLength = 0;
  }

  /**
   * Writes an SSE comment, which readers ignore: keeps idle proxies and the client's own
   * dead-connection checks from closing a quiet stream. Cuts off a slow reader like `write`.
   */
  comment(text: string): boolean {
    if (this.format !== 'sse' || !this.admit()) return false;
    this.queue(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
    return true;
  }

  /** Writes an error in the stream's own form, then ends it. */
  fail(error: { code: string; message: string }): void {
    if (this.signal.aborted) return;
    this.start();
    // What was written before the failure goes first; what the reader has not taken stays where it is.
    this.queue(this.format === 'ndjson' ? `${JSON.stringify({ type: 'error', error })}\n` : `event: error\ndata: ${JSON.stringify({ error })}\n\n`);
    this.end();
  }

  end(): void {
    if (this.signal.aborted) return;
    this.start();
    this.flush();
    this.res.end();
    this.aborter.abort();
  }
}

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
}

/**
 * One streamed HTTP answer: NDJSON (one JSON value per line) or Server-Sent Events. The
 * 200 and its headers go out with the first write, so a route can still answer with a
 * plain JSON error if it fails before streaming anything.
 */
export class EventStream {
  private readonly maxBufferedBytes: number;
  private readonly aborter = new AbortController();

  constructor(
    private readonly res: ServerResponse,
    readonly format: StreamFormat,
    options: EventStreamOptions = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    res.once('close', () => this.aborter.abort());
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

  private corked = false;

  /** Writes one value; `event` and `id` are used by SSE only. Returns false once the stream is over. */
  write(value: unknown, options: { event?: string; id?: string } = {}): boolean {
    if (this.signal.aborted) return false;
    this.start();
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.fail({ code: 'SLOW_READER', message: 'the client reads too slowly; stream ended' });
      return false;
    }
    const json = JSON.stringify(value);
    this.corkForTick();
    if (this.format === 'ndjson') this.res.write(`${json}\n`);
    else this.res.write(`${options.event ? `event: ${options.event}\n` : ''}${options.id ? `id: ${options.id}\n` : ''}data: ${json}\n\n`);
    return true;
  }

  /**
   * Holds this tick's writes and sends them together: a busy stream (thousands of live events
   * a second at thousands of nodes) then costs one socket write a tick, not one an event.
   */
  private corkForTick(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    process.nextTick(() => {
      this.corked = false;
      this.res.uncork();
    });
  }

  /**
   * Writes an SSE comment, which readers ignore: keeps idle proxies and the client's own
   * dead-connection checks from closing a quiet stream. Cuts off a slow reader like `write`.
   */
  comment(text: string): boolean {
    if (this.signal.aborted || this.format !== 'sse') return false;
    this.start();
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.fail({ code: 'SLOW_READER', message: 'the client reads too slowly; stream ended' });
      return false;
    }
    this.res.write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
    return true;
  }

  /** Writes an error in the stream's own form, then ends it. */
  fail(error: { code: string; message: string }): void {
    if (this.signal.aborted) return;
    this.start();
    if (this.format === 'ndjson') this.res.write(`${JSON.stringify({ type: 'error', error })}\n`);
    else this.res.write(`event: error\ndata: ${JSON.stringify({ error })}\n\n`);
    this.end();
  }

  end(): void {
    if (this.signal.aborted) return;
    this.start();
    this.res.end();
    this.aborter.abort();
  }
}

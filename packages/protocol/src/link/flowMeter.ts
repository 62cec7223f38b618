import type { WebSocket } from 'ws';
import type { LinkPressure } from '../agent/handlers.js';
import { monotonicMs } from './monotonicMs.js';
import { SendWindow, type SendWindowOptions } from './sendWindow.js';

export type FlowMeterOptions = SendWindowOptions;

/**
 * Flow control for bulk data on a socket. `bufferedAmount` only sees what `ws` still holds;
 * the kernel's socket buffers hold megabytes more, and anything sent later (a heartbeat)
 * waits behind them all. The meter counts every byte sent and, every so often, sends a ping
 * carrying that count; the peer answers with a pong carrying the same payload (RFC 6455
 * section 5.5.3) once it has read everything before the ping. That confirms the count and
 * times the round trip, from which a `SendWindow` sizes how much bulk data may be unread.
 *
 * The link sends every frame through `send`. Bulk senders `await writable()` before each send and are let through one at a time, in
 * the order they asked, while the window has room.
 */
export class FlowMeter implements LinkPressure {
  private readonly window: SendWindow;
  private readonly waiting: (() => void)[] = [];
  private wakeScheduled = false;

  constructor(
    private readonly socket: WebSocket,
    options: FlowMeterOptions = {},
  ) {
    this.window = new SendWindow(options);
    socket.on('pong', (payload: Buffer) => {
      const count = Number(payload.toString());
      // Pongs of the keep-alive carry no count.
      if (!payload.length || !Number.isSafeInteger(count)) return;
      this.window.confirmed(count, monotonicMs());
      this.wake();
    });
    socket.once('close', () => {
      for (const release of this.waiting.splice(0)) release();
    });
  }

  /**
   * Sends a text frame and counts it: every frame of the link goes through here, so that the
   * count a ping carries covers everything sent before it.
   */
  send(data: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(data);
    this.ping(this.window.sent(Buffer.byteLength(data), monotonicMs()));
    this.scheduleWake();
  }

  /** Bytes sent that the peer has not confirmed reading. */
  bufferedAmount(): number {
    return this.window.unconfirmed;
  }

  /** The bytes that may be unread before bulk senders wait. */
  windowBytes(): number {
    return this.window.size;
  }

  /** Whether a bulk sender must wait: the window is full, or others wait already. */
  full(): boolean {
    return this.waiting.length > 0 || !this.window.hasRoom();
  }

  /** Resolves when a bulk sender may send: at once while the window has room, else in turn as the peer reads. */
  writable(signal?: AbortSignal): Promise<void> {
    if (!this.full()) return Promise.resolve();
    if (signal?.aborted || this.socket.readyState !== this.socket.OPEN) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        signal?.removeEventListener('abort', abandon);
        resolve();
      };
      const abandon = () => {
        const index = this.waiting.indexOf(release);
        if (index >= 0) this.waiting.splice(index, 1);
        release();
        this.scheduleWake();
      };
      signal?.addEventListener('abort', abandon, { once: true });
      this.waiting.push(release);
      this.ping(this.window.probeIfIdle(monotonicMs()));
    });
  }

  /** Lets the next sender through if there is room; the next after it once it has sent, or a turn later. */
  private wake(): void {
    if (this.waiting.length === 0) return;
    if (!this.window.hasRoom()) {
      this.ping(this.window.probeIfIdle(monotonicMs()));
      return;
    }
    this.waiting.shift()!();
    this.scheduleWake();
  }

  private scheduleWake(): void {
    if (this.wakeScheduled || this.waiting.length === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wake();
    });
  }

  private ping(count: number | null): void {
    if (count !== null && this.socket.readyState === this.socket.OPEN) this.socket.ping(String(count));
  }
}

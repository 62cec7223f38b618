import type { WebSocket } from 'ws';
import { monotonicMs } from './monotonicMs.js';
import { timerMs } from './timerMs.js';

export interface KeepAliveOptions {
  /**
   * Send a WebSocket ping after this long without hearing from the peer.
   * @default 10_000 (milliseconds)
   */
  pingIntervalMs?: number;
  /**
   * Terminate the socket when no pong (or any frame) arrives within this long after a ping.
   * A silently dropped peer is therefore noticed within `pingIntervalMs + pongTimeoutMs`.
   * @default 5_000 (milliseconds)
   */
  pongTimeoutMs?: number;
  /**
   * Also send the peer an unsolicited pong this often: a one-way sign of life (RFC 6455
   * section 5.5.3) that asks for no answer. A peer whose own keep-alive counts any frame (as
   * this one does) and would ping after a longer silence never needs to ping. Off when absent.
   */
  announceIntervalMs?: number;
}

interface Windows {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  announceIntervalMs: number | null;
}

function windowsOf(options: KeepAliveOptions, where: string): Windows {
  return {
    pingIntervalMs: timerMs(`${where}: pingIntervalMs`, options.pingIntervalMs ?? 10_000),
    pongTimeoutMs: timerMs(`${where}: pongTimeoutMs`, options.pongTimeoutMs ?? 5_000),
    announceIntervalMs: options.announceIntervalMs === undefined ? null : timerMs(`${where}: announceIntervalMs`, options.announceIntervalMs),
  };
}

/** One socket's keep-alive state: a frame only notes the time; `tend` looks at it when due. */
class Watched {
  lastSeen = monotonicMs();
  /** When the ping now awaiting an answer went out. */
  pingedAt: number | null = null;
  announcedAt = monotonicMs();
  readonly seen = () => {
    this.lastSeen = monotonicMs();
  };

  constructor(readonly socket: WebSocket) {
    socket.on('message', this.seen);
    socket.on('pong', this.seen);
    socket.on('ping', this.seen);
  }

  unwatch(): void {
    this.socket.off('message', this.seen);
    this.socket.off('pong', this.seen);
    this.socket.off('ping', this.seen);
  }

  /**
   * Does what is due at `now`: an announcement, a ping after `pingIntervalMs` of quiet, the end
   * of a peer that answered no ping within `pongTimeoutMs`. Returns when something is next due.
   */
  tend(windows: Windows, now: number): number {
    if (this.socket.readyState !== this.socket.OPEN) return Infinity;
    let next = Infinity;
    if (windows.announceIntervalMs !== null) {
      if (now - this.announcedAt >= windows.announceIntervalMs) {
        this.socket.pong();
        this.announcedAt = now;
      }
      next = this.announcedAt + windows.announceIntervalMs;
    }
    if (this.pingedAt !== null) {
      if (this.lastSeen < this.pingedAt) {
        if (now - this.pingedAt < windows.pongTimeoutMs) return Math.min(next, this.pingedAt + windows.pongTimeoutMs);
        this.socket.terminate();
        return Infinity;
      }
      this.pingedAt = null;
    }
    if (now - this.lastSeen < windows.pingIntervalMs) return Math.min(next, this.lastSeen + windows.pingIntervalMs);
    this.pingedAt = now;
    this.socket.ping();
    return Math.min(next, now + windows.pongTimeoutMs);
  }
}

/**
 * Dead-peer detection with protocol-level ping frames (RFC 6455 section 5.5.2). Any frame
 * from the peer counts as a sign of life, so a busy link sends no pings at all; with
 * `announceIntervalMs` this end also tells the peer that it lives, so the peer need not ask.
 * A frame only notes the time (log chunks arrive by the hundred a second); one timer looks at it when it
 * is due. Returns a function that stops it; it also stops by itself when the socket closes.
 */
export function keepAlive(socket: WebSocket, options: KeepAliveOptions = {}): () => void {
  const windows = windowsOf(options, 'keepAlive');
  const watched = new Watched(socket);
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const now = monotonicMs();
    const next = watched.tend(windows, now);
    if (next === Infinity) return;
    timer = setTimeout(check, Math.max(1, next - now));
    timer.unref?.();
  };
  const stop = () => {
    clearTimeout(timer);
    watched.unwatch();
    socket.off('close', stop);
  };
  socket.once('close', stop);
  timer = setTimeout(check, Math.min(windows.pingIntervalMs, windows.announceIntervalMs ?? Infinity));
  timer.unref?.();
  return stop;
}

export interface KeepAliveGroupOptions extends KeepAliveOptions {
  /**
   * How often the group's one timer looks at every socket.
   * @default a quarter of the shortest window, at most 1_000 (milliseconds)
   */
  sweepMs?: number;
}

/**
 * `keepAlive` for the many sockets of a server, on one timer: every `sweepMs` it looks at each
 * socket and does what is due. A server holding 10,000 agents otherwise runs a timer per
 * socket for its checks and another for its announcements, 2,250 timer callbacks a second;
 * the sweep's pass over 10,000 sockets is one. What is due is done up to one sweep late: a
 * silent peer is cut off within `pingIntervalMs + pongTimeoutMs` and two sweeps, and an
 * announcement goes out every `announceIntervalMs` to that plus one sweep.
 */
export class KeepAliveGroup {
  private readonly windows: Windows;
  private readonly sweepMs: number;
  private readonly sockets = new Set<Watched>();
  private timer: NodeJS.Timeout | null = null;

  constructor(options: KeepAliveGroupOptions = {}) {
    this.windows = windowsOf(options, 'KeepAliveGroup');
    const shortest = Math.min(this.windows.pingIntervalMs, this.windows.pongTimeoutMs, this.windows.announceIntervalMs ?? Infinity);
    this.sweepMs = timerMs('KeepAliveGroup: sweepMs', options.sweepMs ?? Math.min(1_000, Math.max(1, Math.round(shortest / 4))));
  }

  /** Watches `socket` until it closes or the returned function is called. */
  add(socket: WebSocket): () => void {
    // A socket already closed would never say so, and would stay watched for ever.
    if (socket.readyState !== socket.OPEN) return () => {};
    const watched = new Watched(socket);
    this.sockets.add(watched);
    const stop = () => {
      if (!this.sockets.delete(watched)) return;
      watched.unwatch();
      socket.off('close', stop);
      if (this.sockets.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
    socket.once('close', stop);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref?.();
    }
    return stop;
  }

  /** Sockets watched now. */
  get size(): number {
    return this.sockets.size;
  }

  private sweep(): void {
    const now = monotonicMs();
    for (const watched of this.sockets) watched.tend(this.windows, now);
  }
}

import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
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

/**
 * Dead-peer detection with protocol-level ping frames (RFC 6455 section 5.5.2). Any frame
 * from the peer counts as a sign of life, so a busy link sends no pings at all; with
 * `announceIntervalMs` this end also tells the peer that it lives, so the peer need not ask.
 * A frame only notes the time (log chunks arrive by the hundred a second); one timer looks at it when it
 * is due. Returns a function that stops it; it also stops by itself when the socket closes.
 */
export function keepAlive(socket: WebSocket, options: KeepAliveOptions = {}): () => void {
  const pingIntervalMs = timerMs('keepAlive: pingIntervalMs', options.pingIntervalMs ?? 10_000);
  const pongTimeoutMs = timerMs('keepAlive: pongTimeoutMs', options.pongTimeoutMs ?? 5_000);
  const announceIntervalMs = options.announceIntervalMs === undefined ? null : timerMs('keepAlive: announceIntervalMs', options.announceIntervalMs);
  let lastSeen = performance.now();
  /** When the ping now awaiting an answer went out. */
  let pingedAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;

  const arm = (ms: number) => {
    timer = setTimeout(check, ms);
    timer.unref?.();
  };
  const check = () => {
    if (socket.readyState !== socket.OPEN) return;
    const now = performance.now();
    if (pingedAt !== null) {
      if (lastSeen < pingedAt) {
        socket.terminate();
        return;
      }
      pingedAt = null;
    }
    const quietMs = now - lastSeen;
    if (quietMs < pingIntervalMs) {
      arm(pingIntervalMs - quietMs);
      return;
    }
    pingedAt = now;
    socket.ping();
    arm(pongTimeoutMs);
  };
  const seen = () => {
    lastSeen = performance.now();
  };
  const announcer =
    announceIntervalMs === null
      ? undefined
      : setInterval(() => {
          if (socket.readyState === socket.OPEN) socket.pong();
        }, announceIntervalMs);
  announcer?.unref?.();
  const stop = () => {
    clearTimeout(timer);
    clearInterval(announcer);
    socket.off('message', seen);
    socket.off('pong', seen);
    socket.off('ping', seen);
  };
  socket.on('message', seen);
  socket.on('pong', seen);
  socket.on('ping', seen);
  socket.once('close', stop);
  arm(pingIntervalMs);
  return stop;
}

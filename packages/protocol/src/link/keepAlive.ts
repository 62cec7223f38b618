import type { WebSocket } from 'ws';

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
}

export const KEEP_ALIVE_DEFAULTS = { pingIntervalMs: 10_000, pongTimeoutMs: 5_000 } as const;

/**
 * Dead-peer detection with protocol-level ping frames (RFC 6455 section 5.5.2). Any frame
 * from the peer counts as a sign of life, so a busy link sends no pings at all. Returns a
 * function that stops it; it also stops by itself when the socket closes.
 */
export function keepAlive(socket: WebSocket, options: KeepAliveOptions = {}): () => void {
  const { pingIntervalMs, pongTimeoutMs } = { ...KEEP_ALIVE_DEFAULTS, ...options };
  let pingTimer: NodeJS.Timeout | undefined;
  let pongTimer: NodeJS.Timeout | undefined;

  const schedule = () => {
    clearTimeout(pingTimer);
    clearTimeout(pongTimer);
    pingTimer = setTimeout(() => {
      if (socket.readyState !== socket.OPEN) return;
      socket.ping();
      pongTimer = setTimeout(() => socket.terminate(), pongTimeoutMs);
      pongTimer.unref?.();
    }, pingIntervalMs);
    pingTimer.unref?.();
  };
  const stop = () => {
    clearTimeout(pingTimer);
    clearTimeout(pongTimer);
    socket.off('message', schedule);
    socket.off('pong', schedule);
    socket.off('ping', schedule);
  };
  socket.on('message', schedule);
  socket.on('pong', schedule);
  socket.on('ping', schedule);
  socket.once('close', stop);
  schedule();
  return stop;
}

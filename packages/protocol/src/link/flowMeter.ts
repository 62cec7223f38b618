import type { WebSocket } from 'ws';

export interface FlowMeterOptions {
  /**
   * Once this many sent bytes are unconfirmed, a probe asks the peer how far it has read.
   * @default 32 KiB (bytes)
   */
  probeAfterBytes?: number;
}

/**
 * Counts the bytes sent on a socket that the peer has not yet read. `bufferedAmount` only
 * sees what `ws` still holds; the kernel's socket buffers hold megabytes more, and anything
 * sent later (a heartbeat) waits behind them all. The meter sends a ping carrying the count
 * of bytes sent so far; the peer answers with a pong carrying the same payload (RFC 6455
 * section 5.5.3) once it has read everything before the ping, which confirms that count.
 */
export class FlowMeter {
  private sent = 0;
  private confirmed = 0;
  private probing = false;
  private readonly probeAfterBytes: number;

  constructor(
    private readonly socket: WebSocket,
    options: FlowMeterOptions = {},
  ) {
    this.probeAfterBytes = options.probeAfterBytes ?? 32 * 1024;
    const send = socket.send.bind(socket) as (...args: unknown[]) => void;
    socket.send = ((data: unknown, ...rest: unknown[]) => {
      this.sent += typeof data === 'string' ? Buffer.byteLength(data) : ((data as { byteLength?: number }).byteLength ?? 0);
      send(data, ...rest);
    }) as WebSocket['send'];
    socket.on('pong', (payload: Buffer) => {
      const count = Number(payload.toString());
      // Pongs of the keep-alive carry no count.
      if (!payload.length || !Number.isSafeInteger(count)) return;
      this.probing = false;
      if (count > this.confirmed) this.confirmed = count;
    });
    socket.once('close', () => (this.probing = false));
  }

  /** Bytes sent that the peer has not confirmed reading; probes the peer when worth asking. */
  unconfirmedBytes(): number {
    const unconfirmed = this.sent - this.confirmed;
    if (unconfirmed >= this.probeAfterBytes && !this.probing && this.socket.readyState === this.socket.OPEN) {
      this.probing = true;
      this.socket.ping(String(this.sent));
    }
    return unconfirmed;
  }
}

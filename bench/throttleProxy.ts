import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ThrottleProxy {
  /** `ws://127.0.0.1:port` of the proxy. */
  url: string;
  /**
   * Caps what the proxy reads from the dialling side at `bytesPerSecond` (null: no cap).
   * Reading slower makes TCP push back on the sender: a slow reader as the sender sees it.
   */
  throttle(bytesPerSecond: number | null): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback between an agent and its server. Server -> agent passes at full
 * speed; agent -> server is read at a set rate when throttled.
 */
export async function startThrottleProxy(upstreamPort: number): Promise<ThrottleProxy> {
  let rate: number | null = null;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      const writable = upstream.write(chunk);
      const pauseMs = rate === null ? 0 : (chunk.length / rate) * 1_000;
      if (writable && pauseMs === 0) return;
      client.pause();
      let waits = (writable ? 0 : 1) + (pauseMs > 0 ? 1 : 0);
      const done = () => {
        if (--waits === 0) client.resume();
      };
      if (!writable) upstream.once('drain', done);
      if (pauseMs > 0) setTimeout(done, pauseMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    throttle(bytesPerSecond) {
      rate = bytesPerSecond;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}

import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** `ws://127.0.0.1:PORT`: give this to the agent instead of the server's address. */
  wsUrl: string;
  /**
   * Stops forwarding without closing anything: bytes in either direction are dropped and new
   * connections are held open, unanswered, as behind a network partition.
   */
  cut(): void;
  /** Forwards again; connections that lived through the cut are destroyed, their streams being corrupt. */
  heal(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort` that can play a network partition. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let isCut = false;
  const live = new Set<{ client: Socket; upstream: Socket | null; damaged: boolean }>();
  const server: Server = createServer((client) => {
    const pair = { client, upstream: null as Socket | null, damaged: isCut };
    live.add(pair);
    const drop = () => {
      live.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop).on('close', drop);
    if (isCut) return;
    const upstream = connect(targetPort, '127.0.0.1');
    pair.upstream = upstream;
    upstream.on('error', drop).on('close', drop);
    client.on('data', (data) => (isCut ? (pair.damaged = true) : upstream.write(data)));
    upstream.on('data', (data) => (isCut ? (pair.damaged = true) : client.write(data)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const pair of live) pair.damaged = true;
    },
    heal() {
      isCut = false;
      for (const pair of [...live]) {
        if (!pair.damaged) continue;
        pair.client.destroy();
        pair.upstream?.destroy();
        live.delete(pair);
      }
    },
    async close() {
      for (const pair of live) {
        pair.client.destroy();
        pair.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

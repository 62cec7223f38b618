import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProxyOptions {
  /** Where connections go: a TCP port on 127.0.0.1, or a unix socket path. */
  target: { port: number } | { path: string };
  /** Listen on a unix socket (in a temp folder) instead of an ephemeral loopback port. */
  listenUnix?: boolean;
}

export interface Proxy {
  /** `127.0.0.1:PORT`, or the unix socket path. */
  address: string;
  /** `ws://127.0.0.1:PORT` for a TCP proxy. */
  url: string;
  /** Caps what is read from the dialling side, in bytes a second (null: no cap): a slow reader as the sender sees it. */
  throttle(bytesPerSecond: number | null): void;
  /**
   * Stops forwarding while every connection stays open: bytes either way are dropped and new
   * connections are held unanswered, as behind a network partition.
   */
  partition(): void;
  /** Forwards again; connections that lived through the partition are closed, their streams being corrupt. */
  heal(): void;
  /** Closes the listener and every connection: the far end going away. */
  down(): Promise<void>;
  /** Listens again at the same address. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A proxy on this machine between a client and a server, for the failures tests need: a
 * slow reader, a partition that drops nothing visibly, and a peer that goes away and back.
 */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const dir = options.listenUnix ? mkdtempSync(join(tmpdir(), 'lormas-proxy-')) : null;
  /** A connection through the proxy; `damaged` once bytes were dropped on it. */
  interface Pair {
    client: Socket;
    upstream: Socket | null;
    damaged: boolean;
  }
  const pairs = new Set<Pair>();
  let rate: number | null = null;
  let partitioned = false;
  let server: Server | null = null;
  let port = 0;

  const drop = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const forward = (pair: Pair, from: Socket, to: Socket, throttled: boolean) => {
    from.on('data', (chunk: Buffer) => {
      // Behind a partition bytes are lost, as on a dead link; the connection is damaged for good.
      if (partitioned || pair.damaged) {
        pair.damaged = true;
        return;
      }
      const writable = to.write(chunk);
      const pauseMs = throttled && rate !== null ? (chunk.length / rate) * 1_000 : 0;
      if (writable && pauseMs === 0) return;
      from.pause();
      let waits = (writable ? 0 : 1) + (pauseMs > 0 ? 1 : 0);
      const done = () => {
        if (--waits === 0) from.resume();
      };
      if (!writable) to.once('drain', done);
      if (pauseMs > 0) setTimeout(done, pauseMs);
    });
  };

  const listen = async () => {
    server = createServer((client) => {
      const pair: Pair = { client, upstream: null, damaged: partitioned };
      pairs.add(pair);
      client.on('error', () => drop(pair)).on('close', () => drop(pair));
      // A connection made during a partition is held open, unanswered.
      if (partitioned) return;
      const upstream = 'port' in options.target ? createConnection({ host: '127.0.0.1', port: options.target.port }) : createConnection(options.target.path);
      pair.upstream = upstream;
      upstream.on('error', () => drop(pair)).on('close', () => drop(pair));
      forward(pair, client, upstream, true);
      forward(pair, upstream, client, false);
    });
    if (dir) await new Promise<void>((resolve) => server!.listen(join(dir, 'proxy.sock'), resolve));
    else {
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server!.address() as AddressInfo).port;
    }
  };
  const down = async () => {
    const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const pair of [...pairs]) drop(pair);
    await closing;
    server = null;
  };

  await listen();
  return {
    address: dir ? join(dir, 'proxy.sock') : `127.0.0.1:${port}`,
    url: dir ? '' : `ws://127.0.0.1:${port}`,
    throttle: (bytesPerSecond) => void (rate = bytesPerSecond),
    partition() {
      partitioned = true;
      for (const pair of pairs) pair.damaged = true;
    },
    heal() {
      partitioned = false;
      // What lived through the partition lost bytes: end it, as a peer would on a corrupt stream.
      for (const pair of [...pairs]) if (pair.damaged) drop(pair);
    },
    down,
    up: listen,
    async close() {
      await down();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProxyOptions {
  /**
   * Where connections go: a TCP port on 127.0.0.1, or a unix socket path; or several ports,
   * taken in turn for each new connection (round robin, as a load balancer in front of
   * replicas). A target that refuses the connection is skipped for the next one.
   */
  target: { port: number } | { path: string } | { ports: number[] };
  /** Listen on a unix socket (in a temp folder) instead of an ephemeral loopback port. */
  listenUnix?: boolean;
  /** The loopback port to listen on. @default an ephemeral one */
  port?: number;
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
  let port = options.port ?? 0;
  let turn = 0;
  /** Dials the next target in turn; on a refusal the one after it, until each was tried once. */
  const dial = (tried = 0): Socket => {
    const target = options.target;
    if ('path' in target) return createConnection(target.path);
    if ('port' in target) return createConnection({ host: '127.0.0.1', port: target.port });
    const next = target.ports[turn++ % target.ports.length]!;
    const socket = createConnection({ host: '127.0.0.1', port: next });
    if (tried + 1 >= target.ports.length) return socket;
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') socket.emit('refused');
    });
    return socket;
  };

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
      const attach = (upstream: Socket, tried: number) => {
        pair.upstream = upstream;
        let refused = false;
        upstream.once('refused', () => {
          // A replica that is down: the balancer takes the next one, the client never knows.
          refused = true;
          if (pairs.has(pair)) attach(dial(tried + 1), tried + 1);
        });
        upstream.on('error', () => setImmediate(() => !refused && drop(pair))).on('close', () => setImmediate(() => !refused && drop(pair)));
        upstream.once('connect', () => {
          forward(pair, client, upstream, true);
          forward(pair, upstream, client, false);
        });
      };
      attach(dial(), 0);
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

import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface RecordingProxy {
  /** `ws://127.0.0.1:PORT`. */
  url: string;
  /** The head (request line and headers) of every request that passed, as a proxy's access log would see it. */
  heads: string[];
  close(): Promise<void>;
}

/** A TCP proxy to `127.0.0.1:targetPort` that keeps the head of each HTTP request it forwards. */
export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      client.pause();
      heads.push(received.toString('latin1', 0, end));
      const upstream = connect(targetPort, '127.0.0.1', () => {
        upstream.write(received);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => (sockets.delete(upstream), client.destroy()));
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    heads,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

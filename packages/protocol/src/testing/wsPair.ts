import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface WsPair {
  /** The dialling side, where the link's machinery runs in the tests. */
  client: WebSocket;
  /** The server's side of the same connection. */
  peer: WebSocket;
  /** The peer stops reading its socket: what the client sends stays in the kernel's buffers. */
  stallPeer(): void;
  /** The peer reads again. */
  resumePeer(): void;
  /** Ends both sockets and the server. */
  close(): Promise<void>;
}

/** A WebSocket connection on loopback, both ends in this process. */
export async function wsPair(): Promise<WsPair> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await new Promise((resolve) => client.once('open', resolve));
  const peer = await connected;
  return {
    client,
    peer,
    stallPeer: () => peer.pause(),
    resumePeer: () => peer.resume(),
    async close() {
      client.terminate();
      peer.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { WebSocket, WebSocketServer } from 'ws';
import { keepAlive } from './keepAlive.js';

const windows = { pingIntervalMs: 40, pongTimeoutMs: 40 };

describe('keepAlive', () => {
  let server: WebSocketServer;
  let client: WebSocket;
  let peer: WebSocket;
  let pingsSeen: number;

  beforeEach(async () => {
    pingsSeen = 0;
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const connected = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await new Promise((resolve) => client.once('open', resolve));
    peer = await connected;
    peer.on('ping', () => pingsSeen++);
  });
  afterEach(async () => {
    client.terminate();
    peer.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('terminates the socket when a silent peer answers no ping', async () => {
    keepAlive(client, windows);
    // The peer stops reading: it sees no ping and sends no pong.
    (peer as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = performance.now();
    await waitFor(() => client.readyState === client.CLOSED, { what: 'the socket to be terminated', timeoutMs: 2_000 });
    assert.ok(performance.now() - started >= windows.pingIntervalMs, 'not before the ping interval');
  });

  it('pings a quiet live peer and keeps the socket while it answers', async () => {
    keepAlive(client, windows);
    await waitFor(() => pingsSeen >= 3, { what: 'three pings answered' });
    assert.equal(client.readyState, client.OPEN);
  });

  it('sends no ping while the peer keeps talking, and stops with the returned function', async () => {
    const stop = keepAlive(client, windows);
    let messages = 0;
    client.on('message', () => messages++);
    const talk = setInterval(() => peer.send('x'), 5);
    try {
      await waitFor(() => messages >= 40, { what: 'the peer to talk for a while' });
      assert.equal(pingsSeen, 0);
    } finally {
      clearInterval(talk);
    }
    stop();
    // Stopped, it no longer watches: a peer now silent for several windows is not cut off.
    (peer as unknown as { _socket: { pause(): void } })._socket.pause();
    await new Promise((resolve) => setTimeout(resolve, 4 * (windows.pingIntervalMs + windows.pongTimeoutMs)));
    assert.equal(client.readyState, client.OPEN);
    assert.equal(pingsSeen, 0);
  });
});

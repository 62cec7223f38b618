import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { WebSocket } from 'ws';
import { type WsPair, wsPair } from '../testing/wsPair.js';
import { keepAlive, KeepAliveGroup, type KeepAliveOptions } from './keepAlive.js';

const windows = { pingIntervalMs: 40, pongTimeoutMs: 40 };

/** The two ways to watch a socket: a timer of its own, or a group's one timer for all. */
const watchers: [string, (socket: WebSocket, options?: KeepAliveOptions) => () => void][] = [
  ['keepAlive', (socket, options) => keepAlive(socket, options)],
  ['KeepAliveGroup', (socket, options) => new KeepAliveGroup(options).add(socket)],
];

for (const [name, watch] of watchers) describe(name, () => {
  let pair: WsPair;
  let client: WebSocket;
  let peer: WebSocket;
  let pingsSeen: number;

  beforeEach(async () => {
    pingsSeen = 0;
    pair = await wsPair();
    ({ client, peer } = pair);
    peer.on('ping', () => pingsSeen++);
  });
  afterEach(async () => {
    await pair.close();
  });

  it('terminates the socket when a silent peer answers no ping', async () => {
    watch(client, windows);
    // The peer stops reading: it sees no ping and sends no pong.
    pair.stallPeer();
    const started = performance.now();
    await waitFor(() => client.readyState === client.CLOSED, { what: 'the socket to be terminated', timeoutMs: 2_000 });
    assert.ok(performance.now() - started >= windows.pingIntervalMs, 'not before the ping interval');
  });

  it('pings a quiet live peer and keeps the socket while it answers', async () => {
    watch(client, windows);
    await waitFor(() => pingsSeen >= 3, { what: 'three pings answered' });
    assert.equal(client.readyState, client.OPEN);
  });

  it('sends no ping while the peer keeps talking, and stops with the returned function', async () => {
    const stop = watch(client, windows);
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
    pair.stallPeer();
    await new Promise((resolve) => setTimeout(resolve, 4 * (windows.pingIntervalMs + windows.pongTimeoutMs)));
    assert.equal(client.readyState, client.OPEN);
    assert.equal(pingsSeen, 0);
  });

  it('announces itself with unsolicited pongs, so a peer with a longer ping interval never pings', async () => {
    const stop = watch(client, { ...windows, announceIntervalMs: 20 });
    keepAlive(peer, { pingIntervalMs: 60, pongTimeoutMs: 40 });
    let pongsSeen = 0;
    let pingsFromPeer = 0;
    peer.on('pong', () => pongsSeen++);
    client.on('ping', () => pingsFromPeer++);
    // The client is quiet but for its pongs: it pings the peer, which answers (`pingsSeen`).
    await waitFor(() => pongsSeen >= 10, { what: 'ten unsolicited pongs' });
    assert.equal(pingsFromPeer, 0, 'the peer heard from the client within its ping interval every time');
    assert.equal(peer.readyState, peer.OPEN);
    // Stopped, the announcements end too (and the client's own pings): the peer, hearing
    // nothing for its whole interval now, pings.
    stop();
    await waitFor(() => pingsFromPeer >= 1, { what: 'the peer to ping once no pong comes', timeoutMs: 2_000 });
  });

  it('refuses windows that a timer would not honour, naming them', () => {
    for (const value of [Number.NaN, 0, -1, 2 ** 31]) {
      assert.throws(() => watch(client, { announceIntervalMs: value }), /announceIntervalMs must be a positive number/, String(value));
      assert.throws(() => watch(client, { pingIntervalMs: value }), /pingIntervalMs must be a positive number/, String(value));
      assert.throws(() => watch(client, { pongTimeoutMs: value }), /pongTimeoutMs must be a positive number/, String(value));
    }
  });
});

describe('KeepAliveGroup: many sockets on one timer', () => {
  it('cuts off the silent peer among several and keeps the others, and lets go of sockets as they close', async () => {
    const pairs = await Promise.all([wsPair(), wsPair(), wsPair()]);
    try {
      const group = new KeepAliveGroup(windows);
      for (const { client } of pairs) group.add(client);
      assert.equal(group.size, 3);
      pairs[1]!.stallPeer();
      await waitFor(() => pairs[1]!.client.readyState === pairs[1]!.client.CLOSED, { what: 'the silent peer cut off', timeoutMs: 2_000 });
      await waitFor(() => group.size === 2, { what: 'the closed socket let go' });
      // The answering peers outlive several windows.
      await new Promise((resolve) => setTimeout(resolve, 4 * (windows.pingIntervalMs + windows.pongTimeoutMs)));
      assert.deepEqual(pairs.map(({ client }) => client.readyState), [WebSocket.OPEN, WebSocket.CLOSED, WebSocket.OPEN]);
      for (const { client } of pairs) client.close();
      await waitFor(() => group.size === 0, { what: 'every socket let go' });
    } finally {
      for (const pair of pairs) await pair.close();
    }
  });

  it('does not watch a socket that is closed already: it would never say so', async () => {
    const pair = await wsPair();
    try {
      pair.client.terminate();
      await waitFor(() => pair.client.readyState === pair.client.CLOSED, { what: 'the socket closed' });
      const group = new KeepAliveGroup(windows);
      group.add(pair.client)();
      assert.equal(group.size, 0);
    } finally {
      await pair.close();
    }
  });

  it('refuses a sweep that a timer would not honour', () => {
    for (const value of [Number.NaN, 0, -1, 2 ** 31]) assert.throws(() => new KeepAliveGroup({ sweepMs: value }), /sweepMs must be a positive number/, String(value));
  });
});

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type WsPair, wsPair } from '../testing/wsPair.js';
import { keepAlive } from './keepAlive.js';

const windows = { pingIntervalMs: 40, pongTimeoutMs: 40 };

describe('keepAlive', () => {
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
    keepAlive(client, windows);
    // The peer stops reading: it sees no ping and sends no pong.
    pair.stallPeer();
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
    pair.stallPeer();
    await new Promise((resolve) => setTimeout(resolve, 4 * (windows.pingIntervalMs + windows.pongTimeoutMs)));
    assert.equal(client.readyState, client.OPEN);
    assert.equal(pingsSeen, 0);
  });

  it('announces itself with unsolicited pongs, so a peer with a longer ping interval never pings', async () => {
    const stop = keepAlive(client, { ...windows, announceIntervalMs: 20 });
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
      assert.throws(() => keepAlive(client, { announceIntervalMs: value }), /announceIntervalMs must be a positive number/, String(value));
      assert.throws(() => keepAlive(client, { pingIntervalMs: value }), /pingIntervalMs must be a positive number/, String(value));
      assert.throws(() => keepAlive(client, { pongTimeoutMs: value }), /pongTimeoutMs must be a positive number/, String(value));
    }
  });
});

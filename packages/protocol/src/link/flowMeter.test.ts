import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type WsPair, wsPair } from '../testing/wsPair.js';
import { FlowMeter } from './flowMeter.js';

const KiB = 1024;

describe('FlowMeter', () => {
  let pair: WsPair;
  let client: WebSocket;
  let peer: WebSocket;
  let received: Buffer[];

  beforeEach(async () => {
    received = [];
    pair = await wsPair();
    ({ client, peer } = pair);
    peer.on('message', (data: Buffer) => received.push(data));
  });
  afterEach(async () => {
    await pair.close();
  });

  /** The peer stops reading its socket: what is sent stays in the kernel's buffers. */
  const stall = () => pair.stallPeer();
  const unstall = () => pair.resumePeer();

  it('counts sent bytes as unconfirmed until the peer has read past them', async () => {
    const meter = new FlowMeter(client, { probeEveryBytes: 1024 });
    for (let i = 0; i < 10; i++) meter.send('x'.repeat(10_000));
    assert.ok(meter.bufferedAmount() >= 100_000);
    await waitFor(() => meter.bufferedAmount() === 0, { what: 'the peer to confirm' });
    assert.equal(received.reduce((sum, data) => sum + data.length, 0), 100_000);
  });

  it("ignores pongs that confirm nothing: the keep-alive's, with no count, and counts never sent", async () => {
    const meter = new FlowMeter(client, { probeEveryBytes: 1 << 30 });
    meter.send('y'.repeat(5_000));
    for (const payload of [undefined, 'not a count', '999999999']) {
      client.ping(payload);
      await new Promise((resolve) => client.once('pong', resolve));
      assert.equal(meter.bufferedAmount(), 5_000, `after a pong carrying ${payload}`);
    }
  });

  it('holds a bulk sender at the window while the peer stalls, far below what the kernel would take, then lets it finish in order', async () => {
    const meter = new FlowMeter(client, { initialBytes: 64 * KiB, maxBytes: 64 * KiB });
    stall();
    let sent = 0;
    const sender = (async () => {
      for (let i = 0; i < 200; i++) {
        await meter.writable();
        meter.send(String.fromCharCode(65 + (i % 26)).repeat(16 * KiB));
        sent++;
      }
    })();
    await waitFor(() => meter.full(), { what: 'the window to fill' });
    const sentWhenFull = sent;
    for (let i = 0; i < 20; i++) await nextTurn();
    assert.equal(sent, sentWhenFull, 'nothing more sent while the peer stalls');
    assert.ok(meter.bufferedAmount() <= 64 * KiB + 16 * KiB, `${meter.bufferedAmount()} bytes unconfirmed`);
    unstall();
    await sender;
    await waitFor(() => received.length === 200, { what: 'every chunk to arrive' });
    received.forEach((data, i) => assert.equal(data[0], 65 + (i % 26)));
  });

  it('lets waiting senders through in the order they asked, skipping one whose signal aborted', async () => {
    const meter = new FlowMeter(client, { initialBytes: 32 * KiB, maxBytes: 32 * KiB });
    stall();
    meter.send('z'.repeat(40 * KiB));
    assert.ok(meter.full());
    const order: string[] = [];
    const gone = new AbortController();
    const waits = ['first', 'second', 'third'].map((name) =>
      meter.writable(name === 'second' ? gone.signal : undefined).then(() => {
        order.push(name);
        meter.send('z'.repeat(1 * KiB));
      }),
    );
    gone.abort();
    await nextTurn();
    assert.deepEqual(order, ['second'], 'an aborted wait ends at once');
    unstall();
    await Promise.all(waits);
    assert.deepEqual(order, ['second', 'first', 'third']);
  });

  it('releases every waiting sender when the socket closes', async () => {
    const meter = new FlowMeter(client, { initialBytes: 32 * KiB, maxBytes: 32 * KiB });
    stall();
    meter.send('z'.repeat(40 * KiB));
    const waits = [meter.writable(), meter.writable()];
    client.terminate();
    await Promise.all(waits);
    await meter.writable();
  });
});

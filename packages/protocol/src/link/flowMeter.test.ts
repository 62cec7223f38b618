import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { WebSocket, WebSocketServer } from 'ws';
import { FlowMeter } from './flowMeter.js';

describe('FlowMeter', () => {
  let server: WebSocketServer;
  let client: WebSocket;
  let received = 0;

  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (peer) => {
      peer.on('message', (data: Buffer) => (received += data.length));
    });
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await new Promise((resolve) => client.once('open', resolve));
  });
  after(() => {
    client.terminate();
    server.close();
  });

  it('counts sent bytes as unconfirmed until the peer has read past them', async () => {
    const meter = new FlowMeter(client, { probeAfterBytes: 1024 });
    for (let i = 0; i < 10; i++) client.send('x'.repeat(10_000));
    assert.ok(meter.unconfirmedBytes() >= 100_000);
    await waitFor(() => meter.unconfirmedBytes() === 0, { what: 'the peer to confirm' });
    assert.equal(received, 100_000);
  });

  it('ignores the keep-alive pongs, which carry no count', async () => {
    const meter = new FlowMeter(client, { probeAfterBytes: 1 << 30 });
    client.send('y'.repeat(5_000));
    client.ping();
    await new Promise((resolve) => client.once('pong', resolve));
    assert.equal(meter.unconfirmedBytes(), 5_000);
  });
});

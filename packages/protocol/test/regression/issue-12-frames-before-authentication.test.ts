import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { WebSocket } from 'ws';
import { CloseCode } from '../../src/closeCodes.js';
import type { AgentViolationEvent } from '../../src/server/AgentHub.js';
import { startTestHub } from '../../src/testing/index.js';

/** How long the hub takes to authenticate each socket: a token check against a database, say. */
const AUTHENTICATION_MS = 150;

/**
 * The agent frame fuzzer (issue 12, item 4) found that frames an agent sent between the
 * upgrade and the end of its authentication reached no listener: a frame that breaks the
 * envelope went unnoticed, and the socket stayed open. They now wait in the paused socket
 * and are checked once the socket is attached to its node.
 */
describe('issue 12: frames an agent sends while it is being authenticated', () => {
  let fixture: Awaited<ReturnType<typeof startTestHub>>;
  const violations: AgentViolationEvent[] = [];

  before(async () => {
    fixture = await startTestHub({
      async authenticate(request) {
        await delay(AUTHENTICATION_MS);
        return { nodeId: new URL(request.url ?? '/', 'http://x').searchParams.get('node') ?? 'none' };
      },
      onViolation: (event) => violations.push(event),
    });
  });
  after(() => fixture.close());

  /** Dials as `node` and sends `frame` the moment the socket opens, before the hub can have authenticated it. */
  function dialAndSend(node: string, frame: string | Buffer, binary: boolean) {
    const socket = new WebSocket(`${fixture.url}?node=${node}`);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('error', () => {});
    socket.once('open', () => socket.send(frame, { binary }));
    return { socket, closed };
  }

  for (const [what, frame, binary] of [
    ['a binary frame', Buffer.from([0xde, 0xad]), true],
    ['text that is not JSON', 'not json', false],
  ] as const) {
    it(`closes the socket with ProtocolViolation on ${what} sent before authentication ended, and reports it naming the node`, async () => {
      const node = `early-${violations.length}`;
      const { closed } = dialAndSend(node, frame, binary);
      assert.equal(await closed, CloseCode.ProtocolViolation);
      await waitFor(() => violations.some((event) => event.nodeId === node), { what: `the violation of ${node}`, timeoutMs: 5_000 });
    });
  }

  it('answers a PING sent before authentication ended once the socket is attached, and keeps the agent', async () => {
    const { socket } = dialAndSend('early-ping', 'PING', false);
    let ponged = false;
    socket.on('message', (data) => (ponged ||= data.toString() === 'PONG'));
    await waitFor(() => ponged, { what: 'the PONG', timeoutMs: 5_000 });
    assert.ok(fixture.hub.isConnected('early-ping'));
    assert.equal(socket.readyState, WebSocket.OPEN);
    socket.terminate();
  });
});

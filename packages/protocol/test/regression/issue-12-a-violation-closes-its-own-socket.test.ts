import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { CloseCode } from '../../src/closeCodes.js';
import type { AgentViolationEvent } from '../../src/server/AgentHub.js';
import { rawAgentHub } from '../support/rawAgent.js';

/**
 * Found while chasing a rare failure of the agent frame fuzz (issue 12): the hub closed the
 * socket it held for the node when a violation was reported, not the socket whose frame broke
 * the protocol. A forgotten node's link (`forget`: a revoked node, or in a cluster one that
 * dialled another replica) still reads its old socket while that socket closes, and the node
 * may dial again meanwhile, on a new link: a frame of the old socket that broke the protocol
 * closed the new one with 4422. The link now hands the offending socket itself to the hub.
 */
describe('issue 12: a violation closes the socket that committed it', () => {
  const violations: AgentViolationEvent[] = [];

  const raw = rawAgentHub({ onViolation: (event) => violations.push(event) });

  it("answers a violation on a forgotten node's closing socket on that socket, and leaves the node's new socket open", async () => {
    const node = 'forgotten-then-back';
    const old = await raw.dial(node);
    // The old agent reads nothing from here, so it never answers the close: `forget` waits its
    // second of grace for it, and the hub reads the old socket all the while.
    old.socket.pause();
    const forgotten = raw.fixture.hub.forget(node, CloseCode.Revoked, 'revoked');
    raw.connected.delete(node);
    const fresh = await raw.dial(node);
    old.send('not json');
    await waitFor(() => violations.length > 0, { what: "the report of the old socket's violation", timeoutMs: 5_000 });
    assert.equal(violations[0]!.nodeId, node);
    assert.equal(violations[0]!.reason, 'a frame that is not JSON');
    // Had the hub closed the new socket, its close would come before the PONG.
    await fresh.readSoFar();
    assert.equal(fresh.closed(), null, `the new socket closed with ${fresh.closed()}`);
    assert.ok(raw.fixture.hub.isConnected(node));
    await forgotten;
    old.socket.resume();
    await waitFor(() => old.closed(), { what: 'the old socket to close', timeoutMs: 5_000 });
    assert.equal(fresh.closed(), null);
  });
});

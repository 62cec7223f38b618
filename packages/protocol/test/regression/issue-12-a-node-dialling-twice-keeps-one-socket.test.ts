import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { CloseCode } from '../../src/closeCodes.js';
import { rawAgentHub } from '../support/rawAgent.js';

/**
 * Found while chasing a rare failure of the agent frame fuzz (issue 12): two connections of
 * one node accepted while its older socket was still closing both waited for that close, then
 * both were attached in turn. The first stayed open, held by nothing: no call went out on it,
 * no violation closed it, and a node (or a stolen token) dialling over and over could pile
 * up such sockets. The hub now closes, in turn, every connection attached while a newer one
 * waited.
 */
describe('issue 12: a node dialling twice at once ends with one socket', () => {
  const raw = rawAgentHub();

  it('closes all but one of the connections accepted while the older socket closed, and calls go out on the one left', async () => {
    const node = 'dials-twice';
    const old = await raw.dial(node);
    // The old agent reads nothing from here, so it never answers the close: the hub waits its
    // second of grace for it, and both new connections are accepted meanwhile.
    old.socket.pause();
    raw.connected.delete(node);
    const [first, second] = await Promise.all([raw.dial(node), raw.dial(node)]);
    await waitFor(() => first.closed() !== null || second.closed() !== null, { what: 'one of the two new connections to close', timeoutMs: 5_000 });
    const [left, closed] = first.closed() === null ? [first, second] : [second, first];
    assert.equal(closed.closed(), CloseCode.Superseded);
    await left.readSoFar();
    assert.equal(left.closed(), null, 'both new connections closed');
    const hello = await raw.fixture.hub.client(node).hello.query();
    assert.equal(hello.nodeName, node);
    old.socket.resume();
    await waitFor(() => old.closed(), { what: 'the old socket to close', timeoutMs: 5_000 });
    assert.equal(left.closed(), null);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { CloseCode } from '../../src/closeCodes.js';
import { AgentError } from '../../src/errors.js';
import { sampleHeartbeat } from '../../src/testing/index.js';
import { rawAgentHub } from '../support/rawAgent.js';

/**
 * The agent frame fuzzer (issue 12, item 4) found that a socket closed for breaking the
 * protocol was still read while it closed: a result sent right after a binary frame settled
 * its call, and items went on reaching the caller, for as long as the agent held the
 * closing handshake open. A violator's later frames are now ignored.
 */
describe("issue 12: a violator's frames after the one that broke the protocol", () => {
  const raw = rawAgentHub();

  it('fails a call answered after a binary frame with AGENT_UNAVAILABLE, instead of settling it with the answer', async () => {
    const agent = await raw.dial('late-answer');
    const pending = raw.fixture.hub.client('late-answer').inventory.query();
    const call = await agent.next('inventory');
    agent.socket.send(Buffer.from([0xde, 0xad]), { binary: true });
    agent.result(call.id, { nodeName: 'late-answer', containers: [] });
    const error = await pending.then(
      () => assert.fail('the answer after the violation settled the call'),
      (e: unknown) => AgentError.from(e),
    );
    assert.equal(error.code, 'AGENT_UNAVAILABLE');
    await waitFor(() => agent.closed(), { what: 'the close', timeoutMs: 5_000 });
    assert.equal(agent.closed(), CloseCode.ProtocolViolation);
  });

  it('delivers no stream item sent after text that is not JSON', async () => {
    const agent = await raw.dial('late-items');
    const beats: number[] = [];
    raw.fixture.hub.client('late-items').node.heartbeats.subscribe(undefined, { onData: (beat) => beats.push(beat.seq) });
    const call = await agent.next('node.heartbeats');
    agent.result(call.id, sampleHeartbeat({ seq: 1 }));
    agent.send('not json');
    agent.result(call.id, sampleHeartbeat({ seq: 2 }));
    await waitFor(() => agent.closed(), { what: 'the close', timeoutMs: 5_000 });
    assert.deepEqual(beats, [1]);
  });
});

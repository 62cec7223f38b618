import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import { Limit } from '../../src/schemas/limits.js';
import type { Heartbeat } from '../../src/schemas/heartbeat.js';
import { sampleHeartbeat } from '../../src/testing/index.js';
import { rawAgentHub } from '../support/rawAgent.js';

/**
 * Issue 16 gave the server's end a fast path for heartbeats: a frame and a heartbeat in the
 * contract's exact form are taken as they are, without zod's walk (`isExactItemFrame`,
 * `isExactHeartbeat`). Their property tests hold each check to its schema alone; this sends
 * what a hostile agent would over a real link, so the gate in front of them (the payload's
 * form, the stream's kind) is part of what is judged: nothing the schema refuses is
 * delivered, nothing it strips reaches the caller, and the stream goes on.
 */
describe('issue 16: heartbeats that must not pass the fast path as they are', () => {
  const raw = rawAgentHub();

  it('delivers exact heartbeats as they are, strips what the schema strips, drops what it refuses, and counts each drop', async () => {
    const agent = await raw.dial('hostile-beats');
    const delivered: Heartbeat[] = [];
    raw.fixture.hub.client('hostile-beats').node.heartbeats.subscribe(undefined, { onData: (beat) => delivered.push(beat) });
    const { id } = await agent.next('node.heartbeats');
    const beat = (seq: number) => sampleHeartbeat({ seq, nodeName: 'hostile-beats', at: 1_700_000_000_000 + seq });
    const frame = (json: string, extra = '') => `{"id":${id},"result":{"type":"data","data":{"json":${json}${extra}}}}`;

    agent.result(id, beat(1));
    // Stripped by the schema: a key it does not know, and `__proto__` as JSON.parse makes it (an own key).
    agent.result(id, { ...beat(2), extra: 'dropped' });
    agent.send(frame(JSON.stringify(beat(3)).replace('{', '{"__proto__":{"polluted":true},')));
    // Refused by the schema.
    const refused = [
      { ...beat(4), seq: 2 ** 53 },
      { ...beat(5), nodeName: 'x'.repeat(Limit.nameChars + 1) },
      { ...beat(6), cpu: { ...beat(6).cpu, usagePercent: 100.5 } },
      { ...beat(7), engine: { up: true, version: undefined, error: 7 } },
      { ...beat(8), disk: { ...beat(8).disk, usedBytes: -1 } },
    ];
    for (const value of refused) agent.result(id, value);
    // Another payload form than the encoder's: left to the schema, and a plain heartbeat in it is one.
    agent.send(frame(JSON.stringify(beat(9)), ',"meta":null'));
    agent.result(id, beat(10));

    await waitFor(() => delivered.some((b) => b.seq === 10), { what: 'the last valid heartbeat', timeoutMs: 5_000 });
    assert.deepEqual(
      delivered.map((b) => b.seq),
      [1, 2, 3, 9, 10],
    );
    assert.deepEqual(delivered[0], beat(1));
    assert.deepEqual(delivered[1], beat(2), 'the unknown key is stripped');
    assert.deepEqual(delivered[2], beat(3), 'the __proto__ key is stripped');
    assert.equal(Object.getPrototypeOf(delivered[2]), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype was polluted');
    assert.equal(raw.fixture.hub.counters('hostile-beats')!.invalidItems, refused.length);
  });
});

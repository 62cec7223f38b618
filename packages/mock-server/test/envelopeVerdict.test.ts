import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readAgentFrame } from '@lormas/protocol/server';
import { envelopeVerdict } from './support/agentMessage.js';

/**
 * The fuzz's oracle (`envelopeVerdict`, worked out from the protocol's documentation) and the
 * server's reading of a message (`readAgentFrame`) must agree on what breaks the envelope:
 * where they differ, the fuzz reports a close the agent "did not cause", now and then.
 */
describe('envelopeVerdict agrees with the server on what breaks the envelope', () => {
  const frame = '{"id":1,"result":{"type":"started"}}';
  const cases: [string, string][] = [
    ['a frame', frame],
    ['a frame after a byte order mark (JSON text must not begin with one)', `\uFEFF${frame}`],
    ['a frame after JSON whitespace', ` \n\t${frame}`],
    ['a frame before JSON whitespace', `${frame}\r\n`],
    ['a byte order mark inside a string', '{"id":1,"result":{"type":"data","data":{"json":"\uFEFF"}}}'],
    ['PING', 'PING'],
    ['PING after a byte order mark', '\uFEFFPING'],
    ['a frame after a no-break space (not JSON whitespace)', `\u00A0${frame}`],
  ];
  for (const [what, text] of cases) {
    it(what, () => {
      const bytes = Buffer.from(text);
      const server = readAgentFrame(bytes, false);
      const oracle = envelopeVerdict({ bytes, binary: false }, 1_000_000);
      assert.equal(oracle.breaks, server.kind === 'violation', `oracle ${JSON.stringify(oracle)}, server ${JSON.stringify(server)}`);
    });
  }
});

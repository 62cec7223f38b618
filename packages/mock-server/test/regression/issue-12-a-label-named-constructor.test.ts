import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { createLogger } from '../../src/logger.js';
import { type MockServer, startMockServer } from '../../src/index.js';
import { acceptingHandlers } from '../support/acceptingHandlers.js';
import { call, registerNode } from '../support/http.js';
import { dialStubAgent } from '../support/stubAgent.js';

/**
 * Found by the agent frame fuzzer (issue 12, item 4): a container whose labels or environment
 * held a key named `constructor` or `prototype` made the link's encoder throw a plain error,
 * which the API answered with a 500 and logged as its own failure. The link cannot carry such
 * keys (its encoder guards against prototype pollution); the request is now refused as the
 * client's, and nothing is recorded.
 */
describe('issue 12: a container with a label named constructor', () => {
  let server: MockServer;
  let socket: WebSocket;
  let nodeId: string;
  const errorLines: string[] = [];

  before(async () => {
    server = await startMockServer({ failoverGraceMs: 0, dashboardDir: null, logger: createLogger({ write: (line) => line.includes(' ERROR ') && errorLines.push(line) }) });
    const node = await registerNode(server, 'labels');
    nodeId = node.id;
    socket = dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, acceptingHandlers('labels'));
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${nodeId}`)).body?.status === 'online', { what: 'the node online' });
  });

  after(async () => {
    socket?.close();
    await server?.close();
  });

  for (const [what, spec] of [
    ['a label named constructor', { labels: { constructor: 'x' } }],
    ['an environment variable named prototype', { env: { prototype: 'x' } }],
  ] as const) {
    it(`answers a create with ${what} with 400 BAD_INPUT, records nothing, and logs no error`, async () => {
      const name = what.replace(/\W+/g, '-');
      const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: { name, image: 'busybox', networkMode: 'none', ...spec } } });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, 'BAD_INPUT');
      assert.equal((await call(server, 'GET', `/api/containers/${name}`)).status, 404);
      assert.deepEqual(errorLines, []);
    });
  }
});

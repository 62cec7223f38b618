import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../../src/index.js';
import { call, registerNode } from '../support/http.js';
import { dialStubAgent, stubHandlers } from '../support/stubAgent.js';

/**
 * The agent frame fuzzer (issue 12, item 4) found that a heartbeat reporting a fraction of a
 * byte of memory in all (the contract allows any size from 0) made the memory share
 * infinite: `null` in the JSON of the sparkline samples, the live events and the placement
 * candidates, where a reader expects a number.
 */
describe('issue 12: a node that reports a fraction of a byte of memory', () => {
  let server: MockServer;
  let socket: WebSocket;
  let nodeId: string;

  before(async () => {
    server = await startMockServer({ failoverGraceMs: 0, dashboardDir: null });
    const node = await registerNode(server, 'tiny');
    nodeId = node.id;
    const handlers = stubHandlers('tiny', {
      containers: { ...stubHandlers('tiny').containers, create: async (input) => ({ containerId: `tiny-${input.spec.name}`, name: input.spec.name, state: 'created' }) },
      node: {
        heartbeats: async function* (_input, { signal }) {
          for (let seq = 1; !signal.aborted; seq++) {
            yield sampleHeartbeat({ seq, nodeName: 'tiny', memory: { totalBytes: 5e-324, usedBytes: 1024 } });
            await delay(50);
          }
        },
      },
    });
    socket = dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, handlers);
    await waitFor(async () => (await call(server, 'GET', `/api/samples`)).body?.nodes?.[nodeId]?.length > 0, { what: 'a sample of the node' });
  });

  after(async () => {
    socket?.close();
    await server?.close();
  });

  it('shows its memory share as a number in the samples', async () => {
    const [sample] = (await call(server, 'GET', '/api/samples')).body.nodes[nodeId];
    assert.equal(typeof sample.memoryPercent, 'number');
  });

  it('shows its memory share as a number among the placement candidates', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { spec: { name: 'placed', image: 'busybox', networkMode: 'none' }, start: false } });
    assert.equal(res.status, 201, res.text);
    const [candidate] = res.body.placement.candidates;
    assert.equal(candidate.nodeId, nodeId);
    assert.equal(typeof candidate.memoryPercent, 'number', JSON.stringify(candidate));
  });
});

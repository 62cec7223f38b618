import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

/** A stub agent that creates containers after a delay, so placements overlap in flight. */
function creatingAgent(nodeName: string) {
  return stubHandlers(nodeName, {
    containers: {
      ...stubHandlers(nodeName).containers,
      create: async (input) => {
        await delay(150);
        return { containerId: `${nodeName}-${input.spec.name}`.padEnd(64, '0'), name: input.spec.name, state: input.start ? 'running' : 'created' };
      },
    },
  });
}

const spec = (name: string) => ({ name, image: 'busybox', networkMode: 'none' });

describe('placement: POST /api/containers without a node', () => {
  let server: MockServer;
  const sockets: WebSocket[] = [];
  const nodes: Record<string, string> = {};

  before(async () => {
    server = await startMockServer({ failoverGraceMs: 0, dashboardDir: null });
    await call(server, 'POST', '/api/clusters', { body: { name: 'blue' } });
    await call(server, 'POST', '/api/clusters', { body: { name: 'empty' } });
    for (const [name, cluster] of [['p1', 'blue'], ['p2', 'blue'], ['p3', null]] as const) {
      const node = await registerNode(server, name, cluster ? { cluster } : {});
      nodes[name] = node.id;
      sockets.push(dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, creatingAgent(name)));
    }
    await waitFor(async () => (await call(server, 'GET', '/api/nodes')).body.nodes.every((n: { status: string; cpu: unknown }) => n.status === 'online' && n.cpu), { what: 'three nodes online' });
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await server?.close();
  });

  it('spreads four containers created at once over two equal nodes of a cluster two and two', async () => {
    const created = await Promise.all(['c1', 'c2', 'c3', 'c4'].map((name) => call(server, 'POST', '/api/containers', { body: { cluster: 'blue', spec: spec(name) } })));
    for (const res of created) assert.equal(res.status, 201, res.text);
    const counts = new Map<string, number>();
    for (const res of created) counts.set(res.body.nodeId, (counts.get(res.body.nodeId) ?? 0) + 1);
    assert.deepEqual(
      [...counts.entries()].sort(),
      [
        [nodes['p1'], 2],
        [nodes['p2'], 2],
      ].sort(),
    );
  });

  it('names the node it chose and why, and makes the cluster the preferred one', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { cluster: 'blue', spec: spec('why') } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.placement.scope, 'cluster');
    assert.equal(res.body.placement.nodeId, res.body.nodeId);
    assert.match(res.body.placement.reason, /least loaded of 2 eligible nodes of cluster "blue": 2 containers/);
    assert.deepEqual(res.body.placement.candidates.map((c: { nodeName: string }) => c.nodeName).sort(), ['p1', 'p2']);
    assert.equal(res.body.preferredClusterId, (await call(server, 'GET', '/api/clusters')).body.clusters.find((c: { name: string }) => c.name === 'blue').id);
  });

  it('chooses among every node when neither a node nor a cluster is named: the emptiest', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { spec: spec('anywhere') } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.nodeId, nodes['p3']);
    assert.equal(res.body.placement.scope, 'any');
  });

  it('answers 503 NO_ELIGIBLE_NODE when no node of the cluster can take it, and records nothing', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { cluster: 'empty', spec: spec('nowhere') } });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'NO_ELIGIBLE_NODE');
    assert.match(res.body.error.message, /cluster "empty"/);
    assert.equal((await call(server, 'GET', '/api/containers/nowhere')).status, 404);
  });

  it('refuses a node and a cluster together, and an unknown cluster, with 400', async () => {
    const both = await call(server, 'POST', '/api/containers', { body: { nodeId: nodes['p1'], cluster: 'blue', spec: spec('both') } });
    assert.equal(both.status, 400);
    assert.deepEqual(both.body.error.issues[0].path, ['cluster']);
    const unknown = await call(server, 'POST', '/api/containers', { body: { cluster: 'nope', spec: spec('unknown') } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.error.issues[0].path, ['cluster']);
  });

  it('filters the list by cluster and by state', async () => {
    const blue = (await call(server, 'GET', '/api/containers?cluster=blue')).body.containers as { nodeId: string; state: string }[];
    assert.equal(blue.length, 5);
    assert.ok(blue.every((c) => c.nodeId !== nodes['p3']));
    assert.equal((await call(server, 'GET', '/api/containers?state=running')).body.containers.length, 6);
    assert.equal((await call(server, 'GET', '/api/containers?state=exited')).body.containers.length, 0);
  });
});

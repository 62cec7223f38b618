import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

const spec = (name: string) => ({ name, image: 'busybox', networkMode: 'none' });

describe('migration and failover API refusals', () => {
  let server: MockServer;
  let socket: WebSocket;
  let online: string;
  let offline: string;
  let containerId: string;

  before(async () => {
    server = await startMockServer({ lostAfterMs: 60_000 });
    const a = await registerNode(server, 'mig-api-a');
    online = a.id;
    offline = (await registerNode(server, 'mig-api-b')).id;
    socket = dialStubAgent(server.url.replace(/^http/, 'ws'), a.token, stubHandlers('mig-api-a'));
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${online}`)).body?.status === 'online', { what: 'the stub agent online' });
    containerId = (await server.store.containers.create({ nodeId: online, spec: { ...spec('mig-api-web'), env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] }, ha: true, desiredState: 'running' })).id;
  });
  after(async () => {
    socket.terminate();
    await server.close();
  });

  it('answers NOT_FOUND for an unknown container or migration', async () => {
    assert.equal((await call(server, 'POST', '/api/containers/nope/migrate', { body: {} })).body.error.code, 'NOT_FOUND');
    const res = await call(server, 'GET', '/api/migrations/mig_unknown');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
  });

  it('answers BAD_REQUEST for a target that is the source', async () => {
    const res = await call(server, 'POST', `/api/containers/${containerId}/migrate`, { body: { targetNodeId: online } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'BAD_REQUEST');
  });

  it('answers NODE_OFFLINE (503) for a target that is not connected, and when no node can take it', async () => {
    for (const body of [{ targetNodeId: offline }, {}]) {
      const res = await call(server, 'POST', `/api/containers/${containerId}/migrate`, { body });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.error.code, 'NODE_OFFLINE');
    }
    assert.deepEqual((await call(server, 'GET', '/api/migrations')).body.migrations, []);
  });

  it('refuses an unknown preferred cluster with BAD_REQUEST naming the field', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId: online, spec: spec('mig-api-x'), preferredCluster: 'atlantis' } });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body.error.issues[0].path, ['preferredCluster']);
  });

  it('shows the windows, the start-up grace hold and each node in GET /api/failover', async () => {
    // Nodes are judged every check interval; the two registered after the start show from the next check.
    const status = await waitFor(async () => {
      const body = (await call(server, 'GET', '/api/failover')).body;
      return body.nodes.length === 2 ? body : null;
    }, { what: 'both nodes judged' });
    assert.equal(status.lostAfterMs, 60_000);
    assert.equal(status.suspectAfterMs, 20_000);
    assert.equal(status.hold, 'grace');
    assert.deepEqual(status.nodes.map((n: { nodeId: string }) => n.nodeId).sort(), [online, offline].sort());
    const nodes = (await call(server, 'GET', '/api/nodes')).body.nodes;
    assert.equal(nodes.find((n: { id: string }) => n.id === online).health, 'online');
    assert.equal(nodes.find((n: { id: string }) => n.id === offline).health, 'suspect');
  });
});

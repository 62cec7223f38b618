import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';

describe('cluster rename and delete', () => {
  let server: MockServer;
  let node: { id: string };
  let clusterId: string;

  before(async () => {
    server = await startMockServer({ dashboardDir: null });
    clusterId = (await call(server, 'POST', '/api/clusters', { body: { name: 'eu', description: 'Europe' } })).body.id;
    node = await registerNode(server, 'eu-1', { cluster: 'eu' });
    // A container record that prefers the cluster, written as the API would after a placement.
    await server.store.containers.create({ nodeId: node.id, spec: { name: 'pref', image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] }, ha: true, desiredState: 'running', preferredClusterId: clusterId });
  });

  after(() => server?.close());

  it('renames a cluster; its nodes and the containers that prefer it keep it', async () => {
    const res = await call(server, 'PATCH', `/api/clusters/${clusterId}`, { body: { name: 'europe' } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.body.name, res.body.description, res.body.nodes], ['europe', 'Europe', [node.id]]);
    assert.deepEqual((await call(server, 'GET', `/api/nodes/${node.id}`)).body.cluster, { id: clusterId, name: 'europe' });
    assert.equal((await call(server, 'GET', '/api/containers/pref')).body.preferredClusterId, clusterId);
    assert.equal((await call(server, 'GET', '/api/clusters/europe')).status, 405);
  });

  it('refuses a rename to a name another cluster has with 409', async () => {
    await call(server, 'POST', '/api/clusters', { body: { name: 'us' } });
    const res = await call(server, 'PATCH', `/api/clusters/${clusterId}`, { body: { name: 'us' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'CONFLICT');
  });

  it('deletes a cluster: its nodes stay registered in no cluster, preferences are cleared, nothing moves', async () => {
    const res = await call(server, 'DELETE', '/api/clusters/europe');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { id: clusterId, name: 'europe', deleted: true, unassignedNodes: 1, clearedPreferences: 1 });
    const after = (await call(server, 'GET', `/api/nodes/${node.id}`)).body;
    assert.equal(after.cluster, null);
    const container = (await call(server, 'GET', '/api/containers/pref')).body;
    assert.deepEqual([container.preferredClusterId, container.nodeId], [null, node.id]);
    assert.deepEqual((await call(server, 'GET', '/api/clusters')).body.clusters.map((c: { name: string }) => c.name), ['us']);
    assert.equal((await call(server, 'DELETE', `/api/clusters/${clusterId}`)).status, 404);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { docker, removeContainers, requireEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, registerNode } from './support/http.js';
import { nodeOnline, refusalOf } from './support/nodeWithAgent.js';

const PREFIX = 'lgr-upgrade-';
const FIXTURE = new URL('./fixtures/agent-protocol-1.0.cjs.gz', import.meta.url);

/**
 * Issue 13, item 2: before this change the engine created a spec's missing volume itself,
 * without labels, and labels cannot be added later. An agent upgraded from the protocol 1.0
 * release adopts the volumes that release had the engine make for its own containers, and
 * no volume anybody else uses.
 */
describe('an upgrade from the protocol 1.0 agent with implicitly created volumes', () => {
  let server: MockServer;
  let agent: AgentProcess;
  let node: { id: string; token: string };
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  const stateDir = join(dir, 'state');
  const volume = (name: string) => `${PREFIX}${name}`;
  const spec = (name: string, source: string, cmd = ['sleep', '300']) => ({
    name: `${PREFIX}${name}`,
    image: TEST_IMAGE,
    networkMode: 'none',
    cmd,
    stopTimeoutSeconds: 0,
    mounts: [{ type: 'volume', source, target: '/data' }],
  });
  const create = (name: string, source: string, cmd?: string[]) => call(server, 'POST', '/api/containers', { body: { nodeId: node.id, spec: spec(name, source, cmd) } });
  const labelsOf = async (name: string) => JSON.parse(await docker(['volume', 'inspect', name]))[0].Labels ?? {};
  let app: { id: string };
  let shared: { id: string };

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX, { volumes: true });
    writeFileSync(join(dir, 'agent-1.0.cjs'), gunzipSync(readFileSync(FIXTURE)));
    server = await startMockServer();
    node = await registerNode(server, `${PREFIX}node`);
    agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: node.token, nodeName: `${PREFIX}node`, command: [process.execPath, join(dir, 'agent-1.0.cjs')] });
    await nodeOnline(server, node.id);
    assert.equal((await call(server, 'GET', `/api/nodes/${node.id}`)).body.protocolVersion, '1.0');

    const created = await create('app', volume('data'), ['sh', '-c', 'echo kept across the upgrade > /data/note; sleep 300']);
    assert.equal(created.status, 201, created.text);
    app = created.body;
    const other = await create('shared', volume('shared'));
    assert.equal(other.status, 201, other.text);
    shared = other.body;
    // Somebody else's container uses the second volume too; and a third nobody managed ever used.
    await docker(['create', '--name', `${PREFIX}foreign-user`, '--network', 'none', '-v', `${volume('shared')}:/x`, TEST_IMAGE, 'true']);
    await docker(['volume', 'create', volume('foreign')]);
    await waitFor(async () => (await docker(['exec', `${PREFIX}app`, 'cat', '/data/note']).catch(() => '')) === 'kept across the upgrade', { what: 'the data written' });
    assert.deepEqual(await labelsOf(volume('data')), {}, 'the 1.0 agent left the engine to create the volume, unlabelled');

    await agent.stop();
    agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: node.token, nodeName: `${PREFIX}node`, env: { STATE_DIR: stateDir } });
    await nodeOnline(server, node.id);
  });

  after(async () => {
    await agent?.stop();
    await server?.close();
    await removeContainers(PREFIX, { volumes: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it("adopts the volume made for the node's own container: it restarts with its data", async () => {
    const res = await call(server, 'POST', `/api/containers/${app.id}/restart`, { body: { timeoutSeconds: 0 } });
    assert.equal(res.status, 200, res.text);
    assert.equal(await docker(['exec', `${PREFIX}app`, 'cat', '/data/note']), 'kept across the upgrade');
    const record = JSON.parse(readFileSync(join(stateDir, 'adopted-volumes.json'), 'utf8'));
    assert.deepEqual(record.volumes.map((v: { name: string }) => v.name), [volume('data')]);
  });

  it('mounts the adopted volume in a new container, and still after the first one is gone', async () => {
    assert.equal((await call(server, 'DELETE', `/api/containers/${app.id}`)).status, 200);
    const res = await create('app-again', volume('data'));
    assert.equal(res.status, 201, res.text);
    assert.equal(await docker(['exec', `${PREFIX}app-again`, 'cat', '/data/note']), 'kept across the upgrade');
  });

  it('does not adopt a volume another container also mounts, nor one no managed container used', async () => {
    for (const name of ['shared', 'foreign']) {
      const res = await create(`try-${name}`, volume(name));
      assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'volume-not-owned'], res.text);
    }
    const restart = await call(server, 'POST', `/api/containers/${shared.id}/restart`, { body: { timeoutSeconds: 0 } });
    assert.deepEqual(refusalOf(restart), [403, 'POLICY_DENIED', 'volume-not-owned'], restart.text);
  });
});

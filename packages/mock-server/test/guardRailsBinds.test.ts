import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker, engineState, type Proxy, removeContainers, requireEngine, startProxy, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call } from './support/http.js';
import { nodeOnline, refusalOf, startNodeWithAgent } from './support/nodeWithAgent.js';

const PREFIX = 'lgr-binds-';

/**
 * Issue 13, item 4: bind sources fail closed and are judged again at every start, the agent's
 * own and the engine's, as a compromised container that swaps a folder for a link to /etc,
 * or an operator starting a container by hand, meets it.
 */
describe('bind sources judged again at every start, through the API', () => {
  let server: MockServer;
  let agent: AgentProcess;
  let engineProxy: Proxy;
  let nodeId: string;
  let token: string;
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), PREFIX)));
  const allowed = join(scratch, 'allowed');
  const agentEnv = { STATE_DIR: join(scratch, 'state'), BIND_ALLOW_LIST: allowed };

  /** A real folder under the allowed one, for a container to bind. */
  const folder = (name: string) => {
    const path = join(allowed, name);
    mkdirSync(path, { recursive: true });
    return path;
  };
  /** What a container with write access to the allowed folder can do: put a link to /etc where the folder was. */
  const swapForEtc = (path: string) => {
    rmSync(path, { recursive: true, force: true });
    symlinkSync('/etc', path);
  };
  const create = async (name: string, source: string, start: boolean) => {
    const res = await call(server, 'POST', '/api/containers', {
      body: { nodeId, start, spec: { name: `${PREFIX}${name}`, image: TEST_IMAGE, networkMode: 'none', cmd: ['sleep', '300'], stopTimeoutSeconds: 0, mounts: [{ type: 'bind', source, target: '/host' }] } },
    });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; name: string };
  };
  const shown = async (id: string) => (await call(server, 'GET', `/api/containers/${id}`)).body;
  const startedAt = async (name: string) => docker(['inspect', '-f', '{{.State.StartedAt}}', name]);
  const stoppedByGuardRail = (id: string, rule: string) =>
    waitFor(async () => {
      const container = await shown(id);
      return container.state === 'exited' && container.guardRailStop?.rule === rule ? container : null;
    }, { timeoutMs: 15_000, what: `container ${id} stopped by the guard rail ${rule}` });

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    mkdirSync(allowed);
    engineProxy = await startProxy({ target: { path: '/var/run/docker.sock' }, listenUnix: true });
    server = await startMockServer();
    const node = await startNodeWithAgent(server, `${PREFIX}node`, { dockerSocket: engineProxy.address, env: agentEnv });
    ({ id: nodeId, token, agent } = node);
  });

  after(async () => {
    await agent?.stop();
    await server?.close();
    await engineProxy?.close();
    await removeContainers(PREFIX);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses a start when the source became a link to /etc after the create (403 bind-mount-forbidden)', async () => {
    const source = folder('swapped');
    const created = await create('swapped', source, false);
    swapForEtc(source);
    const res = await call(server, 'POST', `/api/containers/${created.id}/start`);
    assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'bind-mount-forbidden'], res.text);
    assert.equal(await engineState(created.name), 'created');
  });

  it('refuses a restart when a folder higher up the source became a link', async () => {
    const parent = folder('parent');
    // /etc/ssl exists: once parent leads to /etc, the source resolves into it.
    const source = folder('parent/ssl');
    const created = await create('restart', source, true);
    const before = await startedAt(created.name);
    swapForEtc(parent);
    const res = await call(server, 'POST', `/api/containers/${created.id}/restart`, { body: { timeoutSeconds: 0 } });
    assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'bind-mount-forbidden'], res.text);
    assert.equal(await startedAt(created.name), before, 'the engine was not asked to restart it');
  });

  it('fails closed: a source that no longer resolves is refused (403 bind-mount-unresolved)', async () => {
    const source = folder('vanishing');
    const created = await create('vanishing', source, false);
    rmSync(source, { recursive: true });
    const res = await call(server, 'POST', `/api/containers/${created.id}/start`);
    assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'bind-mount-unresolved'], res.text);
  });

  it('stops a container started by hand whose source now leads to /etc, and the server shows why', async () => {
    const source = folder('by-hand');
    const created = await create('by-hand', source, true);
    assert.equal((await call(server, 'POST', `/api/containers/${created.id}/stop`, { body: { timeoutSeconds: 0 } })).status, 200);
    swapForEtc(source);
    await docker(['start', created.name]);
    const stopped = await stoppedByGuardRail(created.id, 'bind-mount-forbidden');
    assert.match(stopped.guardRailStop.message, /\/etc/);
    assert.equal(await engineState(created.name), 'exited');
  });

  it('stops, once its event stream is back, a container started while the stream was down', async () => {
    const source = folder('stream-down');
    const created = await create('stream-down', source, true);
    assert.equal((await call(server, 'POST', `/api/containers/${created.id}/stop`, { body: { timeoutSeconds: 0 } })).status, 200);
    await engineProxy.down();
    try {
      swapForEtc(source);
      await docker(['start', created.name]);
      assert.equal(await engineState(created.name), 'running');
    } finally {
      await engineProxy.up();
    }
    await stoppedByGuardRail(created.id, 'bind-mount-forbidden');
  });

  it('stops, when it starts, a container started while the agent was not running', async () => {
    const source = folder('agent-down');
    const created = await create('agent-down', source, true);
    assert.equal((await call(server, 'POST', `/api/containers/${created.id}/stop`, { body: { timeoutSeconds: 0 } })).status, 200);
    await agent.stop();
    swapForEtc(source);
    await docker(['start', created.name]);
    agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token, nodeName: `${PREFIX}node`, dockerSocket: engineProxy.address, env: agentEnv });
    await nodeOnline(server, nodeId);
    await stoppedByGuardRail(created.id, 'bind-mount-forbidden');
    assert.equal(await engineState(created.name), 'exited');
  });

  it('leaves running a container whose sources still lead where they did', async () => {
    const created = await create('steady', folder('steady'), true);
    await docker(['restart', '-t', '0', created.name]);
    // A later container's guard-rail stop shows the checks ran after this restart.
    const probe = folder('probe');
    const other = await create('probe', probe, true);
    assert.equal((await call(server, 'POST', `/api/containers/${other.id}/stop`, { body: { timeoutSeconds: 0 } })).status, 200);
    swapForEtc(probe);
    await docker(['start', other.name]);
    await stoppedByGuardRail(other.id, 'bind-mount-forbidden');
    assert.equal(await engineState(created.name), 'running');
    assert.equal((await shown(created.id)).guardRailStop, null);
  });
});

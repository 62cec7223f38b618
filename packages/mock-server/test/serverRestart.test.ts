import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { docker, removeContainers, requireEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, registerNode } from './support/http.js';

const PREFIX = 'lormas-mock-restart-';

describe('a restart of the mock server with a data folder', () => {
  let dataDir: string;
  let server: MockServer;
  let agent: AgentProcess;

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-data-'));
  });
  after(async () => {
    await agent?.stop();
    await server?.close();
    await removeContainers(PREFIX);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('gets the agent back by itself with the same token, and shows nodes and containers right again within seconds', async () => {
    const adminToken = 'restart-test-admin-token';
    server = await startMockServer({ dataDir, adminToken });
    const port = server.port;
    const node = await registerNode(server, 'restart-node');
    agent = startAgentProcess({ serverUrl: `ws://127.0.0.1:${port}`, token: node.token, nodeName: 'restart-node' });
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${node.id}`)).body?.status === 'online', { timeoutMs: 20_000, what: 'the agent online' });
    const spec = { name: `${PREFIX}${process.pid}`, image: TEST_IMAGE, networkMode: 'none', cmd: ['sleep', '600'] };
    const created = await call(server, 'POST', '/api/containers', { body: { nodeId: node.id, spec, ha: true } });
    assert.equal(created.status, 201, created.text);

    await server.close();
    // Changed while the server is down: only the inventory read on reconnect can tell it.
    await docker(['stop', '-t', '0', spec.name]);
    server = await startMockServer({ dataDir, adminToken, port });

    const started = Date.now();
    const shown = await waitFor(
      async () => {
        const res = await call(server, 'GET', `/api/nodes/${node.id}`);
        return res.body?.status === 'online' && res.body.lastHeartbeatAt ? res.body : null;
      },
      { timeoutMs: 15_000, what: () => `the agent back online after the restart; agent output:\n${agent.output().slice(-2000)}` },
    );
    assert.equal(shown.name, 'restart-node');
    assert.ok(Date.now() - started < 15_000);
    const container = await waitFor(
      async () => {
        const body = (await call(server, 'GET', `/api/containers/${created.body.id}`)).body;
        return body?.state === 'exited' ? body : null;
      },
      { what: 'the container seen exited, as the inventory after the restart says' },
    );
    assert.equal(container.ha, true);
    assert.equal(container.dockerId, created.body.dockerId);
    assert.deepEqual(container.spec, created.body.spec);
    assert.equal(agent.child.exitCode, null, 'the agent kept running');
  });
});

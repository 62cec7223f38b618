import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PROTOCOL_VERSION } from '@lormas/protocol';
import { requireEngine, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call } from './support/http.js';

const run = promisify(execFile);

describe("the seed README's flow", () => {
  let server: MockServer;
  let agent: AgentProcess | undefined;

  before(async () => {
    await requireEngine();
    server = await startMockServer();
  });
  after(async () => {
    await agent?.stop();
    await server.close();
  });

  it('registers a node with the README curl, and an agent started with the returned token comes online with heartbeat figures', async () => {
    const host = server.url.replace(/^http:\/\//, '');
    // Verbatim from the seed README but for the host and the admin token.
    const command = `curl -X POST http://${host}/api/nodes \\
     -H "Authorization: Bearer ${server.adminToken}" \\
     -H "Content-Type: application/json" \\
     -d '{"name": "node-01", "description": "Production node"}'`;
    const { stdout } = await run('sh', ['-c', command]);
    const registered = JSON.parse(stdout) as { id: string; name: string; cluster: string | null; token: string };
    assert.equal(registered.name, 'node-01');
    assert.equal(registered.cluster, null);
    assert.match(registered.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

    agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: registered.token, nodeName: 'node-01' });
    const node = await waitFor(
      async () => {
        const { nodes } = (await call(server, 'GET', '/api/nodes')).body as { nodes: any[] };
        const found = nodes.find((n) => n.id === registered.id);
        return found?.status === 'online' && found.lastHeartbeatAt && found.cpu ? found : null;
      },
      { timeoutMs: 20_000, what: () => `node-01 online with a heartbeat; agent output:\n${agent?.output() ?? '(not started)'}` },
    );
    assert.equal(node.name, 'node-01');
    assert.equal(node.description, 'Production node');
    assert.equal(node.protocolVersion, PROTOCOL_VERSION);
    assert.ok(node.agentVersion);
    assert.ok(node.cpu.cores >= 1);
    assert.ok(node.memory.totalBytes > 0);
    assert.ok(node.disk.totalBytes > 0);
    assert.equal(typeof node.containers.managed, 'number');
    assert.ok(node.uptime.hostSeconds > 0);
    assert.equal(node.engine.up, true);
    assert.match(node.engine.version, /^\d+\.\d+/);
  });
});

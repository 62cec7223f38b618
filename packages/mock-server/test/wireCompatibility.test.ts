import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { engineState, removeContainers, requireEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, ndjson, registerNode } from './support/http.js';

/**
 * The previous release's agent, as operators run it, against this server: the fixture is the
 * protocol 1.0 agent (stock tRPC on its end of the link) built before the link was rewritten.
 * Replace it at each protocol release with `packages/agent/scripts/build-release-fixture.mjs`.
 */
const FIXTURE = new URL('./fixtures/agent-protocol-1.0.cjs.gz', import.meta.url);
const PREFIX = 'lwc-';

describe('wire compatibility: the protocol 1.0 agent against this server', () => {
  let server: MockServer;
  let agent: AgentProcess;
  let folder: string;
  let nodeId: string;

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    folder = mkdtempSync(join(tmpdir(), 'lormas-agent-1.0-'));
    const entry = join(folder, 'agent.cjs');
    writeFileSync(entry, gunzipSync(readFileSync(FIXTURE)));
    server = await startMockServer();
    const node = await registerNode(server, `${PREFIX}node`);
    nodeId = node.id;
    agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: node.token, nodeName: `${PREFIX}node`, entry: [entry] });
  });
  after(async () => {
    await agent?.stop();
    await server?.close();
    await removeContainers(PREFIX);
    rmSync(folder, { recursive: true, force: true });
  });

  it('comes online with its version and heartbeats', async () => {
    const node = await waitFor(
      async () => {
        const found = (await call(server, 'GET', `/api/nodes/${nodeId}`)).body;
        return found?.status === 'online' && found.lastHeartbeatAt && found.cpu ? found : null;
      },
      { timeoutMs: 20_000, what: 'the 1.0 agent online with a heartbeat' },
    );
    assert.equal(node.protocolVersion, '1.0');
    assert.equal(node.engine.up, true);
  });

  it('creates a container with streamed progress, reads its logs, stops and removes it', async () => {
    const name = `${PREFIX}echo`;
    const created = await call(server, 'POST', '/api/containers', {
      accept: 'application/x-ndjson',
      body: { nodeId, spec: { name, image: TEST_IMAGE, cmd: ['sh', '-c', 'echo one; echo two; sleep 300'], networkMode: 'none' }, start: true },
    });
    assert.equal(created.status, 200, created.text);
    const lines = ndjson(created.text);
    assert.ok(lines.some((line) => line.type === 'running'), created.text);
    assert.equal(lines.at(-1).type, 'result');
    assert.equal(await engineState(name), 'running');

    const logs = await waitFor(
      async () => {
        const res = await call(server, 'GET', `/api/containers/${name}/logs`);
        const entries = ndjson(res.text);
        return entries.length >= 2 ? entries : null;
      },
      { what: 'two log lines' },
    );
    assert.deepEqual(
      logs.map((entry) => entry.line),
      ['one', 'two'],
    );

    const stopped = await call(server, 'POST', `/api/containers/${name}/stop`, { body: { timeoutSeconds: 0 } });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(await engineState(name), 'exited');
    const removed = await call(server, 'DELETE', `/api/containers/${name}`);
    assert.equal(removed.status, 200, removed.text);
    assert.equal(await engineState(name), null);
  });

  it("carries the 1.0 agent's coded refusals", async () => {
    const refused = await call(server, 'POST', '/api/containers', {
      body: { nodeId, spec: { name: `${PREFIX}priv`, image: TEST_IMAGE, privileged: true, networkMode: 'none' } },
    });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.body.error.code, 'POLICY_DENIED');
    assert.equal(refused.body.error.rule, 'privileged');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { engineState, removeContainers, requireEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, ndjson, registerNode } from './support/http.js';

const PREFIX = 'lormas-mock-life-';

describe('a container lifecycle through the HTTP API, against the real engine', () => {
  let server: MockServer;
  let agent: AgentProcess;
  let nodeId: string;
  let containerId: string;
  const name = `${PREFIX}${process.pid}`;

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    server = await startMockServer();
    const node = await registerNode(server, 'life-node');
    nodeId = node.id;
    agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: node.token, nodeName: 'life-node' });
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${nodeId}`)).body?.status === 'online', { timeoutMs: 20_000, what: 'the agent online' });
  });
  after(async () => {
    await agent?.stop();
    await server?.close();
    await removeContainers(PREFIX);
  });

  it('creates and starts a container, streaming progress as NDJSON', async () => {
    const spec = { name, image: TEST_IMAGE, networkMode: 'none', cmd: ['sh', '-c', 'echo first line; echo to stderr >&2; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'] };
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec }, accept: 'application/x-ndjson' });
    assert.equal(res.status, 200, res.text);
    const lines = ndjson(res.text);
    const result = lines.at(-1);
    assert.equal(result.type, 'result', res.text);
    assert.ok(lines.some((line) => line.type === 'created'), res.text);
    containerId = result.result.id;
    assert.match(containerId, /^ctr_/);
    assert.equal(await engineState(name), 'running');
    const shown = (await call(server, 'GET', `/api/containers/${containerId}`)).body;
    assert.equal(shown.state, 'running');
    assert.equal(shown.nodeId, nodeId);
  });

  it('reads its logs, stdout and stderr apart', async () => {
    const lines = await waitFor(
      async () => {
        const res = await call(server, 'GET', `/api/containers/${containerId}/logs?tail=all&timestamps`);
        const entries = ndjson(res.text);
        return entries.some((e) => e.line === 'tick 2') ? entries : null;
      },
      { what: 'two ticks in the logs' },
    );
    // Lines of the two streams may interleave either way when written in the same instant.
    const first = lines.find((e) => e.line === 'first line');
    assert.deepEqual(first, { stream: 'stdout', timestamp: first?.timestamp, line: 'first line' });
    assert.match(first.timestamp, /^\d{4}-\d\d-\d\dT/);
    assert.ok(lines.some((e) => e.stream === 'stderr' && e.line === 'to stderr'));
    const stdoutOnly = ndjson((await call(server, 'GET', `/api/containers/${containerId}/logs?stderr=false`)).text);
    assert.ok(stdoutOnly.every((e) => e.stream === 'stdout'));
  });

  it('follows its logs until the HTTP client goes away', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/containers/${containerId}/logs?follow&tail=0`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    await waitFor(
      async () => {
        const { value } = await reader.read();
        text += Buffer.from(value ?? []).toString();
        return (text.match(/tick/g) ?? []).length >= 2;
      },
      { what: 'two new ticks while following' },
    );
    controller.abort();
    assert.ok(!text.includes('first line'), 'tail=0 starts at the end');
  });

  it('stops, starts and restarts it', async () => {
    const stopped = await call(server, 'POST', `/api/containers/${containerId}/stop`, { body: { timeoutSeconds: 1 } });
    assert.equal(stopped.status, 200, stopped.text);
    assert.equal(stopped.body.desiredState, 'stopped');
    assert.equal(await engineState(name), 'exited');
    const started = await call(server, 'POST', `/api/containers/${containerId}/start`);
    assert.equal(started.status, 200, started.text);
    assert.equal(await engineState(name), 'running');
    const restarted = await call(server, 'POST', `/api/containers/${name}/restart`, { body: { timeoutSeconds: 1 } });
    assert.equal(restarted.status, 200, restarted.text);
    assert.equal(restarted.body.state, 'running');
    await waitFor(async () => (await call(server, 'GET', `/api/containers/${containerId}`)).body.state === 'running', { what: 'the event stream to settle on running' });
  });

  it("answers a guard rail's refusal with 403 and the agent's code", async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: { name: `${PREFIX}priv`, image: TEST_IMAGE, networkMode: 'none', privileged: true } } });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.body.error.code, 'POLICY_DENIED');
    assert.equal(await engineState(`${PREFIX}priv`), null);
  });

  it('removes it from the engine and from the server', async () => {
    const res = await call(server, 'DELETE', `/api/containers/${containerId}`);
    assert.equal(res.status, 200, res.text);
    assert.equal(await engineState(name), null);
    assert.equal((await call(server, 'GET', `/api/containers/${containerId}`)).status, 404);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentError, type OperationEvent } from '@lormas/protocol';
import type { AgentHandlers, Tracked } from '@lormas/protocol/agent';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, ndjson, registerNode } from './support/http.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

type CreateInput = Parameters<AgentHandlers['containers']['create']>[0];

const spec = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox', networkMode: 'none', ...extra });

/**
 * A stub agent whose create records its progress events, so `operations.watch` can replay them,
 * and keeps every create's input in `creates`, so tests see what the server sent.
 */
function creatingHandlers(nodeName: string, creates: CreateInput[]) {
  const events = new Map<string, OperationEvent[]>();
  return stubHandlers(nodeName, {
    containers: {
      ...stubHandlers(nodeName).containers,
      create: async (input) => {
        creates.push(input);
        if (input.spec.privileged) throw new AgentError('POLICY_DENIED', 'privileged containers are not allowed on this node', { rule: 'privileged' });
        const at = Date.now();
        const containerId = `docker-${input.spec.name}`;
        events.set(input.operationId, [
          { operationId: input.operationId, at, type: 'creating', name: input.spec.name },
          { operationId: input.operationId, at, type: 'created', containerId },
          { operationId: input.operationId, at, type: 'succeeded', result: { containerId, name: input.spec.name, state: 'running' } },
        ]);
        return { containerId, name: input.spec.name, state: input.start ? 'running' : 'created' };
      },
      logs: async function* (input): AsyncGenerator<Tracked<{ entries: { stream: 'stdout' | 'stderr'; timestamp: string; line: string }[] }>> {
        const timestamp = '2026-01-01T00:00:00.000000000Z';
        yield { id: '1', data: { entries: [{ stream: 'stdout', timestamp, line: `hello from ${input.id}` }] } };
        yield { id: '2', data: { entries: [{ stream: 'stderr', timestamp, line: 'an error line' }, { stream: 'stdout', timestamp, line: 'bye' }] } };
      },
    },
    images: {
      pull: async (input) => {
        const at = Date.now();
        const result = { image: input.image, imageId: 'sha256:0123' };
        events.set(input.operationId, [
          { operationId: input.operationId, at, type: 'pulling', image: input.image, layer: 'layer1', status: 'Downloading', currentBytes: 512, totalBytes: 1024 },
          { operationId: input.operationId, at, type: 'pulled', image: input.image, imageId: result.imageId },
          { operationId: input.operationId, at, type: 'succeeded', result },
        ]);
        return result;
      },
    },
    operations: {
      get: () => Promise.reject(new AgentError('NOT_FOUND', 'no such operation')),
      // Waits for the operation to be known, as the real agent's watch does for an id it has not seen yet.
      watch: async function* (input, { signal }) {
        while (!events.has(input.operationId) && !signal.aborted) await delay(5);
        for (const [index, event] of (events.get(input.operationId) ?? []).entries()) yield { id: String(index), data: event };
      },
    },
  });
}

describe('HTTP API', () => {
  let server: MockServer;
  const sockets: WebSocket[] = [];
  let nodeId: string;
  const creates: CreateInput[] = [];
  const sentToAgent = (name: string) => creates.find((input) => input.spec.name === name);

  before(async () => {
    server = await startMockServer();
    const node = await registerNode(server, 'api-node');
    nodeId = node.id;
    sockets.push(dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, creatingHandlers('api-node', creates)));
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${nodeId}`)).body?.lastHeartbeatAt, { what: 'a heartbeat' });
  });
  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server.close();
  });

  it('answers 401 UNAUTHORIZED with the error shape for a missing or wrong admin token', async () => {
    for (const token of [null, 'wrong-token']) {
      const res = await call(server, 'GET', '/api/nodes', { token });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    }
  });

  it('answers 400 BAD_REQUEST with every zod issue for a bad registration body, and for text that is not JSON', async () => {
    const res = await call(server, 'POST', '/api/nodes', { body: { name: 5, description: 7 } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'BAD_REQUEST');
    assert.deepEqual(res.body.error.issues.map((issue: { path: string[] }) => issue.path[0]).sort(), ['description', 'name']);
    assert.equal((await call(server, 'POST', '/api/nodes', { body: '{"name":' })).body.error.code, 'BAD_REQUEST');
    // A misspelt field is named, not dropped: the node would otherwise be registered without its cluster.
    const typo = await call(server, 'POST', '/api/nodes', { body: { name: 'api-typo', clustr: 'eu-west' } });
    assert.equal(typo.status, 400);
    assert.equal(typo.body.error.issues[0].code, 'unrecognized_keys');
  });

  it('answers 409 CONFLICT for a second node of the same name', async () => {
    const res = await call(server, 'POST', '/api/nodes', { body: { name: 'api-node' } });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'CONFLICT');
  });

  it('answers 404 for an unknown node or container and 405 for a wrong method', async () => {
    assert.equal((await call(server, 'GET', '/api/nodes/node_nope')).body.error.code, 'NOT_FOUND');
    assert.equal((await call(server, 'GET', '/api/containers/ctr_nope')).status, 404);
    assert.equal((await call(server, 'PUT', '/api/nodes')).status, 405);
  });

  it('creates clusters, refuses a duplicate, and puts a node in one at registration and by PATCH', async () => {
    assert.equal((await call(server, 'POST', '/api/clusters', { body: { name: 'eu-west' } })).status, 201);
    const us = await call(server, 'POST', '/api/clusters', { body: { name: 'us-east' } });
    assert.equal((await call(server, 'POST', '/api/clusters', { body: { name: 'eu-west' } })).status, 409);
    const registered = await call(server, 'POST', '/api/nodes', { body: { name: 'clustered', cluster: 'eu-west' } });
    assert.equal(registered.status, 201);
    assert.deepEqual(Object.keys(registered.body).sort(), ['cluster', 'id', 'name', 'token']);
    assert.equal(registered.body.cluster, 'eu-west');
    const patched = await call(server, 'PATCH', `/api/nodes/${registered.body.id}`, { body: { cluster: us.body.id } });
    assert.equal(patched.body.cluster.name, 'us-east');
    const { clusters } = (await call(server, 'GET', '/api/clusters')).body;
    assert.deepEqual(clusters.find((c: { name: string }) => c.name === 'us-east').nodes, [registered.body.id]);
    assert.deepEqual((await call(server, 'POST', '/api/nodes', { body: { name: 'lost', cluster: 'nowhere' } })).body.error.issues[0].path, ['cluster']);
  });

  it('shows a connected node online with its hello and heartbeat figures', async () => {
    const node = (await call(server, 'GET', `/api/nodes/${nodeId}`)).body;
    assert.equal(node.status, 'online');
    assert.equal(node.agentVersion, '0.0.0-stub');
    assert.equal(node.engine.version, '20.10.0');
    assert.equal(node.cpu.cores, 2);
    assert.equal(node.memory.totalBytes, 8 * 2 ** 30);
    assert.ok(node.connectedSince);
  });

  it('refuses a container on a node whose agent is not connected with 503 AGENT_UNAVAILABLE, keeping no record', async () => {
    const offline = await registerNode(server, 'offline-node');
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId: offline.id, spec: spec('api-offline') } });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'AGENT_UNAVAILABLE');
    assert.equal((await call(server, 'GET', '/api/containers/api-offline')).status, 404);
  });

  it("answers an agent's guard-rail refusal with 403 and the agent's code and rule, keeping no record", async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: spec('api-privileged', { privileged: true }) } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.body.error, { code: 'POLICY_DENIED', message: res.body.error.message, rule: 'privileged' });
    assert.equal((await call(server, 'GET', '/api/containers/api-privileged')).status, 404);
  });

  it('refuses an unknown spec field with 400 before asking the agent', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: spec('api-bad', { Privileged: true }) } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.issues[0].code, 'unrecognized_keys');
  });

  it('creates a container with a server id and answers 201 with it', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: spec('api-plain'), ha: true } });
    assert.equal(res.status, 201);
    assert.match(res.body.id, /^ctr_/);
    assert.equal(res.body.dockerId, 'docker-api-plain');
    assert.equal(res.body.ha, true);
    assert.equal(res.body.desiredState, 'running');
    assert.equal(res.body.fenceAfterMs, null);
    assert.equal('fenceAfterMs' in sentToAgent('api-plain')!, false, 'no fencing unless asked for');
    assert.equal((await call(server, 'GET', `/api/containers/${res.body.id}`)).body.name, 'api-plain');
  });

  it('gives the agent fenceAfterMs on create, keeps it on the record and shows it, at both bounds', async () => {
    for (const [name, fenceAfterMs] of [['api-fenced', 5_000], ['api-fenced-min', 100], ['api-fenced-max', 86_400_000]] as const) {
      const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: spec(name), ha: true, fenceAfterMs } });
      assert.equal(res.status, 201, res.text);
      assert.equal(sentToAgent(name)?.fenceAfterMs, fenceAfterMs);
      assert.equal(sentToAgent(name)?.serverId, res.body.id);
      assert.equal(res.body.fenceAfterMs, fenceAfterMs);
      assert.equal((await call(server, 'GET', `/api/containers/${name}`)).body.fenceAfterMs, fenceAfterMs);
    }
  });

  it('refuses a fenceAfterMs out of range or not a whole number with 400 naming the field, before asking the agent', async () => {
    for (const fenceAfterMs of [99, 86_400_001, 1_000.5, '5000', null]) {
      const name = 'api-fence-bad';
      const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: spec(name), fenceAfterMs } });
      assert.equal(res.status, 400, `${JSON.stringify(fenceAfterMs)}: ${res.text}`);
      assert.equal(res.body.error.code, 'BAD_REQUEST');
      assert.deepEqual(res.body.error.issues.map((issue: { path: string[] }) => issue.path), [['fenceAfterMs']]);
      assert.equal(sentToAgent(name), undefined);
      assert.equal((await call(server, 'GET', `/api/containers/${name}`)).status, 404);
    }
  });

  it('streams creation progress as NDJSON when asked, ending with the result', async () => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, spec: spec('api-streamed') }, accept: 'application/x-ndjson' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/x-ndjson/);
    const lines = ndjson(res.text);
    assert.deepEqual(lines.map((line) => line.type), ['creating', 'created', 'succeeded', 'result']);
    assert.equal(lines.at(-1).result.name, 'api-streamed');
  });

  it('pulls an image on a node and answers with its id, or streams per-layer progress as NDJSON when asked', async () => {
    const waited = await call(server, 'POST', `/api/nodes/${nodeId}/images/pull`, { body: { image: 'registry.test/app:1' } });
    assert.equal(waited.status, 200);
    assert.deepEqual(waited.body, { image: 'registry.test/app:1', imageId: 'sha256:0123' });
    const streamed = await call(server, 'POST', `/api/nodes/${nodeId}/images/pull`, { body: { image: 'registry.test/app:2' }, accept: 'application/x-ndjson' });
    assert.equal(streamed.status, 200);
    const lines = ndjson(streamed.text);
    assert.deepEqual(lines.map((line) => line.type), ['pulling', 'pulled', 'succeeded', 'result']);
    assert.equal(lines[0].layer, 'layer1');
    assert.equal(lines[0].currentBytes, 512);
    const bad = await call(server, 'POST', `/api/nodes/${nodeId}/images/pull`, { body: { image: '' } });
    assert.equal(bad.status, 400);
  });

  it('streams logs as NDJSON, one entry a line, with timestamps only when asked', async () => {
    const plain = ndjson((await call(server, 'GET', '/api/containers/api-plain/logs')).text);
    assert.deepEqual(plain, [
      { stream: 'stdout', line: 'hello from docker-api-plain' },
      { stream: 'stderr', line: 'an error line' },
      { stream: 'stdout', line: 'bye' },
    ]);
    const stamped = ndjson((await call(server, 'GET', '/api/containers/api-plain/logs?timestamps=1')).text);
    assert.equal(stamped[0].timestamp, '2026-01-01T00:00:00.000000000Z');
  });

  it('streams logs as Server-Sent Events when asked, with the resume id on the last entry of each chunk', async () => {
    const res = await call(server, 'GET', '/api/containers/api-plain/logs', { accept: 'text/event-stream' });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = res.text.split('\n\n').filter((block) => block.startsWith('event:') || block.startsWith('id:'));
    assert.equal(events.length, 4);
    assert.match(events[0]!, /^event: log\nid: 1\ndata: \{"stream":"stdout","line":"hello from docker-api-plain"\}$/);
    assert.doesNotMatch(events[1]!, /id:/);
    assert.match(events[3]!, /^event: end/);
  });

  it('refuses bad log parameters with 400', async () => {
    assert.equal((await call(server, 'GET', '/api/containers/api-plain/logs?tail=lots')).status, 400);
    assert.equal((await call(server, 'GET', '/api/containers/api-plain/logs?follow=maybe')).status, 400);
  });
});

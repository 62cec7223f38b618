import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentHandlers } from '@lormas/protocol/agent';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

type CreateInput = Parameters<AgentHandlers['containers']['create']>[0];

const LOST_AFTER_MS = 600;
const spec = (name: string) => ({ name, image: 'busybox', networkMode: 'none' });

/** A stub agent that does every container command it is asked, and keeps each create's input. */
function copyingHandlers(nodeName: string, creates: CreateInput[]): AgentHandlers {
  const names = new Map<string, string>();
  const result = (id: string, state: string) => ({ containerId: id, name: names.get(id) ?? id, state });
  return stubHandlers(nodeName, {
    containers: {
      ...stubHandlers(nodeName).containers,
      create: async (input) => {
        creates.push(input);
        const id = `docker-${input.spec.name}-${nodeName}`;
        names.set(id, input.spec.name);
        return result(id, input.start ? 'running' : 'created');
      },
      start: async (input) => result(input.id, 'running'),
      stop: async (input) => result(input.id, 'exited'),
      remove: async (input) => result(input.id, 'removed'),
    },
  });
}

describe('fencing follows a container to its new node', () => {
  let server: MockServer;
  let socketA: WebSocket;
  let socketB: WebSocket;
  let nodeA: string;
  let nodeB: string;
  const createsA: CreateInput[] = [];
  const createsB: CreateInput[] = [];
  const copyOnB = (name: string) => createsB.find((input) => input.spec.name === name);

  const create = async (name: string, extra: Record<string, unknown>) => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId: nodeA, spec: spec(name), ha: true, ...extra } });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; fenceAfterMs: number | null };
  };
  const online = (id: string) => waitFor(async () => (await call(server, 'GET', `/api/nodes/${id}`)).body?.status === 'online', { what: `node ${id} online` });

  before(async () => {
    server = await startMockServer({ lostAfterMs: LOST_AFTER_MS, failoverGraceMs: 0 });
    const a = await registerNode(server, 'fence-a');
    const b = await registerNode(server, 'fence-b');
    [nodeA, nodeB] = [a.id, b.id];
    const wsUrl = server.url.replace(/^http/, 'ws');
    socketA = dialStubAgent(wsUrl, a.token, copyingHandlers('fence-a', createsA));
    socketB = dialStubAgent(wsUrl, b.token, copyingHandlers('fence-b', createsB));
    await Promise.all([online(nodeA), online(nodeB)]);
  });
  after(async () => {
    socketA.terminate();
    socketB.terminate();
    await server.close();
  });

  it("gives a planned migration's target copy the record's fenceAfterMs", async () => {
    const moved = await create('fence-migrated', { fenceAfterMs: 4_000 });
    assert.equal(createsA.find((input) => input.spec.name === 'fence-migrated')?.fenceAfterMs, 4_000);
    const res = await call(server, 'POST', `/api/containers/${moved.id}/migrate`, { body: { targetNodeId: nodeB } });
    assert.equal(res.status, 202, res.text);
    const ended = await waitFor(async () => {
      const migration = (await call(server, 'GET', `/api/migrations/${res.body.id}`)).body;
      return migration.status !== 'running' ? migration : null;
    }, { what: 'the migration to end' });
    assert.equal(ended.status, 'succeeded', JSON.stringify(ended));
    assert.equal(copyOnB('fence-migrated')?.serverId, moved.id);
    assert.equal(copyOnB('fence-migrated')?.fenceAfterMs, 4_000);
    const shown = (await call(server, 'GET', `/api/containers/${moved.id}`)).body;
    assert.deepEqual([shown.nodeId, shown.fenceAfterMs], [nodeB, 4_000]);
  });

  it("gives a failover copy the record's fenceAfterMs, and none to a container created without it", async () => {
    const fenced = await create('fence-failover', { fenceAfterMs: 2_500 });
    const unfenced = await create('fence-none', {});
    assert.equal(unfenced.fenceAfterMs, null);
    socketA.terminate();
    await waitFor(async () => {
      const placed = await Promise.all([fenced.id, unfenced.id].map(async (id) => (await call(server, 'GET', `/api/containers/${id}`)).body.nodeId));
      return placed.every((nodeId) => nodeId === nodeB);
    }, { what: 'both HA containers failed over to B' });
    assert.equal(copyOnB('fence-failover')?.start, true);
    assert.equal(copyOnB('fence-failover')?.fenceAfterMs, 2_500);
    assert.ok(copyOnB('fence-none'), 'the unfenced container was copied too');
    assert.equal('fenceAfterMs' in copyOnB('fence-none')!, false);
  });
});

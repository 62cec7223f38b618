import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JOIN_PATH, PROTOCOL_VERSION } from '@lormas/protocol';
import type { AgentHandlers } from '@lormas/protocol/agent';
import { waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { releaseKey, signBuild } from './support/agentBuilds.js';
import { call, registerNode } from './support/http.js';
import { openSse } from './support/sse.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

const OFFERED = '2.0.0';

/** Stub handlers whose `hello` reports `agentVersion` and no remote upgrades. */
function reporting(nodeName: string, agentVersion: string): AgentHandlers {
  const handlers = stubHandlers(nodeName);
  return { ...handlers, hello: async (...args: Parameters<AgentHandlers['hello']>) => ({ ...(await handlers.hello(...args)), agentVersion }) };
}

/** The builds a server offers and the rollouts it runs, against what a careless or hostile client asks. */
describe('fleet routes: builds on offer and rollouts', () => {
  let server: MockServer;
  let folder: string;
  const sockets: WebSocket[] = [];
  const online = async (name: string, version = '1.0.0') => {
    const node = await registerNode(server, name);
    sockets.push(dialStubAgent(server.url.replace(/^http/, 'ws'), node.token, reporting(name, version)));
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${node.id}`)).body?.status === 'online', { what: `${name} online` });
    return node;
  };

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'lormas-fleet-routes-'));
    const build = join(folder, 'agent.js');
    writeFileSync(build, '// a build\n');
    await signBuild((await releaseKey(join(folder, 'keys'))).file, build, join(folder, 'releases'), ['--version', OFFERED]);
    server = await startMockServer({ releasesDir: join(folder, 'releases') });
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves the newest manifest for an exact target only', async () => {
    assert.equal((await call(server, 'GET', '/agent/latest/js-any/manifest')).status, 200);
    for (const target of ['js-anything', 'js', 'exe-x64-junk', 'exe-mips', '-any']) {
      assert.equal((await call(server, 'GET', `/agent/latest/${target}/manifest`)).status, 404, target);
    }
  });

  it('refuses a rollout naming a node twice', async () => {
    const node = await registerNode(server, 'twice');
    const res = await call(server, 'POST', '/api/agents/rollout', { body: { version: OFFERED, nodeIds: [node.id, node.id] } });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'BAD_REQUEST');
  });

  it("tells each node's upgrade status in the live events too, not only in GET /api/nodes", async () => {
    const events = await openSse(`${server.url}/api/events`, { authorization: `Bearer ${server.adminToken}` });
    try {
      const node = await online('behind');
      assert.equal((await call(server, 'GET', `/api/nodes/${node.id}`)).body.upgrade.status, 'by-hand');
      const seen = await events.next((event) => event.data?.node?.id === node.id && event.data.node.status === 'online');
      assert.deepEqual([seen.data.node.upgrade.status, seen.data.node.upgrade.latest], ['by-hand', OFFERED]);
    } finally {
      events.close();
    }
  });

  it('ends a rollout while a node outside it is offline, instead of waiting for that node for ever', async () => {
    await registerNode(server, 'never-connected');
    const node = await online('in-the-rollout');
    const started = await call(server, 'POST', '/api/agents/rollout', { body: { version: OFFERED, nodeIds: [node.id] } });
    assert.equal(started.status, 202, started.text);
    const ended = await waitFor(
      async () => {
        const { body } = await call(server, 'GET', `/api/agents/rollouts/${started.body.id}`);
        return body.status !== 'running' ? body : null;
      },
      { what: 'the rollout to end' },
    );
    assert.equal(ended.nodes[0].status, 'skipped', JSON.stringify(ended));
  });
});

/** Join codes and their one-line install, on a server with a `PUBLIC_URL` and a clock the test moves. */
describe('fleet routes: join codes', () => {
  const PUBLIC_URL = 'https://lormas.example.com';
  const MAX_TTL_SECONDS = 7 * 24 * 3600;
  let server: MockServer;
  let folder: string;
  let clock = Date.parse('2026-06-01T12:00:00Z');
  const exchange = (code: string) =>
    fetch(`${server.url}${JOIN_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, exchangeId: randomBytes(16).toString('base64url'), protocolVersion: PROTOCOL_VERSION }) }).then(
      async (res) => ({ status: res.status, body: (await res.json()) as any }),
    );
  const issue = async (nodeId: string, body: unknown = {}) => call(server, 'POST', `/api/nodes/${nodeId}/join`, { body });

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'lormas-fleet-join-'));
    const build = join(folder, 'agent.js');
    writeFileSync(build, '// a build\n');
    await signBuild((await releaseKey(join(folder, 'keys'))).file, build, join(folder, 'releases'), ['--version', OFFERED]);
    // Many refusals from one address: the join limiter must not answer 429 before the refusal under test.
    server = await startMockServer({ releasesDir: join(folder, 'releases'), publicUrl: PUBLIC_URL, now: () => clock, joinMaxFailures: 1_000 });
  });

  after(async () => {
    await server?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("prints the install line and the agents' URL with PUBLIC_URL, not the listening address", async () => {
    const node = await registerNode(server, 'public-url');
    const res = await issue(node.id);
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.command, new RegExp(`^curl -fsSL ${PUBLIC_URL}/agent/install\\.sh \\| .* --server ${PUBLIC_URL} --release-key [0-9a-f]{64}$`));
    assert.ok(!res.body.command.includes(server.url), res.body.command);
    const releases = await call(server, 'GET', '/api/agents/releases');
    assert.equal(releases.body.agentUrl, 'wss://lormas.example.com');
  });

  it('refuses a code past its expiry with 403 JOIN_CODE_EXPIRED', async () => {
    const node = await registerNode(server, 'expired');
    const { body } = await issue(node.id, { ttlSeconds: 60 });
    clock += 60_000;
    const res = await exchange(body.code);
    assert.deepEqual([res.status, res.body.error.code], [403, 'JOIN_CODE_EXPIRED']);
  });

  it("refuses a revoked node's code with 403 and issues it no token", async () => {
    const node = await registerNode(server, 'revoked');
    const { body } = await issue(node.id);
    assert.equal((await call(server, 'DELETE', `/api/nodes/${node.id}`)).status, 200);
    const res = await exchange(body.code);
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'JOIN_CODE_UNKNOWN');
    assert.equal(res.body.token, undefined);
  });

  it('refuses a ttlSeconds of 0, negative, over the maximum or not a whole number with 400, and takes the bounds', async () => {
    const node = await registerNode(server, 'ttl');
    for (const ttlSeconds of [0, -1, -3600, 59, MAX_TTL_SECONDS + 1, 1e300, 60.5, '600', null, true, [600], { seconds: 600 }]) {
      const res = await issue(node.id, { ttlSeconds });
      assert.equal(res.status, 400, `${JSON.stringify(ttlSeconds)}: ${res.text}`);
      assert.equal(res.body.error.code, 'BAD_REQUEST', JSON.stringify(ttlSeconds));
    }
    for (const ttlSeconds of [60, MAX_TTL_SECONDS]) {
      const res = await issue(node.id, { ttlSeconds });
      assert.equal(res.status, 201, `${ttlSeconds}: ${res.text}`);
      assert.equal(Date.parse(res.body.expiresAt), clock + ttlSeconds * 1000);
    }
  });
});

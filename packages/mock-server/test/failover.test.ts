import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManagedLabel } from '@lormas/protocol';
import { DEFAULT_DOCKER_SOCKET, docker, engineState, type Proxy, removeContainers, requireEngine, type SecondEngine, startProxy, startSecondEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { call, ndjson, registerNode } from './support/http.js';

const PREFIX = `lormas-fo-${process.pid}-`;
const LOST_AFTER_MS = 3_000;
/** The lost-after window plus a few seconds: how long a failover may take here. */
const FAILOVER_DEADLINE_MS = LOST_AFTER_MS + 5_000;

/** A container that stops at once on SIGTERM, with env, labels and a restart policy to check after a move. */
const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name: `${PREFIX}${name}`,
  image: TEST_IMAGE,
  networkMode: 'none',
  cmd: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"],
  env: { MODE: 'failover-test', NAME: name },
  labels: { app: 'lormas-fo', part: name },
  restartPolicy: { name: 'unless-stopped' },
  stopTimeoutSeconds: 1,
  ...extra,
});

describe('failover and migration between two real engines', () => {
  let server: MockServer;
  let engineB: SecondEngine;
  let proxyA: Proxy;
  let proxyB: Proxy;
  let agentA: AgentProcess;
  let agentB: AgentProcess;
  let nodeA: { id: string; token: string };
  let nodeB: { id: string; token: string };
  const bindDir = mkdtempSync(join(tmpdir(), 'lormas-fo-bind-'));
  const agentEnv = { PING_INTERVAL_MS: '300', PONG_TIMEOUT_MS: '300' };

  const startA = () =>
    startAgentProcess({ serverUrl: proxyA.url, token: nodeA.token, nodeName: 'fo-a', env: { ...agentEnv, BIND_ALLOW_LIST: bindDir } });
  const node = async (id: string) => (await call(server, 'GET', `/api/nodes/${id}`)).body;
  const container = async (id: string) => (await call(server, 'GET', `/api/containers/${id}`)).body;
  const migrationsOf = async (id: string) => (await call(server, 'GET', `/api/migrations?containerId=${id}`)).body.migrations as any[];
  const failover = async () => (await call(server, 'GET', '/api/failover')).body;
  const online = (id: string) => waitFor(async () => (await node(id)).status === 'online', { timeoutMs: 20_000, what: `node ${id} online` });
  const create = async (nodeId: string, name: string, options: { ha?: boolean; fenceAfterMs?: number; extra?: Record<string, unknown> } = {}) => {
    const res = await call(server, 'POST', '/api/containers', { body: { nodeId, ha: options.ha ?? true, fenceAfterMs: options.fenceAfterMs, spec: spec(name, options.extra) } });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; name: string };
  };

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX, { socketPath: DEFAULT_DOCKER_SOCKET, volumes: true });
    [engineB, server] = await Promise.all([
      startSecondEngine(),
      startMockServer({ lostAfterMs: LOST_AFTER_MS, failoverGraceMs: 0, keepAlive: { pingIntervalMs: 300, pongTimeoutMs: 300 } }),
    ]);
    nodeA = await registerNode(server, 'fo-a');
    nodeB = await registerNode(server, 'fo-b');
    [proxyA, proxyB] = await Promise.all([startProxy({ target: { port: server.port } }), startProxy({ target: { port: server.port } })]);
    agentA = startA();
    agentB = startAgentProcess({ serverUrl: proxyB.url, token: nodeB.token, nodeName: 'fo-b', dockerSocket: engineB.socketPath, env: agentEnv });
    await Promise.all([online(nodeA.id), online(nodeB.id)]);
  });

  after(async () => {
    await Promise.all([agentA?.stop(), agentB?.stop()]);
    await Promise.all([proxyA?.close(), proxyB?.close()]);
    await server?.close();
    await removeContainers(PREFIX, { socketPath: DEFAULT_DOCKER_SOCKET, volumes: true });
    if (engineB) {
      await removeContainers(PREFIX, { socketPath: engineB.socketPath, volumes: true });
      await engineB.stop();
    }
    rmSync(bindDir, { recursive: true, force: true });
  });

  it('moves nothing after a blip shorter than the lost-after window', async () => {
    const blip = await create(nodeA.id, 'blip');
    const cutAt = Date.now();
    proxyA.partition();
    await waitFor(async () => (await failover()).nodes.find((n: any) => n.nodeId === nodeA.id)?.health === 'suspect', { what: 'node A suspect' });
    proxyA.heal();
    await online(nodeA.id);
    // A heartbeat stamped after the window would have run out proves the window passed without a move.
    await waitFor(async () => Date.parse((await node(nodeA.id)).lastHeartbeatAt) > cutAt + LOST_AFTER_MS + 500, { what: 'a heartbeat after the window' });
    assert.deepEqual(await migrationsOf(blip.id), []);
    assert.equal((await container(blip.id)).nodeId, nodeA.id);
    assert.equal(await engineState(blip.name, DEFAULT_DOCKER_SOCKET), 'running');
    assert.equal(await engineState(blip.name, engineB.socketPath), null);
  });

  it('moves nothing when every node goes silent at once, and says why', async () => {
    const before = (await call(server, 'GET', '/api/migrations')).body.migrations.length;
    proxyA.partition();
    proxyB.partition();
    try {
      await waitFor(async () => (await failover()).hold === 'majority-silent', { what: 'the majority-silent hold' });
      await waitFor(async () => (await failover()).nodes.every((n: any) => n.silentMs > LOST_AFTER_MS + 500), { what: 'silence longer than the window' });
      const status = await failover();
      assert.equal(status.hold, 'majority-silent');
      assert.deepEqual(status.pending, []);
      assert.ok((await call(server, 'GET', '/api/nodes')).body.nodes.every((n: any) => n.status !== 'lost'));
    } finally {
      proxyA.heal();
      proxyB.heal();
    }
    await Promise.all([online(nodeA.id), online(nodeB.id)]);
    await waitFor(async () => (await failover()).hold === null, { what: 'the hold to end' });
    assert.equal((await call(server, 'GET', '/api/migrations')).body.migrations.length, before);
  });

  it('fails over behind a partition, and removes the stale copy once the partition heals', async () => {
    const part = await create(nodeA.id, 'part');
    proxyA.partition();
    try {
      await waitFor(async () => (await node(nodeA.id)).status === 'lost', { timeoutMs: FAILOVER_DEADLINE_MS, what: 'node A lost' });
      const moved = await waitFor(async () => {
        const c = await container(part.id);
        return c.nodeId === nodeB.id && c.state === 'running' ? c : null;
      }, { timeoutMs: FAILOVER_DEADLINE_MS, what: 'the container running on B' });
      assert.equal(moved.id, part.id);
      assert.equal(await engineState(part.name, engineB.socketPath), 'running');
      // The agent and its container live on behind the partition: two copies, until it heals.
      assert.equal(await engineState(part.name, DEFAULT_DOCKER_SOCKET), 'running');
    } finally {
      proxyA.heal();
    }
    await online(nodeA.id);
    assert.equal(await engineState(part.name, DEFAULT_DOCKER_SOCKET), null, 'the stale copy is gone before A counts as online');
    assert.equal(await engineState(part.name, engineB.socketPath), 'running');
    const [migration] = await migrationsOf(part.id);
    assert.equal(migration.trigger, 'node-lost');
    assert.equal(migration.status, 'succeeded');
    assert.ok(migration.steps.some((s: any) => s.name === 'remove-stale-source' && s.status === 'ok'), JSON.stringify(migration.steps));
  });

  it('moves the HA container of a killed agent within the window plus a few seconds, with the same spec and fencing, and leaves the other', async () => {
    // Far longer than the test: B stays connected, so only the label can show the fencing went along.
    const ha = await create(nodeA.id, 'kill-ha', { fenceAfterMs: 600_000 });
    const plain = await create(nodeA.id, 'kill-plain', { ha: false });
    const specBefore = (await container(ha.id)).spec;
    const killedAt = Date.now();
    await agentA.stop('SIGKILL');
    await waitFor(async () => {
      const c = await container(ha.id);
      return c.nodeId === nodeB.id && c.state === 'running';
    }, { timeoutMs: FAILOVER_DEADLINE_MS, what: 'the HA container running on B' });
    assert.ok(Date.now() - killedAt < FAILOVER_DEADLINE_MS, `${Date.now() - killedAt} ms`);
    assert.equal((await node(nodeA.id)).status, 'lost');
    assert.deepEqual((await container(ha.id)).spec, specBefore);
    const inspected = JSON.parse(await docker(['inspect', ha.name], engineB.socketPath))[0];
    assert.equal(inspected.State.Status, 'running');
    assert.ok(inspected.Config.Env.includes('MODE=failover-test') && inspected.Config.Env.includes('NAME=kill-ha'), inspected.Config.Env.join(' '));
    assert.equal(inspected.Config.Labels.part, 'kill-ha');
    assert.equal(inspected.Config.Labels['lormas.server-id'], ha.id);
    assert.equal(inspected.Config.Labels[ManagedLabel.fenceAfterMs], '600000');
    assert.equal(inspected.HostConfig.RestartPolicy.Name, 'unless-stopped');
    assert.deepEqual(inspected.Config.Cmd, specBefore.cmd);
    assert.equal((await container(plain.id)).nodeId, nodeA.id);
    assert.deepEqual(await migrationsOf(plain.id), []);
    const history = await migrationsOf(ha.id);
    assert.equal(history.length, 1);
    assert.deepEqual([history[0].trigger, history[0].status, history[0].sourceNodeId, history[0].targetNodeId], ['node-lost', 'succeeded', nodeA.id, nodeB.id]);

    agentA = startA();
    await online(nodeA.id);
    assert.equal(await engineState(ha.name, DEFAULT_DOCKER_SOCKET), null, 'the stale copy on A is removed');
    assert.equal(await engineState(plain.name, DEFAULT_DOCKER_SOCKET), 'running', 'the non-HA container stays');
  });

  it('migrates a container with a named volume: the data arrives, the source copy goes, each step is recorded', async () => {
    const volume = `${PREFIX}vol`;
    const vol = await create(nodeA.id, 'vol', {
      extra: {
        mounts: [{ type: 'volume', source: volume, target: '/data' }],
        cmd: ['sh', '-c', "[ -f /data/blob ] || { head -c 400000 /dev/urandom > /data/blob; echo hello volume > /data/note; }; trap 'exit 0' TERM; while true; do sleep 0.1; done"],
      },
    });
    await waitFor(async () => (await docker(['exec', vol.name, 'cat', '/data/note']).catch(() => '')) === 'hello volume', { what: 'the data written' });
    const res = await call(server, 'POST', `/api/containers/${vol.id}/migrate`, { body: { targetNodeId: nodeB.id }, accept: 'application/x-ndjson' });
    assert.equal(res.status, 200, res.text);
    const lines = ndjson(res.text);
    const result = lines.at(-1);
    assert.equal(result.type, 'result', res.text);
    assert.equal(result.result.status, 'succeeded', res.text);
    const streamed = lines.filter((l) => l.type === 'step').map((l) => l.step.name);
    assert.deepEqual(streamed, ['choose-target', 'stop-source', 'create-target', 'copy-volume', 'start-target', 'remove-source']);

    assert.equal(await engineState(vol.name, DEFAULT_DOCKER_SOCKET), null);
    assert.equal(await engineState(vol.name, engineB.socketPath), 'running');
    assert.equal(await docker(['exec', vol.name, 'cat', '/data/note'], engineB.socketPath), 'hello volume');
    const sum = (socketPath: string) => docker(['run', '--rm', '--network', 'none', '-v', `${volume}:/d`, TEST_IMAGE, 'md5sum', '/d/blob'], socketPath);
    assert.equal(await sum(engineB.socketPath), await sum(DEFAULT_DOCKER_SOCKET));
    assert.equal((await container(vol.id)).nodeId, nodeB.id);

    const [migration] = await migrationsOf(vol.id);
    assert.equal(migration.trigger, 'manual');
    assert.deepEqual(migration.steps.map((s: any) => [s.name, s.status]), streamed.map((name) => [name, 'ok']));
    assert.ok(migration.steps.every((s: any) => !Number.isNaN(Date.parse(s.at))));
    assert.ok(migration.endedAt >= migration.startedAt);
  });

  it('rolls back a migration the target refuses: the target copy is gone and the source runs again', async () => {
    const bound = await create(nodeA.id, 'bind', { extra: { mounts: [{ type: 'bind', source: bindDir, target: '/host' }] } });
    const res = await call(server, 'POST', `/api/containers/${bound.id}/migrate`, { body: { targetNodeId: nodeB.id } });
    assert.equal(res.status, 202, res.text);
    const ended = await waitFor(async () => {
      const m = (await call(server, 'GET', `/api/migrations/${res.body.id}`)).body;
      return m.status !== 'running' ? m : null;
    }, { timeoutMs: 30_000, what: 'the migration to end' });
    assert.equal(ended.status, 'rolled-back', JSON.stringify(ended));
    assert.match(ended.error, /^POLICY_DENIED/);
    assert.deepEqual(ended.steps.map((s: any) => [s.name, s.status]), [['choose-target', 'ok'], ['stop-source', 'ok'], ['create-target', 'failed'], ['start-source', 'ok']]);
    assert.equal(await engineState(bound.name, DEFAULT_DOCKER_SOCKET), 'running');
    assert.equal(await engineState(bound.name, engineB.socketPath), null);
    assert.equal((await container(bound.id)).nodeId, nodeA.id);
  });
});

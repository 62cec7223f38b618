import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentError, type SignedRelease } from '@lormas/protocol';
import { DEFAULT_DOCKER_SOCKET, docker, removeContainers, requireEngine, type SecondEngine, startSecondEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { RolloutView } from '../src/http/viewSchemas.js';
import { type AgentProcess, startAgentProcess } from './support/agentProcess.js';
import { buildAgent, releaseKey, signBuild, signManifestText, writeConfigFile } from './support/agentBuilds.js';
import { call, registerNode } from './support/http.js';

/**
 * Issue 15, item 5: fleet upgrades against real engines. Two agents run build A under their
 * launchers, one on the local engine and one on a second engine, each with an HA container;
 * the server rolls build B (the same code, another version) out to them. Failover's window is
 * shorter than a handover here, so only the server's hold keeps it from moving containers.
 */
const PREFIX = 'lro-';
const [A, B, NEVER, OLDER] = ['0.9.0', '0.9.1', '0.9.2', '0.8.0'];
const DEADLINE_MS = 5_000;

describe('fleet upgrades: a signed build rolled out in batches, never touching a container', () => {
  let folder: string;
  let releases: string;
  let key: Awaited<ReturnType<typeof releaseKey>>;
  let otherKey: Awaited<ReturnType<typeof releaseKey>>;
  let signedB: SignedRelease & { file: string };
  let server: MockServer;
  let engine: SecondEngine;
  const nodes: { id: string; name: string; agent: AgentProcess; socket: string; container: string }[] = [];

  const node = async (id: string) => (await call(server, 'GET', `/api/nodes/${id}`)).body;
  /** Starts a rollout of `version`, one node at a time, and waits for it to end. */
  const rollOut = async (version: string, timeoutMs: number) => {
    const started = await call(server, 'POST', '/api/agents/rollout', { body: { version, batchSize: 1, maxUnavailable: 1 } });
    assert.equal(started.status, 202, started.text);
    return waitFor(
      async () => {
        const view = (await call(server, 'GET', `/api/agents/rollouts/${started.body.id}`)).body;
        // The shape every replica checks a rollout event against (in cluster mode events cross the engine).
        const checked = RolloutView.safeParse(view);
        assert.ok(checked.success, `${checked.error?.message}\n${JSON.stringify(view)}`);
        return view.status !== 'running' ? view : null;
      },
      { timeoutMs, what: `the rollout of ${version} to end` },
    ).catch((error: unknown) => assert.fail(`${(error as Error).message}\n${nodes.map((n) => n.agent.output().slice(-1_500)).join('\n')}`));
  };
  const startedAt = (name: string, socket: string) => docker(['inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', name], socket);

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX);
    folder = mkdtempSync(join(tmpdir(), 'lormas-rollout-'));
    releases = join(folder, 'releases');
    key = await releaseKey(join(folder, 'keys'));
    otherKey = await releaseKey(join(folder, 'keys'), 'other.key');
    const builds = join(folder, 'builds');
    const [buildA, buildB, buildOlder] = await Promise.all([A, B, OLDER].map((version) => buildAgent(join(builds, version, 'agent.js'), version)));
    const signedA = await signBuild(key.file, buildA!, releases);
    signedB = await signBuild(key.file, buildB!, releases);
    // A build that is signed, newer, and never comes online: it starts and waits for nothing.
    const never = join(builds, NEVER, 'agent.js');
    mkdirSync(join(builds, NEVER), { recursive: true });
    writeFileSync(never, 'setInterval(() => {}, 60_000);\n');
    await signBuild(key.file, never, releases, ['--version', NEVER]);
    // Signed, but older than A: only its manifest is ever offered.
    await signBuild(key.file, buildOlder!, join(folder, 'older'));

    engine = await startSecondEngine();
    server = await startMockServer({ releasesDir: releases, lostAfterMs: 2_000, failoverGraceMs: 0, rolloutBackWithinMs: 15_000 });
    for (const [index, socket] of [DEFAULT_DOCKER_SOCKET, engine.socketPath].entries()) {
      const name = `${PREFIX}node-${index + 1}`;
      const registered = await registerNode(server, name);
      const home = join(folder, name);
      mkdirSync(join(home, 'installed'), { recursive: true });
      // The installed build, root's, beside its signed manifest: the launcher's own file.
      copyFileSync(signedA.file, join(home, 'installed', 'agent.js'));
      copyFileSync(`${signedA.file}.release.json`, join(home, 'installed', 'agent.js.release.json'));
      const config = writeConfigFile(join(home, 'agent.conf'), { RELEASE_KEY: key.publicKey, UPGRADE_DEADLINE_MS: String(DEADLINE_MS) });
      const agent = startAgentProcess({
        serverUrl: server.url.replace(/^http/, 'ws'),
        token: registered.token,
        nodeName: name,
        dockerSocket: socket,
        entry: [join(home, 'installed', 'agent.js'), 'launch'],
        env: { CONFIG_FILE: config, STATE_DIR: join(home, 'state'), LOG_LEVEL: 'info' },
      });
      nodes.push({ id: registered.id, name, agent, socket, container: `${PREFIX}web-${index + 1}` });
    }
    for (const entry of nodes) {
      await waitFor(async () => (await node(entry.id))?.status === 'online', { timeoutMs: 30_000, what: () => `${entry.name} online:\n${entry.agent.output().slice(-2_000)}` });
      const created = await call(server, 'POST', '/api/containers', {
        body: { nodeId: entry.id, ha: true, start: true, spec: { name: entry.container, image: TEST_IMAGE, cmd: ['sleep', '600'], networkMode: 'none' } },
      });
      assert.equal(created.status, 201, created.text);
    }
  });

  after(async () => {
    await Promise.all(nodes.map((entry) => entry.agent.stop()));
    await server?.close();
    await removeContainers(PREFIX);
    await removeContainers(PREFIX, { socketPath: engine?.socketPath });
    await engine?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('shows each node on build A, under its launcher, with remote upgrades on and B available', async () => {
    for (const entry of nodes) {
      const view = await node(entry.id);
      assert.equal(view.agentVersion, A);
      assert.equal(view.protocolVersion, '1.1');
      assert.deepEqual(view.build, { kind: 'js', arch: process.arch });
      assert.equal(view.upgrades.enabled, true, JSON.stringify(view.upgrades));
      assert.equal(view.upgrades.releaseKey, key.fingerprint);
      assert.equal(view.upgrade.status, 'available');
      assert.equal(view.upgrade.latest, NEVER);
    }
  });

  describe('refuses a build it must not run, and stays on A without dropping its link', () => {
    const refusal = async (release: SignedRelease, path: string) => {
      const before = await node(nodes[0]!.id);
      const error = await server.gateway
        .client(nodes[0]!.id)
        .agent.upgrade.mutate({ operationId: `bad-${Math.random().toString(36).slice(2)}`, release, path }, { timeoutMs: 30_000 })
        .then(
          () => assert.fail('the agent took the build'),
          (e: unknown) => AgentError.from(e),
        );
      const after = await node(nodes[0]!.id);
      assert.equal(after.agentVersion, A);
      assert.equal(after.connectedSince, before.connectedSince, 'the agent reconnected');
      return [error.code, error.rule];
    };
    const manifestOf = (release: SignedRelease) => JSON.parse(release.manifest) as Record<string, unknown>;

    it('a build whose bytes do not hash to its signed manifest', async () => {
      const forged = signManifestText(JSON.stringify({ ...manifestOf(signedB), sha256: 'f'.repeat(64) }), key.file);
      // The path names B's real bytes, so the download goes through and only the hash says no.
      assert.deepEqual(await refusal(forged, `/agent/builds/${manifestOf(signedB)['sha256']}`), ['POLICY_DENIED', 'release-hash']);
    });

    it('a build signed by another key', async () => {
      const foreign = signManifestText(signedB.manifest, otherKey.file);
      assert.deepEqual(await refusal(foreign, `/agent/builds/${manifestOf(signedB)['sha256']}`), ['POLICY_DENIED', 'release-signature']);
    });

    it('a build older than A', async () => {
      const older = readFileSync(join(folder, 'older', `lormas-agent-${OLDER}.js.release.json`), 'utf8');
      assert.deepEqual(await refusal(JSON.parse(older) as SignedRelease, '/agent/builds/0'), ['POLICY_DENIED', 'release-older']);
    });
  });

  it('rolls B out to both nodes, one at a time: versions reported, containers never restarted, nothing moved', async () => {
    const before = await Promise.all(nodes.map((entry) => startedAt(entry.container, entry.socket)));
    for (const line of before) assert.match(line, /^true /);
    const rollout = await rollOut(B, 90_000);
    assert.equal(rollout.status, 'succeeded', JSON.stringify(rollout, null, 2));
    assert.deepEqual(
      rollout.nodes.map((n: { status: string; fromVersion: string }) => [n.status, n.fromVersion]),
      nodes.map(() => ['succeeded', A]),
    );
    for (const entry of nodes) {
      const view = await node(entry.id);
      assert.equal(view.agentVersion, B);
      assert.equal(view.runtime.name, 'node');
    }
    assert.deepEqual(await Promise.all(nodes.map((entry) => startedAt(entry.container, entry.socket))), before);
    assert.deepEqual((await call(server, 'GET', '/api/migrations')).body.migrations, []);
  });

  it('goes back to B by itself when the new build never comes online, within the deadline, and halts the rollout', async () => {
    const before = await Promise.all(nodes.map((entry) => startedAt(entry.container, entry.socket)));
    const t0 = Date.now();
    const rollout = await rollOut(NEVER, 60_000);
    assert.equal(rollout.status, 'halted');
    assert.deepEqual(
      rollout.nodes.map((n: { status: string }) => n.status),
      ['failed', 'pending'],
    );
    assert.match(rollout.nodes[0].detail, /went back/);
    const first = await node(nodes[0]!.id);
    assert.equal(first.agentVersion, B);
    assert.equal(first.lastUpgrade.outcome, 'rolled-back');
    assert.equal(first.lastUpgrade.version, NEVER);
    // Judged on the node at the deadline; back on B a moment later.
    assert.ok(Date.now() - t0 < DEADLINE_MS + 10_000, `back after ${Date.now() - t0} ms`);
    assert.equal((await node(nodes[1]!.id)).agentVersion, B);
    assert.deepEqual(await Promise.all(nodes.map((entry) => startedAt(entry.container, entry.socket))), before);
    assert.deepEqual((await call(server, 'GET', '/api/migrations')).body.migrations, []);
  });
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_DOCKER_SOCKET, docker, engineState, removeContainers, requireEngine, type SecondEngine, startSecondEngine, TEST_IMAGE, waitFor } from '@lormas/testkit';
import { type MockServer, startMockServer } from '../src/index.js';
import { call } from './support/http.js';
import { type NodeWithAgent, refusalOf, startNodeWithAgent } from './support/nodeWithAgent.js';

const PREFIX = `lgr-mig-${process.pid}-`;

/**
 * Issue 13, items 2, 5 and 8 between two real engines: a migration writes only what stays
 * inside the target's own volume, rolls back when the source's volume holds an entry that
 * would not, and the second engine's own data root is never a bind source.
 */
describe('migration and data-root guard rails between two engines', () => {
  let server: MockServer;
  let engineB: SecondEngine;
  let a: NodeWithAgent;
  let b: NodeWithAgent;
  const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'lgr-mig-')));

  const create = async (name: string, cmd: string, volume: string) => {
    const res = await call(server, 'POST', '/api/containers', {
      body: { nodeId: a.id, spec: { name: `${PREFIX}${name}`, image: TEST_IMAGE, networkMode: 'none', stopTimeoutSeconds: 0, cmd: ['sh', '-c', `${cmd}; sleep 300`], mounts: [{ type: 'volume', source: volume, target: '/data' }] } },
    });
    assert.equal(res.status, 201, res.text);
    await waitFor(async () => (await docker(['exec', `${PREFIX}${name}`, 'cat', '/data/ready']).catch(() => '')) === 'ready', { what: `${name}'s data` });
    return res.body as { id: string; name: string };
  };
  const migrate = async (id: string) => {
    const res = await call(server, 'POST', `/api/containers/${id}/migrate`, { body: { targetNodeId: b.id } });
    assert.equal(res.status, 202, res.text);
    return waitFor(async () => {
      const migration = (await call(server, 'GET', `/api/migrations/${res.body.id}`)).body;
      return migration.status !== 'running' ? migration : null;
    }, { timeoutMs: 60_000, what: 'the migration to end' });
  };
  /** The files of a volume on engine B, listed by a throwaway container. */
  const listOnB = (volume: string) => docker(['run', '--rm', '--network', 'none', '-v', `${volume}:/v`, TEST_IMAGE, 'sh', '-c', 'cd /v && find . | sort'], engineB.socketPath);

  before(async () => {
    await requireEngine();
    await removeContainers(PREFIX, { volumes: true });
    [engineB, server] = await Promise.all([startSecondEngine(), startMockServer()]);
    a = await startNodeWithAgent(server, `${PREFIX}a`, { env: { STATE_DIR: join(scratch, 'state-a') } });
    b = await startNodeWithAgent(server, `${PREFIX}b`, { dockerSocket: engineB.socketPath, env: { STATE_DIR: join(scratch, 'state-b'), BIND_ALLOW_LIST: tmpdir() } });
  });

  after(async () => {
    await Promise.all([a?.agent.stop(), b?.agent.stop()]);
    await server?.close();
    await removeContainers(PREFIX, { volumes: true });
    if (engineB) {
      await removeContainers(PREFIX, { socketPath: engineB.socketPath, volumes: true });
      await engineB.stop();
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it("unpacks a volume into the target's own volume, which the target agent created and labelled", async () => {
    const volume = `${PREFIX}clean`;
    const clean = await create('clean', 'mkdir -p /data/sub && echo note > /data/sub/note && ln -s sub/note /data/link && echo ready > /data/ready', volume);
    const migration = await migrate(clean.id);
    assert.equal(migration.status, 'succeeded', JSON.stringify(migration));
    assert.equal(await listOnB(volume), ['.', './link', './ready', './sub', './sub/note'].join('\n'));
    assert.equal(await docker(['exec', clean.name, 'cat', '/data/link'], engineB.socketPath), 'note');
    const [created] = JSON.parse(await docker(['volume', 'inspect', volume], engineB.socketPath));
    assert.deepEqual(created.Labels, { 'lormas.managed': 'true', 'lormas.node': b.id });
  });

  it('rolls back a migration whose source volume holds a link to the host, and writes nothing of it', async () => {
    const volume = `${PREFIX}escape`;
    const escaping = await create('escape', 'ln -s /etc/shadow /data/escape && echo ready > /data/ready', volume);
    const migration = await migrate(escaping.id);
    assert.equal(migration.status, 'rolled-back', JSON.stringify(migration));
    assert.match(migration.error, /^POLICY_DENIED: .*escape.*archive-entry/);
    assert.deepEqual(
      migration.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [['choose-target', 'ok'], ['stop-source', 'ok'], ['create-target', 'ok'], ['copy-volume', 'failed'], ['remove-target', 'ok'], ['start-source', 'ok']],
    );
    assert.equal(await engineState(escaping.name, DEFAULT_DOCKER_SOCKET), 'running');
    assert.equal(await engineState(escaping.name, engineB.socketPath), null);
    assert.doesNotMatch(await listOnB(volume), /escape/);
    assert.equal((await call(server, 'GET', `/api/containers/${escaping.id}`)).body.nodeId, a.id);
  });

  it("refuses the second engine's reported data root as a bind source, though it lies under the allowed folder", async () => {
    const dataRoot = await docker(['info', '-f', '{{.DockerRootDir}}'], engineB.socketPath);
    assert.ok(dataRoot.startsWith(tmpdir()), dataRoot);
    const bind = (name: string, source: string) =>
      call(server, 'POST', '/api/containers', { body: { nodeId: b.id, spec: { name: `${PREFIX}${name}`, image: TEST_IMAGE, networkMode: 'none', cmd: ['true'], mounts: [{ type: 'bind', source, target: '/host' }] } } });
    for (const source of [dataRoot, join(dataRoot, 'volumes')]) {
      const res = await bind('data-root', source);
      assert.deepEqual(refusalOf(res), [403, 'POLICY_DENIED', 'bind-mount-forbidden'], `${source}: ${res.text}`);
    }
    // Not scratch itself: it holds the agents' state folders, which are never bound either.
    const plain = join(scratch, 'plain');
    mkdirSync(plain);
    assert.equal((await bind('plain', plain)).status, 201);
  });
});

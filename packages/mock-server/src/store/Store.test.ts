import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Postgres, startPostgres } from '@lormas/testkit';
import Database from 'better-sqlite3';
import { ServerError } from '../errors.js';
import { KeyStore } from './KeyStore.js';
import { MIGRATIONS } from './schema.js';
import { DATABASE_FILE, Store } from './Store.js';

const spec = (name: string) => ({ name, image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] });

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ServerError, String(error));
    return error.code;
  }
  return assert.fail('expected a ServerError');
}

/**
 * What the store does on either database: the same statements, the same answers. PostgreSQL
 * runs in a private cluster on a loopback port; every test gets a database of its own.
 */
for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`Store on ${backend}`, () => {
    let postgres: Postgres | null = null;
    let databases = 0;
    before(async () => {
      if (backend === 'postgres') postgres = await startPostgres();
    });
    after(async () => {
      await postgres?.stop();
    });
    const open = async () =>
      backend === 'sqlite' ? new Store({ dataDir: null }) : Store.connect({ databaseUrl: await postgres!.createDatabase(`store_test_${++databases}`) });

    it('refuses a second live node of the same name with CONFLICT, and frees the name on revocation', async () => {
      const store = await open();
      const first = await store.nodes.create({ name: 'n1' });
      assert.equal(await code(() => store.nodes.create({ name: 'n1' })), 'CONFLICT');
      await store.nodes.revoke(first.id);
      assert.notEqual((await store.nodes.create({ name: 'n1' })).id, first.id);
      assert.equal((await store.nodes.get(first.id))?.revokedAt !== null, true);
      assert.deepEqual((await store.nodes.list()).map((node) => node.name), ['n1']);
      assert.equal(await code(() => store.nodes.require(first.id)), 'NOT_FOUND');
      await store.close();
    });

    it('refuses a duplicate cluster name and finds a cluster by id or name', async () => {
      const store = await open();
      const cluster = await store.clusters.create({ name: 'eu' });
      assert.equal(await code(() => store.clusters.create({ name: 'eu' })), 'CONFLICT');
      assert.equal((await store.clusters.find('eu'))?.id, cluster.id);
      assert.equal((await store.clusters.find(cluster.id))?.name, 'eu');
      assert.equal((await store.clusters.find('us')), null);
      await store.close();
    });

    it('keeps a container spec, HA flag and states, finds it by id or name, and refuses a taken name', async () => {
      const store = await open();
      const node = await store.nodes.create({ name: 'n' });
      const created = await store.containers.create({ nodeId: node.id, spec: spec('web'), ha: true, desiredState: 'running' });
      assert.match(created.id, /^ctr_/);
      assert.equal(await code(() => store.containers.create({ nodeId: node.id, spec: spec('web'), ha: false, desiredState: 'running' })), 'CONFLICT');
      await store.containers.update(created.id, { dockerId: 'abc', observedState: 'running' });
      const read = await store.containers.require('web');
      assert.deepEqual({ ...read, updatedAt: 0 }, { ...created, dockerId: 'abc', observedState: 'running', updatedAt: 0 });
      assert.equal(await code(() => store.containers.require('nope')), 'NOT_FOUND');
      assert.equal((await store.containers.find(created.id))?.name, 'web');
      assert.equal((await store.containers.find('nope')), null);
      assert.deepEqual((await store.containers.countsByNode()), new Map([[node.id, 1]]));
      assert.equal((await store.containers.removeAllOf(node.id)), 1);
      assert.deepEqual((await store.containers.list()), []);
      await store.close();
    });

    it('orders migrations and their steps as they were written, and lists the running failovers', async () => {
      const store = await open();
      const one = await store.migrations.start({ containerId: 'ctr_1', containerName: 'web', trigger: 'node-lost', sourceNodeId: 'node_a', targetNodeId: null });
      const two = await store.migrations.start({ containerId: 'ctr_2', containerName: 'db', trigger: 'manual', sourceNodeId: 'node_a', targetNodeId: 'node_b' });
      await store.migrations.step(one.id, 'node-lost', 'info', 'silent');
      await store.migrations.step(one.id, 'choose-target', 'ok', 'node_b');
      await store.migrations.setTarget(one.id, 'node_b');
      assert.deepEqual((await store.migrations.list()).map((m) => m.id), [one.id, two.id]);
      assert.deepEqual((await store.migrations.running('node-lost')).map((m) => [m.id, m.targetNodeId, m.steps.length]), [[one.id, 'node_b', 2]]);
      await store.migrations.finish(one.id, 'succeeded');
      assert.deepEqual(await store.migrations.running('node-lost'), []);
      await store.close();
    });

    it('numbers the steps of one migration apart when several writers append at once', async () => {
      const store = await open();
      const migration = await store.migrations.start({ containerId: 'ctr_1', containerName: 'web', trigger: 'node-lost', sourceNodeId: 'node_a', targetNodeId: null });
      await store.migrations.step(migration.id, 'node-lost', 'info');
      // A leader taking a move over and the one finishing it write at the same moment: on PostgreSQL these run on separate connections.
      const names = Array.from({ length: 24 }, (_, i) => `step-${i}`);
      await Promise.all(names.map((name) => store.migrations.step(migration.id, name, 'info')));
      await store.migrations.step(migration.id, 'last', 'ok');
      const steps = (await store.migrations.get(migration.id))!.steps.map((step) => step.name);
      assert.equal(steps.length, 26);
      assert.equal(steps[0], 'node-lost');
      assert.equal(steps.at(-1), 'last');
      assert.deepEqual(steps.slice(1, -1).sort(), [...names].sort());
      await store.close();
    });

    it('agrees on the first signing key stored whatever the writers\' clocks: a second writer an hour behind does not take over', async () => {
      const store = await open();
      const behind = new KeyStore(store.db, () => Date.now() - 3_600_000);
      const first = await store.keys.add({ kid: 'k1', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
      await behind.add({ kid: 'k2', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
      assert.equal((await store.keys.current())?.kid, first.kid);
      assert.equal((await behind.current())?.kid, first.kid);
      await store.close();
    });

    it('agrees on one signing key when replicas store theirs at once, each reading back right after its own write', async () => {
      const store = await open();
      const replicas = Array.from({ length: 8 }, (_, i) => new KeyStore(store.db, () => Date.now() - i * 1_000));
      const chosen = await Promise.all(
        replicas.map(async (keys, i) => {
          await keys.add({ kid: `k${i}`, alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
          return (await keys.current())?.kid;
        }),
      );
      assert.equal(new Set(chosen).size, 1, chosen.join(' '));
      await store.close();
    });

    it('keeps the first signing key stored as the one in use, so replicas starting together agree', async () => {
      const store = await open();
      const first = await store.keys.add({ kid: 'k1', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
      await store.keys.add({ kid: 'k2', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
      assert.deepEqual(await store.keys.current(), first);
      await store.close();
    });
  });
}

describe('Store in a sqlite data folder', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('creates its data folder 0700 and the database with its -wal and -shm files 0600, whatever the umask', async () => {
    const base = mkdtempSync(join(tmpdir(), 'lgr-store-'));
    dirs.push(base);
    const dataDir = join(base, 'data');
    const umask = process.umask(0o022);
    try {
      const store = new Store({ dataDir });
      await store.nodes.create({ name: 'n1' });
      await store.keys.add({ kid: 'k', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
      for (const suffix of ['', '-wal', '-shm']) {
        const file = join(dataDir, `${DATABASE_FILE}${suffix}`);
        assert.ok(existsSync(file), file);
        assert.equal(statSync(file).mode & 0o777, 0o600, suffix || 'the database');
      }
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      await store.close();
      assert.equal(process.umask(0o022), 0o022, 'the umask is put back');
    } finally {
      process.umask(umask);
    }
  });

  it('tightens a data folder and database an older version left readable', async () => {
    const base = mkdtempSync(join(tmpdir(), 'lgr-store-'));
    dirs.push(base);
    const dataDir = join(base, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, DATABASE_FILE), '', { mode: 0o644 });
    await new Store({ dataDir }).close();
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, DATABASE_FILE)).mode & 0o777, 0o600);
  });

  it('keeps nodes, containers and the signing key in a data folder across a reopen', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    const first = new Store({ dataDir });
    const node = await first.nodes.create({ name: 'kept', description: 'a node' });
    await first.containers.create({ nodeId: node.id, spec: spec('kept-web'), ha: false, desiredState: 'stopped' });
    const key = await first.keys.add({ kid: 'k1', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
    await first.close();
    const second = new Store({ dataDir });
    assert.deepEqual((await second.nodes.require(node.id)), node);
    assert.equal((await second.containers.require('kept-web')).desiredState, 'stopped');
    assert.deepEqual((await second.keys.current()), key);
    await second.close();
  });

  it("keeps a container's fenceAfterMs through an update and a reopen, and null for one created without it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    const first = new Store({ dataDir });
    const node = await first.nodes.create({ name: 'n' });
    const fenced = await first.containers.create({ nodeId: node.id, spec: spec('fenced'), ha: true, desiredState: 'running', fenceAfterMs: 5_000 });
    const plain = await first.containers.create({ nodeId: node.id, spec: spec('plain'), ha: true, desiredState: 'running' });
    assert.equal(fenced.fenceAfterMs, 5_000);
    assert.equal(plain.fenceAfterMs, null);
    await first.containers.update(fenced.id, { dockerId: 'abc', observedState: 'running' });
    await first.close();
    const second = new Store({ dataDir });
    assert.equal((await second.containers.require(fenced.id)).fenceAfterMs, 5_000);
    assert.equal((await second.containers.require(plain.id)).fenceAfterMs, null);
    await second.close();
  });

  it('opens a data folder written before fencing was recorded: its containers read unfenced, new ones keep it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    // A database written before the fencing column: every earlier migration, and one container in it.
    const old = new Database(join(dataDir, DATABASE_FILE));
    const before = MIGRATIONS.findIndex((migration) => migration.includes('fence_after_ms'));
    assert.ok(before > 0, 'a migration adds the column');
    for (const migration of MIGRATIONS.slice(0, before)) old.exec(migration);
    old.pragma(`user_version = ${before}`);
    old.prepare("INSERT INTO nodes (id, name, created_at) VALUES ('node_old', 'old', 1)").run();
    old
      .prepare("INSERT INTO containers (id, node_id, name, spec, ha, desired_state, created_at, updated_at) VALUES ('ctr_old', 'node_old', 'old-web', ?, 1, 'running', 1, 1)")
      .run(JSON.stringify(spec('old-web')));
    old.close();

    const store = new Store({ dataDir });
    assert.equal((await store.db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version, MIGRATIONS.length);
    const kept = await store.containers.require('old-web');
    assert.deepEqual([kept.id, kept.ha, kept.fenceAfterMs], ['ctr_old', true, null]);
    const added = await store.containers.create({ nodeId: 'node_old', spec: spec('new-web'), ha: true, desiredState: 'running', fenceAfterMs: 30_000 });
    assert.equal((await store.containers.require(added.id)).fenceAfterMs, 30_000);
    await store.close();
  });

  it('keeps a migration with its steps in order across a reopen', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    let time = 1_000;
    const first = new Store({ dataDir, now: () => time++ });
    const migration = await first.migrations.start({ containerId: 'ctr_1', containerName: 'web', trigger: 'manual', sourceNodeId: 'node_a', targetNodeId: 'node_b' });
    await first.migrations.step(migration.id, 'stop-source', 'ok');
    await first.migrations.step(migration.id, 'create-target', 'failed', 'POLICY_DENIED: no');
    await first.migrations.finish(migration.id, 'rolled-back', 'POLICY_DENIED: no');
    await first.close();
    const second = new Store({ dataDir });
    const [kept] = await second.migrations.list('ctr_1');
    assert.equal(kept?.status, 'rolled-back');
    assert.deepEqual(kept?.steps.map((s) => [s.name, s.status, s.detail, s.at]), [['stop-source', 'ok', null, 1_001], ['create-target', 'failed', 'POLICY_DENIED: no', 1_002]]);
    assert.equal(kept?.endedAt, 1_003);
    assert.deepEqual((await second.migrations.list('ctr_other')), []);
    await second.close();
  });
});

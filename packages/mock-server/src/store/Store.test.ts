import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ServerError } from '../errors.js';
import { MIGRATIONS } from './schema.js';
import { DATABASE_FILE, Store } from './Store.js';

const spec = (name: string) => ({ name, image: 'busybox', env: {}, labels: {}, tty: false, mounts: [], privileged: false, capAdd: [], devices: [], securityOpt: [] });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ServerError, String(error));
    return error.code;
  }
  return assert.fail('expected a ServerError');
}

describe('Store', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses a second live node of the same name with CONFLICT, and frees the name on revocation', () => {
    const store = new Store({ dataDir: null });
    const first = store.nodes.create({ name: 'n1' });
    assert.equal(code(() => store.nodes.create({ name: 'n1' })), 'CONFLICT');
    store.nodes.revoke(first.id);
    assert.notEqual(store.nodes.create({ name: 'n1' }).id, first.id);
    assert.equal(store.nodes.get(first.id)?.revokedAt !== null, true);
    assert.deepEqual(store.nodes.list().map((node) => node.name), ['n1']);
    assert.equal(code(() => store.nodes.require(first.id)), 'NOT_FOUND');
    store.close();
  });

  it('refuses a duplicate cluster name and finds a cluster by id or name', () => {
    const store = new Store({ dataDir: null });
    const cluster = store.clusters.create({ name: 'eu' });
    assert.equal(code(() => store.clusters.create({ name: 'eu' })), 'CONFLICT');
    assert.equal(store.clusters.find('eu')?.id, cluster.id);
    assert.equal(store.clusters.find(cluster.id)?.name, 'eu');
    assert.equal(store.clusters.find('us'), null);
    store.close();
  });

  it('keeps a container spec, HA flag and states, finds it by id or name, and refuses a taken name', () => {
    const store = new Store({ dataDir: null });
    const node = store.nodes.create({ name: 'n' });
    const created = store.containers.create({ nodeId: node.id, spec: spec('web'), ha: true, desiredState: 'running' });
    assert.match(created.id, /^ctr_/);
    assert.equal(code(() => store.containers.create({ nodeId: node.id, spec: spec('web'), ha: false, desiredState: 'running' })), 'CONFLICT');
    store.containers.update(created.id, { dockerId: 'abc', observedState: 'running' });
    const read = store.containers.require('web');
    assert.deepEqual({ ...read, updatedAt: 0 }, { ...created, dockerId: 'abc', observedState: 'running', updatedAt: 0 });
    assert.equal(code(() => store.containers.require('nope')), 'NOT_FOUND');
    assert.equal(store.containers.find(created.id)?.name, 'web');
    assert.equal(store.containers.find('nope'), null);
    assert.deepEqual(store.containers.countsByNode(), new Map([[node.id, 1]]));
    assert.equal(store.containers.removeAllOf(node.id), 1);
    assert.deepEqual(store.containers.list(), []);
    store.close();
  });

  it('creates its data folder 0700 and the database with its -wal and -shm files 0600, whatever the umask', () => {
    const base = mkdtempSync(join(tmpdir(), 'lgr-store-'));
    dirs.push(base);
    const dataDir = join(base, 'data');
    const umask = process.umask(0o022);
    try {
      const store = new Store({ dataDir });
      store.nodes.create({ name: 'n1' });
      store.keys.add({ kid: 'k', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
      for (const suffix of ['', '-wal', '-shm']) {
        const file = join(dataDir, `${DATABASE_FILE}${suffix}`);
        assert.ok(existsSync(file), file);
        assert.equal(statSync(file).mode & 0o777, 0o600, suffix || 'the database');
      }
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      store.close();
      assert.equal(process.umask(0o022), 0o022, 'the umask is put back');
    } finally {
      process.umask(umask);
    }
  });

  it('tightens a data folder and database an older version left readable', () => {
    const base = mkdtempSync(join(tmpdir(), 'lgr-store-'));
    dirs.push(base);
    const dataDir = join(base, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, DATABASE_FILE), '', { mode: 0o644 });
    new Store({ dataDir }).close();
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, DATABASE_FILE)).mode & 0o777, 0o600);
  });

  it('keeps nodes, containers and the signing key in a data folder across a reopen', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    const first = new Store({ dataDir });
    const node = first.nodes.create({ name: 'kept', description: 'a node' });
    first.containers.create({ nodeId: node.id, spec: spec('kept-web'), ha: false, desiredState: 'stopped' });
    const key = first.keys.add({ kid: 'k1', alg: 'EdDSA', privateJwk: '{}', publicJwk: '{}' });
    first.close();
    const second = new Store({ dataDir });
    assert.deepEqual(second.nodes.require(node.id), node);
    assert.equal(second.containers.require('kept-web').desiredState, 'stopped');
    assert.deepEqual(second.keys.current(), key);
    second.close();
  });

  it("keeps a container's fenceAfterMs through an update and a reopen, and null for one created without it", () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    const first = new Store({ dataDir });
    const node = first.nodes.create({ name: 'n' });
    const fenced = first.containers.create({ nodeId: node.id, spec: spec('fenced'), ha: true, desiredState: 'running', fenceAfterMs: 5_000 });
    const plain = first.containers.create({ nodeId: node.id, spec: spec('plain'), ha: true, desiredState: 'running' });
    assert.equal(fenced.fenceAfterMs, 5_000);
    assert.equal(plain.fenceAfterMs, null);
    first.containers.update(fenced.id, { dockerId: 'abc', observedState: 'running' });
    first.close();
    const second = new Store({ dataDir });
    assert.equal(second.containers.require(fenced.id).fenceAfterMs, 5_000);
    assert.equal(second.containers.require(plain.id).fenceAfterMs, null);
    second.close();
  });

  it('opens a data folder written before fencing was recorded: its containers read unfenced, new ones keep it', () => {
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
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    const kept = store.containers.require('old-web');
    assert.deepEqual([kept.id, kept.ha, kept.fenceAfterMs], ['ctr_old', true, null]);
    const added = store.containers.create({ nodeId: 'node_old', spec: spec('new-web'), ha: true, desiredState: 'running', fenceAfterMs: 30_000 });
    assert.equal(store.containers.require(added.id).fenceAfterMs, 30_000);
    store.close();
  });

  it('keeps a migration with its steps in order across a reopen', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lormas-mock-store-'));
    dirs.push(dataDir);
    let time = 1_000;
    const first = new Store({ dataDir, now: () => time++ });
    const migration = first.migrations.start({ containerId: 'ctr_1', containerName: 'web', trigger: 'manual', sourceNodeId: 'node_a', targetNodeId: 'node_b' });
    first.migrations.step(migration.id, 'stop-source', 'ok');
    first.migrations.step(migration.id, 'create-target', 'failed', 'POLICY_DENIED: no');
    first.migrations.finish(migration.id, 'rolled-back', 'POLICY_DENIED: no');
    first.close();
    const second = new Store({ dataDir });
    const [kept] = second.migrations.list('ctr_1');
    assert.equal(kept?.status, 'rolled-back');
    assert.deepEqual(kept?.steps.map((s) => [s.name, s.status, s.detail, s.at]), [['stop-source', 'ok', null, 1_001], ['create-target', 'failed', 'POLICY_DENIED: no', 1_002]]);
    assert.equal(kept?.endedAt, 1_003);
    assert.deepEqual(second.migrations.list('ctr_other'), []);
    second.close();
  });
});

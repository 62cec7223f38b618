import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from './config.js';

function refusal(env: Record<string, string>, argv: string[] = []): ConfigError {
  try {
    loadConfig(env, argv);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  return assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:3000, in memory, info, tokens without expiry, and a generated admin token', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, null);
    assert.equal(config.tokenTtlSeconds, null);
    assert.equal(config.logLevel, 'info');
    assert.deepEqual([config.lostAfterMs, config.suspectAfterMs, config.failoverGraceMs], [30_000, 10_000, 30_000]);
    assert.equal(config.adminTokenGenerated, true);
    assert.ok(config.adminToken.length >= 32);
    assert.notEqual(loadConfig({}).adminToken, config.adminToken);
  });

  it('refuses NATS_URL without DATABASE_URL, a URL of the wrong kind, and a bad REPLICA_ID, never echoing a database URL', () => {
    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return [error.variable, error.message];
      }
      return assert.fail('expected a ConfigError');
    };
    assert.equal(refusal({ NATS_URL: 'nats://127.0.0.1:4222' })[0], 'NATS_URL');
    assert.equal(refusal({ DATABASE_URL: 'mysql://u:pw-secret@h/db' })[0], 'DATABASE_URL');
    assert.ok(!refusal({ DATABASE_URL: 'not a url pw-secret' })[1]!.includes('pw-secret'));
    assert.equal(refusal({ DATABASE_URL: 'postgres://h/db', NATS_URL: 'http://127.0.0.1:4222' })[0], 'NATS_URL');
    assert.equal(refusal({ REPLICA_ID: 'has space' })[0], 'REPLICA_ID');
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '::1',
      ADMIN_TOKEN: 'a-long-admin-token-0123',
      DATA_DIR: 'var/data',
      TOKEN_TTL: '12h',
      LOG_LEVEL: 'debug',
      LOST_AFTER_MS: '3000',
      SUSPECT_AFTER_MS: '500',
      FAILOVER_GRACE_MS: '0',
      DATABASE_URL: 'postgres://lormas:secret@127.0.0.1:5432/lormas',
      NATS_URL: 'nats://127.0.0.1:4222',
      REPLICA_ID: 'replica-1',
      REPLICA_TTL_MS: '1500',
      RELEASES_DIR: 'releases',
      PUBLIC_URL: 'https://lormas.example.com',
      JOIN_CODE_TTL: '30m',
      MIN_AGENT_VERSION: '0.2.0',
    });
    assert.deepEqual(config, {
      releasesDir: resolve('releases'),
      publicUrl: 'https://lormas.example.com',
      joinCodeTtlSeconds: 1_800,
      minAgentVersion: '0.2.0',
      databaseUrl: 'postgres://lormas:secret@127.0.0.1:5432/lormas',
      natsUrl: 'nats://127.0.0.1:4222',
      replicaId: 'replica-1',
      replicaTtlMs: 1_500,
      lostAfterMs: 3_000,
      suspectAfterMs: 500,
      failoverGraceMs: 0,
      port: 0,
      host: '::1',
      adminToken: 'a-long-admin-token-0123',
      adminTokenGenerated: false,
      dataDir: resolve('var/data'),
      tokenTtlSeconds: 43_200,
      logLevel: 'debug',
    });
  });

  it('names PUBLIC_URL with a path, JOIN_CODE_TTL under a minute and a MIN_AGENT_VERSION that is no version', () => {
    assert.equal(refusal({ PUBLIC_URL: 'https://host/lormas' }).variable, 'PUBLIC_URL');
    assert.equal(refusal({ JOIN_CODE_TTL: '30s' }).variable, 'JOIN_CODE_TTL');
    assert.equal(refusal({ MIN_AGENT_VERSION: 'latest' }).variable, 'MIN_AGENT_VERSION');
    assert.equal(refusal({ MIN_AGENT_VERSION: '0.2.0-rc.01' }).variable, 'MIN_AGENT_VERSION');
  });

  it('takes --data-dir over DATA_DIR, in both spellings', () => {
    assert.equal(loadConfig({ DATA_DIR: 'a' }, ['--data-dir', 'b']).dataDir, resolve('b'));
    assert.equal(loadConfig({}, ['--data-dir=c']).dataDir, resolve('c'));
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ PORT: '', ADMIN_TOKEN: '' }).port, 3000);
  });

  for (const [variable, env, argv] of [
    ['PORT', { PORT: 'http' }, []],
    ['PORT', { PORT: '70000' }, []],
    ['ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }, []],
    ['TOKEN_TTL', { TOKEN_TTL: 'forever' }, []],
    ['TOKEN_TTL', { TOKEN_TTL: '0' }, []],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, []],
    ['LOST_AFTER_MS', { LOST_AFTER_MS: '30s' }, []],
    ['SUSPECT_AFTER_MS', { LOST_AFTER_MS: '1000', SUSPECT_AFTER_MS: '1000' }, []],
    ['FAILOVER_GRACE_MS', { FAILOVER_GRACE_MS: '-1' }, []],
    ['--data-dir', {}, ['--data-dir']],
    ['--verbose', {}, ['--verbose']],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} ${argv.join(' ')} naming ${variable}`, () => {
      const error = refusal({ ...env }, [...argv]);
      assert.equal(error.variable, variable);
      assert.ok(error.message.startsWith(variable));
    });
  }

  it('never repeats a refused admin token in its message', () => {
    assert.doesNotMatch(refusal({ ADMIN_TOKEN: 'secret12' }).message, /secret12/);
  });
});

describe('parseDuration', () => {
  it('reads seconds and s, m, h, d suffixes', () => {
    assert.deepEqual(['90', '90s', '15m', '2h', '30d'].map(parseDuration), [90, 90, 900, 7_200, 2_592_000]);
  });

  it('refuses zero, negatives and unknown units', () => {
    assert.deepEqual(['0', '-5', '5w', '1.5h', ''].map(parseDuration), [null, null, null, null, null]);
  });
});

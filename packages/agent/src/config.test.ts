import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';
import { ConfigError, helpText, loadConfig, tokenSubject, VARIABLES } from './config.js';
import { parseDotenv } from './dotenv.js';
import { DEFAULT_GUARD_RAILS } from './policy/guardRails.js';
import { LEGACY_UNCONFINED_SECURITY_OPTS } from './policy/securityOpts.js';
import { AGENT_VERSION } from './version.js';

const jwt = (claims: object) => `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('loadConfig', () => {
  it("applies the seed README's defaults", () => {
    const config = loadConfig({ NODE_TOKEN: jwt({ sub: 'node_1' }) });
    assert.equal(config.serverUrl, 'ws://localhost:3000');
    assert.equal(config.nodeName, 'agent-node');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dockerHost, 'unix:///var/run/docker.sock');
    assert.equal(config.heartbeatIntervalMs, 5000);
    assert.equal(config.nodeId, 'node_1');
  });

  it('denies every guard rail by default', () => {
    const { guardRails } = loadConfig({ NODE_TOKEN: 't0ken' });
    assert.deepEqual(guardRails, DEFAULT_GUARD_RAILS);
  });

  it('names NODE_TOKEN when it is missing', () => {
    assert.equal(configError({}).variable, 'NODE_TOKEN');
  });

  it('names SERVER_URL when it is not a ws:// or wss:// URL', () => {
    for (const bad of ['http://example.test', 'https://example.test', 'not a url', 'localhost:3000']) {
      assert.equal(configError({ NODE_TOKEN: 't0ken', SERVER_URL: bad }).variable, 'SERVER_URL', bad);
    }
  });

  it('names SERVER_URL with a fragment, even an empty one', () => {
    for (const bad of ['ws://host/#frag', 'wss://host:8443/agent#', 'ws://host#x']) {
      const error = configError({ NODE_TOKEN: 't0ken', SERVER_URL: bad });
      assert.equal(error.variable, 'SERVER_URL', bad);
      assert.match(error.message, /fragment/);
    }
  });

  it('names SERVER_URL with user info, and never repeats its password', () => {
    for (const bad of ['ws://user:s3cret-pass@host', 'wss://s3cret-pass@host/agent', 'ws://user:s3cret-pass@host/#x']) {
      const error = configError({ NODE_TOKEN: 't0ken', SERVER_URL: bad });
      assert.equal(error.variable, 'SERVER_URL', bad);
      assert.doesNotMatch(error.message, /s3cret-pass/, error.message);
    }
  });

  it('sends the token in the query only when TOKEN_IN_QUERY is true', () => {
    assert.equal(loadConfig({ NODE_TOKEN: 't0ken' }).tokenInQuery, false);
    assert.equal(loadConfig({ NODE_TOKEN: 't0ken', TOKEN_IN_QUERY: 'true' }).tokenInQuery, true);
  });

  it('names LOG_LEVEL when it is unknown', () => {
    const error = configError({ NODE_TOKEN: 't0ken', LOG_LEVEL: 'verbose' });
    assert.equal(error.variable, 'LOG_LEVEL');
    assert.match(error.message, /debug, info, warn, error/);
  });

  it('names a malformed number', () => {
    assert.equal(configError({ NODE_TOKEN: 't0ken', HEARTBEAT_INTERVAL_MS: 'soon' }).variable, 'HEARTBEAT_INTERVAL_MS');
  });

  it('names a duration no timer can hold (over 2^31 - 1 ms, which Node would fire at once)', () => {
    assert.equal(configError({ NODE_TOKEN: 't0ken', RECONNECT_REFUSED_DELAY_MS: '3000000000' }).variable, 'RECONNECT_REFUSED_DELAY_MS');
  });

  it('names BIND_ALLOW_LIST when an entry is not an absolute path, and normalises what it accepts', () => {
    const error = configError({ NODE_TOKEN: 't0ken', BIND_ALLOW_LIST: '/srv/data, srv/other' });
    assert.equal(error.variable, 'BIND_ALLOW_LIST');
    assert.match(error.message, /srv\/other/);
    const config = loadConfig({ NODE_TOKEN: 't0ken', BIND_ALLOW_LIST: '/srv/data/../app', ALLOWED_CAPABILITIES: 'cap_net_admin' });
    assert.deepEqual(config.guardRails.bindAllowList, ['/srv/app']);
    assert.deepEqual(config.guardRails.allowedCapabilities, ['NET_ADMIN']);
  });

  it('never repeats the token in an error', () => {
    const error = configError({ NODE_TOKEN: 'secret-token-value', SERVER_URL: 'ftp://x' });
    assert.doesNotMatch(error.message, /secret-token-value/);
  });

  it('reads ALLOWED_SECURITY_OPTS as exact spellings separated by white space, commas kept', () => {
    const config = loadConfig({ NODE_TOKEN: 't0ken', ALLOWED_SECURITY_OPTS: 'label=level:s0:c100,c200\n seccomp=unconfined' });
    assert.deepEqual(config.guardRails.allowedSecurityOpts, ['label=level:s0:c100,c200', 'seccomp=unconfined']);
    assert.deepEqual(config.warnings, []);
  });

  it('names ALLOWED_SECURITY_OPTS when a spelling cannot be what the operator meant', () => {
    for (const bad of ['seccomp=unconfined,apparmor=unconfined', 'nnp', 'apparmor=a,b']) {
      assert.equal(configError({ NODE_TOKEN: 't0ken', ALLOWED_SECURITY_OPTS: bad }).variable, 'ALLOWED_SECURITY_OPTS', bad);
    }
  });

  it('keeps ALLOW_UNCONFINED_SECURITY_OPT=true working as the spellings it named, with a warning to replace it', () => {
    const config = loadConfig({ NODE_TOKEN: 't0ken', ALLOW_UNCONFINED_SECURITY_OPT: 'true', ALLOWED_SECURITY_OPTS: 'label=level:s0' });
    assert.deepEqual(config.guardRails.allowedSecurityOpts, ['label=level:s0', ...LEGACY_UNCONFINED_SECURITY_OPTS]);
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /ALLOW_UNCONFINED_SECURITY_OPT is deprecated.*ALLOWED_SECURITY_OPTS/);
  });

  it('reads VOLUME_ALLOW_LIST, naming it for a name the engine would refuse', () => {
    assert.deepEqual(loadConfig({ NODE_TOKEN: 't0ken', VOLUME_ALLOW_LIST: 'pgdata, shared_cache' }).guardRails.volumeAllowList, ['pgdata', 'shared_cache']);
    assert.equal(configError({ NODE_TOKEN: 't0ken', VOLUME_ALLOW_LIST: '/srv/data' }).variable, 'VOLUME_ALLOW_LIST');
  });

  it('resolves STATE_DIR against the working folder, by default ./state', () => {
    assert.equal(loadConfig({ NODE_TOKEN: 't0ken' }).stateDir, resolve('state'));
    assert.equal(loadConfig({ NODE_TOKEN: 't0ken', STATE_DIR: '/var/lib/lormas-agent' }).stateDir, '/var/lib/lormas-agent');
  });

  it('reads the caps, and names one out of range', () => {
    assert.deepEqual(loadConfig({ NODE_TOKEN: 't0ken' }).limits, { maxRunningOperations: 64, maxWatchWaiters: 256 });
    assert.deepEqual(loadConfig({ NODE_TOKEN: 't0ken', MAX_RUNNING_OPERATIONS: '8', MAX_WATCH_WAITERS: '16' }).limits, { maxRunningOperations: 8, maxWatchWaiters: 16 });
    assert.equal(configError({ NODE_TOKEN: 't0ken', MAX_RUNNING_OPERATIONS: '0' }).variable, 'MAX_RUNNING_OPERATIONS');
  });

  it('reads allow-lists and switches', () => {
    const config = loadConfig({ NODE_TOKEN: 't0ken', BIND_ALLOW_LIST: '/srv/data, /opt/app', ALLOW_PRIVILEGED: 'yes', ALLOWED_CAPABILITIES: 'NET_ADMIN' });
    assert.deepEqual(config.guardRails.bindAllowList, ['/srv/data', '/opt/app']);
    assert.equal(config.guardRails.allowPrivileged, true);
    assert.deepEqual(config.guardRails.allowedCapabilities, ['NET_ADMIN']);
  });
});

describe('trust roots for wss://', () => {
  function pemFiles(t: { after(fn: () => void): void }) {
    const dir = mkdtempSync(join(tmpdir(), 'lgr-ca-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const make = (name: string) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
      return join(dir, `${name}.pem`);
    };
    return { own: make('own-ca'), extra: make('extra-ca'), dir };
  }

  it("uses the runtime's default store when neither CA_FILE nor NODE_EXTRA_CA_CERTS is set", () => {
    assert.equal(loadConfig({ NODE_TOKEN: 't0ken' }).ca, undefined);
  });

  it('trusts the bundled roots, NODE_EXTRA_CA_CERTS and CA_FILE together once either file is set', (t) => {
    const { own, extra } = pemFiles(t);
    const ca = loadConfig({ NODE_TOKEN: 't0ken', CA_FILE: own, NODE_EXTRA_CA_CERTS: extra }).ca!;
    assert.deepEqual(ca, [...rootCertificates, readFileSync(extra, 'utf8'), readFileSync(own, 'utf8')]);
    assert.deepEqual(loadConfig({ NODE_TOKEN: 't0ken', CA_FILE: own }).ca, [...rootCertificates, readFileSync(own, 'utf8')]);
    assert.deepEqual(loadConfig({ NODE_TOKEN: 't0ken', NODE_EXTRA_CA_CERTS: extra }).ca, [...rootCertificates, readFileSync(extra, 'utf8')]);
  });

  it('names the variable whose file cannot be read or holds no certificate', (t) => {
    const { dir } = pemFiles(t);
    writeFileSync(join(dir, 'empty.pem'), 'nothing here');
    assert.equal(configError({ NODE_TOKEN: 't0ken', CA_FILE: join(dir, 'missing.pem') }).variable, 'CA_FILE');
    assert.equal(configError({ NODE_TOKEN: 't0ken', NODE_EXTRA_CA_CERTS: join(dir, 'empty.pem') }).variable, 'NODE_EXTRA_CA_CERTS');
  });
});

describe('tokenSubject', () => {
  it('reads the sub claim of a JWT and nothing from other text', () => {
    assert.equal(tokenSubject(jwt({ sub: 'n1' })), 'n1');
    assert.equal(tokenSubject('plain-token'), undefined);
    assert.equal(tokenSubject(jwt({ iss: 'x' })), undefined);
  });
});

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines with comments, export and quotes', () => {
    const env = parseDotenv('# comment\nSERVER_URL=ws://a:1\nexport NODE_NAME="node 1"\nLOG_LEVEL=debug # trailing\nX=\'a#b\'\n\nbad line\n');
    assert.deepEqual(env, { SERVER_URL: 'ws://a:1', NODE_NAME: 'node 1', LOG_LEVEL: 'debug', X: 'a#b' });
  });
});

describe('help and version', () => {
  it('documents every variable', () => {
    const help = helpText();
    for (const name of Object.keys(VARIABLES)) assert.match(help, new RegExp(name));
  });

  it("reports package.json's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(AGENT_VERSION, pkg.version);
  });
});

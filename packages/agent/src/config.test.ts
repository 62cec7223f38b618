import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, helpText, loadConfig, tokenSubject, VARIABLES } from './config.js';
import { parseDotenv } from './dotenv.js';
import { DEFAULT_GUARD_RAILS } from './policy/guardRails.js';
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
    for (const bad of ['http://example.test', 'not a url', 'localhost:3000']) {
      assert.equal(configError({ NODE_TOKEN: 't0ken', SERVER_URL: bad }).variable, 'SERVER_URL', bad);
    }
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

  it('reads allow-lists and switches', () => {
    const config = loadConfig({ NODE_TOKEN: 't0ken', BIND_ALLOW_LIST: '/srv/data, /opt/app', ALLOW_PRIVILEGED: 'yes', ALLOWED_CAPABILITIES: 'NET_ADMIN' });
    assert.deepEqual(config.guardRails.bindAllowList, ['/srv/data', '/opt/app']);
    assert.equal(config.guardRails.allowPrivileged, true);
    assert.deepEqual(config.guardRails.allowedCapabilities, ['NET_ADMIN']);
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

import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../configError.js';
import { settingsSource } from './settingsSource.js';

describe('settingsSource', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-settings-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'agent.conf');
  writeFileSync(file, 'SERVER_URL=ws://from-file:1\nALLOW_PRIVILEGED=false\nRELEASE_KEY=k\n', { mode: 0o640 });
  const refusal = (env: Record<string, string>) => {
    try {
      settingsSource(env, folder);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.variable;
    }
    return assert.fail('expected a ConfigError');
  };

  it('reads CONFIG_FILE, the environment winning for ordinary settings', () => {
    const merged = settingsSource({ CONFIG_FILE: file, SERVER_URL: 'ws://from-env:2' }, folder);
    assert.equal(merged['SERVER_URL'], 'ws://from-env:2');
    assert.equal(merged['RELEASE_KEY'], 'k');
  });

  it('refuses a guard rail or the release key from the environment when CONFIG_FILE holds the protected settings', () => {
    assert.equal(refusal({ CONFIG_FILE: file, ALLOW_PRIVILEGED: 'true' }), 'ALLOW_PRIVILEGED');
    assert.equal(refusal({ CONFIG_FILE: file, BIND_ALLOW_LIST: '/srv' }), 'BIND_ALLOW_LIST');
  });

  it('reads the release key and downgrades from CONFIG_FILE only', () => {
    assert.equal(refusal({ RELEASE_KEY: 'k' }), 'RELEASE_KEY');
    assert.equal(refusal({ ALLOW_DOWNGRADE: 'true' }), 'ALLOW_DOWNGRADE');
  });

  it('refuses a CONFIG_FILE others may write, or that does not belong to root', { skip: process.getuid?.() !== 0 && 'needs root to make root-owned files' }, () => {
    chmodSync(file, 0o666);
    assert.equal(refusal({ CONFIG_FILE: file }), 'CONFIG_FILE');
    chmodSync(file, 0o640);
    chmodSync(folder, 0o777);
    assert.equal(refusal({ CONFIG_FILE: file }), 'CONFIG_FILE');
    chmodSync(folder, 0o700);
    const theirs = path.join(folder, 'theirs.conf');
    writeFileSync(theirs, '');
    chownSync(theirs, 1, 1);
    assert.equal(refusal({ CONFIG_FILE: theirs }), 'CONFIG_FILE');
  });
});

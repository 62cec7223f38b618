import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeReleaseKey } from '@lormas/protocol/release';
import { loadSettings } from '../config.js';
import { ConfigError } from '../configError.js';
import { loadLauncherSettings } from './loadLauncherSettings.js';
import { settingsSource } from './settingsSource.js';

describe('loadLauncherSettings', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-launcher-settings-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const key = encodeReleaseKey(generateKeyPairSync('ed25519').publicKey);
  const configFile = (text: string) => {
    const file = path.join(folder, `agent-${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(file, text, { mode: 0o640 });
    return file;
  };
  /** The agent's own reading of `env`, as `main` does it. */
  const agentSettings = (env: Record<string, string>) => loadSettings(settingsSource(env, folder));
  /** The variable and message each loader refuses `env` with. */
  const refusals = (env: Record<string, string>) =>
    [() => loadLauncherSettings(env, folder), () => agentSettings(env)].map((load) => {
      try {
        load();
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        return [error.variable, error.message];
      }
      return assert.fail('expected a ConfigError');
    });

  it("takes the agent's defaults: ./state, info, no release key", () => {
    const settings = loadLauncherSettings({}, folder);
    assert.deepEqual(settings, { stateDir: path.resolve('state'), logLevel: 'info', releaseKey: null });
    assert.equal(settings.stateDir, agentSettings({}).stateDir);
  });

  it('reads the release key from CONFIG_FILE, as the agent does', () => {
    const env = { CONFIG_FILE: configFile(`RELEASE_KEY=${key}\nSTATE_DIR=${folder}/s\nLOG_LEVEL=warn\n`) };
    const settings = loadLauncherSettings(env, folder);
    assert.equal(settings.releaseKey?.fingerprint, agentSettings(env).upgrades.releaseKey?.fingerprint);
    assert.deepEqual([settings.stateDir, settings.logLevel], [`${folder}/s`, 'warn']);
  });

  it('refuses what the agent refuses, with the same message: a release key from the environment, a bad key, an unknown log level', () => {
    const cases: Record<string, string>[] = [{ RELEASE_KEY: key }, { CONFIG_FILE: configFile('RELEASE_KEY=not-a-key\n') }, { LOG_LEVEL: 'loud' }];
    for (const env of cases) {
      const [launcher, agent] = refusals(env);
      assert.deepEqual(launcher, agent);
    }
  });

  it("leaves every other setting to the agent it starts: a bad one is not the launcher's to refuse", () => {
    assert.doesNotThrow(() => loadLauncherSettings({ HEARTBEAT_INTERVAL_MS: 'often', SERVER_URL: 'http://x' }, folder));
  });
});

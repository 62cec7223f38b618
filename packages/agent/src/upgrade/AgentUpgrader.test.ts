import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { encodeReleaseKey, parseReleaseKey } from '@lormas/protocol/release';
import { readLaunchRequest } from '../launcher/LaunchRequest.js';
import { BUILDS_FOLDER, LAUNCH_STATE_FILE, readLaunchState, writeLaunchState } from '../launcher/LaunchState.js';
import { createLogger } from '../logger.js';
import { manifestText, signBuild, signManifest } from '../release/signRelease.js';
import { StateDir } from '../StateDir.js';
import { AgentUpgrader } from './AgentUpgrader.js';

describe('AgentUpgrader', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-upgrader-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const upgrader = new AgentUpgrader({
    config: {
      serverUrl: 'ws://127.0.0.1:9',
      nodeToken: 'a.b.c',
      ca: undefined,
      upgrades: { releaseKey: parseReleaseKey(encodeReleaseKey(publicKey)), allowDowngrade: false, deadlineMs: 20_000, maxBytes: 1_000_000 },
    },
    state: StateDir.open(path.join(folder, 'state')),
    build: { kind: 'js', arch: 'x64' },
    underLauncher: true,
    launcherTakesRequests: true,
    version: '1.0.0',
    logger: createLogger({ level: 'error', write: () => {} }),
    handOver: () => assert.fail('nothing to hand over to'),
  });
  const release = async (version: string) => {
    const file = path.join(folder, `build-${version}.js`);
    writeFileSync(file, `// ${version}\n`);
    return (await signBuild(file, { version, kind: 'js', arch: 'any', protocolVersion: '1.1' }, privateKey)).release;
  };

  it('answers `current` for the running version, and leaves nothing running for the next upgrade', async () => {
    const same = await release('1.0.0');
    assert.equal((await upgrader.upgrade({ operationId: 'op-1', release: same, path: '/agent/builds/x' })).outcome, 'current');
    assert.equal((await upgrader.upgrade({ operationId: 'op-2', release: same, path: '/agent/builds/x' })).outcome, 'current');
  });

  it('refuses an older build as POLICY_DENIED, and takes the next request after', async () => {
    const older = await release('0.9.0');
    await assert.rejects(upgrader.upgrade({ operationId: 'op-3', release: older, path: '/agent/builds/x' }), (error: unknown) => error instanceof AgentError && error.code === 'POLICY_DENIED');
    assert.equal((await upgrader.upgrade({ operationId: 'op-4', release: await release('1.0.0'), path: '/agent/builds/x' })).outcome, 'current');
  });

  it('refuses a build whose version semver gives no order (a leading zero) as release-manifest, not as newer', async () => {
    // `signBuild` itself refuses such a version, so the manifest is signed as a hostile signer would write it.
    const good = JSON.parse((await release('1.0.1')).manifest) as Record<string, unknown>;
    for (const [i, version] of ['1.0.1-01', '1.0.0-rc.007', '2.0.0-0.09'].entries()) {
      assert.throws(() => manifestText({ ...good, version } as never), version);
      await assert.rejects(
        upgrader.upgrade({ operationId: `op-order-${i}`, release: signManifest(JSON.stringify({ ...good, version }), privateKey), path: '/agent/builds/x' }),
        (error: unknown) => error instanceof AgentError && error.code === 'POLICY_DENIED' && error.rule === 'release-manifest',
        version,
      );
    }
  });

  const handovers = [
    { launcherTakesRequests: true, what: 'asks for the handover in its own request file, and leaves the launch state (the launcher writes it alone) as it was' },
    { launcherTakesRequests: false, what: 'under a launcher installed before requests (no LORMAS_LAUNCH_REQUESTS), writes the trial in the launch state, which that launcher reads' },
  ];
  for (const { launcherTakesRequests, what } of handovers) it(what, async (t) => {
    const build = path.join(folder, 'served.js');
    writeFileSync(build, '// 1.1.0\n');
    const { release: next, manifest } = await signBuild(build, { version: '1.1.0', kind: 'js', arch: 'any', protocolVersion: '1.1' }, privateKey);
    const server = createServer((_req, res) => res.end(readFileSync(build)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const state = StateDir.open(path.join(folder, `state-request-${launcherTakesRequests}`));
    await writeLaunchState(state, { current: null, previous: null, trial: null, lastUpgrade: { version: '1.0.0', outcome: 'succeeded', at: 1 } });
    const before = readFileSync(path.join(state.path, LAUNCH_STATE_FILE));
    let handedOver!: () => void;
    const handOver = new Promise<void>((resolve) => (handedOver = resolve));
    const agent = new AgentUpgrader({
      config: {
        serverUrl: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
        nodeToken: 'a.b.c',
        ca: undefined,
        upgrades: { releaseKey: parseReleaseKey(encodeReleaseKey(publicKey)), allowDowngrade: false, deadlineMs: 20_000, maxBytes: 1_000_000 },
      },
      state,
      build: { kind: 'js', arch: 'x64' },
      underLauncher: true,
      launcherTakesRequests,
      version: '1.0.0',
      logger: createLogger({ level: 'error', write: () => {} }),
      handOver: () => handedOver(),
    });
    assert.equal((await agent.upgrade({ operationId: 'op-request', release: next, path: '/agent/builds/1.1.0' })).outcome, 'handing-over');
    const request = readLaunchRequest(state);
    const trial = launcherTakesRequests ? (request && 'trial' in request ? request.trial : null) : readLaunchState(state).trial;
    assert.ok(trial !== null, JSON.stringify(request));
    assert.deepEqual([trial.build.version, trial.build.sha256, trial.deadlineMs], ['1.1.0', manifest.sha256, 20_000]);
    assert.equal(statSync(path.join(state.path, BUILDS_FOLDER, trial.build.file)).size, manifest.sizeBytes);
    if (launcherTakesRequests) assert.deepEqual(readFileSync(path.join(state.path, LAUNCH_STATE_FILE)), before);
    else {
      assert.equal(request, null, 'no request file: that launcher would never read it');
      assert.deepEqual(readLaunchState(state).lastUpgrade, { version: '1.0.0', outcome: 'succeeded', at: 1 });
    }
    await handOver;
  });
});

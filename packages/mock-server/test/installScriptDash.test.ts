import assert from 'node:assert/strict';
import { verify, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type InstallStage, installStage, joinCode } from './support/installStage.js';

const PREFIX = '/opt/lormas-agent';
/** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the key's 32 bytes. */
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * The install script's own rules, under Debian's dash, on a stage with stand-in host tools
 * (no Docker, no systemd, no new user; see `installStage`): fast, where `installScript.test.ts`
 * installs for real.
 */
describe('install.sh under dash', () => {
  let stage: InstallStage;
  before(async () => {
    stage = await installStage('lormas-install-dash-');
  });
  after(async () => {
    await stage.close();
    rmSync(stage.folder, { recursive: true, force: true });
  });

  const args = () => ['--server', stage.url, '--release-key', stage.fingerprint];

  it('takes the join code from LORMAS_JOIN_CODE: no command line on the host holds it while it runs', async () => {
    stage.setManifest('');
    const code = joinCode();
    const { exited } = stage.run(args(), { LORMAS_JOIN_CODE: code });
    const { code: status, output } = await exited;
    assert.equal(status, 0, output);
    const report = JSON.parse(readFileSync(join(stage.root, PREFIX, 'state', 'report.json'), 'utf8')) as { code: string; holding: string[] };
    assert.equal(report.code, code, 'the agent did not get the join code');
    assert.deepEqual(report.holding, [], 'a command line holds the join code');
    rmSync(join(stage.root, PREFIX), { recursive: true, force: true });
  });

  it('refuses --join-code on the command line, naming the variable to use, and installs nothing', async () => {
    const { exited } = stage.run([...args(), '--join-code', joinCode()]);
    const { code, output } = await exited;
    assert.equal(code, 2, output);
    assert.match(output, /--join-code is refused: .*visible to every user.*LORMAS_JOIN_CODE/);
    assert.equal(existsSync(join(stage.root, PREFIX)), false);
  });

  for (const [what, suffix] of [
    ['a trailing newline', '\n'],
    ['a trailing CRLF', '\r\n'],
  ] as const) {
    it(`installs a manifest with ${what} byte for byte: the launcher's signature check passes on it`, async () => {
      const text = stage.setManifest(suffix);
      const { exited } = stage.run(args(), { LORMAS_JOIN_CODE: joinCode() });
      const { code, output } = await exited;
      assert.equal(code, 0, output);
      const kept = JSON.parse(readFileSync(join(stage.root, PREFIX, 'agent.js.release.json'), 'utf8')) as { manifest: string; signature: string };
      assert.equal(kept.manifest, text);
      const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI, stage.publicKey]), format: 'der', type: 'spki' });
      assert.ok(verify(null, Buffer.from(kept.manifest, 'utf8'), key, Buffer.from(kept.signature, 'base64')), 'the kept manifest does not verify');
      rmSync(join(stage.root, PREFIX), { recursive: true, force: true });
    });
  }

  it('ends on SIGTERM with status 143 and its temporary files removed, going no further', async () => {
    stage.setManifest('');
    const hold = stage.hold('/agent/latest/js-any/manifest');
    const { pid, exited } = stage.run(args(), { LORMAS_JOIN_CODE: joinCode() });
    await hold.arrived;
    process.kill(pid, 'SIGTERM');
    // dash runs the trap once the download in the foreground is done.
    setTimeout(hold.release, 200);
    const { code, output } = await exited;
    assert.equal(code, 143, output);
    assert.equal(stage.requests.at(-1), '/agent/latest/js-any/manifest', `it went on: ${stage.requests.join(', ')}`);
    assert.deepEqual(readdirSync(stage.tmp), [], 'its temporary folder is left behind');
    assert.equal(existsSync(join(stage.root, PREFIX)), false);
  });
});

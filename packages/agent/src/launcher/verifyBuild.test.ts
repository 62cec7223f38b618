import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeReleaseKey, parseReleaseKey } from '@lormas/protocol/release';
import { ReleaseError } from '../release/ReleaseError.js';
import { signBuild, signManifest } from '../release/signRelease.js';
import { readReleaseFile, releaseFileOf, verifyBuild } from './verifyBuild.js';

describe('verifyBuild', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-verify-build-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = parseReleaseKey(encodeReleaseKey(publicKey));
  let serial = 0;
  /** A signed build: its file, with its `.release.json` beside it. */
  const signed = async () => {
    const file = path.join(folder, `build-${++serial}.js`);
    writeFileSync(file, `// build ${serial}\n`);
    const { release, manifest } = await signBuild(file, { version: '0.2.0', kind: 'js', arch: 'any', protocolVersion: '1.1' }, privateKey);
    writeFileSync(releaseFileOf(file), JSON.stringify(release));
    return { file, manifest };
  };
  const rule = async (file: string, release = readReleaseFile(file)!, byKey = key) =>
    verifyBuild(file, release, byKey).then(
      () => 'verified',
      (error: unknown) => (error instanceof ReleaseError ? error.rule : String(error)),
    );

  it('verifies a build whose bytes are the signed ones, and returns their hash and size', async () => {
    const { file, manifest } = await signed();
    assert.deepEqual(await verifyBuild(file, readReleaseFile(file)!, key), { sha256: manifest.sha256, sizeBytes: manifest.sizeBytes });
  });

  it('refuses a manifest signed by another key', async () => {
    const { file } = await signed();
    const other = parseReleaseKey(encodeReleaseKey(generateKeyPairSync('ed25519').publicKey));
    assert.equal(await rule(file, undefined, other), 'release-signature');
  });

  it('refuses bytes changed or added after signing', async () => {
    const changed = await signed();
    writeFileSync(changed.file, `// build ${serial}!\n`.slice(0, `// build ${serial}\n`.length));
    assert.equal(await rule(changed.file), 'release-hash');
    const longer = await signed();
    appendFileSync(longer.file, 'x');
    assert.equal(await rule(longer.file), 'release-size');
  });

  it('refuses a signed text that names no hash and size', async () => {
    const { file } = await signed();
    assert.equal(await rule(file, signManifest('{"sha256":"x"}', privateKey)), 'release-manifest');
    assert.equal(await rule(file, signManifest('not json', privateKey)), 'release-manifest');
  });

  it('reads no release file that is missing (null), malformed or oversized (release-manifest)', async () => {
    const { file } = await signed();
    assert.equal(readReleaseFile(path.join(folder, 'none.js')), null);
    for (const text of ['{', '{"manifest":1,"signature":"x"}', JSON.stringify({ manifest: 'm', signature: 's'.repeat(20_000) })]) {
      writeFileSync(releaseFileOf(file), text);
      assert.throws(() => readReleaseFile(file), (error: unknown) => error instanceof ReleaseError && error.rule === 'release-manifest');
    }
  });
});

import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeReleaseKey } from '@lormas/protocol';
import { createLogger } from '../logger.js';
import { RELEASE_KEY_FILE, ReleaseCatalog } from './ReleaseCatalog.js';

const logger = createLogger({ level: 'error', write: () => {} });

/** Signs `file` (whose bytes hash to `sha256`) as `version` into its `.release.json`. */
function place(file: string, version: string, sha256: string, sizeBytes: number, privateKey: KeyObject): void {
  const manifest = JSON.stringify({ format: 'lormas-agent-release/1', version, kind: 'js', arch: 'any', sha256, sizeBytes, protocolVersion: '1.1' });
  writeFileSync(`${file}.release.json`, JSON.stringify({ manifest, signature: sign(null, Buffer.from(manifest), privateKey).toString('base64') }));
}

describe('ReleaseCatalog', () => {
  const folders: string[] = [];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  function releases() {
    const dir = mkdtempSync(join(tmpdir(), 'lormas-catalog-'));
    folders.push(dir);
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, RELEASE_KEY_FILE), `${encodeReleaseKey(publicKey)}\n`);
    const small = (name: string, version: string, text = `// ${version}\n`) => {
      writeFileSync(join(dir, name), text);
      place(join(dir, name), version, createHash('sha256').update(text).digest('hex'), Buffer.byteLength(text), privateKey);
    };
    return { dir, privateKey, small };
  }

  it('offers the builds signed by the folder\'s key whose size and hash are their manifest\'s, newest first', async () => {
    const { dir, small } = releases();
    small('a.js', '1.0.0');
    small('b.js', '1.1.0');
    small('c.js', '1.2.0');
    writeFileSync(join(dir, 'c.js'), '// changed after signing\n');
    const catalog = new ReleaseCatalog(dir, logger);
    await catalog.refresh();
    assert.deepEqual(catalog.list().map((r) => r.manifest.version), ['1.1.0', '1.0.0']);
  });

  it('serves the snapshot before at once while a large new build is hashed off the event loop, then offers it', async () => {
    const { dir, privateKey, small } = releases();
    small('a.js', '1.0.0');
    const catalog = new ReleaseCatalog(dir, logger, 0);
    await catalog.refresh();
    // 256 MiB of zeros, sparse: hashing it takes a good part of a second.
    const size = 256 * 2 ** 20;
    const big = join(dir, 'big.js');
    writeFileSync(big, '');
    truncateSync(big, size);
    const hash = createHash('sha256');
    const mebibyte = Buffer.alloc(2 ** 20);
    for (let i = 0; i < size / mebibyte.length; i++) hash.update(mebibyte);
    place(big, '2.0.0', hash.digest('hex'), size, privateKey);

    const startedAt = performance.now();
    const first = catalog.list();
    const tookMs = performance.now() - startedAt;
    assert.deepEqual(first.map((r) => r.manifest.version), ['1.0.0'], 'the look waited for the new build to be hashed');
    assert.ok(tookMs < 100, `a look took ${tookMs.toFixed(0)} ms`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await catalog.current();
    clearInterval(timer);
    assert.ok(ticks > 0, 'no timer ran while the build was hashed');
    assert.deepEqual(catalog.list().map((r) => r.manifest.version), ['2.0.0', '1.0.0']);
  });

  it('waits in current() for a read once the snapshot is older than rescanMs, and not before', async () => {
    const { dir, small } = releases();
    small('a.js', '1.0.0');
    let clock = 0;
    const catalog = new ReleaseCatalog(dir, logger, 2_000, () => clock);
    await catalog.refresh();
    small('b.js', '1.1.0');
    clock = 1_999;
    await catalog.current();
    assert.deepEqual(catalog.list().map((r) => r.manifest.version), ['1.0.0']);
    clock = 2_000;
    await catalog.current();
    assert.deepEqual(catalog.list().map((r) => r.manifest.version), ['1.1.0', '1.0.0']);
  });
  it('finds in reread() a build written after a snapshot still within rescanMs', async () => {
    const { dir, small } = releases();
    small('a.js', '1.0.0');
    const catalog = new ReleaseCatalog(dir, logger, 2_000, () => 0);
    await catalog.refresh();
    small('b.js', '1.1.0');
    await catalog.current();
    assert.deepEqual(catalog.list().map((r) => r.manifest.version), ['1.0.0']);
    await catalog.reread();
    assert.deepEqual(catalog.list().map((r) => r.manifest.version), ['1.1.0', '1.0.0']);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadBuild } from './downloadBuild.js';
import { ReleaseError } from './ReleaseError.js';

describe('downloadBuild', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-download-'));
  const body = Buffer.alloc(256 * 1024, 7);
  const sha256 = createHash('sha256').update(body).digest('hex');
  let server: Server;
  let url: URL;
  before(async () => {
    server = createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/agent/builds/x`);
  });
  after(() => {
    server.close();
    rmSync(folder, { recursive: true, force: true });
  });
  const download = (dest: string, expected = sha256) => downloadBuild({ url, token: 'a.b.c', sizeBytes: body.length, sha256: expected, dest, mode: 0o600 });

  it("keeps a build whose size and hash are the manifest's", async () => {
    const dest = path.join(folder, 'good.js');
    await download(dest);
    assert.deepEqual(readFileSync(dest), body);
  });

  it('syncs the build to disk, then renames it into place, then syncs the folder that holds the name', async () => {
    const dest = path.join(folder, 'synced.js');
    const synced: [string, boolean][] = [];
    await downloadBuild({ url, token: 'a.b.c', sizeBytes: body.length, sha256, dest, mode: 0o600, sync: async (file) => void synced.push([file, existsSync(dest)]) });
    assert.deepEqual(synced, [
      [`${dest}.partial`, false],
      [folder, true],
    ]);
  });

  it('fails with a release error, and leaves nothing, when the build cannot be synced, before the rename or after it', async () => {
    for (const failing of ['file', 'folder'] as const) {
      const dest = path.join(folder, `unsynced-${failing}.js`);
      const sync = async (file: string) => {
        if ((file === dest + '.partial') === (failing === 'file')) throw new Error('EIO: i/o error, fsync');
      };
      await assert.rejects(
        downloadBuild({ url, token: 'a.b.c', sizeBytes: body.length, sha256, dest, mode: 0o600, sync }),
        (error: unknown) => error instanceof ReleaseError && error.rule === 'release-download' && /kept on disk: EIO/.test(error.message),
        failing,
      );
      assert.equal(existsSync(dest), false, failing);
      assert.equal(existsSync(`${dest}.partial`), false, failing);
    }
  });

  it('fails with a release error, and leaves nothing, when the build cannot be written', async () => {
    const dest = path.join(folder, 'no-such-folder', 'build.js');
    await assert.rejects(download(dest), (error: unknown) => error instanceof ReleaseError && error.rule === 'release-download');
    assert.equal(existsSync(`${dest}.partial`), false);
  });

  it('refuses bytes that do not hash to the manifest', async () => {
    const dest = path.join(folder, 'bad.js');
    await assert.rejects(download(dest, 'f'.repeat(64)), (error: unknown) => error instanceof ReleaseError && error.rule === 'release-hash');
    assert.equal(existsSync(dest), false);
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs `lormas-mock` with `env`; resolves with its exit status and stderr. */
function runMock(env: Record<string, string>, as: { uid?: number; gid?: number } = {}): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PACKAGE_DIR,
    ...as,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ADMIN_TOKEN: 'admin-token-for-tests', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stderr })));
}

describe('lormas-mock as a process', () => {
  it('names PORT and exits 2 when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { status, stderr } = await runMock({ PORT: String((taken.address() as AddressInfo).port) });
      assert.equal(status, 2);
      assert.match(stderr, /^lormas-mock: PORT: the port is in use\n$/);
    } finally {
      taken.close();
    }
  });

  it('says what failed, not PORT, when the data folder may not be made (EACCES, as a refused port), and exits 1', async (t) => {
    // Root may write anywhere: the server then runs as nobody, for whom the folder is closed.
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (spawnSync(process.execPath, ['--import', 'tsx', '-e', ''], { cwd: PACKAGE_DIR, ...as }).status !== 0) {
      t.skip('this checkout cannot be read by the unprivileged user the test runs the server as');
      return;
    }
    const folder = mkdtempSync(join(tmpdir(), 'lormas-mock-main-'));
    try {
      chmodSync(folder, 0o500);
      const { status, stderr } = await runMock({ PORT: '0', DATA_DIR: join(folder, 'data') }, as);
      assert.equal(status, 1, stderr);
      assert.doesNotMatch(stderr, /PORT|HOST/);
      assert.match(stderr, /EACCES/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('names HOST and exits 2 when it is not an address of this machine', async () => {
    // 192.0.2.1 is reserved for documentation: binding to it fails at once and sends nothing.
    const { status, stderr } = await runMock({ HOST: '192.0.2.1', PORT: '0' });
    assert.equal(status, 2);
    assert.match(stderr, /HOST: not an address of this machine/);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs `lormas-mock` with `env`; resolves with its exit status and stderr. */
function runMock(env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PACKAGE_DIR,
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

  it('names HOST and exits 2 when it is not an address of this machine', async () => {
    // 192.0.2.1 is reserved for documentation: binding to it fails at once and sends nothing.
    const { status, stderr } = await runMock({ HOST: '192.0.2.1', PORT: '0' });
    assert.equal(status, 2);
    assert.match(stderr, /HOST: not an address of this machine/);
  });
});

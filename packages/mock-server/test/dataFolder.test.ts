import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@lormas/testkit';
import { call } from './support/http.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const ADMIN_TOKEN = 'admin-token-for-data-folder-tests';

/**
 * Issue 13, item 11: the database holds the key every node token is signed with. Run as an
 * operator runs it, under the usual umask 022, the server keeps it from other users.
 */
describe('lormas-mock with a data folder', () => {
  it('creates the folder 0700 and the database with its -wal and -shm files 0600', async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'lgr-data-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const dataDir = join(base, 'data');
    const child = spawn('sh', ['-c', `umask 022 && exec "${process.execPath}" --import tsx src/main.ts --data-dir "${dataDir}"`], {
      cwd: PACKAGE_DIR,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ADMIN_TOKEN, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    t.after(() => child.kill('SIGKILL'));
    const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], { timeoutMs: 20_000, what: 'the server to listen' });
    const res = await call({ url, adminToken: ADMIN_TOKEN }, 'POST', '/api/nodes', { body: { name: 'lgr-data-node' } });
    assert.equal(res.status, 201, res.text);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    for (const file of ['lormas-mock.sqlite', 'lormas-mock.sqlite-wal', 'lormas-mock.sqlite-shm']) {
      assert.equal(statSync(join(dataDir, file)).mode & 0o777, 0o600, file);
    }
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output);
  });
});

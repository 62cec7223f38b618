import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StateDir } from '../StateDir.js';
import { LAUNCH_REQUEST_FILE, MAX_LAUNCH_REQUEST_BYTES, readLaunchRequest, writeLaunchRequest } from './LaunchRequest.js';
import type { Trial } from './LaunchState.js';

const TRIAL: Trial = { build: { file: '0.3.0-abcdef123456.js', version: '0.3.0', sha256: 'a'.repeat(64) }, deadlineMs: 20_000, requestedAt: 1_700_000_000_000 };

describe('LaunchRequest', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-launch-request-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => StateDir.open(path.join(folder, `state-${++n}`));

  it('writes the request 0600, whole, leaving no temporary file, and reads it back', async () => {
    const state = fresh();
    await writeLaunchRequest(state, TRIAL);
    assert.deepEqual(readLaunchRequest(state), { trial: TRIAL });
    assert.deepEqual(readdirSync(state.path), [LAUNCH_REQUEST_FILE]);
    assert.equal(statSync(path.join(state.path, LAUNCH_REQUEST_FILE)).mode & 0o777, 0o600);
    assert.equal(statSync(state.path).mode & 0o777, 0o700);
  });

  it('is no request when the file is missing', () => {
    assert.equal(readLaunchRequest(fresh()), null);
  });

  it('refuses what is not a trial, a file too large, a link and a pipe, each with its reason', () => {
    const cases: [string, (file: string) => void, RegExp][] = [
      ['not JSON', (file) => writeFileSync(file, '{"build":'), /not JSON/],
      ['a launch state', (file) => writeFileSync(file, JSON.stringify({ current: null, previous: null, trial: TRIAL, lastUpgrade: null })), /not a trial/],
      ['a build outside the builds folder', (file) => writeFileSync(file, JSON.stringify({ ...TRIAL, build: { ...TRIAL.build, file: '../agent.js' } })), /not a trial/],
      ['a negative deadline', (file) => writeFileSync(file, JSON.stringify({ ...TRIAL, deadlineMs: -1 })), /not a trial/],
      ['too large', (file) => writeFileSync(file, JSON.stringify({ ...TRIAL, padding: ' '.repeat(MAX_LAUNCH_REQUEST_BYTES) })), /more than 4096 bytes/],
      [
        'a link',
        (file) => {
          writeFileSync(`${file}.target`, JSON.stringify(TRIAL));
          symlinkSync(`${file}.target`, file);
        },
        /cannot be opened as a plain file \(ELOOP\)/,
      ],
      // A pipe with no writer would block a plain open for ever, and the launcher with it.
      ['a pipe', (file) => execFileSync('mkfifo', ['-m', '600', file]), /not a plain file/],
    ];
    for (const [what, make, reason] of cases) {
      const state = fresh();
      make(path.join(state.path, LAUNCH_REQUEST_FILE));
      const request = readLaunchRequest(state);
      assert.ok(request !== null && 'refused' in request, what);
      assert.match(request.refused, reason, what);
    }
  });

  it('takes a request of exactly the largest size, and drops unknown fields', () => {
    const state = fresh();
    const text = JSON.stringify({ ...TRIAL, note: '' });
    writeFileSync(path.join(state.path, LAUNCH_REQUEST_FILE), JSON.stringify({ ...TRIAL, note: 'n'.repeat(MAX_LAUNCH_REQUEST_BYTES - text.length) }));
    assert.equal(statSync(path.join(state.path, LAUNCH_REQUEST_FILE)).size, MAX_LAUNCH_REQUEST_BYTES);
    assert.deepEqual(readLaunchRequest(state), { trial: TRIAL });
  });
});

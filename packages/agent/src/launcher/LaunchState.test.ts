import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StateDir } from '../StateDir.js';
import { EMPTY_LAUNCH_STATE, LAUNCH_STATE_FILE, type LaunchState, parseLaunchState, readLaunchState, writeLaunchState } from './LaunchState.js';

const build = (file = '0.2.0-abcdef123456.js') => ({ file, version: '0.2.0', sha256: 'a'.repeat(64) });
const FULL: LaunchState = {
  current: build(),
  previous: build('0.1.0-abcdef123456.js'),
  trial: { build: build('0.3.0-abcdef123456.js'), deadlineMs: 20_000, requestedAt: 1_700_000_000_000 },
  lastUpgrade: { version: '0.2.0', outcome: 'rolled-back', reason: 'not online', at: 1_700_000_000_000 },
};

describe('LaunchState', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-launch-state-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('reads back what was written', async () => {
    const state = StateDir.open(path.join(folder, 'state'));
    await writeLaunchState(state, FULL);
    assert.deepEqual(readLaunchState(state), FULL);
  });

  it('is the empty state when the file is missing or not JSON', () => {
    assert.deepEqual(readLaunchState(StateDir.open(path.join(folder, 'none'))), EMPTY_LAUNCH_STATE);
    assert.equal(parseLaunchState('{'), null);
    assert.equal(parseLaunchState([]), null);
  });

  it('refuses a build file name that leaves the builds folder', () => {
    for (const file of ['../agent.js', '..', '.', 'a/b.js', '/etc/passwd', '']) {
      assert.equal(parseLaunchState({ ...FULL, current: build(file) }), null, file);
      assert.equal(parseLaunchState({ ...FULL, trial: { ...FULL.trial, build: build(file) } }), null, file);
    }
  });

  it('refuses a malformed field: hash, version length, deadline, outcome, reason length', () => {
    const bad: unknown[] = [
      { ...FULL, current: { ...build(), sha256: 'A'.repeat(64) } },
      { ...FULL, previous: { ...build(), version: 'v'.repeat(129) } },
      { ...FULL, trial: { ...FULL.trial, deadlineMs: -1 } },
      { ...FULL, trial: { ...FULL.trial, deadlineMs: 1.5 } },
      { ...FULL, trial: { ...FULL.trial, requestedAt: 'now' } },
      { ...FULL, lastUpgrade: { ...FULL.lastUpgrade, outcome: 'maybe' } },
      { ...FULL, lastUpgrade: { ...FULL.lastUpgrade, reason: 'r'.repeat(4_097) } },
      // Values the server would refuse in `hello`, or a timer could not hold.
      { ...FULL, lastUpgrade: { ...FULL.lastUpgrade, at: -1 } },
      { ...FULL, lastUpgrade: { ...FULL.lastUpgrade, at: 1e20 } },
      { ...FULL, trial: { ...FULL.trial, deadlineMs: 2 ** 31 } },
    ];
    for (const value of bad) assert.equal(parseLaunchState(value), null, JSON.stringify(value).slice(0, 120));
  });

  it('takes a missing field as none, and drops unknown ones', () => {
    assert.deepEqual(parseLaunchState({ current: { ...build(), extra: 1 }, other: true }), { ...EMPTY_LAUNCH_STATE, current: build() });
  });

  it('reads as empty, without blocking, a launch state that is no plain file of at most 64 KiB: a link, a pipe, a folder, a huge file', async () => {
    const cases: [string, (file: string) => void][] = [
      ['a link to a valid state', (file) => {
        writeFileSync(`${file}.elsewhere`, JSON.stringify(FULL));
        symlinkSync(`${file}.elsewhere`, file);
      }],
      // A pipe with no writer would block a plain open for ever, and the launcher with it.
      ['a pipe', (file) => execFileSync('mkfifo', ['-m', '600', file])],
      ['a folder', (file) => mkdirSync(file)],
      ['a valid state padded past 64 KiB', (file) => writeFileSync(file, JSON.stringify(FULL) + ' '.repeat(64 * 1024))],
    ];
    for (const [i, [what, make]] of cases.entries()) {
      const state = StateDir.open(path.join(folder, `hostile-${i}`));
      make(path.join(state.path, LAUNCH_STATE_FILE));
      assert.deepEqual(readLaunchState(state), EMPTY_LAUNCH_STATE, what);
    }
    const state = StateDir.open(path.join(folder, 'padded-within'));
    writeFileSync(path.join(state.path, LAUNCH_STATE_FILE), JSON.stringify(FULL) + ' '.repeat(32 * 1024));
    assert.deepEqual(readLaunchState(state), FULL, 'a state within the bound is read');
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StateDir, StateDirError } from './StateDir.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lgr-state-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('StateDir', () => {
  it('creates a missing folder, parents too, with mode 0700', (t) => {
    const dir = join(scratch(t), 'a', 'state');
    StateDir.open(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('tightens a folder that others may read to 0700', (t) => {
    const dir = join(scratch(t), 'state');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    StateDir.open(dir);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('says a file or a link where the folder should be is not a folder', (t) => {
    const base = scratch(t);
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    writeFileSync(join(base, 'file'), '');
    for (const name of ['file', 'link']) assert.throws(() => StateDir.open(join(base, name)), new RegExp(`${join(base, name)} must be a folder, not a link or a file`));
  });

  it('refuses a link, a file, and a folder of another user', (t) => {
    const base = scratch(t);
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    writeFileSync(join(base, 'file'), '');
    assert.throws(() => StateDir.open(join(base, 'link')), StateDirError);
    assert.throws(() => StateDir.open(join(base, 'file')), StateDirError);
    if (process.getuid?.() === 0) {
      mkdirSync(join(base, 'theirs'));
      chownSync(join(base, 'theirs'), 4242, 4242);
      assert.throws(() => StateDir.open(join(base, 'theirs')), /belongs to uid 4242/);
    }
  });

  it('removes at opening the temporary files of writers that died mid-write, and no other file', (t) => {
    const dir = scratch(t);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const files = {
      stale: `last-session.json.${dead}.3.tmp`,
      // An earlier process with this pid (pid 1 at every start in a container) that died mid-write.
      samePid: `last-session.json.${process.pid}.1.tmp`,
      living: `last-session.json.${process.ppid}.2.tmp`,
      other: 'node-token',
      lookalike: 'notes.tmp',
    };
    for (const name of Object.values(files)) writeFileSync(join(dir, name), '');
    StateDir.open(dir);
    assert.deepEqual(readdirSync(dir).sort(), [files.living, files.other, files.lookalike].sort());
  });

  it('leaves alone a write of this process in flight when the folder is opened again', async (t) => {
    const dir = scratch(t);
    const first = StateDir.open(dir);
    const writes = Array.from({ length: 20 }, (_, n) => first.write('x.json', { n }));
    StateDir.open(dir);
    await Promise.all(writes);
    assert.deepEqual(readdirSync(dir), ['x.json']);
  });

  it('removes its temporary file when a write fails', async (t) => {
    const dir = scratch(t);
    const state = StateDir.open(dir);
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'x'), '');
    // A rename over a folder that is not empty fails.
    await assert.rejects(state.write('taken', { a: 1 }));
    assert.deepEqual(readdirSync(dir), ['taken']);
  });

  it('writes files 0600 whole, leaving no temporary file behind, and reads them back', async (t) => {
    const state = StateDir.open(join(scratch(t), 'state'));
    await Promise.all([state.write('x.json', { n: 1 }), state.write('x.json', { n: 2 })]);
    assert.ok([1, 2].includes((state.read('x.json') as { n: number }).n));
    assert.deepEqual(readdirSync(state.path), ['x.json']);
    assert.equal(statSync(join(state.path, 'x.json')).mode & 0o777, 0o600);
    assert.equal(state.read('missing.json'), undefined);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StateDir } from '../StateDir.js';
import { LAST_SESSION_FILE, LastSession } from './LastSession.js';

describe('LastSession', () => {
  const folders: string[] = [];
  after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  /** A state folder that counts its writes of the record and holds each until released. */
  function slowFolder() {
    const folder = mkdtempSync(join(tmpdir(), 'lormas-last-session-'));
    folders.push(folder);
    const dir = StateDir.open(folder);
    const written: number[] = [];
    const held: (() => void)[] = [];
    const write = dir.write.bind(dir);
    dir.write = async (name, value, options) => {
      assert.equal(name, LAST_SESSION_FILE);
      await new Promise<void>((release) => held.push(release));
      written.push((value as { at: number }).at);
      return write(name, value, options);
    };
    return { dir, written, releaseAll: () => held.splice(0).forEach((release) => release()), held: () => held.length };
  }

  it('writes at most twice in a row however often it is asked, and the latest time lands', async () => {
    const folder = slowFolder();
    const session = new LastSession(folder.dir, 'node-a');
    const asked = Array.from({ length: 10_000 }, (_, i) => session.write(1_000 + i));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(folder.held(), 1, 'one write in progress');
    folder.releaseAll();
    await new Promise((resolve) => setImmediate(resolve));
    folder.releaseAll();
    await Promise.all(asked);
    // Every time asked for before the first write began is that one write: it writes the latest.
    assert.deepEqual(folder.written, [10_999]);
    assert.equal(session.read(), 10_999);
  });

  it('keeps the order of its writes: a time asked for after a write began lands after it', async () => {
    const folder = slowFolder();
    const session = new LastSession(folder.dir, 'node-a');
    const first = session.write(5);
    await new Promise((resolve) => setImmediate(resolve));
    const second = session.write(7);
    folder.releaseAll();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    folder.releaseAll();
    await second;
    await session.flushed();
    assert.deepEqual(folder.written, [5, 7]);
    assert.equal(session.read(), 7);
  });
});

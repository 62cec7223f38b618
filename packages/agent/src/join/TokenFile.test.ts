import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { StateDir } from '../StateDir.js';
import { readTokenFile, TokenFileError, tokenTemporary, writeTokenFile } from './TokenFile.js';

describe('TokenFile', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'lormas-token-file-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps the token 0600, and writes over a temporary file a crashed process of the same pid left', () => {
    const file = path.join(folder, 'node-token');
    writeFileSync(`${file}.${process.pid}.token.tmp`, 'half a token');
    writeFileSync(`${file}.${process.pid}.tmp`, 'half a token, named as before');
    writeTokenFile(file, 'a.b.c');
    assert.equal(readTokenFile(file), 'a.b.c');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(folder).filter((name) => name.startsWith('node-token.')), []);
  });

  it("removes the temporary files of writers that died, and leaves a live one's and others' alone", () => {
    const file = path.join(folder, 'joined-token');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const left = {
      dead: `${file}.${dead}.token.tmp`,
      deadNamedAsBefore: `${file}.${dead}.tmp`,
      live: `${file}.${process.ppid}.tmp`,
      otherFile: path.join(folder, `other.${dead}.tmp`),
      lookAlike: `${file}.${dead}x.tmp`,
      leadingZero: `${file}.0${dead}.tmp`,
    };
    for (const leftover of Object.values(left)) writeFileSync(leftover, 'half a token');
    writeTokenFile(file, 'a.b.c');
    assert.equal(readTokenFile(file), 'a.b.c');
    assert.equal(existsSync(left.dead), false, 'a dead writer\'s copy of a token is removed');
    assert.equal(existsSync(left.deadNamedAsBefore), false);
    assert.equal(existsSync(left.live), true);
    assert.equal(existsSync(left.otherFile), true);
    assert.equal(existsSync(left.lookAlike), true);
    assert.equal(existsSync(left.leadingZero), true, 'no writer gives such a name');
  });

  it("writes over its own pid's leftover even when another leftover beside it cannot be removed", () => {
    const dir = path.join(folder, 'stuck');
    mkdirSync(dir);
    const file = path.join(dir, 'node-token');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    // A folder cannot be removed by rmSync without recursive: an entry whose removal fails.
    mkdirSync(path.join(dir, `node-token.${dead}.tmp`));
    writeFileSync(`${file}.${process.pid}.token.tmp`, 'half a token');
    writeTokenFile(file, 'a.b.c');
    assert.equal(readTokenFile(file), 'a.b.c');
  });

  it("is not taken for one of the state folder's temporary files, whatever the token file is named", () => {
    // `node-token.2.<pid>.tmp` would read as StateDir's `<target>.<pid>.<serial>.tmp`, written by pid 2.
    const dir = path.join(folder, 'state');
    mkdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const writing = tokenTemporary(path.join(dir, `node-token.${dead}`), process.ppid);
    writeFileSync(writing, 'a token being written by a live process');
    StateDir.open(dir);
    assert.equal(existsSync(writing), true);
  });

  it('names the token file, not its temporary name, when it cannot be written', () => {
    const notAFolder = path.join(folder, 'plain-file');
    writeFileSync(notAFolder, '');
    const file = path.join(notAFolder, 'node-token');
    assert.throws(() => writeTokenFile(file, 'a.b.c'), (error: unknown) => error instanceof TokenFileError && error.message === `${file} cannot be written: ENOTDIR`);
  });

  it('refuses to keep or read what is not a compact JWT', () => {
    const file = path.join(folder, 'other-token');
    assert.throws(() => writeTokenFile(file, 'not a token'), TokenFileError);
    writeFileSync(file, '<html>\n', { mode: 0o600 });
    assert.throws(() => readTokenFile(file), TokenFileError);
  });
});

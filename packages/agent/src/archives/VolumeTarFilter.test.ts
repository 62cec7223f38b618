import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { BLOCK, formatHeader, padding, type RawHeader } from './tarFormat.js';
import { TarParser } from './TarParser.js';
import { VolumeTarFilter } from './VolumeTarFilter.js';

type Spec = Partial<RawHeader> & { name: string; data?: string };

/** One entry's blocks, written with the agent's own header writer (which judges nothing). */
function entry({ data = '', ...header }: Spec): Buffer {
  const body = Buffer.from(data);
  const typeflag = header.typeflag ?? (header.name.endsWith('/') ? '5' : '0');
  const full: RawHeader = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, linkname: '', uname: '', gname: '', ...header, typeflag, size: typeflag === '0' ? body.length : 0 };
  return Buffer.concat([...formatHeader(full), body, Buffer.alloc(padding(body.length))]);
}

const END = Buffer.alloc(2 * BLOCK);
const archive = (...entries: Spec[]) => Buffer.concat([...entries.map(entry), END]);
const dir = (name: string): Spec => ({ name, typeflag: '5', mode: 0o755 });
const file = (name: string, data: string): Spec => ({ name, data });
const symlink = (name: string, linkname: string): Spec => ({ name, typeflag: '2', linkname });
const hardlink = (name: string, linkname: string): Spec => ({ name, typeflag: '1', linkname });

/** Runs `tar` through the filter in pieces of `size` bytes (whole when absent). */
function filter(tar: Buffer, size = tar.length): Buffer {
  const f = new VolumeTarFilter();
  const out: Buffer[] = [];
  for (let at = 0; at < tar.length; at += size) out.push(...f.push(tar.subarray(at, at + size)));
  out.push(...f.finish());
  return Buffer.concat(out);
}

/** The entries of an archive, as the parser reads them: `name type [-> link] [data]`. */
function listing(tar: Buffer): string[] {
  const parser = new TarParser();
  const lines: string[] = [];
  for (const event of parser.push(tar)) {
    if (event.type === 'entry') {
      const { name, typeflag, linkname } = event.entry;
      lines.push(`${name} ${typeflag}${linkname ? ` -> ${linkname}` : ''}`);
    } else if (event.type === 'data') lines[lines.length - 1] += ` ${event.chunk.toString()}`;
  }
  parser.finish();
  return lines;
}

function refusal(tar: Buffer, size?: number): AgentError {
  try {
    filter(tar, size);
  } catch (error) {
    assert.ok(error instanceof AgentError, String(error));
    return error;
  }
  assert.fail('expected the archive to be refused');
}

const SPLITS = [1, 7, 100, 511, 512, 513, 1000, 4096];

describe('VolumeTarFilter passes a volume archive through, relative to its folder', () => {
  const good = archive(
    dir('data/'),
    file('data/note', 'hello volume'),
    dir('data/sub/'),
    file('data/sub/deep.txt', 'x'.repeat(700)),
    symlink('data/sub/up', '..'),
    symlink('data/link', 'sub/deep.txt'),
    hardlink('data/again', 'data/note'),
    file(`data/${'long-name-'.repeat(20)}/f`, 'far'),
  );

  it('drops the folder itself and writes every other entry below it', () => {
    assert.deepEqual(listing(filter(good)), [
      'note 0 hello volume',
      'sub/ 5',
      `sub/deep.txt 0 ${'x'.repeat(700)}`,
      'sub/up 2 -> ..',
      'link 2 -> sub/deep.txt',
      'again 1 -> note',
      `${'long-name-'.repeat(20)}/f 0 far`,
    ]);
  });

  for (const size of SPLITS) {
    it(`gives the same bytes whatever the chunks: pieces of ${size}`, () => {
      assert.deepEqual(filter(good, size), filter(good));
    });
  }

  it('gives the same bytes when cut in two at every offset of a small archive', () => {
    const small = archive(dir('data/'), file('data/a', 'abc'), symlink('data/l', 'a'));
    const whole = filter(small);
    for (let cut = 1; cut < small.length; cut++) {
      const f = new VolumeTarFilter();
      const out = [...f.push(small.subarray(0, cut)), ...f.push(small.subarray(cut)), ...f.finish()];
      assert.deepEqual(Buffer.concat(out), whole, `cut at ${cut}`);
    }
  });

  it('writes an archive GNU tar extracts into the volume root, owners, modes and links intact', (t) => {
    const target = mkdtempSync(join(tmpdir(), 'lgr-untar-'));
    t.after(() => rmSync(target, { recursive: true, force: true }));
    const long = `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(90)}`;
    const source = archive(
      dir('data/'),
      { ...file('data/secret', 's3'), mode: 0o600, uid: 999, gid: 998 },
      symlink('data/l', 'secret'),
      file(`data/${long}`, 'long'),
      symlink('data/far', long),
    );
    execFileSync('tar', ['-x', '-C', target], { input: filter(source) });
    assert.equal(readFileSync(join(target, long), 'utf8'), 'long');
    assert.equal(readFileSync(join(target, 'far'), 'utf8'), 'long');
    assert.equal(readFileSync(join(target, 'secret'), 'utf8'), 's3');
    const stat = lstatSync(join(target, 'secret'));
    assert.deepEqual([stat.mode & 0o777, stat.uid, stat.gid], [0o600, 999, 998]);
    assert.equal(readlinkSync(join(target, 'l')), 'secret');
  });

  it('reads the GNU, pax and ustar archives of GNU tar, long names and links included', (t) => {
    const source = mkdtempSync(join(tmpdir(), 'lgr-tar-'));
    t.after(() => rmSync(source, { recursive: true, force: true }));
    const long = 'n'.repeat(150);
    mkdirSync(join(source, 'data', long), { recursive: true });
    writeFileSync(join(source, 'data', long, 'f'), 'gnu');
    symlinkSync(`${long}/f`, join(source, 'data', 'l'));
    for (const format of ['gnu', 'pax']) {
      const tar = execFileSync('tar', [`--format=${format}`, '-C', source, '-c', 'data'], { maxBuffer: 1 << 24 });
      const lines = listing(filter(tar));
      assert.ok(lines.includes(`${long}/f 0 gnu`), `${format}: ${lines.join(', ')}`);
      assert.ok(lines.includes(`l 2 -> ${long}/f`), `${format}: ${lines.join(', ')}`);
    }
    // ustar splits a long path into prefix and name.
    const split = `${'p'.repeat(90)}/${'q'.repeat(90)}`;
    mkdirSync(join(source, 'split', split), { recursive: true });
    writeFileSync(join(source, 'split', split, 'f'), 'ustar');
    const tar = execFileSync('tar', ['--format=ustar', '-C', source, '-c', 'split'], { maxBuffer: 1 << 24 });
    assert.ok(listing(filter(tar)).includes(`${split}/f 0 ustar`));
  });
});

describe('VolumeTarFilter refuses what would land outside the volume', () => {
  const cases: [string, Buffer][] = [
    ['an absolute path', archive(dir('data/'), file('/etc/passwd', 'x'))],
    ['an absolute path after the folder', archive(dir('data/'), file('data//etc', 'x'), file('/data/x', 'y'))],
    ['".." climbing out', archive(dir('data/'), file('data/../etc/passwd', 'x'))],
    ['".." that would stay inside', archive(dir('data/'), file('data/sub/../x', 'x'))],
    ['an entry beside the folder', archive(dir('data/'), file('other/x', 'x'))],
    ['an entry named like the folder with a suffix', archive(dir('data/'), file('data2/x', 'x'))],
    ['a first entry that is no folder', archive(file('data', 'x'))],
    ['a symlink to an absolute path', archive(dir('data/'), symlink('data/etc', '/etc'))],
    ['a symlink climbing out', archive(dir('data/'), symlink('data/sub/x', '../../etc'))],
    ['a symlink at the root to ".."', archive(dir('data/'), symlink('data/up', '..'))],
    ['an empty symlink target', archive(dir('data/'), symlink('data/e', ''))],
    ['a symlink whose target goes up after another symlink', archive(dir('data/'), symlink('data/sub/l', '..'), symlink('data/x', 'sub/l/..'))],
    ['a symlink placed where an earlier target ran', archive(dir('data/'), symlink('data/x', 'sub/l/..'), symlink('data/sub/l', '..'))],
    ['an entry through a symlink', archive(dir('data/'), symlink('data/l', 'sub'), file('data/l/f', 'x'))],
    ['a hard link to an absolute path', archive(dir('data/'), hardlink('data/h', '/etc/shadow'))],
    ['a hard link out with ".."', archive(dir('data/'), hardlink('data/h', 'data/../../etc/shadow'))],
    ['a hard link to nothing earlier', archive(dir('data/'), hardlink('data/h', 'data/later'), file('data/later', 'x'))],
    ['a hard link through a symlink', archive(dir('data/'), file('data/d/f', 'x'), symlink('data/d2', 'd'), hardlink('data/h', 'data/d2/f'))],
    ['a character device', archive(dir('data/'), { name: 'data/null', typeflag: '3' })],
    ['a block device', archive(dir('data/'), { name: 'data/sda', typeflag: '4' })],
    ['a fifo', archive(dir('data/'), { name: 'data/pipe', typeflag: '6' })],
    ['a pax path that is absolute', Buffer.concat([entry(dir('data/')), entry({ name: '/etc/'.padEnd(120, 'x') + '/f', data: 'x' }), END])],
  ];
  for (const [what, tar] of cases) {
    it(`refuses ${what} with POLICY_DENIED (archive-entry), in any chunking`, () => {
      for (const size of [undefined, 1, 513]) {
        const error = refusal(tar, size);
        assert.deepEqual([error.code, error.rule], ['POLICY_DENIED', 'archive-entry'], error.message);
      }
    });
  }

  it('lets the symlink that points at the root from below it through', () => {
    assert.deepEqual(listing(filter(archive(dir('data/'), symlink('data/sub/l', '..')))), ['sub/l 2 -> ..']);
  });
});

describe('VolumeTarFilter refuses an archive it cannot read whole', () => {
  const good = archive(dir('data/'), file('data/a', 'abc'));
  const badChecksum = Buffer.from(good);
  badChecksum[BLOCK + 10] = badChecksum[BLOCK + 10]! ^ 1;
  const globalPax = Buffer.concat([entry(dir('data/')), entry({ name: 'g', typeflag: 'g', data: '' }), END]);
  const cases: [string, Buffer][] = [
    ['an archive cut in a file', good.subarray(0, BLOCK + 100)],
    ['an archive cut at a block boundary without its end', good.subarray(0, 3 * BLOCK)],
    ['a header whose checksum does not hold', badChecksum],
    ['a global pax header', globalPax],
    ['data after the end', Buffer.concat([good, Buffer.from('trailing')])],
  ];
  for (const [what, tar] of cases) {
    it(`refuses ${what} with BAD_INPUT`, () => {
      assert.equal(refusal(tar).code, 'BAD_INPUT');
    });
  }

  it('takes zero padding after the end, as writers pad to a record', () => {
    assert.doesNotThrow(() => filter(Buffer.concat([good, Buffer.alloc(10 * BLOCK)])));
  });
});

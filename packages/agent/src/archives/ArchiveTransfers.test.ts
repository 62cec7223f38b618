import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import { ArchiveTransfers } from './ArchiveTransfers.js';
import { BLOCK, formatHeader } from './tarFormat.js';

/** A runtime whose archive reads come from `source` and whose extractions are collected. */
function fakeRuntime(source: PassThrough = new PassThrough()) {
  const extracted: { stream: Readable; bytes: Buffer[]; ended: boolean; destroyed: boolean }[] = [];
  const runtime = {
    getArchive: async () => source,
    putArchive: (_id: string, _path: string, tar: Readable) =>
      new Promise<void>((resolve, reject) => {
        const sink = { stream: tar, bytes: [] as Buffer[], ended: false, destroyed: false };
        extracted.push(sink);
        tar.on('data', (chunk: Buffer) => sink.bytes.push(chunk));
        tar.on('end', () => ((sink.ended = true), resolve()));
        tar.on('close', () => {
          sink.destroyed = !sink.ended;
          if (!sink.ended) reject(new Error('upload aborted'));
        });
      }),
  } as unknown as ContainerRuntime;
  return { runtime, source, extracted };
}

const code = (code: AgentError['code']) => (err: unknown) => err instanceof AgentError && err.code === code;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function volumeTar(...names: string[]): Buffer {
  const header = (name: string, typeflag: string) => formatHeader({ name, typeflag, mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', uname: '', gname: '' });
  return Buffer.concat([...header('data/', '5'), ...names.flatMap((name) => header(name, '5')), Buffer.alloc(2 * BLOCK)]);
}

describe('ArchiveTransfers reads', () => {
  it('answers done only at the end of the archive', async () => {
    const { runtime, source } = fakeRuntime();
    const transfers = new ArchiveTransfers(runtime);
    const { transferId } = await transfers.openRead('c', '/data');
    source.end(Buffer.from('abc'));
    assert.deepEqual(await transfers.read(transferId, 1024), { data: Buffer.from('abc').toString('base64'), done: false });
    assert.deepEqual(await transfers.read(transferId, 1024), { data: '', done: true });
  });

  const endings: [string, AgentError['code'], (transfers: ArchiveTransfers, transferId: string, source: PassThrough) => void][] = [
    ['when the transfer is aborted', 'CONFLICT', (transfers, transferId) => transfers.abort(transferId)],
    ['when the engine closes the archive before its end', 'ENGINE_ERROR', (_transfers, _id, source) => source.destroy()],
    ['at shutdown', 'SHUTTING_DOWN', (transfers) => transfers.closeAll()],
  ];
  for (const [when, expected, end] of endings) {
    it(`fails a waiting read ${when} with ${expected}, instead of answering done`, async () => {
      const { runtime, source } = fakeRuntime();
      const transfers = new ArchiveTransfers(runtime);
      const { transferId } = await transfers.openRead('c', '/data');
      const reading = transfers.read(transferId, 1024);
      await tick(10);
      end(transfers, transferId, source);
      await assert.rejects(reading, code(expected));
    });
  }

  it('does not run the idle timer while a read waits on a slow engine, and closes an idle transfer after it', async () => {
    const { runtime, source } = fakeRuntime();
    const transfers = new ArchiveTransfers(runtime, { idleTimeoutMs: 40 });
    const { transferId } = await transfers.openRead('c', '/data');
    const reading = transfers.read(transferId, 1024);
    await tick(150);
    source.write(Buffer.from('late'));
    assert.equal((await reading).done, false);
    await tick(150);
    await assert.rejects(transfers.read(transferId, 1024), code('NOT_FOUND'));
  });

  it('refuses one more open transfer than maxOpen with LIMIT_EXCEEDED', async () => {
    const transfers = new ArchiveTransfers(fakeRuntime().runtime, { maxOpen: 1 });
    await transfers.openWrite('c', '/data');
    await assert.rejects(transfers.openRead('c', '/data'), code('LIMIT_EXCEEDED'));
  });
});

describe('ArchiveTransfers writes', () => {
  it('hands the engine the judged archive, relative to the volume root, across calls', async () => {
    const { runtime, extracted } = fakeRuntime();
    const transfers = new ArchiveTransfers(runtime);
    const { transferId } = await transfers.openWrite('c', '/data');
    const tar = volumeTar('data/a/', 'data/b/');
    await transfers.write(transferId, tar.subarray(0, 700).toString('base64'), false);
    assert.deepEqual(await transfers.write(transferId, tar.subarray(700).toString('base64'), true), { bytesWritten: tar.length });
    const out = Buffer.concat(extracted[0]!.bytes);
    assert.equal(out.toString('utf8', 0, 2), 'a/');
    assert.equal(out.toString('utf8', BLOCK, BLOCK + 2), 'b/');
  });

  it('fails the write of a bad entry and aborts the extraction', async () => {
    const { runtime, extracted } = fakeRuntime();
    const transfers = new ArchiveTransfers(runtime);
    const { transferId } = await transfers.openWrite('c', '/data');
    await assert.rejects(transfers.write(transferId, volumeTar('data/../../etc/').toString('base64'), true), code('POLICY_DENIED'));
    await tick(10);
    assert.equal(extracted[0]!.destroyed, true);
    await assert.rejects(transfers.write(transferId, '', true), code('NOT_FOUND'));
  });

  it('fails a last write whose archive is cut short', async () => {
    const transfers = new ArchiveTransfers(fakeRuntime().runtime);
    const { transferId } = await transfers.openWrite('c', '/data');
    await assert.rejects(transfers.write(transferId, volumeTar('data/a/').subarray(0, BLOCK).toString('base64'), true), code('BAD_INPUT'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentError } from '@lormas/protocol';
import { toPullProgress } from './pullProgress.js';

describe('toPullProgress', () => {
  it('reads a layer download line with bytes done and total', () => {
    const line = { status: 'Downloading', progressDetail: { current: 1024, total: 4096 }, progress: '[=>  ]', id: 'a3ed95caeb02' };
    assert.deepEqual(toPullProgress(line), { status: 'Downloading', layer: 'a3ed95caeb02', currentBytes: 1024, totalBytes: 4096 });
  });

  it('reads a layer line without progress detail', () => {
    assert.deepEqual(toPullProgress({ status: 'Pull complete', progressDetail: {}, id: 'a3ed95caeb02' }), {
      status: 'Pull complete',
      layer: 'a3ed95caeb02',
    });
  });

  it('does not take the tag of a "Pulling from" line for a layer', () => {
    assert.deepEqual(toPullProgress({ status: 'Pulling from lormas-test/busybox', id: 'latest' }), { status: 'Pulling from lormas-test/busybox' });
  });

  it('reads a whole-image status line', () => {
    assert.deepEqual(toPullProgress({ status: 'Digest: sha256:abc' }), { status: 'Digest: sha256:abc' });
  });

  it('throws ENGINE_ERROR with the engine message for an error line', () => {
    assert.throws(
      () => toPullProgress({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }),
      (err: unknown) => err instanceof AgentError && err.code === 'ENGINE_ERROR' && err.message === 'manifest unknown',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KV } from '@nats-io/kv';
import { type BucketMaker, createBucket, SUBJECTS_OVERLAP } from './createBucket.js';

/** A maker that fails with each of `failures` in turn, then makes the bucket. */
function maker(failures: unknown[]): BucketMaker & { calls: number } {
  const made = { bucket: 'made' } as unknown as KV;
  return {
    calls: 0,
    async create() {
      this.calls++;
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return made;
    },
  };
}

const overlap = () => Object.assign(new Error('subjects overlap with an existing stream'), { code: SUBJECTS_OVERLAP });

describe('createBucket', () => {
  it("creates again when the engine refused a create as overlapping another replica's, until it opens the bucket", async () => {
    const m = maker([overlap(), overlap()]);
    assert.deepEqual(await createBucket(m, 'lormas-owners', { history: 1 }), { bucket: 'made' });
    assert.equal(m.calls, 3);
  });

  it('gives up after its attempts, with the last error', async () => {
    const m = maker([overlap(), overlap(), overlap()]);
    await assert.rejects(createBucket(m, 'lormas-owners', {}, 3), /subjects overlap/);
    assert.equal(m.calls, 3);
  });

  it('throws any other error at once', async () => {
    const m = maker([Object.assign(new Error('insufficient resources'), { code: 10023 })]);
    await assert.rejects(createBucket(m, 'lormas-owners', {}), /insufficient resources/);
    assert.equal(m.calls, 1);
  });
});

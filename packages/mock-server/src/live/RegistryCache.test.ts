import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeRecord } from '../store/NodeStore.js';
import { RegistryCache, type RegistryEntry } from './RegistryCache.js';

const node = (name: string, clusterId: string | null = null): NodeRecord => ({ id: 'node_a', name, description: null, clusterId, createdAt: 0, revokedAt: null, tokenId: null });

describe('RegistryCache', () => {
  it('reads an entry again once it is maxAgeMs old: a change whose event was missed shows within that', async () => {
    let now = 0;
    const cache = new RegistryCache({ maxAgeMs: 1_000, now: () => now });
    let record = node('before');
    let reads = 0;
    const load = async (): Promise<RegistryEntry> => {
      reads++;
      return { node: record, cluster: null };
    };
    assert.equal((await cache.get('node_a', load))?.node.name, 'before');
    // Renamed, and the event that says so never arrives.
    record = node('after');
    now = 999;
    assert.equal((await cache.get('node_a', load))?.node.name, 'before');
    assert.equal(reads, 1);
    now = 1_000;
    assert.equal((await cache.get('node_a', load))?.node.name, 'after');
    assert.equal(reads, 2);
    now = 1_500;
    assert.equal((await cache.get('node_a', load))?.node.name, 'after');
    assert.equal(reads, 2, 'the entry read again is kept for another maxAgeMs');
  });

  it('an entry kept again after its age is still forgotten by its cluster', async () => {
    let now = 0;
    const cache = new RegistryCache({ maxAgeMs: 1_000, now: () => now });
    let reads = 0;
    const load = async (): Promise<RegistryEntry> => {
      reads++;
      return { node: node('a', 'cluster_x'), cluster: null };
    };
    await cache.get('node_a', load);
    now = 2_000;
    await cache.get('node_a', load);
    cache.forgetCluster('cluster_x');
    await cache.get('node_a', load);
    assert.equal(reads, 3);
  });

  it('drops an entry too old even when its reading again is not kept (the node is gone, or changed meanwhile)', async () => {
    let now = 0;
    const cache = new RegistryCache({ maxAgeMs: 1_000, now: () => now });
    let reads = 0;
    await cache.get('node_a', async () => ({ node: node('a', 'cluster_x'), cluster: null }));
    now = 1_000;
    // Revoked meanwhile: the read finds nothing.
    assert.equal(await cache.get('node_a', async () => (reads++, null)), null);
    assert.equal(await cache.get('node_a', async () => (reads++, null)), null);
    assert.equal(reads, 2, 'the old entry came back');
  });

  it('under a flood of cluster events during one read, notes a bounded number and does not keep that read', async () => {
    const cache = new RegistryCache();
    let release!: () => void;
    const loaded = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const load = async (): Promise<RegistryEntry> => {
      reads++;
      if (reads === 1) await loaded;
      return { node: node('a', 'cluster_x'), cluster: null };
    };
    const first = cache.get('node_a', load);
    for (let i = 0; i < 10_000; i++) cache.forgetCluster(`cluster_${i}`);
    release();
    await first;
    await cache.get('node_a', load);
    await cache.get('node_a', load);
    assert.equal(reads, 2, 'the read during the flood is used once; the next is kept');
  });

  it('refuses an age that is not a number of milliseconds', () => {
    for (const maxAgeMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new RegistryCache({ maxAgeMs }), TypeError);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import { LeaderLease } from '../src/cluster/index.js';

const TTL_MS = 600;

describe('LeaderLease: one judge at a time, handed over when it dies', () => {
  let nats: NatsServer;
  const connections: NatsConnection[] = [];
  const leases: LeaderLease[] = [];
  let bucket = 0;

  /** Three candidates for a lease in a bucket of their own, each on its own connection. */
  const candidates = async () => {
    const name = `lease_test_${process.pid}_${++bucket}`;
    const made: { lease: LeaderLease; nc: NatsConnection }[] = [];
    for (const holder of ['a', 'b', 'c']) {
      const nc = await connect({ servers: nats.url });
      connections.push(nc);
      const kv = await new Kvm(nc).create(name, { history: 1, ttl: TTL_MS });
      const lease = new LeaderLease({ kv, name: 'failover', holder, ttlMs: TTL_MS, onError: () => {} });
      leases.push(lease);
      made.push({ lease, nc });
    }
    return made;
  };
  const leaders = <T extends { lease: LeaderLease }>(made: T[]) => made.filter(({ lease }) => lease.isLeader);

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const lease of leases) await lease.stop().catch(() => {});
    for (const nc of connections) await nc.close().catch(() => {});
    await nats?.stop();
  });

  it('gives the lease to exactly one candidate, and every candidate names it', async () => {
    const made = await candidates();
    for (const { lease } of made) lease.start();
    await waitFor(() => leaders(made).length === 1, { what: 'one leader' });
    const leader = leaders(made)[0]!.lease.leader;
    await waitFor(() => made.every(({ lease }) => lease.leader === leader), { what: 'every candidate naming the leader' });
    // Three rounds of renewals and attempts later there is still exactly one, the same.
    for (let round = 0; round < 3; round++) await Promise.all(made.map(({ lease }) => lease.tick()));
    assert.deepEqual(leaders(made).map(({ lease }) => lease.leader), [leader]);
  });

  it('hands the lease over within its TTL when the leader dies without a word', async () => {
    const made = await candidates();
    for (const { lease } of made) lease.start();
    await waitFor(() => leaders(made).length === 1, { what: 'one leader' });
    const dead = leaders(made)[0]!;
    // Its connection to the engine is gone: it can neither renew nor delete the lease.
    const diedAt = performance.now();
    await dead.nc.close();
    await waitFor(() => !dead.lease.isLeader, { intervalMs: 5, what: 'the cut-off leader stepping down' });
    assert.ok(performance.now() - diedAt <= TTL_MS, 'the cut-off leader stepped down by its own clock within the TTL, before anyone could take over');
    await waitFor(() => leaders(made).some((m) => m !== dead), { timeoutMs: 3_000, what: 'another leader' });
    assert.ok(performance.now() - diedAt <= TTL_MS * 3, `handed over after ${Math.round(performance.now() - diedAt)} ms`);
    assert.equal(leaders(made.filter((m) => m !== dead)).length, 1);
  });

  it('hands the lease over at once when the leader stops cleanly', async () => {
    const made = await candidates();
    for (const { lease } of made) lease.start();
    await waitFor(() => leaders(made).length === 1, { what: 'one leader' });
    const leaving = leaders(made)[0]!;
    await leaving.lease.stop();
    const stoppedAt = performance.now();
    await waitFor(() => leaders(made).length === 1 && !leaving.lease.isLeader, { what: 'another leader' });
    assert.ok(performance.now() - stoppedAt < TTL_MS, 'sooner than the TTL: the lease was deleted, not left to expire');
  });
});

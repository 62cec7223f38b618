import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Msg, type NatsConnection, NoRespondersError, RequestError } from '@nats-io/transport-node';
import { type NatsServer, startNats } from '@lormas/testkit';
import type { ClusterContext } from './ClusterContext.js';
import { clusterNames } from './clusterNames.js';
import { encode, isNoResponders, type OwnerReply, type OwnerRequest } from './clusterWire.js';
import { fakeClusterContext } from './fakeClusterContext.js';
import { OldReplicaMemory } from './OldReplicaMemory.js';
import { requestOwner } from './requestOwner.js';

const names = clusterNames('rq');
const decoder = new TextDecoder();
const noResponders = (subject: string) => new RequestError('no responders', { cause: new NoRespondersError(subject) });

/**
 * An engine as a table: each subject answers with a reply, or with "no responders" when absent.
 * It records what was sent where, as the JSON the receiver would read.
 */
function fakeEngine(answers: Record<string, OwnerReply | Error>) {
  const sent: { subject: string; body: Record<string, unknown> }[] = [];
  const nc = {
    request: async (subject: string, data: Uint8Array): Promise<Msg> => {
      sent.push({ subject, body: JSON.parse(decoder.decode(data)) as Record<string, unknown> });
      const answer = answers[subject];
      if (answer === undefined) throw noResponders(subject);
      if (answer instanceof Error) throw answer;
      return { data: encode(answer) } as Msg;
    },
  };
  return { nc: nc as unknown as NatsConnection, sent, subjects: () => sent.map(({ subject }) => subject) };
}

function context(nc: NatsConnection, options: { memory?: OldReplicaMemory; actAsOldReplica?: boolean } = {}): ClusterContext {
  return fakeClusterContext(nc, names, { oldReplicas: options.memory ?? new OldReplicaMemory(60_000), actAsOldReplica: options.actAsOldReplica ?? false });
}

const call: OwnerRequest = { t: 'call', node: 'n1', path: 'hello', input: { json: null }, timeoutMs: 1_000 };

describe('requestOwner: the owner\'s own subject first, the node\'s subject for an owner of before', () => {
  it('asks only the owner\'s subject while it answers, even with away or an error', async () => {
    for (const answer of [{ t: 'ok' }, { t: 'away', from: 'a' }, { t: 'error', error: { code: 'INTERNAL', message: 'x' }, from: 'a' }] as OwnerReply[]) {
      const engine = fakeEngine({ [names.owner('a')]: answer, [names.node('n1')]: { t: 'ok' } });
      const ctx = context(engine.nc);
      assert.equal((await requestOwner(ctx, 'a', call, 1_000))?.t, answer.t);
      assert.deepEqual(engine.subjects(), [names.owner('a')]);
      assert.deepEqual(ctx.oldReplicas.oldReplicas(), []);
    }
  });

  it('falls back to the node\'s subject on no responders, in the form replicas of before read, and remembers the owner as old', async () => {
    const engine = fakeEngine({ [names.node('n1')]: { t: 'ok', value: { json: 'hi' } } });
    const ctx = context(engine.nc);
    assert.deepEqual(await requestOwner(ctx, 'old', call, 1_000), { t: 'ok', value: { json: 'hi' } });
    assert.deepEqual(engine.subjects(), [names.owner('old'), names.node('n1')]);
    assert.equal('node' in engine.sent[1]!.body, false, 'the node\'s subject names the node');
    assert.equal(engine.sent[1]!.body.path, 'hello');
    assert.deepEqual(ctx.oldReplicas.oldReplicas(), ['old']);
    // The next request does not pay the miss again.
    await requestOwner(ctx, 'old', { ...call, t: 'forget', code: 1000, reason: 'x' } as OwnerRequest, 1_000);
    assert.deepEqual(engine.subjects().slice(2), [names.node('n1')]);
  });

  it('does not take an owner for old when a replica of this version answered on the node\'s subject (the owner believed in is gone)', async () => {
    const engine = fakeEngine({ [names.node('n1')]: { t: 'ok', from: 'b' } });
    const ctx = context(engine.nc);
    await requestOwner(ctx, 'dead', call, 1_000);
    assert.deepEqual(ctx.oldReplicas.oldReplicas(), []);
  });

  it('goes back to the owner\'s subject once a replica remembered as old serves it (upgraded under the same name)', async () => {
    const memory = new OldReplicaMemory(60_000);
    memory.markOld('a');
    // Upgraded: it serves its own subject and, for old senders, the node's, naming itself there.
    const engine = fakeEngine({ [names.owner('a')]: { t: 'ok', from: 'a' }, [names.node('n1')]: { t: 'ok', from: 'a' } });
    const ctx = context(engine.nc, { memory });
    await requestOwner(ctx, 'a', call, 1_000);
    await requestOwner(ctx, 'a', call, 1_000);
    assert.deepEqual(engine.subjects(), [names.node('n1'), names.owner('a')]);
  });

  it('tries the owner\'s subject when an owner remembered as old no longer serves the node\'s subject', async () => {
    const memory = new OldReplicaMemory(60_000);
    memory.markOld('a');
    const engine = fakeEngine({ [names.owner('a')]: { t: 'away', from: 'a' } });
    const ctx = context(engine.nc, { memory });
    assert.equal((await requestOwner(ctx, 'a', call, 1_000))?.t, 'away');
    assert.deepEqual(engine.subjects(), [names.node('n1'), names.owner('a')]);
    assert.deepEqual(memory.oldReplicas(), []);
  });

  it('rejects with no responders when neither subject is served (the owner died)', async () => {
    const engine = fakeEngine({});
    const error = await requestOwner(context(engine.nc), 'a', call, 1_000).catch((e: unknown) => e);
    assert.ok(isNoResponders(error));
    assert.equal(engine.sent.length, 2);
  });

  it('does not fall back when the owner\'s subject times out: the owner may yet act on it', async () => {
    const timeout = new Error('timeout');
    timeout.name = 'TimeoutError';
    const engine = fakeEngine({ [names.owner('a')]: timeout, [names.node('n1')]: { t: 'ok' } });
    await assert.rejects(requestOwner(context(engine.nc), 'a', call, 1_000), { name: 'TimeoutError' });
    assert.deepEqual(engine.subjects(), [names.owner('a')]);
  });

  it('sends only on the node\'s subject, as before, from a replica acting as one of before', async () => {
    const engine = fakeEngine({ [names.owner('a')]: { t: 'ok' }, [names.node('n1')]: { t: 'ok' } });
    await requestOwner(context(engine.nc, { actAsOldReplica: true }), 'a', call, 1_000);
    assert.deepEqual(engine.subjects(), [names.node('n1')]);
    assert.equal('node' in engine.sent[0]!.body, false);
  });

  describe('on a real engine', () => {
    let nats: NatsServer;
    let nc: NatsConnection;
    before(async () => {
      nats = await startNats();
      nc = await connect({ servers: nats.url });
    });
    after(async () => {
      await nc?.close();
      await nats?.stop();
    });

    it('learns that nobody serves the owner\'s subject from the engine at once, not at the deadline', async () => {
      const prefix = `rq${process.pid}`;
      const real = clusterNames(prefix);
      const ctx = { ...context(nc), names: real };
      const sub = nc.subscribe(real.node('n1'), {
        queue: 'owner',
        callback: (_, message) => void message.respond(encode({ t: 'ok' })),
      });
      await nc.flush();
      const started = performance.now();
      assert.equal((await requestOwner(ctx, 'old', call, 10_000))?.t, 'ok');
      const elapsedMs = performance.now() - started;
      sub.unsubscribe();
      assert.ok(elapsedMs < 2_000, `the miss took ${Math.round(elapsedMs)} ms of a 10 s deadline`);
      assert.deepEqual(ctx.oldReplicas.oldReplicas(), ['old']);
    });
  });
});

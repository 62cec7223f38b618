import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PROTOCOL_VERSION } from '@lormas/protocol';
import { sampleHeartbeat } from '@lormas/protocol/testing';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import { ClusterLiveness } from './ClusterLiveness.js';

const hello = { agentVersion: '1', protocolVersion: PROTOCOL_VERSION, nodeName: 'n', runtime: { name: 'node' as const, version: '20' }, engineVersion: '20.10', startedAt: 0 };

describe('ClusterLiveness: node liveness shared by the replicas through a KV bucket', () => {
  let nats: NatsServer;
  const connections: NatsConnection[] = [];
  const copies: ClusterLiveness[] = [];
  let bucket = 0;

  /** Two replicas' copies of one bucket, each on its own connection. */
  const pair = async () => {
    const name = `liveness_test_${process.pid}_${++bucket}`;
    const made: ClusterLiveness[] = [];
    for (const replica of ['r1', 'r2']) {
      const nc = await connect({ servers: nats.url });
      connections.push(nc);
      const liveness = new ClusterLiveness(await new Kvm(nc).create(name, { history: 1 }), replica, (error) => assert.fail(String(error)));
      await liveness.start();
      copies.push(liveness);
      made.push(liveness);
    }
    return made as [ClusterLiveness, ClusterLiveness];
  };

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const copy of copies) copy.stop();
    for (const nc of connections) await nc.close();
    await nats?.stop();
  });

  it("shows one replica's connect and heartbeats on the other, naming the replica, and emits the events only where they happened", async () => {
    const [owner, other] = await pair();
    const seenOnOther: string[] = [];
    other.on('connect', () => seenOnOther.push('connect'));
    other.on('heartbeat', () => seenOnOther.push('heartbeat'));
    owner.connected('n1', hello);
    owner.heartbeat('n1', sampleHeartbeat({ seq: 7 }));
    await waitFor(() => other.get('n1').lastHeartbeat?.seq === 7, { what: 'the heartbeat on the other replica' });
    assert.equal(other.get('n1').status, 'online');
    assert.equal(other.get('n1').replica, 'r1');
    assert.deepEqual(other.heldBy('r1'), ['n1']);
    assert.deepEqual(seenOnOther, []);
  });

  it("agrees on every replica when the leader's lost and the owner's heartbeat are written at the same moment, and keeps the heartbeat", async () => {
    const [owner, leader] = await pair();
    owner.connected('n2', hello);
    await waitFor(() => leader.get('n2').status === 'online', { what: 'the connect on the leader' });
    // Both write from the same revision: one of the two conflicts and is applied again to the
    // other's value. Heartbeat first: the node is not lost (a newer sign of life than the
    // judgement). Lost first: it stays lost, as a lost node's later heartbeats leave it.
    leader.markLost('n2');
    owner.heartbeat('n2', sampleHeartbeat({ seq: 42 }));
    await Promise.all([owner.flushed(), leader.flushed()]);
    await waitFor(() => [owner, leader].every((copy) => copy.get('n2').lastHeartbeat?.seq === 42), { what: 'the heartbeat on both replicas' });
    await waitFor(() => owner.get('n2').status === leader.get('n2').status, { what: 'one status on both replicas' });
  });

  it('forgets a node on every replica', async () => {
    const [one, two] = await pair();
    one.connected('n3', hello);
    await waitFor(() => two.has('n3'), { what: 'the node on the second replica' });
    two.forget('n3');
    await waitFor(() => !one.has('n3'), { what: 'the node forgotten on the first' });
  });

  it('never lets a socket closing at one replica undo the node\'s newer connection at another, whichever is written first', async () => {
    const [first, second] = await pair();
    first.connected('n4', hello);
    await waitFor(() => second.get('n4').replica === 'r1', { what: 'the first connection seen by the second replica' });
    // The agent dialled the second replica; the first learns its old socket closed at the same moment.
    second.connected('n4', hello);
    first.disconnected('n4', 1006);
    await Promise.all([first.flushed(), second.flushed()]);
    for (const copy of [first, second]) {
      await waitFor(() => copy.get('n4').replica === 'r2' && copy.get('n4').status === 'online', { what: 'the newer connection on both replicas' });
    }
  });
});

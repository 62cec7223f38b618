import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import type { LiveEvent } from '../live/EventLog.js';
import { ClusterEventLog, LOST_EVENTS_RESET } from './ClusterEventLog.js';
import { z } from 'zod';
import { STREAMED_EVENTS } from '../http/viewSchemas.js';

describe('ClusterEventLog: the live event stream shared by the replicas', () => {
  let nats: NatsServer;
  const connections: NatsConnection[] = [];
  const logs: ClusterEventLog[] = [];

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const log of logs) log.close();
    for (const nc of connections) await nc.close();
    await nats?.stop();
  });

  /** The events these replicas make: a real replica's are `STREAMED_EVENTS`. */
  const EVENTS = { node: z.strictObject({ n: z.number() }), reset: STREAMED_EVENTS.reset };

  /** A replica's log on a connection of its own that reconnects for ever, as the server's does. */
  const replicaLog = async (prefix: string) => {
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    connections.push(nc);
    const errors: unknown[] = [];
    const log = await ClusterEventLog.start({ nc, prefix, events: EVENTS, resetRetryMs: 100, onError: (error) => errors.push(error) });
    logs.push(log);
    const events: LiveEvent[] = [];
    log.subscribe((event) => events.push(event));
    return { log, events, errors };
  };

  it('tells the readers of every replica with a reset, once the engine is back, that an event published while it was away is lost', async () => {
    const prefix = `events_test_${process.pid}`;
    const one = await replicaLog(prefix);
    const two = await replicaLog(prefix);
    one.log.publish('node', { n: 1 });
    await waitFor(() => two.events.length === 1 && one.events.length === 1, { what: 'the first event on both replicas' });
    await nats.kill('SIGKILL');
    one.log.publish('node', { n: 2 });
    await waitFor(() => one.errors.length > 0, { timeoutMs: 20_000, what: 'the publish failing' });
    await nats.restart();
    for (const replica of [one, two]) {
      await waitFor(() => replica.events.some((event) => event.type === 'reset'), { timeoutMs: 20_000, what: 'a reset on each replica' });
    }
    const reset = two.events.find((event) => event.type === 'reset')!;
    assert.deepEqual(reset.data, LOST_EVENTS_RESET.data);
    // In the stream, so a reader resuming from before it gets it too.
    const replay = two.log.since(two.events[0]!.id);
    assert.ok(replay.kind === 'events' && replay.events.some((event) => event.type === 'reset'));
  });

  it('skips and reports what a stray publisher puts in the stream, and no type can write a line of its own into the readers\' event stream', async () => {
    const prefix = `events_hostile_${process.pid}`;
    const one = await replicaLog(prefix);
    const hostile = [
      'not json',
      'null',
      '[1,2]',
      '{"data":{}}',
      '{"type":7,"data":{}}',
      '{"type":"node\\ndata: {\\"forged\\":true}\\n\\nevent: node","data":{}}',
      `{"type":"${'a'.repeat(33)}","data":{}}`,
      '{"type":"Node","data":{}}',
      // Well-formed, but not what a replica makes: a type none makes, one every object has, data of the wrong shape or with more.
      '{"type":"forged","data":{}}',
      '{"type":"constructor","data":{}}',
      '{"type":"node","data":{"n":"1"}}',
      '{"type":"node","data":{"n":1,"script":"<b>"}}',
      '{"type":"node"}',
    ];
    const nc = connections[connections.length - 1]!;
    for (const text of hostile) nc.publish(`${prefix}.events`, new TextEncoder().encode(text));
    one.log.publish('node', { n: 1 });
    await waitFor(() => one.events.length === 1, { what: 'the one real event' });
    assert.deepEqual(one.events.map((event) => [event.type, event.data]), [['node', { n: 1 }]]);
    assert.equal(one.errors.length, hostile.length);
    assert.ok(one.errors.every((error) => /is not an event a replica makes; skipped/.test((error as Error).message)));
    // A replica that starts later reads the same stream from its beginning, and skips the same.
    const two = await replicaLog(prefix);
    const [epoch, seq] = one.events[0]!.id.split('.') as [string, string];
    await waitFor(() => two.log.since(`${epoch}.${Number(seq) - 1}`).kind === 'events', { what: 'the stream read by the later replica' });
    assert.deepEqual(two.log.since(`${epoch}.${Number(seq) - 1}`), { kind: 'events', events: one.events });
    assert.equal(two.errors.length, hostile.length);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type NatsServer, startNats, waitFor } from '@lormas/testkit';
import { agentContract } from '../contract/agentContract.js';
import type { ClusterContext } from './ClusterContext.js';
import { clusterNames } from './clusterNames.js';
import { decode, encode, OwnerRequest, packValue, StreamControl } from './clusterWire.js';
import { ClusterStream } from './ClusterStream.js';
import { fakeClusterContext } from './fakeClusterContext.js';

describe('ClusterStream: a stream read from an owner across the engine', () => {
  let nats: NatsServer;
  const connections: NatsConnection[] = [];
  let prefix = 0;

  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    for (const nc of connections) await nc.close();
    await nats?.stop();
  });

  const connection = async () => {
    const nc = await connect({ servers: nats.url });
    connections.push(nc);
    return nc;
  };

  /** A reader's context whose only peer is the owner `owner`; nothing else of a hub is used. */
  const readerContext = (nc: NatsConnection, owner: string, callTimeoutMs: number): ClusterContext =>
    fakeClusterContext(nc, clusterNames(`cs${process.pid}x${++prefix}`), { replicaId: 'reader', callTimeoutMs, liveOwner: () => owner });

  it('stops a stream at the owner when the owner opens it after the reader gave its open up for lost', async () => {
    const reader = readerContext(await connection(), 'slow', 200);
    const ownerNc = await connection();
    const stops: string[] = [];
    const opens: string[] = [];
    // An owner too busy to answer in time: it takes the first open a while after the reader's
    // deadline (at least a second) and then carries it as a live owner does, subscribing to
    // the stream's control subject before it sends anything. Later opens it turns away.
    ownerNc.subscribe(reader.names.owner('slow'), {
      callback: (_, message) => {
        const request = decode(OwnerRequest, message.data);
        if (request?.t !== 'open') return;
        opens.push(request.stream);
        if (opens.length > 1) {
          message.respond(encode({ t: 'away' }));
          return;
        }
        setTimeout(() => {
          ownerNc.subscribe(reader.names.streamControl(request.stream), {
            callback: (__, control) => {
              if (decode(StreamControl, control.data)?.t === 'stop') stops.push(request.stream);
            },
          });
          void ownerNc.flush().then(() => {
            ownerNc.publish(reader.names.streamItems(request.stream), encode({ t: 'started' }));
            ownerNc.publish(reader.names.streamItems(request.stream), encode({ t: 'data', id: '1', value: packValue({ entries: [] }) }));
          });
        }, 1_500);
      },
    });
    await ownerNc.flush();
    const procedure = agentContract.containers.logs;
    const stream = new ClusterStream(reader, 'n1', procedure, 'containers.logs', { id: 'web', follow: true }, { onData: () => {} }, () => {});
    try {
      await waitFor(() => opens.length >= 2, { what: 'the open retried after its deadline' });
      await waitFor(() => stops.includes(opens[0]!), { timeoutMs: 5_000, what: 'a stop for the stream the owner opened late' });
    } finally {
      stream.unsubscribe();
    }
  });
});

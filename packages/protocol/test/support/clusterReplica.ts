import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterHub, type ClusterHubOptions } from '../../src/cluster/index.js';
import type { AgentConnectEvent, AgentDisconnectEvent, NodeIdentity } from '../../src/server/index.js';

export interface TestReplica {
  hub: ClusterHub;
  nc: NatsConnection;
  /** `ws://127.0.0.1:PORT/agent`: agents name their node with `?node=`. */
  url: string;
  connects: AgentConnectEvent<NodeIdentity>[];
  disconnects: AgentDisconnectEvent[];
  /** Leaves the cluster cleanly. */
  close(): Promise<void>;
  /**
   * Dies without a word, as a process killed with SIGKILL: its engine connection and its
   * agents' sockets drop, nothing is released, and its keys linger until their TTL.
   */
  crash(): Promise<void>;
}

/** A cluster replica on loopback: a `ClusterHub` behind an HTTP server, with its own engine connection. */
export async function startReplica(natsUrl: string, replicaId: string, options: Partial<ClusterHubOptions<NodeIdentity>> = {}): Promise<TestReplica> {
  const nc = await connect({ servers: natsUrl, name: replicaId });
  const connects: AgentConnectEvent<NodeIdentity>[] = [];
  const disconnects: AgentDisconnectEvent[] = [];
  const hub = await ClusterHub.start<NodeIdentity>({
    nats: nc,
    replicaId,
    subjectPrefix: options.subjectPrefix,
    replicaTtlMs: options.replicaTtlMs ?? 1_000,
    streamCreditItems: options.streamCreditItems,
    actAsOldReplica: options.actAsOldReplica,
    hub: {
      authenticate: (request) => {
        const node = new URL(request.url ?? '/', 'http://x').searchParams.get('node');
        if (!node) throw new Error('no node');
        return { nodeId: node };
      },
      keepAlive: { pingIntervalMs: 200, pongTimeoutMs: 200 },
      // A crashed replica's own complaints (its engine connection is gone) are not the test's business.
      onCallbackError: () => {},
      onConnect: (event) => connects.push(event),
      onDisconnect: (event) => disconnects.push(event),
      ...options.hub,
    },
  });
  const server: Server = createServer((_, res) => res.writeHead(404).end());
  server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const stopServer = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  let down = false;
  return {
    hub,
    nc,
    url: `ws://127.0.0.1:${port}/agent`,
    connects,
    disconnects,
    async close() {
      if (down) return;
      down = true;
      await hub.close();
      await stopServer();
      await nc.close();
    },
    async crash() {
      if (down) return;
      down = true;
      // No goodbye: the engine connection closes without the replica deleting anything.
      await nc.close();
      for (const socket of (hub.local as unknown as { wss: { clients: Set<{ terminate(): void }> } }).wss.clients) socket.terminate();
      await stopServer();
      // Only to stop its timers in this test process: with the engine gone, nothing it would say reaches anyone.
      await hub.close();
    },
  };
}

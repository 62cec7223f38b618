import { randomBytes } from 'node:crypto';
import {
  DEFAULT_DOCKER_SOCKET,
  freePort,
  type NatsServer,
  type Postgres,
  type Proxy,
  removeContainers,
  requireEngine,
  type SecondEngine,
  startNats,
  startPostgres,
  startProxy,
  startSecondEngine,
  waitFor,
} from '@lormas/testkit';
import { startAgentProcess } from './agentProcess.js';
import type { FleetNode } from './dashboardFleet.js';
import { call, registerNode } from './http.js';
import { type ReplicaProcess, startReplicaProcess } from './replicaProcess.js';


export interface ClusterFleet {
  nats: NatsServer;
  postgres: Postgres;
  replicas: ReplicaProcess[];
  /** The round-robin balancer the agents dial. */
  proxy: Proxy;
  engineB: SecondEngine;
  x: FleetNode;
  y: FleetNode;
  /** The replica holding a node's socket, as a replica's API says. */
  ownerOf(nodeId: string, via?: ReplicaProcess): Promise<string | null>;
  replica(id: string): ReplicaProcess;
  /** The replicas whose process runs. */
  alive(): ReplicaProcess[];
  startAgent(node: FleetNode): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterFleetOptions {
  /** Names of this test file's containers begin with it. */
  prefix: string;
  /** Windows of the replicas (LOST_AFTER_MS, FAILOVER_GRACE_MS...). */
  env?: Record<string, string>;
}

/**
 * The cluster of item 5 on loopback: nats-server, PostgreSQL, three replicas of the mock
 * server (each its own process), a round-robin TCP balancer in front of them, and two real
 * agents on two real Docker engines that dial the balancer.
 */
export async function startClusterFleet(options: ClusterFleetOptions): Promise<ClusterFleet> {
  await requireEngine();
  await removeContainers(options.prefix, { volumes: true });
  const [nats, postgres, engineB] = await Promise.all([startNats(), startPostgres(), startSecondEngine()]);
  const databaseUrl = await postgres.createDatabase(`cluster_${process.pid}`);
  const adminToken = randomBytes(24).toString('base64url');
  const env = { NATS_URL: nats.url, DATABASE_URL: databaseUrl, REPLICA_TTL_MS: '1500', ...options.env };
  const ports = [await freePort(), await freePort(), await freePort()];
  const replicas: ReplicaProcess[] = [];
  for (const [i, port] of ports.entries()) replicas.push(await startReplicaProcess({ id: `r${i + 1}`, port, adminToken, env }));
  const proxy = await startProxy({ target: { ports } });
  const first = replicas[0]!;
  const x: FleetNode = { ...(await registerNode(first, 'cl-x')), name: 'cl-x', socketPath: DEFAULT_DOCKER_SOCKET, agent: null };
  const y: FleetNode = { ...(await registerNode(first, 'cl-y')), name: 'cl-y', socketPath: engineB.socketPath, agent: null };
  const alive = () => replicas.filter((replica) => replica.pid !== null);
  const nodeView = async (nodeId: string, via: ReplicaProcess) => (await call(via, 'GET', `/api/nodes/${nodeId}`)).body;
  const startAgent = async (node: FleetNode) => {
    const startedAt = Date.now();
    node.agent = startAgentProcess({
      serverUrl: proxy.url,
      token: node.token,
      nodeName: node.name,
      dockerSocket: node.socketPath,
      env: { PING_INTERVAL_MS: '300', PONG_TIMEOUT_MS: '300', LOG_LEVEL: 'warn' },
    });
    // Online through this agent's own link: a view still showing the link of an agent killed a moment ago does not count.
    const connectedNow = (view: Awaited<ReturnType<typeof nodeView>>) => view?.status === 'online' && Date.parse(view.connectedSince) >= startedAt;
    await waitFor(async () => (await Promise.all(alive().map((replica) => nodeView(node.id, replica)))).every(connectedNow), {
      timeoutMs: 30_000,
      what: `${node.name} online on every replica`,
    });
  };
  await Promise.all([startAgent(x), startAgent(y)]);
  return {
    nats,
    postgres,
    replicas,
    proxy,
    engineB,
    x,
    y,
    alive,
    replica: (id) => replicas.find((replica) => replica.id === id)!,
    ownerOf: async (nodeId, via = alive()[0]!) => {
      const view = await nodeView(nodeId, via);
      return view?.status === 'online' ? view.replica : null;
    },
    startAgent,
    async close() {
      await Promise.all([x.agent?.stop(), y.agent?.stop()]);
      await proxy.close();
      await Promise.all(replicas.map((replica) => replica.kill()));
      await Promise.all([nats.stop(), postgres.stop()]);
      await removeContainers(options.prefix, { volumes: true });
      await removeContainers(options.prefix, { socketPath: engineB.socketPath, volumes: true });
      await engineB.stop();
    },
  };
}

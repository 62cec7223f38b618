import { DEFAULT_DOCKER_SOCKET, removeContainers, requireEngine, type SecondEngine, startSecondEngine, waitFor } from '@lormas/testkit';
import { type MockServer, type MockServerOptions, startMockServer } from '../../src/index.js';
import { type AgentProcess, startAgentProcess } from './agentProcess.js';
import { call, registerNode } from './http.js';

export interface FleetNode {
  id: string;
  token: string;
  name: string;
  socketPath: string;
  agent: AgentProcess | null;
}

export interface DashboardFleet {
  server: MockServer;
  engineB: SecondEngine;
  a: FleetNode;
  b: FleetNode;
  /** Starts (or restarts) a node's real agent and waits until the server shows it online. */
  startAgent(node: FleetNode): Promise<void>;
  close(): Promise<void>;
}

/**
 * Two real nodes on two real engines, each with its real agent process, behind a mock
 * server serving the dashboard: what the browser tests and the screenshots look at.
 * Containers must be named with `prefix` so cleanup takes only this fleet's.
 */
export async function startDashboardFleet(options: { prefix: string; dashboardDir: string; names?: [string, string]; server?: MockServerOptions }): Promise<DashboardFleet> {
  await requireEngine();
  await removeContainers(options.prefix, { volumes: true });
  const [engineB, server] = await Promise.all([
    startSecondEngine(),
    startMockServer({
      dashboardDir: options.dashboardDir,
      failoverGraceMs: 0,
      heartbeatEventIntervalMs: 250,
      sampleIntervalMs: 500,
      keepAlive: { pingIntervalMs: 300, pongTimeoutMs: 300 },
      ...options.server,
    }),
  ]);
  const [nameA, nameB] = options.names ?? ['node-a', 'node-b'];
  const a: FleetNode = { ...(await registerNode(server, nameA, { description: 'first engine' })), name: nameA, socketPath: DEFAULT_DOCKER_SOCKET, agent: null };
  const b: FleetNode = { ...(await registerNode(server, nameB, { description: 'second engine' })), name: nameB, socketPath: engineB.socketPath, agent: null };
  const startAgent = async (node: FleetNode) => {
    node.agent = startAgentProcess({
      serverUrl: server.url.replace(/^http/, 'ws'),
      token: node.token,
      nodeName: node.name,
      dockerSocket: node.socketPath,
      env: { PING_INTERVAL_MS: '300', PONG_TIMEOUT_MS: '300', LOG_LEVEL: 'warn' },
    });
    await waitFor(async () => (await call(server, 'GET', `/api/nodes/${node.id}`)).body?.status === 'online', { timeoutMs: 30_000, what: `${node.name} online` });
  };
  await Promise.all([startAgent(a), startAgent(b)]);
  return {
    server,
    engineB,
    a,
    b,
    startAgent,
    async close() {
      await Promise.all([a.agent?.stop(), b.agent?.stop()]);
      await server.close();
      await removeContainers(options.prefix, { volumes: true });
      await removeContainers(options.prefix, { socketPath: engineB.socketPath, volumes: true });
      await engineB.stop();
    },
  };
}

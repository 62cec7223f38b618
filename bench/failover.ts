/**
 * Figure 7: node loss (SIGKILL of agent A) -> the HA container running on node B, with a
 * short lost-after window. The time is the window plus an overhead; the overhead is the
 * figure: detection (heartbeat spacing, the controller's check interval) and placement (the
 * agent creating and starting the container on B). Runnable alone:
 * `node --import tsx bench/failover.ts [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { type AgentProcess, spawnAgent } from '../packages/agent/test/support/rig.js';
import { type MockServer, startMockServer } from '../packages/mock-server/src/index.js';
import { startSecondEngine, type SecondEngine } from '../packages/testkit/src/index.js';
import { CONTAINER_PREFIX, removeBenchContainers, trackChild } from './cleanup.js';
import { type BenchResult, median, notMeasured, p99, round } from './stats.js';
import { DEFAULT_DOCKER_SOCKET, TEST_IMAGE, waitFor } from './workspace.js';

const PREFIX = `${CONTAINER_PREFIX}failover-`;
const LOST_AFTER_MS = 1_500;
const HEARTBEAT_INTERVAL_MS = 200;

function startAgent(server: MockServer, token: string, nodeName: string, socketPath: string): AgentProcess {
  const agent = spawnAgent(['node', '--import', 'tsx', 'agent.ts'], {
    SERVER_URL: server.url.replace(/^http/, 'ws'),
    NODE_TOKEN: token,
    NODE_NAME: nodeName,
    LOG_LEVEL: 'warn',
    DOCKER_HOST: `unix://${socketPath}`,
    HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
    RECONNECT_BASE_DELAY_MS: '100',
    RECONNECT_MAX_DELAY_MS: '500',
  });
  trackChild(agent.child);
  return agent;
}

async function api(server: MockServer, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Places a fresh HA container on `nodeId`; returns its server id. */
async function createHaContainer(server: MockServer, nodeId: string, round: number): Promise<string> {
  const name = `${PREFIX}${process.pid}-${round}`;
  const spec = { name, image: TEST_IMAGE, networkMode: 'none', cmd: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"], stopTimeoutSeconds: 1 };
  return ((await api(server, 'POST', '/api/containers', { nodeId, ha: true, spec })) as { id: string }).id;
}

export async function benchFailover({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const rounds = quick ? 2 : 3;
  let engineB: SecondEngine | null = null;
  let server: MockServer | null = null;
  const agents: AgentProcess[] = [];
  const overheads: number[] = [];
  try {
    [engineB, server] = await Promise.all([startSecondEngine(), startMockServer({ lostAfterMs: LOST_AFTER_MS, failoverGraceMs: 0 })]);
    const a = await api(server, 'POST', '/api/nodes', { name: 'bench-failover-a' });
    const b = await api(server, 'POST', '/api/nodes', { name: 'bench-failover-b' });
    const online = (id: string) => waitFor(() => server!.gateway.liveness.get(id).status === 'online', { timeoutMs: 30_000, what: `node ${id} online` });
    agents.push(startAgent(server, b.token, 'bench-failover-b', engineB.socketPath));
    await online(b.id);
    for (let i = 0; i < rounds; i++) {
      // A (re)starts each round; after a loss it passes reconciliation, which removes the previous round's stale copy.
      const agentA = startAgent(server, a.token, 'bench-failover-a', DEFAULT_DOCKER_SOCKET);
      agents.push(agentA);
      await online(a.id);
      const id = await createHaContainer(server, a.id, i);
      // Heartbeats flowing before the kill, so the loss is measured from a steady state.
      await waitFor(() => (server!.gateway.liveness.get(a.id).lastHeartbeat?.seq ?? 0) >= 3, { what: 'heartbeats from A' });
      const killedAt = performance.now();
      agentA.child.kill('SIGKILL');
      await agentA.exited;
      await waitFor(
        async () => {
          const record = await server!.store.containers.get(id);
          return record?.nodeId === b.id && record?.observedState === 'running';
        },
        { timeoutMs: LOST_AFTER_MS + 30_000, intervalMs: 5, what: 'the HA container running on B' },
      );
      overheads.push(performance.now() - killedAt - LOST_AFTER_MS);
      process.stderr.write(`failover round ${i + 1}/${rounds}: window ${LOST_AFTER_MS} ms + ${Math.round(overheads.at(-1)!)} ms\n`);
    }
  } catch (error) {
    return [notMeasured('7. failover overhead', 'ms', `not measured: ${(error as Error).message.slice(0, 200)}`)];
  } finally {
    for (const agent of agents) await agent.stop(10_000);
    await server?.close();
    await removeBenchContainers(PREFIX).catch(() => {});
    await engineB?.stop();
  }
  const mid = median(overheads);
  return [
    {
      name: '7. failover overhead',
      value: round(mid),
      unit: 'ms',
      baseline: LOST_AFTER_MS,
      ratio: round((LOST_AFTER_MS + mid) / LOST_AFTER_MS),
      workload: `SIGKILL of agent A holding one HA busybox container -> running on B (second engine); lost-after window ${LOST_AFTER_MS} ms, heartbeats every ${HEARTBEAT_INTERVAL_MS} ms`,
      median: round(mid),
      p99: round(p99(overheads)),
      rounds,
      notes: `time to running on B = window + overhead; baseline is the window and ratio (window + median overhead) / window. Overhead = detection (last heartbeat up to ${HEARTBEAT_INTERVAL_MS} ms before the kill, check every ${Math.round(LOST_AFTER_MS / 10)} ms) + create and start on B`,
    },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchFailover({ quick: process.argv.includes('--quick') }).then(
    (results) => process.stdout.write(`${JSON.stringify(results, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

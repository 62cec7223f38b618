import { setTimeout as delay } from 'node:timers/promises';
import { startReplica, type TestReplica } from '../packages/protocol/test/support/clusterReplica.js';
import { dialTestAgent } from '../packages/protocol/src/testing/index.js';
import { startNats, startPostgres } from '../packages/testkit/src/index.js';
import { registerNodes, type ServerHandle, type SimsHandle, startServerProcess, startSimulatedAgents } from './fleet.js';
import { cpuTimeMs, sampleRss } from './proc.js';
import { callsPerSecond, sequentialCalls } from './roundTrip.js';
import { type BenchResult, compare, measurePair, median, notMeasured, p99, progress, round } from './stats.js';
import { stubHandlers } from './stubHandlers.js';
import { waitFor } from './workspace.js';

const HEARTBEAT_INTERVAL_MS = 5_000;
/** The goal: forwarding through the engine adds at most this at the median. */
const FORWARDING_GOAL_MS = 1;

/**
 * Figure 8: the server end on several replicas.
 * - A call through a forwarding replica against a local call, in the same run: `hello` to a
 *   node whose socket replica A holds, asked on A (the local link) and on B (through
 *   nats-server to A and back). p50, p99, and calls per second with 100 in flight.
 * - Three replicas of the mock server (each its own process, sharing PostgreSQL and NATS)
 *   holding N simulated agents, a third dialled to each as a balancer spreads them: RSS and
 *   CPU per replica, and nats-server's own CPU, over a window.
 */
export async function benchCluster({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const nats = await startNats();
  try {
    const results = await forwarding(nats.url, quick);
    const agents = quick ? 300 : 10_000;
    try {
      results.push(...(await replicasHolding(nats, agents, quick)));
    } catch (error) {
      results.push(notMeasured(`8. three replicas holding ${agents.toLocaleString('en')} agents`, 'MiB', `failed: ${(error as Error).stack ?? String(error)}`.slice(0, 600)));
    }
    return results;
  } finally {
    await nats.stop();
  }
}

async function forwarding(natsUrl: string, quick: boolean): Promise<BenchResult[]> {
  const calls = quick ? 300 : 2_000;
  const rounds = quick ? 3 : 7;
  const inFlight = 100;
  const replicas: TestReplica[] = [];
  const subjectPrefix = `bench${process.pid}`;
  replicas.push(await startReplica(natsUrl, `${subjectPrefix}-a`, { subjectPrefix, replicaTtlMs: 3_000 }));
  replicas.push(await startReplica(natsUrl, `${subjectPrefix}-b`, { subjectPrefix, replicaTtlMs: 3_000 }));
  const [a, b] = replicas as [TestReplica, TestReplica];
  const socket = dialTestAgent(a.url, 'bench-fwd', stubHandlers({ nodeName: 'bench-fwd', heartbeatIntervalMs: 60_000 }));
  try {
    await waitFor(() => a.hub.isLocal('bench-fwd') && b.hub.ownerOf('bench-fwd') === a.hub.replicaId, { what: 'the node held by replica A, as B sees it' });
    const local = () => a.hub.client('bench-fwd').hello.query();
    const forwarded = () => b.hub.client('bench-fwd').hello.query();
    const sequential = (hello: () => Promise<unknown>) => sequentialCalls(hello, calls);
    const latency = await measurePair({ warmupRounds: 1, rounds, subject: sequential(forwarded), floor: sequential(local) });
    const total = quick ? 2_000 : 10_000;
    const perSecond = await measurePair({
      warmupRounds: 1,
      rounds,
      subject: async () => [await callsPerSecond(forwarded, inFlight, total)],
      floor: async () => [await callsPerSecond(local, inFlight, total)],
    });
    const added = median(latency.subject) - median(latency.floor);
    const workload = `${calls} sequential hello queries a round x ${rounds} rounds, after 1 warm-up round; both replicas and the agent in this process, nats-server its own process, all on loopback`;
    return [
      compare(
        {
          name: '8. call through a forwarding replica: hello',
          unit: 'ms',
          workload,
          rounds,
          notes: `forwarding adds ${round(added)} ms at the median (goal: <= ${FORWARDING_GOAL_MS} ms); floor: the same call on the replica holding the socket, p99 ${round(p99(latency.floor))} ms`,
        },
        latency.subject,
        latency.floor,
      ),
      {
        name: `8. forwarded calls per second, ${inFlight} in flight`,
        value: round(median(perSecond.subject)),
        unit: 'calls/s',
        baseline: round(median(perSecond.floor)),
        ratio: round(median(perSecond.subject) / median(perSecond.floor), 3),
        workload: `hello queries kept ${inFlight} in flight, ${total} a round x ${rounds} rounds`,
        median: round(median(perSecond.subject)),
        p99: null,
        rounds,
        notes: 'baseline: the same calls on the replica holding the socket (the local link)',
      },
    ];
  } finally {
    socket.terminate();
    for (const replica of replicas) await replica.close();
  }
}

async function replicasHolding(nats: Awaited<ReturnType<typeof startNats>>, agents: number, quick: boolean): Promise<BenchResult[]> {
  const windowMs = quick ? 5_000 : 15_000;
  const postgres = await startPostgres();
  const servers: ServerHandle[] = [];
  let sims: SimsHandle | null = null;
  try {
    const databaseUrl = await postgres.createDatabase('bench_cluster');
    for (const replicaId of ['r1', 'r2', 'r3']) {
      servers.push(await startServerProcess({ mode: 'mock', adminToken: 'bench-cluster-admin-token', cluster: { natsUrl: nats.url, databaseUrl, replicaId } }));
    }
    const nodes = await registerNodes(servers[0]!.url.replace(/^ws/, 'http'), 'bench-cluster-admin-token', agents, 'bench-cl-');
    progress(`figure 8: three replicas up, ${agents} nodes registered`);
    sims = await startSimulatedAgents();
    const third = Math.ceil(agents / 3);
    for (const [i, server] of servers.entries()) {
      await sims.dial({ mode: 'trpc', url: server.url, agents: nodes.slice(i * third, (i + 1) * third), heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, batchSize: 250 });
    }
    const online = async () => (await Promise.all(servers.map((server) => server.report()))).reduce((sum, report) => sum + report.online, 0);
    // Measured when all are online, or after ten minutes with as many as made it (the workload says how many).
    const onlineAt = await waitFor(async () => (await online()) >= agents, { what: `${agents} agents online across the replicas`, timeoutMs: 600_000, intervalMs: 500 }).then(
      () => agents,
      async () => online(),
    );
    progress(`figure 8: ${onlineAt} of ${agents} online`);
    await delay(quick ? 1_000 : 5_000);
    for (const server of servers) await server.gc();
    const cpuStart = [...servers.map((server) => cpuTimeMs(server.pid)), cpuTimeMs(nats.pid!)];
    const start = performance.now();
    const rss = await Promise.all(servers.map((server) => sampleRss(server.pid, Math.round(windowMs / 1_000), 1_000)));
    const elapsed = performance.now() - start;
    const cpuEnd = [...servers.map((server) => cpuTimeMs(server.pid)), cpuTimeMs(nats.pid!)];
    const cpu = cpuEnd.map((end, i) => ((end - cpuStart[i]!) / elapsed) * 100);
    const stillOnline = await online();
    const workload = `${agents.toLocaleString('en')} simulated agents (the agent's dial loop, heartbeat every ${HEARTBEAT_INTERVAL_MS / 1000} s), a third dialled to each of 3 replicas; measured over ${windowMs / 1000} s; ${stillOnline.toLocaleString('en')} online at the end`;
    const results: BenchResult[] = servers.map((server, i) => ({
      name: `8. replica r${i + 1} of 3: RSS and CPU, ${agents.toLocaleString('en')} agents in the cluster`,
      value: round(median(rss[i]!) / 1024 / 1024),
      unit: 'MiB',
      baseline: null,
      ratio: null,
      workload,
      median: round(median(rss[i]!) / 1024 / 1024),
      p99: round(p99(rss[i]!) / 1024 / 1024),
      rounds: rss[i]!.length,
      notes: `CPU ${round(cpu[i]!)} % of one core over the window; pid ${server.pid}`,
    }));
    results.push({
      name: `8. nats-server CPU, ${agents.toLocaleString('en')} agents in the cluster`,
      value: round(cpu[3]!),
      unit: '% of one core',
      baseline: null,
      ratio: null,
      workload,
      median: round(cpu[3]!),
      p99: round(cpu[3]!),
      rounds: 1,
      notes: 'every heartbeat is a compare-and-set write to the liveness bucket, watched by every replica, and (at most once a second a node) a live event in the JetStream stream, read by every replica',
    });
    return results;
  } finally {
    await Promise.all(servers.map((server) => server.kill()));
    await sims?.kill();
    await postgres.stop();
  }
}

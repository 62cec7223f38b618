import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { anonymousAgents, registerNodes, type SimsHandle, startServerProcess, startSimulatedAgents } from './fleet.js';
import { cpuTimeMs, sampleRss } from './proc.js';
import { type BenchResult, median, p99, progress, ratioOf, round } from './stats.js';
import { waitFor } from './workspace.js';

const HEARTBEAT_INTERVAL_MS = 5_000;

interface StepMeasure {
  agents: number;
  idleRssBytes: number;
  rssSamples: number[];
  cpuPercent: number;
  latenciesMs: number[];
  /** Agents not online at the end of the window (dropped, e.g. by keep-alive under load, and dialling again). */
  offlineAtEnd: number;
  /** What the dashboard's event stream delivered in the window (0 for the floor, which has none). */
  eventBytes: number;
}

/**
 * Figure 5: what one server process pays per connected agent. The mock server holds N
 * protocol-level agents (a second process, each agent with its own socket, the agent's real
 * dial loop, a heartbeat every 5 s); its RSS above its idle RSS, its CPU share, and how
 * late heartbeats are processed. The floor: a bare `ws` server holding N bare sockets that
 * send the same heartbeat JSON on the same schedule.
 */
export async function benchHubScale({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const steps = quick ? [200] : [5_000, 10_000];
  const windowMs = quick ? 5_000 : 15_000;
  const settleMs = quick ? 1_000 : 2_000;
  const mock = await measureFleet('mock', steps, windowMs, settleMs);
  const raw = await measureFleet('raw', steps, windowMs, settleMs);
  const results: BenchResult[] = [];
  for (const [i, agents] of steps.entries()) {
    const m = mock[i]!;
    const r = raw[i]!;
    const dropped = m.offlineAtEnd || r.offlineAtEnd ? `; ${m.offlineAtEnd} (floor: ${r.offlineAtEnd}) of them were offline at the end of the window, dropped under load and dialling again` : '';
    const workload = `${agents.toLocaleString('en')} agents connected (dialled 250 at a time), heartbeat every ${HEARTBEAT_INTERVAL_MS / 1000} s; measured over a ${windowMs / 1000} s window after a ${settleMs / 1000} s settle${dropped}`;
    const perAgentKiB = (s: StepMeasure, rss: number) => (rss - s.idleRssBytes) / s.agents / 1024;
    const mockRss = perAgentKiB(m, median(m.rssSamples));
    const rawRss = perAgentKiB(r, median(r.rssSamples));
    results.push({
      name: `5. server RSS per agent (${agents.toLocaleString('en')})`,
      value: round(mockRss),
      unit: 'KiB/agent',
      baseline: round(rawRss),
      ratio: round(ratioOf(mockRss, rawRss), 3),
      workload: `${workload}; one RSS sample a second for as long again, from a forced collection after the window`,
      median: round(mockRss),
      p99: round(perAgentKiB(m, p99(m.rssSamples))),
      rounds: m.rssSamples.length,
      notes: `mock server process (startMockServer, sqlite in a temp folder) idle ${mib(m.idleRssBytes)} MiB, ${mib(median(m.rssSamples))} MiB holding them; floor: bare ws server idle ${mib(r.idleRssBytes)} MiB, ${mib(median(r.rssSamples))} MiB`,
    });
    results.push({
      name: `5. server CPU share (${agents.toLocaleString('en')})`,
      value: round(m.cpuPercent),
      unit: '% of one core',
      baseline: round(r.cpuPercent),
      ratio: round(ratioOf(m.cpuPercent, r.cpuPercent), 3),
      workload: `${workload}; user+system CPU time over the window`,
      median: round(m.cpuPercent),
      p99: round(m.cpuPercent),
      rounds: 1,
      notes: `${round((m.cpuPercent / agents) * 1000, 3)} thousandths of a percent of a core per agent (floor ${round((r.cpuPercent / agents) * 1000, 3)}); the event stream's reader got ${mib(m.eventBytes)} MiB in the window; one window, so median and p99 are that window`,
    });
    const mockP99 = p99(m.latenciesMs);
    const rawP99 = p99(r.latenciesMs);
    results.push({
      name: `5. heartbeat processing p99 (${agents.toLocaleString('en')})`,
      value: round(mockP99),
      unit: 'ms',
      baseline: round(rawP99),
      ratio: round(ratioOf(mockP99, rawP99), 3),
      workload: `${workload}; ${m.latenciesMs.length.toLocaleString('en')} heartbeats, each from the agent yielding it to the server recording it`,
      median: round(median(m.latenciesMs)),
      p99: round(mockP99),
      rounds: 1,
      notes: `floor: the bare ws server parsing the same JSON, median ${round(median(r.latenciesMs))} ms over ${r.latenciesMs.length.toLocaleString('en')} heartbeats`,
    });
  }
  return results;
}

const mib = (bytes: number) => round(bytes / 1024 / 1024, 3);

async function measureFleet(mode: 'mock' | 'raw', steps: number[], windowMs: number, settleMs: number): Promise<StepMeasure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lormas-bench-scale-'));
  const server = await startServerProcess({ mode, dataDir });
  let sims: SimsHandle | null = null;
  let events: EventReader | null = null;
  try {
    const total = steps.at(-1)!;
    const agents =
      mode === 'mock' ? await registerNodes(server.url.replace(/^ws/, 'http'), server.adminToken!, total, 'bench-scale-') : anonymousAgents(total, 'bench-scale-');
    progress(`figure 5 (${mode}): server up, ${total} nodes registered`);
    await server.gc();
    await delay(500);
    const idleRssBytes = median(await sampleRss(server.pid, 3, 300));
    // Every feature on: the dashboard's live event stream has a reader for the whole run.
    if (mode === 'mock') events = readEventStream(server.url.replace(/^ws/, 'http'), server.adminToken!);
    sims = await startSimulatedAgents();
    const measures: StepMeasure[] = [];
    let dialled = 0;
    for (const count of steps) {
      await sims.dial({ mode: mode === 'mock' ? 'trpc' : 'raw', url: server.url, agents: agents.slice(dialled, count), heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, batchSize: 250 });
      dialled = count;
      progress(`figure 5 (${mode}): ${count} dialled`);
      await waitFor(async () => (await server.report()).online >= count, { what: `${count} agents to be online (${mode})`, timeoutMs: 120_000, intervalMs: 250 });
      progress(`figure 5 (${mode}): ${count} online`);
      // The forced collection comes before the settle, never just before the latency window: it
      // is a full, blocking mark-compact (700 ms at 5,000 agents on this machine), and the
      // heartbeats it held back were processed, and counted as late, in the window.
      await server.gc();
      await delay(settleMs);
      await server.report();
      const eventBytesBefore = events?.bytes() ?? 0;
      const cpuStart = cpuTimeMs(server.pid);
      const start = performance.now();
      await delay(windowMs);
      const cpuPercent = ((cpuTimeMs(server.pid) - cpuStart) / (performance.now() - start)) * 100;
      const report = await server.report();
      const eventBytes = (events?.bytes() ?? 0) - eventBytesBefore;
      // A reader cut off (SLOW_READER) would measure a server with the event stream off.
      if (events && eventBytes === 0) throw new Error(`the dashboard event stream delivered nothing in the window at ${count} agents`);
      // RSS as it has always been read: once a second from a forced collection on, after the
      // latency window so the collection delays no heartbeat that is counted.
      await server.gc();
      const rssSamples = await sampleRss(server.pid, Math.round(windowMs / 1_000), 1_000);
      measures.push({ agents: count, idleRssBytes, rssSamples, cpuPercent, latenciesMs: report.heartbeatLatenciesMs, offlineAtEnd: Math.max(0, count - report.online), eventBytes });
    }
    return measures;
  } finally {
    // Killed, not stopped: a graceful goodbye from thousands of agents measures nothing and takes seconds.
    events?.stop();
    await server.kill();
    await sims?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

interface EventReader {
  bytes(): number;
  stop(): void;
}

/** A dashboard's reader of `GET /api/events`, kept open and drained, as an operator's open page is. */
function readEventStream(baseUrl: string, adminToken: string): EventReader {
  const abort = new AbortController();
  let bytes = 0;
  void (async () => {
    const res = await fetch(`${baseUrl}/api/events`, { headers: { authorization: `Bearer ${adminToken}`, accept: 'text/event-stream' }, signal: abort.signal });
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  })().catch(() => {});
  return { bytes: () => bytes, stop: () => abort.abort() };
}

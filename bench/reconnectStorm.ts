import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { registerNodes, type ServerHandle, type SimsHandle, startServerProcess, startSimulatedAgents } from './fleet.js';
import { type BenchResult, median, p99, percentile, ratioOf, round } from './stats.js';
import { epochMs } from './stubHandlers.js';
import { waitFor } from './workspace.js';

/**
 * The dial loop resets its backoff after a connection held this long. The agent's default is
 * 10 s; a shorter one only shortens the wait between storms, not what a storm does.
 */
const STABLE_AFTER_MS = 2_000;

interface Storm {
  /** Kill -> the restarted server is listening. */
  restartMs: number;
  /** The restarted server listening -> the last agent back (hello answered). */
  backMs: number;
  /** Instants (ms after the kill) at which each agent learned of the drop. */
  closes: number[];
  /** Instants (ms after the kill) of each agent's first dial after the drop. */
  firstAttempts: number[];
}

const span = (xs: number[]) => percentile(xs, 99) - percentile(xs, 1);

/**
 * Figure 6: the mock server is killed (SIGKILL) and restarted on the same port and database
 * with N agents connected; how long until all are back, and how far the agents' full-jitter
 * backoff spreads their first attempts. The floor: the same fleet dialled all at once at a
 * running server (the server's own accept capacity).
 */
export async function benchReconnectStorm({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const count = quick ? 200 : 1_000;
  const storms = quick ? 1 : 2;
  // The cold connect warms the server's paths up; a full run also throws its first storm away.
  const warmupStorms = quick ? 0 : 1;
  const dataDir = mkdtempSync(join(tmpdir(), 'lormas-bench-storm-'));
  let server: ServerHandle = await startServerProcess({ mode: 'mock', dataDir });
  let sims: SimsHandle | null = null;
  try {
    const { port } = server;
    const adminToken = server.adminToken!;
    const agents = await registerNodes(server.url.replace(/^ws/, 'http'), adminToken, count, 'bench-storm-');
    sims = await startSimulatedAgents();
    const dialStart = epochMs();
    await sims.dial({ mode: 'trpc', url: server.url, agents, heartbeatIntervalMs: 5_000, batchSize: count, stableAfterMs: STABLE_AFTER_MS });
    const coldMs = (await allOnline(server, count)) - dialStart;

    const measured: Storm[] = [];
    for (let i = -warmupStorms; i < storms; i++) {
      // Let every agent's backoff reset, as it would on a server that had been up for a while.
      await delay(STABLE_AFTER_MS + 500);
      await sims.report();
      const killedAt = epochMs();
      await server.kill();
      server = await startServerProcess({ mode: 'mock', port, dataDir, adminToken });
      const listeningAt = epochMs();
      const lastBack = await allOnline(server, count);
      const agentsSaw = await sims.report();
      const storm = {
        restartMs: listeningAt - killedAt,
        backMs: lastBack - listeningAt,
        closes: agentsSaw.closes.map((t) => t - killedAt),
        firstAttempts: agentsSaw.firstRetries.map((t) => t - killedAt),
      };
      if (i >= 0) measured.push(storm);
    }
    const back = measured.map((s) => s.backMs);
    const attemptSpreads = measured.map((s) => span(s.firstAttempts));
    const closeSpreads = measured.map((s) => span(s.closes));
    const workload = `${count.toLocaleString('en')} simulated agents (the agent's real dial loop: 500 ms first ceiling, full jitter), mock server SIGKILLed and restarted on the same port and database; ${storms} storm${storms > 1 ? 's' : ''} after ${warmupStorms ? 'a warm-up storm' : 'the cold connect as warm-up'}, each after the backoff had reset (held ${STABLE_AFTER_MS / 1000} s connected; the agent's default is 10 s)`;
    return [
      {
        name: `6. reconnect storm: all back (${count.toLocaleString('en')})`,
        value: round(median(back)),
        unit: 'ms',
        baseline: round(coldMs),
        ratio: round(ratioOf(median(back), coldMs), 3),
        workload: `${workload}; measured from the restarted server listening to the last agent's hello answered`,
        median: round(median(back)),
        p99: round(p99(back)),
        rounds: measured.length,
        notes: `floor: the same fleet dialled at once at a running server, ${round(coldMs)} ms to all online. The restart itself (kill -> listening, a new Node process) took ${round(median(measured.map((s) => s.restartMs)))} ms more`,
      },
      {
        name: `6. reconnect storm: first-attempt spread (${count.toLocaleString('en')})`,
        value: round(median(attemptSpreads)),
        unit: 'ms',
        baseline: round(median(closeSpreads)),
        ratio: round(ratioOf(median(attemptSpreads), median(closeSpreads)), 3),
        workload: `${workload}; spread = p1..p99 span of the instants each agent first dialled again after the drop`,
        median: round(median(attemptSpreads)),
        p99: round(p99(attemptSpreads)),
        rounds: measured.length,
        notes: `baseline: the p1..p99 span of the instants the agents learned of the drop, which is what they would dial on without jitter; full jitter on a 500 ms ceiling should spread them over about 490 ms. ${first(measured)}`,
      },
    ];
  } finally {
    await server.kill();
    await sims?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function first(storms: Storm[]): string {
  const s = storms[0];
  if (!s) return '';
  return `First storm: ${s.firstAttempts.length} first attempts between ${round(Math.min(...s.firstAttempts))} and ${round(Math.max(...s.firstAttempts))} ms after the kill`;
}

/** Waits until `count` agents are online and returns the epoch ms instant the last one came. */
async function allOnline(server: ServerHandle, count: number): Promise<number> {
  let online = 0;
  let last = 0;
  await waitFor(
    async () => {
      const report = await server.report();
      online = report.online;
      for (const at of report.connects) last = Math.max(last, at);
      return online >= count;
    },
    { what: `${count} agents online`, timeoutMs: 180_000, intervalMs: 100 },
  );
  return last;
}

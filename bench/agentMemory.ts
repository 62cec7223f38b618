import { setTimeout as delay } from 'node:timers/promises';
import { memoryBreakdown } from './memoryBreakdown.js';
import { agentCommand, type AgentRuntime, bareRuntimeCommand, bareRuntimeRss, startAgentUnderTest } from './agentUnderTest.js';
import { CONTAINER_PREFIX, removeBenchContainers } from './cleanup.js';
import { launcherMemory } from './launcherMemory.js';
import { MiB, sampleRss } from './proc.js';
import { type BenchResult, median, p99, progress, ratioOf, round } from './stats.js';
import { type AgentClient, ensureTestImage, requireEngine, TEST_IMAGE } from './workspace.js';

const PREFIX = `${CONTAINER_PREFIX}mem-`;
const HEARTBEAT_INTERVAL_MS = 500;
const SLOW_READER_BYTES_PER_SECOND = 1024 * 1024;
const FLOOD_LINE = 'x'.repeat(100);

/** Figure 4 runs the agent file on each runtime operators use; `tsx` is a reference row (idle only). */
const TARGETS = {
  /** At most this much above bare `node` in the same run (the budget for the agent's own cost). */
  nodeIdleOverBareMiB: 16,
  /** At most this much in all, on Bun. */
  bunIdleMiB: 60,
  /** Behind the floods, at most this much above idle. */
  floodOverIdleMiB: 32,
  heartbeatP99Ms: 250,
  startupMs: 300,
} as const;

/**
 * Figure 4: the agent process's memory idle with 50 managed containers, and while 10
 * containers flood their logs to a reader that takes 1 MiB/s (a throttling proxy between
 * agent and server, so TCP pushes back as a slow link does); heartbeat lateness during the
 * floods, to that slow reader and to a full-speed one; and the start-up time, from spawning
 * the process to the server accepting its session. The agent is the self-contained
 * `dist/agent.js` on Node and on Bun, as operators run it; `tsx` is a reference row.
 * Lateness is the arrival at the server less the beat's slot on the agent's fixed schedule
 * (one clock: same host).
 */
export async function benchAgentMemory({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  await requireEngine();
  await ensureTestImage();
  const results: BenchResult[] = [];
  for (const runtime of quick ? (['node'] as const) : (['node', 'bun'] as const)) results.push(...(await measureRuntime(runtime, quick)));
  for (const runtime of quick ? (['node'] as const) : (['node', 'bun'] as const)) results.push(await launcherMemory(runtime));
  if (!quick) {
    results.push(await idleReference('tsx'));
    for (const runtime of ['node', 'bun'] as const) results.push(...(await memoryBreakdown(runtime)));
  }
  results.push(...(await startupTimes(quick)));
  return results;
}

async function measureRuntime(runtime: AgentRuntime, quick: boolean): Promise<BenchResult[]> {
  const seconds = quick ? { idle: 2, slow: 4, fast: 3 } : { idle: 8, slow: 45, fast: 15 };
  const settleMs = quick ? 1_500 : 3_000;
  const IDLE_CONTAINERS = quick ? 10 : 50;
  const FLOODS = quick ? 4 : 10;
  const prefix = `${PREFIX}${runtime}-`;
  await removeBenchContainers(prefix);
  const under = await startAgentUnderTest(`bench-memory-${runtime}`, { runtime, settle: true, throughProxy: true, env: { HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS) } });
  progress(`figure 4 (${runtime}): agent connected`);
  const beats = watchHeartbeats(under.client);
  const logs: { unsubscribe(): void }[] = [];
  let n = 0;
  const create = async (cmd: string[]) => {
    const name = `${prefix}${process.pid}-${++n}`;
    const { containerId } = await under.client.containers.create.mutate({ operationId: name, spec: { name, image: TEST_IMAGE, cmd, networkMode: 'none' }, start: true });
    return containerId;
  };
  try {
    const runtimeFloor = await bareRuntimeRss(runtime);
    const empty = await sampleRss(under.pid, 4);
    for (let i = 0; i < IDLE_CONTAINERS; i += 5) await Promise.all(Array.from({ length: 5 }, () => create(['sleep', '3600'])));
    progress(`figure 4 (${runtime}): ${IDLE_CONTAINERS} idle containers created`);
    await delay(settleMs);
    beats.take();
    const idle = await sampleRss(under.pid, seconds.idle * 2);
    const idleLate = beats.take().late;

    const received = { bytes: 0, lines: 0 };
    const floods = await Promise.all(Array.from({ length: FLOODS }, () => create(['sh', '-c', `while :; do echo ${FLOOD_LINE}; done`])));
    under.proxy!.throttle(SLOW_READER_BYTES_PER_SECOND);
    for (const id of floods) logs.push(under.client.containers.logs.subscribe({ id, follow: true }, { onData: ({ data }) => count(received, data.entries), onError: () => {} }));
    progress(`figure 4 (${runtime}): ${FLOODS} floods followed`);
    await delay(1_000);
    beats.take();
    const slowStart = { ...received };
    const slow = await sampleRss(under.pid, seconds.slow * 2);
    const slowLate = beats.take();
    const slowMiBs = (received.bytes - slowStart.bytes) / MiB / seconds.slow;

    under.proxy!.throttle(null);
    await delay(2_000);
    beats.take();
    const fastStart = { ...received };
    const fast = await sampleRss(under.pid, seconds.fast * 2);
    const fastLate = beats.take();
    const fastMiBs = (received.bytes - fastStart.bytes) / MiB / seconds.fast;

    const mib = (bytes: number) => round(bytes / MiB, 4);
    const half = Math.floor(slow.length / 2);
    const growth = median(slow.slice(half)) - median(slow.slice(0, half));
    const agentFile = `the agent file on ${runtime} (${agentCommand(runtime).slice(-1)[0]})`;
    const floodsLoad = `${agentFile}; ${FLOODS} containers each writing 100-byte lines as fast as busybox sh can, all followed at once, alongside the ${IDLE_CONTAINERS} idle ones`;
    const idleTarget =
      runtime === 'node'
        ? `target: at most ${TARGETS.nodeIdleOverBareMiB} MiB over bare node (${mib(median(idle) - median(runtimeFloor))} MiB here)`
        : `target: at most ${TARGETS.bunIdleMiB} MiB in all`;
    const lateRow = (name: string, { late, onTimer }: Beats, phase: string): BenchResult => ({
      name,
      runtime,
      value: round(p99(late)),
      unit: 'ms',
      baseline: round(p99(idleLate)),
      ratio: round(ratioOf(p99(late), p99(idleLate)), 3),
      workload: `${floodsLoad}; ${phase}; heartbeat every ${HEARTBEAT_INTERVAL_MS} ms, ${late.length} beats`,
      median: round(median(late)),
      p99: round(p99(late)),
      rounds: late.length,
      notes:
        `value is the p99 (the target: <= ${TARGETS.heartbeatP99Ms} ms); floor: the same agent idle with ${IDLE_CONTAINERS} containers, p99 of ${idleLate.length} beats. ` +
        `Of the lateness, the agent's own timer (the beat's time of sending less its slot): p99 ${round(p99(onTimer))} ms, median ${round(median(onTimer))} ms; the rest is the link. Everything shares 2 cores with the engine and the floods`,
    });
    return [
      {
        name: `4. agent RSS idle, ${IDLE_CONTAINERS} containers (${runtime})`,
        runtime,
        value: mib(median(idle)),
        unit: 'MiB',
        baseline: mib(median(runtimeFloor)),
        ratio: round(ratioOf(median(idle), median(runtimeFloor)), 3),
        workload: `${agentFile} managing ${IDLE_CONTAINERS} running busybox containers, heartbeat every ${HEARTBEAT_INTERVAL_MS} ms; ${idle.length} RSS samples over ${seconds.idle} s after a ${settleMs / 1000} s settle`,
        median: mib(median(idle)),
        p99: mib(p99(idle)),
        rounds: idle.length,
        notes: `${idleTarget}; floor: bare \`${bareRuntimeCommand(runtime).join(' ').replace(/^\S*\//, '')}\` idling (the runtime alone); the agent with no containers, just after connecting: ${mib(median(empty))} MiB`,
      },
      {
        name: `4. agent RSS, ${FLOODS} floods to a slow reader (${runtime})`,
        runtime,
        value: mib(median(slow)),
        unit: 'MiB',
        baseline: mib(median(idle)),
        ratio: round(ratioOf(median(slow), median(idle)), 3),
        workload: `${floodsLoad}; the reader takes ${SLOW_READER_BYTES_PER_SECOND / MiB} MiB/s of the link (received ${round(slowMiBs, 3)} MiB/s of log text, not counting the JSON around each line); ${slow.length} RSS samples over ${seconds.slow} s`,
        median: mib(median(slow)),
        p99: mib(p99(slow)),
        rounds: slow.length,
        notes: `target: at most idle + ${TARGETS.floodOverIdleMiB} MiB; peak ${mib(Math.max(...slow))} MiB, ${mib(Math.max(...slow) - median(idle))} MiB over idle, second half ${growth >= 0 ? '+' : ''}${mib(growth)} MiB against the first (flat = bounded); with a full-speed reader (${round(fastMiBs, 3)} MiB/s of log text received) median ${mib(median(fast))} MiB; floor: idle with ${IDLE_CONTAINERS} containers`,
      },
      lateRow(`4. heartbeat lateness p99, ${FLOODS} floods (${runtime})`, fastLate, 'the reader takes all it gets'),
      lateRow(`4. heartbeat lateness p99, ${FLOODS} floods, slow reader (${runtime})`, slowLate, `the reader takes ${SLOW_READER_BYTES_PER_SECOND / MiB} MiB/s, so beats queue behind log bytes already in the kernel's socket buffers`),
    ];
  } finally {
    for (const subscription of logs) subscription.unsubscribe();
    beats.stop();
    await under.close();
    progress(`figure 4 (${runtime}): agent stopped`);
    await removeBenchContainers(prefix);
    progress(`figure 4 (${runtime}): containers removed`);
  }
}

/** The agent idle and connected, with no containers: a reference row for a runtime operators do not use. */
async function idleReference(runtime: AgentRuntime): Promise<BenchResult> {
  const under = await startAgentUnderTest(`bench-memory-ref-${runtime}`, { runtime, settle: true });
  try {
    const floor = await bareRuntimeRss(runtime);
    await delay(2_000);
    const idle = await sampleRss(under.pid, 8);
    return {
      name: `4. agent RSS idle, no containers (${runtime}, reference)`,
      runtime,
      value: round(median(idle) / MiB, 4),
      unit: 'MiB',
      baseline: round(median(floor) / MiB, 4),
      ratio: round(ratioOf(median(idle), median(floor)), 3),
      workload: `the agent from its TypeScript sources (${agentCommand(runtime).slice(1).join(' ')}), connected, no containers; ${idle.length} RSS samples`,
      median: round(median(idle) / MiB, 4),
      p99: round(p99(idle) / MiB, 4),
      rounds: idle.length,
      notes: 'operators run the self-contained file; this row shows what running the sources costs on top (the compiled TypeScript and tsx itself)',
    };
  } finally {
    await under.close();
  }
}

/** From spawning the agent file to the server accepting its session, a few starts per runtime. */
async function startupTimes(quick: boolean): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const runtime of quick ? (['node'] as const) : (['node', 'bun'] as const)) {
    const samples: number[] = [];
    for (let i = 0; i < (quick ? 3 : 9); i++) {
      const under = await startAgentUnderTest(`bench-start-${runtime}-${i}`, { runtime });
      samples.push(under.connectMs);
      await under.close();
    }
    rows.push({
      name: `4. start-up to connected (${runtime})`,
      runtime,
      value: round(median(samples)),
      unit: 'ms',
      baseline: null,
      ratio: null,
      workload: `${samples.length} starts of the agent file on ${runtime}: from spawning the process to the server's hello answered, against a loopback server end and the local engine`,
      median: round(median(samples)),
      p99: round(p99(samples)),
      rounds: samples.length,
      notes: `goal: under ${TARGETS.startupMs} ms; the agent asks the engine for its version before it dials`,
    });
  }
  return rows;
}

function count(received: { bytes: number; lines: number }, entries: { line: string }[]): void {
  received.lines += entries.length;
  for (const entry of entries) received.bytes += entry.line.length + 1;
}

interface Beats {
  /** Arrival less the beat's slot, per beat. */
  late: number[];
  /** The beat's own time of sending less its slot: how late the agent's timer fired. */
  onTimer: number[];
}

/** Heartbeat lateness at arrival: now less the beat's slot (first beat of the connection + (seq - 1) x interval). */
function watchHeartbeats(client: AgentClient) {
  let slotZero: number | null = null;
  let beats: Beats = { late: [], onTimer: [] };
  const subscription = client.node.heartbeats.subscribe(undefined, {
    onData: (beat) => {
      if (beat.seq === 1 || slotZero === null) slotZero = beat.at - (beat.seq - 1) * HEARTBEAT_INTERVAL_MS;
      const slot = slotZero + (beat.seq - 1) * HEARTBEAT_INTERVAL_MS;
      beats.late.push(Date.now() - slot);
      beats.onTimer.push(beat.at - slot);
    },
    onError: () => {},
  });
  return {
    take(): Beats {
      const taken = beats;
      beats = { late: [], onTimer: [] };
      return taken;
    },
    stop: () => subscription.unsubscribe(),
  };
}

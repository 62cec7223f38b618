import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { startAgentUnderTest } from './agentUnderTest.js';
import { CONTAINER_PREFIX, removeBenchContainers, trackChild } from './cleanup.js';
import { MiB, sampleRss } from './proc.js';
import { type BenchResult, median, p99, progress, ratioOf, round } from './stats.js';
import { type AgentClient, ensureTestImage, requireEngine, TEST_IMAGE } from './workspace.js';

const PREFIX = `${CONTAINER_PREFIX}mem-`;
const HEARTBEAT_INTERVAL_MS = 500;
const SLOW_READER_BYTES_PER_SECOND = 1024 * 1024;
const FLOOD_LINE = 'x'.repeat(100);

/**
 * Figure 4: the agent process's memory idle with 50 managed containers, and while 10
 * containers flood their logs to a reader that takes 1 MiB/s (a throttling proxy between
 * agent and server, so TCP pushes back as a slow link does); heartbeat lateness during the
 * floods, to that slow reader and to a full-speed one. Lateness is the arrival at the server
 * less the beat's slot on the agent's fixed schedule (one clock: same host).
 */
export async function benchAgentMemory({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const seconds = quick ? { idle: 2, slow: 4, fast: 3 } : { idle: 8, slow: 45, fast: 15 };
  const settleMs = quick ? 1_500 : 3_000;
  const IDLE_CONTAINERS = quick ? 10 : 50;
  const FLOODS = quick ? 4 : 10;
  await requireEngine();
  await ensureTestImage();
  await removeBenchContainers(PREFIX);
  const under = await startAgentUnderTest('bench-memory', { throughProxy: true, env: { HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS) } });
  progress('figure 4: agent connected');
  const beats = watchHeartbeats(under.client);
  const logs: { unsubscribe(): void }[] = [];
  let n = 0;
  const create = async (cmd: string[]) => {
    const name = `${PREFIX}${process.pid}-${++n}`;
    const { containerId } = await under.client.containers.create.mutate({ operationId: name, spec: { name, image: TEST_IMAGE, cmd, networkMode: 'none' }, start: true });
    return containerId;
  };
  try {
    const runtimeFloor = await bareRuntimeRss();
    const empty = await sampleRss(under.pid, 4);
    for (let i = 0; i < IDLE_CONTAINERS; i += 5) await Promise.all(Array.from({ length: 5 }, () => create(['sleep', '3600'])));
    progress(`figure 4: ${IDLE_CONTAINERS} idle containers created`);
    await delay(settleMs);
    beats.take();
    const idle = await sampleRss(under.pid, seconds.idle * 2);
    const idleLate = beats.take().late;

    const received = { bytes: 0, lines: 0 };
    const floods = await Promise.all(Array.from({ length: FLOODS }, () => create(['sh', '-c', `while :; do echo ${FLOOD_LINE}; done`])));
    under.proxy!.throttle(SLOW_READER_BYTES_PER_SECOND);
    for (const id of floods) logs.push(under.client.containers.logs.subscribe({ id, follow: true }, { onData: ({ data }) => count(received, data.entries), onError: () => {} }));
    progress(`figure 4: ${FLOODS} floods followed`);
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
    const floodsLoad = `${FLOODS} containers each writing 100-byte lines as fast as busybox sh can, all followed at once, alongside the ${IDLE_CONTAINERS} idle ones`;
    const lateRow = (name: string, { late, onTimer }: Beats, phase: string): BenchResult => ({
      name,
      value: round(p99(late)),
      unit: 'ms',
      baseline: round(p99(idleLate)),
      ratio: round(ratioOf(p99(late), p99(idleLate)), 3),
      workload: `${floodsLoad}; ${phase}; heartbeat every ${HEARTBEAT_INTERVAL_MS} ms, ${late.length} beats`,
      median: round(median(late)),
      p99: round(p99(late)),
      rounds: late.length,
      notes:
        `value is the p99 (the target: <= 250 ms); floor: the same agent idle with ${IDLE_CONTAINERS} containers, p99 of ${idleLate.length} beats. ` +
        `Of the lateness, the agent's own timer (the beat's time of sending less its slot): p99 ${round(p99(onTimer))} ms, median ${round(median(onTimer))} ms; the rest is the link. Everything shares 2 cores with the engine and the floods`,
    });
    return [
      {
        name: `4. agent RSS idle, ${IDLE_CONTAINERS} containers`,
        value: mib(median(idle)),
        unit: 'MiB',
        baseline: mib(median(runtimeFloor)),
        ratio: round(ratioOf(median(idle), median(runtimeFloor)), 3),
        workload: `the agent process (node + tsx) managing ${IDLE_CONTAINERS} running busybox containers, heartbeat every ${HEARTBEAT_INTERVAL_MS} ms; ${idle.length} RSS samples over ${seconds.idle} s after a ${settleMs / 1000} s settle`,
        median: mib(median(idle)),
        p99: mib(p99(idle)),
        rounds: idle.length,
        notes: `floor: a bare \`node --import tsx\` process idling (the runtime alone); the agent itself with no containers, just after connecting: ${mib(median(empty))} MiB. The agent runs from TypeScript through tsx, whose compiled sources count here`,
      },
      {
        name: `4. agent RSS, ${FLOODS} floods to a slow reader`,
        value: mib(median(slow)),
        unit: 'MiB',
        baseline: mib(median(idle)),
        ratio: round(ratioOf(median(slow), median(idle)), 3),
        workload: `${floodsLoad}; the reader takes ${SLOW_READER_BYTES_PER_SECOND / MiB} MiB/s of the link (received ${round(slowMiBs, 3)} MiB/s of log text, not counting the JSON around each line); ${slow.length} RSS samples over ${seconds.slow} s`,
        median: mib(median(slow)),
        p99: mib(p99(slow)),
        rounds: slow.length,
        notes: `bound: peak ${mib(Math.max(...slow))} MiB, ${mib(Math.max(...slow) - median(idle))} MiB over idle, second half ${growth >= 0 ? '+' : ''}${mib(growth)} MiB against the first (flat = bounded); with a full-speed reader (${round(fastMiBs, 3)} MiB/s of log text received) median ${mib(median(fast))} MiB; floor: idle with ${IDLE_CONTAINERS} containers`,
      },
      lateRow(`4. heartbeat lateness p99, ${FLOODS} floods`, fastLate, 'the reader takes all it gets'),
      lateRow(`4. heartbeat lateness p99, ${FLOODS} floods, slow reader`, slowLate, `the reader takes ${SLOW_READER_BYTES_PER_SECOND / MiB} MiB/s, so beats queue behind log bytes already in the kernel's socket buffers`),
    ];
  } finally {
    for (const subscription of logs) subscription.unsubscribe();
    beats.stop();
    await under.close();
    progress('figure 4: agent stopped');
    await removeBenchContainers(PREFIX);
    progress('figure 4: containers removed');
  }
}

function count(received: { bytes: number; lines: number }, entries: { line: string }[]): void {
  received.lines += entries.length;
  for (const entry of entries) received.bytes += entry.line.length + 1;
}

/** RSS of `node --import tsx` doing nothing: what the runtime costs before the agent does anything. */
async function bareRuntimeRss(): Promise<number[]> {
  const child = trackChild(spawn(process.execPath, ['--import', 'tsx', '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }));
  try {
    await delay(1_500);
    return await sampleRss(child.pid!, 4);
  } finally {
    child.kill('SIGKILL');
  }
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

/**
 * Figure 3: log throughput, container -> agent -> server, against reading the same
 * container's log straight from the engine with dockerode, in alternating rounds of one run.
 *
 * Subject: the real agent as its own process (as an operator runs it), streaming the log over
 * the reverse link on loopback to the server end in this process, which reads it with its
 * typed client and counts every entry. Floor: dockerode's own `logs` stream split with
 * `modem.demuxStream`, the usual way to read a container's output. Both read one finished
 * container's whole log with timestamps on, and `follow` so that dockerode streams rather
 * than buffers the answer.
 *
 * Runnable alone: `node --import tsx bench/logThroughput.ts [--quick]`.
 */
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startAgentUnderTest } from './agentUnderTest.js';
import { CONTAINER_PREFIX, removeBenchContainers } from './cleanup.js';
import { cpuTimeMs } from './proc.js';
import { type BenchResult, compare, measurePair } from './stats.js';
import { formatTable } from './table.js';
import { DEFAULT_DOCKER_SOCKET, Docker, TEST_IMAGE, docker, ensureTestImage, requireEngine } from './workspace.js';

export interface LogThroughputOptions {
  quick: boolean;
}

const PREFIX = `${CONTAINER_PREFIX}logs-`;
const LINE_PAD = 'x'.repeat(90);

export async function benchLogThroughput({ quick }: LogThroughputOptions): Promise<BenchResult[]> {
  const lines = quick ? 100_000 : 300_000;
  const rounds = quick ? 3 : 5;
  await requireEngine();
  await ensureTestImage();
  await removeBenchContainers(PREFIX);
  const dockerode = new Docker({ socketPath: DEFAULT_DOCKER_SOCKET });
  const under = await startAgentUnderTest('bench-logs');
  try {
    const name = `${PREFIX}${process.pid}`;
    // Each line: its number and a pad, about 100 bytes, as a busy service's log lines are.
    const { containerId: id } = await under.client.containers.create.mutate({
      operationId: name,
      spec: { name, image: TEST_IMAGE, cmd: ['awk', `BEGIN{for(i=1;i<=${lines};i++) printf "%d ${LINE_PAD}\\n", i}`], networkMode: 'none' },
      start: true,
    });
    await docker(['wait', id]);
    const logBytes = Array.from({ length: lines }, (_, i) => `${i + 1} ${LINE_PAD}\n`.length).reduce((a, b) => a + b, 0);
    const mbPerSecond = (ms: number) => logBytes / 1e6 / (ms / 1000);
    // CPU per MB of log, beside the wall-clock figure: on a busy machine the wall-clock ratio
    // mostly says how much CPU dockerd was left with, the cost itself says what each reader pays.
    const cpu = { agent: [] as number[], server: [] as number[], floor: [] as number[], engineSubject: [] as number[], engineFloor: [] as number[] };
    const engine = enginePid();
    const engineMs = () => (engine === null ? 0 : cpuTimeMs(engine));
    const perMb = (ms: number) => ms / (logBytes / 1e6);
    const processMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

    const throughLink = async (round: number): Promise<number[]> => {
      const agentStart = cpuTimeMs(under.pid);
      const engineStart = engineMs();
      const serverStart = process.cpuUsage();
      const started = performance.now();
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        under.client.containers.logs.subscribe(
          { id, follow: true },
          { onData: ({ data }) => (count += data.entries.length), onComplete: resolve, onError: reject },
        );
      });
      const ms = performance.now() - started;
      if (count !== lines) throw new Error(`the link delivered ${count} of ${lines} lines`);
      if (round >= 0) {
        cpu.agent.push(perMb(cpuTimeMs(under.pid) - agentStart));
        cpu.server.push(perMb(processMs(process.cpuUsage(serverStart))));
        cpu.engineSubject.push(perMb(engineMs() - engineStart));
      }
      return [mbPerSecond(ms)];
    };

    const straightFromEngine = async (round: number): Promise<number[]> => {
      const cpuStart = process.cpuUsage();
      const engineStart = engineMs();
      const started = performance.now();
      const stream = await dockerode.getContainer(id).logs({ follow: true, stdout: true, stderr: true, timestamps: true });
      let newlines = 0;
      const sink = () =>
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) newlines += 1;
            callback();
          },
        });
      await new Promise<void>((resolve, reject) => {
        dockerode.modem.demuxStream(stream, sink(), sink());
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      const ms = performance.now() - started;
      if (newlines !== lines) throw new Error(`the engine delivered ${newlines} of ${lines} lines`);
      if (round >= 0) {
        cpu.floor.push(perMb(processMs(process.cpuUsage(cpuStart))));
        cpu.engineFloor.push(perMb(engineMs() - engineStart));
      }
      return [mbPerSecond(ms)];
    };

    const { subject, floor } = await measurePair({ warmupRounds: 1, rounds, subject: throughLink, floor: straightFromEngine });
    const workload = `one finished container's log of ${lines} lines (${(logBytes / 1e6).toFixed(1)} MB of output, timestamps on) read whole, ${rounds} rounds after 1 warm-up`;
    const cpuNotes = (side: string) =>
      `${side} CPU time per MB of log (user + system, /proc) for the same rounds; the floor is the CPU this process spent on dockerode's demuxStream read`;
    return [
      compare(
        {
          name: '3. log throughput: container -> agent -> server',
          runtime: under.runtime,
          unit: 'MB/s',
          rounds,
          workload,
          notes:
            'floor: the same log read straight from the engine with dockerode (demuxStream into counting sinks); ' +
            'subject: the agent process (streamLogs: engine log parsed into entries, sent in chunks of up to 64 KiB under the send window) over the reverse link on loopback, every entry counted by the server client; agent, server end and dockerd share the 2 cores',
        },
        subject,
        floor,
      ),
      compare({ name: '3. log CPU cost: agent process', runtime: under.runtime, unit: 'ms CPU/MB', rounds, workload, notes: cpuNotes("the agent process's") }, cpu.agent, cpu.floor),
      compare({ name: '3. log CPU cost: server end', unit: 'ms CPU/MB', rounds, workload, notes: cpuNotes("the server end's (this process)") }, cpu.server, cpu.floor),
      ...(engine === null
        ? []
        : [
            compare(
              {
                name: '3. log CPU cost: dockerd',
                unit: 'ms CPU/MB',
                rounds,
                workload,
                notes: "dockerd's CPU time per MB of log while the agent reads it, against while dockerode reads it (/proc); what the engine spends serving each reader",
              },
              cpu.engineSubject,
              cpu.engineFloor,
            ),
          ]),
    ];
  } finally {
    await under.close();
    await removeBenchContainers(PREFIX);
  }
}

/** The engine's process id when it runs in this process's view (the bench's own machine), else null. */
function enginePid(): number | null {
  try {
    const pid = Number(execFileSync('pidof', ['dockerd'], { encoding: 'utf8' }).trim().split(' ')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await benchLogThroughput({ quick: process.argv.includes('--quick') });
  console.log(formatTable(results));
}

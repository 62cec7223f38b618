/**
 * Figure 3: log throughput, container -> agent -> server, against reading the same
 * container's log straight from the engine with dockerode, in alternating rounds of one run.
 *
 * Subject: the agent's `streamLogs` on the dockerode runtime, served over the reverse link
 * (loopback), read by the server's typed client as the real server reads it, every entry
 * counted. Floor: dockerode's own `logs` stream split with `modem.demuxStream`, the usual
 * way to read a container's output. Both read one finished container's whole log with
 * timestamps on, and `follow` so that dockerode streams rather than buffers the answer.
 *
 * Runnable alone: `node --import tsx bench/logThroughput.ts [--quick]`.
 */
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { dialTestAgent, startTestHub } from '../packages/protocol/src/testing/testLink.js';
import { createDockerRuntime } from '../packages/agent/src/docker/dockerRuntime.js';
import { streamLogs } from '../packages/agent/src/logs/index.js';
import { CONTAINER_PREFIX, removeBenchContainers } from './cleanup.js';
import { type BenchResult, compare, measurePair } from './stats.js';
import { stubHandlers } from './stubHandlers.js';
import { formatTable } from './table.js';
import { DEFAULT_DOCKER_SOCKET, Docker, TEST_IMAGE, docker, ensureTestImage, requireEngine, waitFor } from './workspace.js';

export interface LogThroughputOptions {
  quick: boolean;
}

const LINE_PAD = 'x'.repeat(90);

export async function benchLogThroughput({ quick }: LogThroughputOptions): Promise<BenchResult[]> {
  const lines = quick ? 100_000 : 300_000;
  const rounds = quick ? 3 : 5;
  await requireEngine();
  await ensureTestImage();
  const prefix = `${CONTAINER_PREFIX}logs-${process.pid}`;
  // Each line: its number and a pad, about 100 bytes, as a busy service's log lines are.
  const id = await docker(['run', '-d', '--network', 'none', '--name', prefix, TEST_IMAGE, 'awk', `BEGIN{for(i=1;i<=${lines};i++) printf "%d ${LINE_PAD}\\n", i}`]);
  const hubFixture = await startTestHub();
  const nodeId = 'bench-logs';
  const runtime = createDockerRuntime({ dockerHost: `unix://${DEFAULT_DOCKER_SOCKET}` });
  const handlers = stubHandlers({ nodeName: nodeId, heartbeatIntervalMs: 60_000 });
  handlers.containers.logs = (input, ctx) => streamLogs(runtime, input, ctx);
  const agentSocket = dialTestAgent(hubFixture.url, nodeId, handlers);
  const dockerode = new Docker({ socketPath: DEFAULT_DOCKER_SOCKET });
  try {
    await docker(['wait', id]);
    await waitFor(() => hubFixture.hub.isConnected(nodeId), { what: 'the agent to connect' });
    const client = hubFixture.hub.client(nodeId);
    const logBytes = Array.from({ length: lines }, (_, i) => `${i + 1} ${LINE_PAD}\n`.length).reduce((a, b) => a + b, 0);
    const mbPerSecond = (ms: number) => logBytes / 1e6 / (ms / 1000);
    // CPU this process spent per MB of log: on a busy machine the wall-clock ratio mostly says
    // how much CPU dockerd was left with, so the cost itself is reported beside it.
    const cpu = { subject: [] as number[], floor: [] as number[] };
    const cpuMsPerMb = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000 / (logBytes / 1e6);

    const throughLink = async (round: number): Promise<number[]> => {
      const cpuStart = process.cpuUsage();
      const started = performance.now();
      let count = 0;
      await new Promise<void>((resolve, reject) => {
        client.containers.logs.subscribe(
          { id, follow: true },
          { onData: ({ data }) => (count += data.entries.length), onComplete: resolve, onError: reject },
        );
      });
      const ms = performance.now() - started;
      if (count !== lines) throw new Error(`the link delivered ${count} of ${lines} lines`);
      if (round >= 0) cpu.subject.push(cpuMsPerMb(process.cpuUsage(cpuStart)));
      return [mbPerSecond(ms)];
    };

    const straightFromEngine = async (round: number): Promise<number[]> => {
      const cpuStart = process.cpuUsage();
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
      if (round >= 0) cpu.floor.push(cpuMsPerMb(process.cpuUsage(cpuStart)));
      return [mbPerSecond(ms)];
    };

    const { subject, floor } = await measurePair({ warmupRounds: 1, rounds, subject: throughLink, floor: straightFromEngine });
    const workload = `one finished container's log of ${lines} lines (${(logBytes / 1e6).toFixed(1)} MB of output, timestamps on) read whole, ${rounds} rounds after 1 warm-up`;
    return [
      compare(
        {
          name: '3. log throughput: container -> agent -> server',
          unit: 'MB/s',
          rounds,
          workload,
          notes:
            'floor: the same log read straight from the engine with dockerode (demuxStream into counting sinks); ' +
            'subject: streamLogs on the dockerode runtime, tracked 64 KiB chunks over the reverse link on loopback, every entry counted by the server client',
        },
        subject,
        floor,
      ),
      compare(
        {
          name: '3. log CPU cost: agent and server side in one process',
          unit: 'ms CPU/MB',
          rounds,
          workload,
          notes:
            "this process's CPU time per MB of log (user + system) for the same rounds; the floor is dockerode's demuxStream read. " +
            'The subject pays both ends of the link here (agent: parse, zod, superjson, JSON, ws masking; server: ws unmasking, JSON, superjson), which in production run on two hosts',
        },
        cpu.subject,
        cpu.floor,
      ),
    ];
  } finally {
    agentSocket.terminate();
    await hubFixture.close();
    await removeBenchContainers(prefix);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await benchLogThroughput({ quick: process.argv.includes('--quick') });
  console.log(formatTable(results));
}

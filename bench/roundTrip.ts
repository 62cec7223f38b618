import type { AddressInfo } from 'node:net';
import { createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import { serveAgentLink } from '../packages/protocol/src/agent/index.js';
import { linkTransformer } from '../packages/protocol/src/link/transformer.js';
import { dialTestAgent, startTestHub } from '../packages/protocol/src/testing/index.js';
import { spawn } from 'node:child_process';
import { type AgentRuntime, bareRuntimeCommand, startAgentUnderTest } from './agentUnderTest.js';
import { trackChild } from './cleanup.js';
import { type BenchResult, compare, measurePair, median, p99, round } from './stats.js';
import { stubHandlers } from './stubHandlers.js';
import { type AgentClient, waitFor, ws, wsModulePath, type WsSocket } from './workspace.js';

export interface RoundTripOptions {
  quick: boolean;
}

/** A client that can call `hello`, whatever carries it. */
type Hello = () => Promise<unknown>;

const TARGETS = { p50Ms: 0.5, p99Ms: 2 } as const;

/**
 * Figure 2: one trivial query (`hello`) from the server to an agent and back.
 * - In one process, against a raw `ws` JSON echo of the same answer: this link's server end
 *   and agent end, and tRPC's own client over the same agent end (the server end before this
 *   link: tRPC's client sends each call after `setTimeout(0)`, its batching tick).
 * - Calls per second with 100 in flight, this link against tRPC's client.
 * - To the agent as operators run it: the self-contained file, its own process, on Node and Bun.
 */
export async function benchRoundTrip({ quick }: RoundTripOptions): Promise<BenchResult[]> {
  const calls = quick ? 300 : 2_000;
  const rounds = quick ? 3 : 7;
  const hubFixture = await startTestHub();
  const agentSocket = dialTestAgent(hubFixture.url, 'bench-rtt', stubHandlers({ nodeName: 'bench-rtt', heartbeatIntervalMs: 60_000 }));
  const echo = await startEcho();
  const trpc = await startTrpcClient();
  try {
    await waitFor(() => hubFixture.hub.isConnected('bench-rtt'), { what: 'the simulated agent to connect' });
    const client = hubFixture.hub.client('bench-rtt');
    const ours: Hello = () => client.hello.query();
    const answer = JSON.stringify(await ours());
    const sequential = (hello: Hello) => sequentialCalls(hello, calls);
    const floorCalls = sequentialCalls(() => echo.call(0, answer), calls);
    const link = await measurePair({ warmupRounds: 1, rounds, subject: sequential(ours), floor: floorCalls });
    const before = await measurePair({ warmupRounds: 1, rounds, subject: sequential(trpc.hello), floor: floorCalls });
    const inFlight = 100;
    const perSecond = await measurePair({
      warmupRounds: 1,
      rounds,
      subject: async () => [await callsPerSecond(ours, inFlight, quick ? 2_000 : 10_000)],
      floor: async () => [await callsPerSecond(trpc.hello, inFlight, quick ? 2_000 : 10_000)],
    });
    const workload = `${calls} sequential hello queries a round x ${rounds} rounds, after 1 warm-up round, both ends in this process; samples are single calls`;
    const results: BenchResult[] = [
      compare(
        {
          name: '2. round trip: hello over the reverse link',
          unit: 'ms',
          workload,
          rounds,
          notes: `targets: p50 <= ${TARGETS.p50Ms} ms, p99 <= ${TARGETS.p99Ms} ms, with the server end's frame checks and output validation on; floor: raw ws JSON echo of the same ${answer.length}-byte answer, p99 ${round(p99(link.floor))} ms`,
        },
        link.subject,
        link.floor,
      ),
      compare(
        {
          name: "2. round trip: hello through tRPC's client (the link before)",
          unit: 'ms',
          workload: `${workload}; tRPC's createWSClient + wsLink (11.25.2) calling the same agent end`,
          rounds,
          notes: `tRPC's client sends each call after setTimeout(0), which Node clamps to about 1 ms; floor: the raw ws echo, p99 ${round(p99(before.floor))} ms`,
        },
        before.subject,
        before.floor,
      ),
      {
        name: `2. calls per second, ${inFlight} in flight`,
        value: round(median(perSecond.subject)),
        unit: 'calls/s',
        baseline: round(median(perSecond.floor)),
        ratio: round(median(perSecond.subject) / median(perSecond.floor), 3),
        workload: `hello queries kept ${inFlight} in flight, ${quick ? 2_000 : 10_000} a round x ${rounds} rounds, both ends in this process`,
        median: round(median(perSecond.subject)),
        p99: null,
        rounds,
        notes: `baseline: tRPC's client over the same agent end (the link before); calls made in the same tick share one frame on both`,
      },
    ];
    for (const runtime of quick ? (['node'] as const) : (['node', 'bun'] as const)) results.push(await toAgentProcess(runtime, calls, rounds, answer));
    return results;
  } finally {
    agentSocket.close();
    await trpc.close();
    await echo.close();
    await hubFixture.close();
  }
}

/**
 * `hello` to the agent file running on `runtime`, its own process, against a raw `ws` echo that
 * is a process of its own on the same runtime: both pay the wake-up of another process.
 */
async function toAgentProcess(runtime: AgentRuntime, calls: number, rounds: number, answer: string): Promise<BenchResult> {
  const under = await startAgentUnderTest(`bench-rtt-${runtime}`, { runtime });
  const echo = await startEchoProcess(runtime);
  try {
    const client: AgentClient = under.client;
    const { subject, floor } = await measurePair({
      warmupRounds: 1,
      rounds,
      subject: sequentialCalls(() => client.hello.query(), calls),
      floor: sequentialCalls(() => echo.call(0, answer), calls),
    });
    return compare(
      {
        name: `2. round trip: hello to the agent process (${runtime})`,
        runtime,
        unit: 'ms',
        workload: `${calls} sequential hello queries a round x ${rounds} rounds to the agent file on ${runtime}, its own process, over loopback`,
        rounds,
        notes: `targets: p50 <= ${TARGETS.p50Ms} ms, p99 <= ${TARGETS.p99Ms} ms; floor: a raw ws JSON echo of the same answer, its own process on ${runtime}, p99 ${round(p99(floor))} ms`,
      },
      subject,
      floor,
    );
  } finally {
    await echo.close();
    await under.close();
  }
}

/** A round of `calls` calls made one after another: the time of each, in milliseconds. */
export const sequentialCalls = (call: () => Promise<unknown>, calls: number) => async (): Promise<number[]> => {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await call();
    samples.push(performance.now() - start);
  }
  return samples;
};

/** Calls per second with `inFlight` calls always outstanding, over `total` calls. */
export async function callsPerSecond(hello: Hello, inFlight: number, total: number): Promise<number> {
  let started = 0;
  const start = performance.now();
  const worker = async () => {
    while (started < total) {
      started++;
      await hello();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / ((performance.now() - start) / 1000);
}

/** tRPC's own client, dialling a `ws` server whose sockets our agent end serves: the server end as it was before this link. */
async function startTrpcClient() {
  const server = new ws.WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket: WsSocket) => serveAgentLink(socket, { handlers: stubHandlers({ nodeName: 'bench-rtt', heartbeatIntervalMs: 60_000 }) }));
  const { port } = server.address() as AddressInfo;
  const wsClient = createWSClient({ url: `ws://127.0.0.1:${port}`, WebSocket: ws.WebSocket as unknown as typeof globalThis.WebSocket });
  const client = createTRPCUntypedClient({ links: [wsLink({ client: wsClient, transformer: linkTransformer })] });
  return {
    hello: () => client.query('hello'),
    async close() {
      await wsClient.close();
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The raw `ws` echo: answers every `{ id, result }` with `{ id, result }`, `result` parsed.
 * It runs in this process, and as the text of `ECHO_SERVER` in a process of its own, so both
 * floors run the same code.
 */
function serveEcho(server: InstanceType<typeof ws.WebSocketServer>): void {
  server.on('connection', (socket: WsSocket) => {
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const { id, result } = JSON.parse(data.toString()) as { id: number; result: string };
      socket.send(JSON.stringify({ id, result: JSON.parse(result) }));
    });
  });
}

/** A program for a bare runtime (Node or Bun, no TypeScript): `serveEcho` on a free port, which it prints. */
const ECHO_SERVER = `
const __name = (f) => f; // tsx keeps function names with __name(...) calls, which a bare runtime lacks
const { WebSocketServer } = require(process.env.LORMAS_BENCH_WS);
const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
server.on('listening', () => process.stdout.write(server.address().port + '\\n'));
(${serveEcho.toString()})(server);`;

/** The raw `ws` echo in this process: the floor of the in-process link. */
async function startEcho() {
  const server = new ws.WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  serveEcho(server);
  const echo = await dialEcho((server.address() as AddressInfo).port);
  return {
    call: echo.call,
    async close() {
      echo.close();
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The same raw `ws` echo as a process of its own on `runtime`: the floor of a call to the agent
 * process, which pays the same two wake-ups of another process on loopback.
 */
async function startEchoProcess(runtime: AgentRuntime) {
  const [command, ...args] = bareRuntimeCommand(runtime, ECHO_SERVER);
  const child = trackChild(
    spawn(command!, args, {
      env: { ...process.env, LORMAS_BENCH_WS: wsModulePath },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${runtime} echo process exited with ${code}`)));
    child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  const echo = await dialEcho(port);
  return {
    call: echo.call,
    async close() {
      echo.close();
      child.kill('SIGKILL');
    },
  };
}

/** A client of an echo on `port` that awaits each answer. */
async function dialEcho(port: number) {
  const client = new ws.WebSocket(`ws://127.0.0.1:${port}`);
  client.on('error', () => {});
  await new Promise((resolve) => client.once('open', resolve));
  let pending: ((data: string) => void) | null = null;
  client.on('message', (data) => pending?.(data.toString()));
  return {
    call(id: number, result: string): Promise<unknown> {
      return new Promise((resolve) => {
        pending = (data) => resolve(JSON.parse(data));
        client.send(JSON.stringify({ id, result }));
      });
    },
    close: () => client.close(),
  };
}

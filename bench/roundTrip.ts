import type { AddressInfo } from 'node:net';
import { dialTestAgent, startTestHub } from '../packages/protocol/src/testing/index.js';
import { type BenchResult, compare, measurePair, median, p99, round } from './stats.js';
import { stubHandlers } from './stubHandlers.js';
import { waitFor, ws, type WsSocket } from './workspace.js';

export interface RoundTripOptions {
  quick: boolean;
}

/**
 * Figure 2: one trivial query (`hello`) from the server's typed client over the reverse link
 * to an agent's router and back, against a raw `ws` JSON echo of the same answer on the same
 * loopback. Both ends of both run in this process, so both pay the same event loop.
 */
export async function benchRoundTrip({ quick }: RoundTripOptions): Promise<BenchResult[]> {
  const calls = quick ? 300 : 1_000;
  const rounds = quick ? 3 : 7;
  const hubFixture = await startTestHub();
  const agentSocket = dialTestAgent(hubFixture.url, 'bench-rtt', stubHandlers({ nodeName: 'bench-rtt', heartbeatIntervalMs: 60_000 }));
  const echo = await startEcho();
  try {
    await waitFor(() => hubFixture.hub.isConnected('bench-rtt'), { what: 'the simulated agent to connect' });
    const client = hubFixture.hub.client('bench-rtt');
    const answer = JSON.stringify(await client.hello.query());
    const { subject, floor } = await measurePair({
      warmupRounds: 1,
      rounds,
      subject: async () => {
        const samples: number[] = [];
        for (let i = 0; i < calls; i++) {
          const start = performance.now();
          await client.hello.query();
          samples.push(performance.now() - start);
        }
        return samples;
      },
      floor: async () => {
        const samples: number[] = [];
        for (let i = 0; i < calls; i++) {
          const start = performance.now();
          await echo.call(i, answer);
          samples.push(performance.now() - start);
        }
        return samples;
      },
    });
    const tick = await timerTickMs(quick ? 100 : 300);
    const workload = `${calls} sequential hello queries a round x ${rounds} rounds, after 1 warm-up round; samples are single calls`;
    return [
      compare(
        {
          name: '2. round trip: hello over the reverse link',
          unit: 'ms',
          workload,
          rounds,
          notes:
            `floor: raw ws JSON echo of the same ${answer.length}-byte answer, p99 ${round(p99(floor))} ms. ` +
            `tRPC's client sends each call after setTimeout(0) (its batching tick), which Node clamps to 1 ms: ` +
            `measured here at ${round(tick, 3)} ms median; ` +
            `the call less that tick is ${round(median(subject) - tick, 3)} ms, the link's own cost.`,
        },
        subject,
        floor,
      ),
    ];
  } finally {
    agentSocket.close();
    await echo.close();
    await hubFixture.close();
  }
}

/** Median delay of `setTimeout(0)` on this machine: the floor of a call that waits one macrotask timer. */
async function timerTickMs(samples: number): Promise<number> {
  const delays: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 0));
    delays.push(performance.now() - start);
  }
  return median(delays);
}

/** A raw `ws` server that answers every `{ id }` with `{ id, result }`, and a client that awaits each answer. */
async function startEcho() {
  const server = new ws.WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (socket: WsSocket) => {
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const { id, result } = JSON.parse(data.toString()) as { id: number; result: string };
      socket.send(JSON.stringify({ id, result: JSON.parse(result) }));
    });
  });
  const { port } = server.address() as AddressInfo;
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
    async close() {
      client.close();
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

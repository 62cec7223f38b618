/**
 * The server under measurement, as its own process so its memory and CPU can be read alone.
 * Run by `fleet.ts` with `--expose-gc` and an IPC channel:
 *
 *   BENCH_SERVER_MODE=mock  the mock server (`startMockServer`, sqlite in BENCH_DATA_DIR so a
 *                           restarted server knows its nodes and its signing key)
 *   BENCH_SERVER_MODE=raw   the floor: a bare `ws` server that parses the same heartbeat JSON
 *
 * It reports heartbeat latency (agent's send instant to the server's processing instant,
 * one clock on one host) and connect instants, drained on each `report` request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMockServer } from '../packages/mock-server/src/index.js';
import { epochMs } from './stubHandlers.js';
import { ws } from './workspace.js';

export type ServerRequest = { id: number; type: 'report' } | { id: number; type: 'gc' };
export interface ServerReport {
  online: number;
  /** Epoch ms instants of the connects since the last report. */
  connects: number[];
  /** Heartbeat latencies (ms) since the last report. */
  heartbeatLatenciesMs: number[];
}
export interface ServerReady {
  type: 'ready';
  port: number;
  url: string;
  adminToken: string | null;
}

const mode = process.env['BENCH_SERVER_MODE'];
const port = Number(process.env['BENCH_PORT'] ?? 0);
let connects: number[] = [];
let latencies: number[] = [];
let online: () => number;
let ready: ServerReady;

if (mode === 'mock') {
  // With BENCH_NATS_URL and BENCH_DATABASE_URL, one replica of a cluster (figure 8).
  const natsUrl = process.env['BENCH_NATS_URL'];
  const server = await startMockServer({
    port,
    dataDir: process.env['BENCH_DATA_DIR'] ?? null,
    adminToken: process.env['BENCH_ADMIN_TOKEN'],
    databaseUrl: process.env['BENCH_DATABASE_URL'] ?? null,
    cluster: natsUrl ? { natsUrl, replicaId: process.env['BENCH_REPLICA_ID'] } : null,
  });
  const live = new Set<string>();
  server.gateway.liveness.on('connect', (nodeId) => {
    live.add(nodeId);
    connects.push(epochMs());
  });
  server.gateway.liveness.on('disconnect', (nodeId) => live.delete(nodeId));
  server.gateway.liveness.on('heartbeat', (_nodeId, beat) => latencies.push(epochMs() - beat.at));
  online = () => live.size;
  ready = { type: 'ready', port: server.port, url: server.url.replace(/^http/, 'ws'), adminToken: server.adminToken };
} else if (mode === 'raw') {
  const http = createServer((_, res) => res.writeHead(404).end());
  const wss = new ws.WebSocketServer({ server: http, maxPayload: 16 * 1024 * 1024 });
  wss.on('connection', (socket) => {
    connects.push(epochMs());
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const beat = JSON.parse(data.toString()) as { at: number };
      latencies.push(epochMs() - beat.at);
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const bound = (http.address() as AddressInfo).port;
  online = () => wss.clients.size;
  ready = { type: 'ready', port: bound, url: `ws://127.0.0.1:${bound}`, adminToken: null };
} else {
  throw new TypeError(`serverProcess: BENCH_SERVER_MODE must be mock or raw, got ${mode}`);
}

process.on('message', (request: ServerRequest) => {
  if (request.type === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ id: request.id });
  } else if (request.type === 'report') {
    const report: ServerReport = { online: online(), connects, heartbeatLatenciesMs: latencies };
    connects = [];
    latencies = [];
    process.send!({ id: request.id, ...report });
  }
});
// The parent going away (even by SIGKILL) must not leave a server behind.
process.on('disconnect', () => process.exit(0));
process.send!(ready);

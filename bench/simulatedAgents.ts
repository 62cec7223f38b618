/**
 * Protocol-level agents without Docker, many in one process, each with its own socket.
 * Run by `fleet.ts` with an IPC channel. Mode `trpc` runs the agent's real dial loop
 * (`AgentConnection`: backoff with full jitter, keep-alive, the router served over the
 * reverse link) with stub handlers; mode `raw` is the floor: a bare `ws` client that sends
 * the same heartbeat JSON on the same schedule.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../packages/agent/src/config.js';
import { AgentConnection } from '../packages/agent/src/connection.js';
import type { Logger } from '../packages/agent/src/logger.js';
import { epochMs, stubHandlers } from './stubHandlers.js';
import { ws, type WsSocket } from './workspace.js';

export interface SimAgent {
  nodeId: string;
  token: string;
}
export type SimRequest =
  | { id: number; type: 'dial'; mode: 'trpc' | 'raw'; url: string; agents: SimAgent[]; heartbeatIntervalMs: number; batchSize: number; stableAfterMs?: number }
  | { id: number; type: 'report' };
export interface SimReport {
  open: number;
  /** Epoch ms instants at which agents learned that their open link closed, since the last report. */
  closes: number[];
  /** Epoch ms instants of the first dial each agent made after such a close, since the last report. */
  firstRetries: number[];
}

let closes: number[] = [];
let firstRetries: number[] = [];
const isOpen: (() => boolean)[] = [];

/** Records when the dial loop learns of a close and when it will dial again; drops everything else. */
function probeLogger(): Logger {
  const quiet = () => {};
  const logger: Logger = {
    debug: quiet,
    info: quiet,
    error: quiet,
    warn: (msg, fields) => {
      if (msg !== 'connection closed; reconnecting') return;
      const at = epochMs();
      closes.push(at);
      firstRetries.push(at + Number(fields?.['retryInMs'] ?? 0));
    },
    child: () => logger,
  };
  return logger;
}

function dialTrpc(url: string, agent: SimAgent, heartbeatIntervalMs: number, stableAfterMs?: number): void {
  const config = loadConfig({ SERVER_URL: url, NODE_TOKEN: agent.token, NODE_NAME: agent.nodeId });
  const connection = new AgentConnection({
    serverUrl: url,
    token: agent.token,
    handlers: stubHandlers({ nodeName: agent.nodeId, heartbeatIntervalMs }),
    logger: probeLogger(),
    maxPayloadBytes: config.maxPayloadBytes,
    reconnect: config.reconnect,
    keepAlive: config.keepAlive,
    ...(stableAfterMs === undefined ? {} : { stableAfterMs }),
  });
  connection.start();
  isOpen.push(() => connection.connected);
}

function dialRaw(url: string, agent: SimAgent, heartbeatIntervalMs: number): void {
  const socket: WsSocket = new ws.WebSocket(url);
  const beat = stubHandlers({ nodeName: agent.nodeId, heartbeatIntervalMs }).node.heartbeats;
  const stopping = new AbortController();
  socket.on('error', () => {});
  socket.on('open', async () => {
    for await (const heartbeat of beat(undefined, { signal: stopping.signal, link: { bufferedAmount: () => socket.bufferedAmount, full: () => false, windowBytes: () => 1 << 30, writable: () => Promise.resolve() } })) {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(JSON.stringify(heartbeat));
    }
  });
  socket.on('close', () => stopping.abort());
  isOpen.push(() => socket.readyState === socket.OPEN);
}

async function dial(request: Extract<SimRequest, { type: 'dial' }>): Promise<void> {
  for (let i = 0; i < request.agents.length; i += request.batchSize) {
    const first = isOpen.length;
    for (const agent of request.agents.slice(i, i + request.batchSize)) {
      if (request.mode === 'trpc') dialTrpc(request.url, agent, request.heartbeatIntervalMs, request.stableAfterMs);
      else dialRaw(request.url, agent, request.heartbeatIntervalMs);
    }
    // Paced dialling: the next batch waits until this one is in (or 10 s passed).
    const until = Date.now() + 10_000;
    while (Date.now() < until && isOpen.slice(first).some((open) => !open())) await delay(20);
  }
}

process.on('message', (request: SimRequest) => {
  const reply = (body: object = {}) => process.send!({ id: request.id, ...body });
  if (request.type === 'dial') void dial(request).then(() => reply());
  else if (request.type === 'report') {
    const report: SimReport = { open: isOpen.filter((open) => open()).length, closes, firstRetries };
    closes = [];
    firstRetries = [];
    reply(report);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '@lormas/protocol';
import { type AgentConnectEvent, type AgentDisconnectEvent, type AgentHub, LinkRefusal, type NodeIdentity } from '@lormas/protocol/server';
import { startTestHub } from '@lormas/protocol/testing';
import { DEFAULT_DOCKER_SOCKET, startProxy } from '@lormas/testkit';
import { tokenSubject } from '../../src/config.js';

export const AGENT_DIR = resolve(fileURLToPath(import.meta.url), '../../..');

/** An unsigned token with `sub` = node id; the rig's hub trusts it (the mock server's tests verify real JWTs). */
export function testToken(nodeId: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: nodeId })}.sig`;
}

export interface Rig {
  url: string;
  port: number;
  hub: AgentHub;
  connects: AgentConnectEvent<NodeIdentity>[];
  disconnects: AgentDisconnectEvent[];
  /** Stops accepting and drops every agent, as a server that goes away. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A server end on loopback: an AgentHub that takes the agent's bearer token's `sub` as its node id. */
export async function startRig(): Promise<Rig> {
  const connects: AgentConnectEvent<NodeIdentity>[] = [];
  const disconnects: AgentDisconnectEvent[] = [];
  let fixture: Awaited<ReturnType<typeof startTestHub>>;
  let port = 0;
  const listen = async () => {
    fixture = await startTestHub(
      {
        authenticate: (request) => {
          const header = request.headers.authorization ?? '';
          const nodeId = tokenSubject(header.replace(/^Bearer /, ''));
          if (!nodeId) throw new LinkRefusal(CloseCode.Unauthorized, 'no token');
          return { nodeId };
        },
        callTimeoutMs: 20_000,
        onConnect: (event) => connects.push(event),
        onDisconnect: (event) => disconnects.push(event),
      },
      { port },
    );
    port = fixture.port;
  };
  const stop = () => fixture.close();
  await listen();
  return {
    get url() {
      return `ws://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get hub() {
      return fixture.hub;
    },
    connects,
    disconnects,
    stop,
    restart: listen,
    close: stop,
  } as Rig;
}

/** A proxy to the engine that a test can take down and bring back, as an engine restart. */
export async function startEngineProxy(target: string = DEFAULT_DOCKER_SOCKET) {
  const proxy = await startProxy({ target: { path: target }, listenUnix: true });
  return { ...proxy, dockerHost: `unix://${proxy.address}` };
}

export interface AgentProcess {
  child: ChildProcess;
  /** Everything the process wrote to stderr (its log) and stdout. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the agent as its own process, e.g. `['node', '--import', 'tsx', 'agent.ts']`, in the agent
 * package folder. Unless `env` names a STATE_DIR, the agent gets a fresh one, removed when it exits.
 */
export function spawnAgent(command: string[], env: Record<string, string>, cwd: string = AGENT_DIR): AgentProcess {
  const ownState = env['STATE_DIR'] === undefined ? mkdtempSync(join(tmpdir(), 'lormas-agent-state-')) : null;
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', ...(ownState ? { STATE_DIR: ownState } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (ownState) child.once('exit', () => rmSync(ownState, { recursive: true, force: true }));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));
  return {
    child,
    output: () => out,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}


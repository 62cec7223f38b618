import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DOCKER_SOCKET } from '@lormas/testkit';

/** The repository root, where `packages/agent/agent.ts` lives. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export interface AgentProcessOptions {
  /** `ws://host:port` of the mock server. */
  serverUrl: string;
  token: string;
  nodeName: string;
  /** @default the test engine's socket */
  dockerSocket?: string;
  /** @default 200 (milliseconds) */
  heartbeatIntervalMs?: number;
  /** Extra environment, e.g. reconnect delays. A STATE_DIR here is kept; without one the agent gets a fresh folder, removed when it exits. */
  env?: Record<string, string>;
  /** The agent to run, as arguments of `node`. @default the workspace's agent through tsx */
  entry?: string[];
  /** The whole command, for another runtime (Bun); wins over `entry`. */
  command?: string[];
}

export interface AgentProcess {
  pid: number;
  child: ChildProcess;
  /** Everything the agent wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves once the process exited; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/**
 * Runs the real agent (`node --import tsx packages/agent/agent.ts`) against a mock server,
 * with short heartbeats and reconnect delays so tests run in seconds.
 */
export function startAgentProcess(options: AgentProcessOptions): AgentProcess {
  const ownState = options.env?.['STATE_DIR'] === undefined ? mkdtempSync(join(tmpdir(), 'lormas-agent-state-')) : null;
  const [command, ...args] = options.command ?? [process.execPath, ...(options.entry ?? ['--import', 'tsx', 'packages/agent/agent.ts'])];
  const child = spawn(command!, args, {
    cwd: REPO_ROOT,
    env: {
      ...(ownState ? { STATE_DIR: ownState } : {}),
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      SERVER_URL: options.serverUrl,
      NODE_TOKEN: options.token,
      NODE_NAME: options.nodeName,
      LOG_LEVEL: 'debug',
      DOCKER_HOST: `unix://${options.dockerSocket ?? DEFAULT_DOCKER_SOCKET}`,
      HEARTBEAT_INTERVAL_MS: String(options.heartbeatIntervalMs ?? 200),
      RECONNECT_BASE_DELAY_MS: '100',
      RECONNECT_MAX_DELAY_MS: '500',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (ownState) child.once('exit', () => rmSync(ownState, { recursive: true, force: true }));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    pid: child.pid!,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      process.kill(child.pid!, signal);
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

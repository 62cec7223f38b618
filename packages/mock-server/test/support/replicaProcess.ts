import { type ChildProcess, spawn } from 'node:child_process';
import { stopChild } from '@lormas/testkit';
import { REPO_ROOT } from './agentProcess.js';

export interface ReplicaProcess {
  id: string;
  port: number;
  /** `http://127.0.0.1:PORT`, and the admin token: what `call` takes. */
  url: string;
  adminToken: string;
  readonly pid: number | null;
  output(): string;
  /** Sends `signal` (SIGKILL: a crash) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again, same id and port, and resolves once it listens. */
  restart(): Promise<void>;
}

export interface ReplicaProcessOptions {
  id: string;
  port: number;
  adminToken: string;
  /** The environment of the cluster: NATS_URL, DATABASE_URL, windows. */
  env: Record<string, string>;
}

/** A replica of the mock server as operators run it: `lormas-mock` in its own process, so a test can kill it with SIGKILL. */
export async function startReplicaProcess(options: ReplicaProcessOptions): Promise<ReplicaProcess> {
  let child: ChildProcess | null = null;
  let output = '';
  const launch = async () => {
    const started = spawn(process.execPath, ['--import', 'tsx', 'packages/mock-server/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOST: '127.0.0.1',
        PORT: String(options.port),
        ADMIN_TOKEN: options.adminToken,
        REPLICA_ID: options.id,
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes(`listening on http://127.0.0.1:${options.port}`)) resolve();
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.once('exit', (code, signal) => reject(new Error(`replica ${options.id} exited at start (${signal ?? code}):\n${output.slice(-3_000)}`)));
    });
  };
  await launch();
  return {
    id: options.id,
    port: options.port,
    url: `http://127.0.0.1:${options.port}`,
    adminToken: options.adminToken,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid! : null;
    },
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child) await stopChild(child, signal);
    },
    restart: launch,
  };
}

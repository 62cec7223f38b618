/**
 * The parent's handles on the two processes of figures 5 and 6: the server under measurement
 * (`serverProcess.ts`) and the simulated agents (`simulatedAgents.ts`), driven over IPC.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.js';
import type { ServerReady, ServerReport } from './serverProcess.js';
import type { SimAgent, SimReport } from './simulatedAgents.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Child {
  child: ChildProcess;
  pid: number;
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Starts `bench/<file>` under Node with tsx and an IPC channel; resolves with its first message. */
async function startChild(file: string, env: Record<string, string>): Promise<{ handle: Child; first: Record<string, unknown> }> {
  const child = trackChild(
    spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    }),
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting = new Map<number, (body: unknown) => void>();
  let nextId = 1;
  const first = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start in 60 s: ${stderr}`)), 60_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as Record<string, unknown>);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
  });
  child.on('message', (message: { id?: number }) => {
    const done = message.id === undefined ? undefined : waiting.get(message.id);
    if (done) {
      waiting.delete(message.id!);
      done(message);
    }
  });
  const handle: Child = {
    child,
    pid: child.pid!,
    request<T>(message: Record<string, unknown>, timeoutMs = 120_000) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no answer to ${String(message['type'])} in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
        waiting.set(id, (body) => {
          clearTimeout(timer);
          resolve(body as T);
        });
        child.send({ ...message, id });
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return { handle, first };
}

export interface ServerHandle extends Child {
  url: string;
  port: number;
  adminToken: string | null;
  report(): Promise<ServerReport>;
  gc(): Promise<void>;
}

export async function startServerProcess(options: {
  mode: 'mock' | 'raw';
  port?: number;
  dataDir?: string;
  adminToken?: string;
  /** A replica of a cluster: the engine, the shared database and its name. */
  cluster?: { natsUrl: string; databaseUrl: string; replicaId: string };
}): Promise<ServerHandle> {
  const env: Record<string, string> = { BENCH_SERVER_MODE: options.mode, BENCH_PORT: String(options.port ?? 0) };
  if (options.cluster) Object.assign(env, { BENCH_NATS_URL: options.cluster.natsUrl, BENCH_DATABASE_URL: options.cluster.databaseUrl, BENCH_REPLICA_ID: options.cluster.replicaId });
  if (options.dataDir) env['BENCH_DATA_DIR'] = options.dataDir;
  if (options.adminToken) env['BENCH_ADMIN_TOKEN'] = options.adminToken;
  const { handle, first } = await startChild('./serverProcess.ts', env);
  const ready = first as unknown as ServerReady;
  return {
    ...handle,
    url: ready.url,
    port: ready.port,
    adminToken: ready.adminToken,
    report: () => handle.request<ServerReport>({ type: 'report' }),
    gc: async () => void (await handle.request({ type: 'gc' })),
  };
}

export interface SimsHandle extends Child {
  dial(options: { mode: 'trpc' | 'raw'; url: string; agents: SimAgent[]; heartbeatIntervalMs: number; batchSize: number; stableAfterMs?: number }): Promise<void>;
  report(): Promise<SimReport>;
}

export async function startSimulatedAgents(): Promise<SimsHandle> {
  const { handle } = await startChild('./simulatedAgents.ts', {});
  return {
    ...handle,
    dial: async (options) => void (await handle.request({ type: 'dial', ...options }, 600_000)),
    report: () => handle.request<SimReport>({ type: 'report' }),
  };
}

/** Registers `count` nodes with the mock server's HTTP API and returns their ids and tokens. */
export async function registerNodes(httpUrl: string, adminToken: string, count: number, prefix: string): Promise<SimAgent[]> {
  const agents: SimAgent[] = [];
  const register = async (i: number) => {
    const response = await fetch(`${httpUrl}/api/nodes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `${prefix}${i}` }),
    });
    if (response.status !== 201) throw new Error(`POST /api/nodes answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { id: string; token: string };
    agents[i] = { nodeId: body.id, token: body.token };
  };
  const parallel = 16;
  for (let i = 0; i < count; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, (_, k) => register(i + k)));
  }
  return agents;
}

/** Raw-mode agents need no registration: ids only. */
export const anonymousAgents = (count: number, prefix: string): SimAgent[] => Array.from({ length: count }, (_, i) => ({ nodeId: `${prefix}${i}`, token: 'none' }));

import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type AgentProcess, type Rig, spawnAgent, startRig, testToken } from '../packages/agent/test/support/rig.js';
import { trackChild } from './cleanup.js';
import { sampleRss } from './proc.js';
import { type Proxy, startProxy } from '../packages/testkit/src/index.js';
import { type AgentClient, DEFAULT_DOCKER_SOCKET, waitFor } from './workspace.js';

/**
 * How the agent runs: `node` and `bun` run the self-contained file `dist/agent.js`, as
 * operators run it; `tsx` runs the TypeScript sources, a reference only.
 */
export type AgentRuntime = 'node' | 'bun' | 'tsx';

const AGENT_DIR = fileURLToPath(new URL('../packages/agent/', import.meta.url));
const BUN = `${AGENT_DIR}node_modules/bun/bin/bun.exe`;

/** The command that starts the agent on `runtime`, from the agent package's folder. */
export function agentCommand(runtime: AgentRuntime): string[] {
  switch (runtime) {
    case 'node':
      return [process.execPath, 'dist/agent.js'];
    case 'bun':
      return [BUN, 'dist/agent.js'];
    case 'tsx':
      return [process.execPath, '--import', 'tsx', 'agent.ts'];
  }
}

/** The bare runtime of `runtime` (`node`, `bun`, or `node --import tsx`) running `script`; by default idling, the floor of its memory. */
export function bareRuntimeCommand(runtime: AgentRuntime, script = 'setInterval(() => {}, 1000)'): string[] {
  if (runtime === 'bun') return [BUN, '-e', script];
  return runtime === 'tsx' ? [process.execPath, '--import', 'tsx', '-e', script] : [process.execPath, '-e', script];
}

/**
 * Drops the Bun binary's pages that no process maps from the page cache (`dd iflag=nocache`),
 * before a Bun process of a figure starts: how much of the binary a new process maps depends
 * on the state its pages are left in by earlier runs. Bare `bun` idled here at 30.8 MiB after
 * the bench's earlier Bun figures and at 23.1 MiB right after this; a node fresh from boot
 * is in the second state. Node's binary is mapped by the bench itself, and stays. Memory
 * figures only: a start-up time after it would time reading the binary from disk.
 */
export function settleRuntimeFile(program: string): void {
  if (program === BUN) execFileSync('dd', [`if=${BUN}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/** RSS of the bare runtime doing nothing: what it costs before the agent does anything. */
export async function bareRuntimeRss(runtime: AgentRuntime): Promise<number[]> {
  const [command, ...args] = bareRuntimeCommand(runtime);
  settleRuntimeFile(command!);
  const child = trackChild(spawn(command!, args, { stdio: 'ignore' }));
  try {
    await delay(1_500);
    return await sampleRss(child.pid!, 4);
  } finally {
    child.kill('SIGKILL');
  }
}

let built = false;
/** Builds `dist/agent.js` once per bench run, so the figures measure the current sources. */
export function ensureAgentBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, ['build.mjs'], { cwd: AGENT_DIR, stdio: 'ignore' });
  built = true;
}

export interface AgentUnderTest {
  runtime: AgentRuntime;
  rig: Rig;
  agent: AgentProcess;
  client: AgentClient;
  nodeId: string;
  /** The agent process's pid, for /proc readings. */
  pid: number;
  /** Between the agent and the server end when asked for. */
  proxy: Proxy | null;
  /** From spawning the process to the server accepting its session (`hello` answered). */
  connectMs: number;
  /** Stops the agent (SIGTERM, then SIGKILL) and the server end. */
  close(): Promise<void>;
}

/**
 * The real agent as its own process (by default `node dist/agent.js`; `command` for another
 * way of starting it, such as its launcher), dialled in to a loopback server end in this
 * process: what an operator runs, measured from the server's side.
 */
export async function startAgentUnderTest(
  nodeId: string,
  options: { env?: Record<string, string>; throughProxy?: boolean; runtime?: AgentRuntime; command?: string[]; /** See `settleRuntimeFile`. */ settle?: boolean } = {},
): Promise<AgentUnderTest> {
  const runtime = options.runtime ?? 'node';
  if (runtime !== 'tsx') ensureAgentBuilt();
  const command = options.command ?? agentCommand(runtime);
  // Memory figures start from a settled binary; start-up times from the binary as the last run left it.
  if (options.settle) settleRuntimeFile(command[0]!);
  const rig = await startRig();
  const proxy = options.throughProxy ? await startProxy({ target: { port: rig.port } }) : null;
  const spawnedAt = performance.now();
  const agent = spawnAgent(command, {
    SERVER_URL: proxy?.url ?? rig.url,
    NODE_TOKEN: testToken(nodeId),
    NODE_NAME: nodeId,
    DOCKER_HOST: `unix://${DEFAULT_DOCKER_SOCKET}`,
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  trackChild(agent.child);
  // Fails at once if the agent dies on start; handled here so its later, normal exit is not an unhandled rejection.
  const diedEarly = agent.exited.then(({ code, signal }) => Promise.reject(new Error(`the agent exited (${signal ?? code})`)));
  diedEarly.catch(() => {});
  try {
    await Promise.race([waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: `agent ${nodeId} to connect`, timeoutMs: 30_000, intervalMs: 2 }), diedEarly]);
  } catch (error) {
    await agent.stop(2_000);
    await proxy?.close();
    await rig.close();
    throw new Error(`the agent did not connect: ${(error as Error).message}\n${agent.output().slice(-2_000)}`);
  }
  const connectMs = performance.now() - spawnedAt;
  return {
    runtime,
    connectMs,
    rig,
    agent,
    client: rig.hub.client(nodeId),
    nodeId,
    pid: agent.child.pid!,
    proxy,
    async close() {
      await agent.stop(10_000);
      await proxy?.close();
      await rig.close();
    },
  };
}

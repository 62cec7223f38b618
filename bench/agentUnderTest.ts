import { type AgentProcess, type Rig, spawnAgent, startRig, testToken } from '../packages/agent/test/support/rig.js';
import { trackChild } from './cleanup.js';
import { type Proxy, startProxy } from '../packages/testkit/src/index.js';
import { type AgentClient, DEFAULT_DOCKER_SOCKET, waitFor } from './workspace.js';

export interface AgentUnderTest {
  rig: Rig;
  agent: AgentProcess;
  client: AgentClient;
  nodeId: string;
  /** The agent process's pid, for /proc readings. */
  pid: number;
  /** Between the agent and the server end when asked for. */
  proxy: Proxy | null;
  /** Stops the agent (SIGTERM, then SIGKILL) and the server end. */
  close(): Promise<void>;
}

/**
 * The real agent as its own process (`node --import tsx agent.ts`), dialled in to a loopback
 * server end in this process: what an operator runs, measured from the server's side.
 */
export async function startAgentUnderTest(nodeId: string, options: { env?: Record<string, string>; throughProxy?: boolean } = {}): Promise<AgentUnderTest> {
  const rig = await startRig();
  const proxy = options.throughProxy ? await startProxy({ target: { port: rig.port } }) : null;
  const agent = spawnAgent(['node', '--import', 'tsx', 'agent.ts'], {
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
    await Promise.race([waitFor(() => rig.connects.some((c) => c.nodeId === nodeId), { what: `agent ${nodeId} to connect`, timeoutMs: 30_000 }), diedEarly]);
  } catch (error) {
    await agent.stop(2_000);
    await proxy?.close();
    await rig.close();
    throw new Error(`the agent did not connect: ${(error as Error).message}\n${agent.output().slice(-2_000)}`);
  }
  return {
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

import { waitFor } from '@lormas/testkit';
import type { MockServer } from '../../src/index.js';
import { type AgentProcess, type AgentProcessOptions, startAgentProcess } from './agentProcess.js';
import { call, registerNode } from './http.js';

export interface NodeWithAgent {
  id: string;
  token: string;
  agent: AgentProcess;
}

/** Waits until the server shows node `id` online. */
export function nodeOnline(server: MockServer, id: string, timeoutMs = 20_000): Promise<unknown> {
  return waitFor(async () => (await call(server, 'GET', `/api/nodes/${id}`)).body?.status === 'online', { timeoutMs, what: `node ${id} online` });
}

/** Registers a node, starts the real agent for it against `server`, and waits until the node is online. */
export async function startNodeWithAgent(server: MockServer, name: string, options: Partial<AgentProcessOptions> = {}): Promise<NodeWithAgent> {
  const node = await registerNode(server, name);
  const agent = startAgentProcess({ serverUrl: server.url.replace(/^http/, 'ws'), token: node.token, nodeName: name, ...options });
  try {
    await nodeOnline(server, node.id);
  } catch (error) {
    await agent.stop();
    throw new Error(`the agent of ${name} did not come online:\n${agent.output().slice(-2_000)}`, { cause: error });
  }
  return { ...node, agent };
}

/** The error body of a refused API call: its status, code and rule. */
export function refusalOf(res: { status: number; body: any }): [number, string | undefined, string | undefined] {
  return [res.status, res.body?.error?.code, res.body?.error?.rule];
}

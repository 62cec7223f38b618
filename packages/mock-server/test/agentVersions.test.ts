import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode } from '@lormas/protocol';
import type { AgentHandlers } from '@lormas/protocol/agent';
import { nextEvent, waitFor } from '@lormas/testkit';
import type { WebSocket } from 'ws';
import { type MockServer, startMockServer } from '../src/index.js';
import { call, registerNode } from './support/http.js';
import { dialStubAgent, stubHandlers } from './support/stubAgent.js';

/** Stub handlers whose `hello` reports `agentVersion`. */
function reporting(nodeName: string, agentVersion: string): AgentHandlers {
  const handlers = stubHandlers(nodeName);
  return { ...handlers, hello: async (...args: Parameters<AgentHandlers['hello']>) => ({ ...(await handlers.hello(...args)), agentVersion }) };
}

describe('agent versions in sight: MIN_AGENT_VERSION refuses older agents with 4426', () => {
  let server: MockServer;
  const sockets: WebSocket[] = [];
  const dial = (token: string, handlers: AgentHandlers) => {
    const socket = dialStubAgent(server.url.replace(/^http/, 'ws'), token, handlers);
    sockets.push(socket);
    return socket;
  };

  before(async () => {
    server = await startMockServer({ minAgentVersion: '2.0.0' });
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server?.close();
  });

  it('closes an older agent with 4426 naming the version it needs, and shows the refusal on its node', async () => {
    const node = await registerNode(server, 'old-agent');
    const socket = dial(node.token, reporting('old-agent', '1.9.9'));
    const [code, reason] = await nextEvent<[number, Buffer]>(socket, 'close');
    assert.equal(code, CloseCode.ProtocolVersionUnsupported);
    assert.equal(code, 4426);
    assert.match(reason.toString(), /2\.0\.0/);
    const view = await waitFor(async () => {
      const { body } = await call(server, 'GET', `/api/nodes/${node.id}`);
      return body?.refused ? body : null;
    }, { what: 'the refusal on the node view' });
    assert.equal(view.refused.code, 4426);
    assert.match(view.refused.reason, /needs agent 2\.0\.0 or later/);
    assert.notEqual(view.status, 'online');
  });

  it('refuses a version it cannot order as older, rather than serving it', async () => {
    const node = await registerNode(server, 'odd-agent');
    const [code] = await nextEvent<[number, Buffer]>(dial(node.token, reporting('odd-agent', 'not-a-version')), 'close');
    assert.equal(code, 4426);
  });

  it('serves an agent at the minimum, and shows its version, protocol and runtime', async () => {
    const node = await registerNode(server, 'new-agent');
    dial(node.token, reporting('new-agent', '2.0.0'));
    const view = await waitFor(async () => {
      const { body } = await call(server, 'GET', `/api/nodes/${node.id}`);
      return body?.status === 'online' ? body : null;
    }, { what: 'the agent at the minimum version online' });
    assert.equal(view.agentVersion, '2.0.0');
    assert.ok(view.protocolVersion);
    assert.ok(view.runtime?.name);
    assert.equal(view.refused, null);
  });
});

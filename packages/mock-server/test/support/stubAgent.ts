import type { AgentHandlers } from '@lormas/protocol/agent';
import { dialTestAgent, stubHandlers as protocolStub } from '@lormas/protocol/testing';
import type { WebSocket } from 'ws';

/** Handlers that answer `hello`, `inventory` and heartbeats and refuse the rest; tests override what they need. */
export function stubHandlers(nodeName: string, overrides: Partial<AgentHandlers> = {}): AgentHandlers {
  return protocolStub({ nodeName, heartbeatIntervalMs: 50, overrides });
}

/**
 * Dials the mock server as an agent would (token in the header, protocol version header)
 * and serves `handlers`. For tests of the server that need no Docker engine.
 */
export function dialStubAgent(wsUrl: string, token: string, handlers: AgentHandlers): WebSocket {
  return dialTestAgent(wsUrl, 'unused-by-the-mock-server', handlers, { token });
}

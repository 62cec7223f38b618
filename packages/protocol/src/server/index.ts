// @lormas/protocol/server: the server's end of the link: the hub agents dial into, and its typed client.
export {
  AgentHub,
  type AgentConnectEvent,
  type AgentDisconnectEvent,
  type AgentHubOptions,
  type AgentRefusedEvent,
  type AgentViolationEvent,
  type NodeIdentity,
} from './AgentHub.js';
export { LinkRefusal } from './LinkRefusal.js';
export { createAgentClient, type AgentClient, type AgentTransport, type ClientOf, type ClientProcedure, type TrackedItem } from './agentClient.js';
export type { CallOptions, LinkCounters, SubscriptionHandlers, Unsubscribable } from './NodeLink.js';
export { readAgentFrame, type AgentMessage } from './readAgentFrame.js';
export type { KeepAliveGroupOptions, KeepAliveOptions } from '../link/keepAlive.js';

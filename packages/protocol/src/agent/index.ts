// @lormas/protocol/agent: the agent's end of the link, serving the contract on a socket it dialled.
export { serveAgentLink, type ServeAgentLinkOptions } from './serveAgentLink.js';
export type { AgentHandlers, HandlerOf, HandlersOf, LinkPressure, StreamContext, Tracked } from './handlers.js';
export { keepAlive, type KeepAliveOptions } from '../link/keepAlive.js';
export type { FlowMeterOptions } from '../link/flowMeter.js';

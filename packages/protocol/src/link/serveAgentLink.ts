import { getWSConnectionHandler } from '@trpc/server/adapters/ws';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { AgentContext, AgentRouter } from '../router/createAgentRouter.js';
import { FlowMeter, type FlowMeterOptions } from './flowMeter.js';

export interface ServeAgentLinkOptions {
  router: AgentRouter;
  /** Called with every error the router raises, for logging. */
  onError?: (error: Error, path: string | undefined) => void;
  /** Flow control of bulk streams; see `SendWindow`. */
  flow?: FlowMeterOptions;
}

/**
 * The agent end of the reverse link: serves `router` over a socket that the agent dialled
 * out, so the server can call it as if the agent were the server.
 *
 * Must be called in the same tick the socket is created, before any message can arrive.
 * tRPC's adapter aborts subscriptions when the socket closes but not queries and mutations
 * in flight; the agent's own shutdown path finishes or cancels those.
 */
export function serveAgentLink(socket: WebSocket, options: ServeAgentLinkOptions): void {
  const link = new FlowMeter(socket, options.flow);
  const handler = getWSConnectionHandler<AgentRouter>({
    router: options.router,
    // Typed as required but never read by the connection handler.
    wss: undefined as unknown as WebSocketServer,
    createContext: (): AgentContext => ({ link }),
    onError: options.onError ? ({ error, path }) => options.onError!(error, path) : undefined,
  });
  // The adapter reads only `url` and `headers` (for `connectionParams`, which we do not use).
  const request = { url: '/', headers: { host: 'agent' } } as IncomingMessage;
  handler(socket, request);
}

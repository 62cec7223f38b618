import { AGENT_VERSION } from './version.js';
import { backoffDelay } from './backoff.js';
import type { Logger } from './logger.js';
import { CloseCode, closeAction, closeCodeName, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@lormas/protocol';
import { type AgentHandlers, keepAlive, serveAgentLink } from '@lormas/protocol/agent';
import { WebSocket } from 'ws';

export interface ConnectionOptions {
  serverUrl: string;
  token: string;
  handlers: AgentHandlers;
  logger: Logger;
  /**
   * The whole list of CAs (PEM) a wss:// server is checked against, bundled roots included
   * (see `trustRoots`); the runtime's default store when absent. Checks are never turned off.
   */
  ca?: string[];
  /**
   * Send the token as the `token` query parameter as well as in the header. Off by default:
   * proxies and servers write query strings to their access logs.
   * @default false
   */
  tokenInQuery?: boolean;
  /** Largest frame accepted from the server; a bigger one closes the socket with 1009. */
  maxPayloadBytes: number;
  reconnect: { baseDelayMs: number; maxDelayMs: number; refusedDelayMs: number };
  keepAlive: { pingIntervalMs: number; pongTimeoutMs: number };
  /** The most log bytes sent and not yet read by the server (the send window's ceiling). @default 1 MiB (bytes) */
  logWindowMaxBytes?: number;
  /**
   * A connection that stayed open this long resets the backoff to its first step.
   * @default 10_000 (milliseconds)
   */
  stableAfterMs?: number;
  /** Called when a socket opens (the server may still refuse it) and when it closes. */
  onOpen?(): void;
  onClose?(code: number): void;
}

/**
 * The dial loop. Dials the server, serves the agent router over the socket, and dials
 * again after every close, for as long as the agent runs: exponential backoff with full
 * jitter for transient failures, the slow refused delay after a refusal that dialling
 * faster cannot fix (see `closeAction`).
 */
export class AgentConnection {
  private socket: WebSocket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private stopped = false;
  private lastRefusal: string | null = null;
  private readonly options: ConnectionOptions;

  constructor(options: ConnectionOptions) {
    this.options = options;
  }

  /**
   * The server accepted this agent's session: its `hello` call arrived on the socket. From
   * here a later refusal is news again, logged at error level once.
   */
  sessionAccepted(): void {
    this.lastRefusal = null;
    this.options.logger.info('connected to server', { server: this.options.serverUrl });
  }

  /** Whether the link to the server is open now. */
  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.stopped = false;
    this.dial();
  }

  /** Closes the link with `code` and dials no more. Resolves once the socket is closed. */
  async stop(code: number = CloseCode.Normal, reason = 'agent shutting down'): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(code, reason);
    const force = setTimeout(() => socket.terminate(), 2_000);
    await closed;
    clearTimeout(force);
  }

  private dial(): void {
    const { logger } = this.options;
    const url = new URL(this.options.serverUrl);
    if (this.options.tokenInQuery) url.searchParams.set('token', this.options.token);
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, {
        headers: {
          authorization: `Bearer ${this.options.token}`,
          [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
          'user-agent': `lormas-agent/${AGENT_VERSION}`,
        },
        maxPayload: this.options.maxPayloadBytes,
        handshakeTimeout: 15_000,
        ...(this.options.ca ? { ca: this.options.ca } : {}),
      });
    } catch (error) {
      // The configuration refuses what the client throws on; should one slip through, it is
      // a slow retry with the reason in the log, never an exception that ends the process.
      logger.error('cannot dial the server; retrying slowly', { error, retryInMs: this.options.reconnect.refusedDelayMs });
      this.timer = setTimeout(() => this.dial(), this.options.reconnect.refusedDelayMs);
      return;
    }
    this.socket = socket;
    // Served from the first tick, before any request can arrive.
    serveAgentLink(socket, {
      handlers: this.options.handlers,
      onError: (error, path) => logger.debug('call failed', { path, code: error.code, error }),
      flow: { maxBytes: this.options.logWindowMaxBytes },
    });
    keepAlive(socket, this.options.keepAlive);

    let openedAt = 0;
    let httpStatus: number | null = null;
    socket.on('open', () => {
      openedAt = Date.now();
      // Not yet a session: a server that refuses the token does so on the open socket.
      logger.debug('socket open', { server: this.options.serverUrl });
      this.options.onOpen?.();
    });
    // A refusal before the upgrade (401, 403 from a proxy or an older server) comes as an HTTP answer.
    socket.on('unexpected-response', (request, response) => {
      httpStatus = response.statusCode ?? null;
      response.resume();
      request.destroy();
    });
    socket.on('error', (error) => logger.debug('socket error', { error }));
    socket.on('close', (code, reasonBuffer) => {
      if (this.socket === socket) this.socket = null;
      if (openedAt) this.options.onClose?.(code);
      if (this.stopped) return;
      const reason = reasonBuffer.toString();
      const stable = openedAt > 0 && Date.now() - openedAt >= (this.options.stableAfterMs ?? 10_000);
      if (stable) this.attempt = 0;
      const refused = closeAction(code) === 'retry-slowly' || httpStatus === 401 || httpStatus === 403;
      let delay: number;
      if (refused) {
        const what = httpStatus ? `HTTP ${httpStatus}` : `${closeCodeName(code)} (${code})`;
        delay = this.options.reconnect.refusedDelayMs;
        // A refusal is logged once clearly; repeats of the same one only at debug level, until
        // a session is accepted again (a refused socket opens first, so opening proves nothing).
        const log = this.lastRefusal === what ? logger.debug : logger.error;
        log('server refused this agent; retrying slowly', { refusal: what, reason, retryInMs: delay });
        this.lastRefusal = what;
      } else {
        delay = backoffDelay(this.attempt++, this.options.reconnect);
        logger.warn(openedAt ? 'connection closed; reconnecting' : 'could not connect; retrying', {
          code,
          reason: reason || undefined,
          status: httpStatus ?? undefined,
          retryInMs: delay,
        });
      }
      this.timer = setTimeout(() => this.dial(), delay);
    });
  }
}

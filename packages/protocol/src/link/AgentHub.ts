import { createTRPCClient, createWSClient, type TRPCClient, wsLink } from '@trpc/client';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { linkTransformer } from './transformer.js';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../closeCodes.js';
import { AgentError } from '../errors.js';
import type { AgentRouter } from '../router/createAgentRouter.js';
import type { Hello } from '../schemas/hello.js';
import { isCompatibleProtocol, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '../version.js';
import { AdoptedWebSocket, type SocketSource } from './AdoptedWebSocket.js';
import { keepAlive, type KeepAliveOptions } from './keepAlive.js';
import { timeoutLink } from './timeoutLink.js';
import { timerMs } from './timerMs.js';

/** Closes `ws` and resolves once it is closed, terminating it if the peer does not answer in `graceMs`. */
async function closeAndWait(ws: WebSocket, code: number, reason: string, graceMs = 1_000): Promise<void> {
  if (ws.readyState === ws.CLOSED) return;
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.close(code, reason);
  const timer = setTimeout(() => ws.terminate(), graceMs);
  await closed;
  clearTimeout(timer);
}

/** Who an authenticated socket belongs to. */
export interface NodeIdentity {
  nodeId: string;
}

/** Thrown by `authenticate` to refuse a socket with a chosen close code. */
export class LinkRefusal extends Error {
  override name = 'LinkRefusal';
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type AgentClient = TRPCClient<AgentRouter>;

export interface AgentConnectEvent<I extends NodeIdentity> {
  nodeId: string;
  identity: I;
  hello: Hello;
  /** Whether a previous socket of this node was still open and got closed for this one. */
  superseded: boolean;
}

export interface AgentDisconnectEvent {
  nodeId: string;
  code: number;
  reason: string;
}

export interface AgentRefusedEvent {
  nodeId: string | null;
  code: number;
  reason: string;
}

export interface AgentHubOptions<I extends NodeIdentity> {
  /**
   * Decides who a dialling agent is, from its upgrade request. Throw a `LinkRefusal` to
   * refuse with a specific close code; anything else thrown refuses with `Unauthorized`.
   */
  authenticate(request: IncomingMessage): Promise<I> | I;
  /**
   * Largest frame accepted from an agent; a bigger one closes that socket with 1009.
   * @default 16 MiB (bytes)
   */
  maxPayloadBytes?: number;
  /** Dead-agent detection on each socket; see `keepAlive`. */
  keepAlive?: KeepAliveOptions;
  /**
   * Deadline of each query and mutation sent to an agent.
   * @default 30_000 (milliseconds)
   */
  callTimeoutMs?: number;
  /**
   * How long a freshly connected agent has to answer `hello`.
   * @default 10_000 (milliseconds)
   */
  helloTimeoutMs?: number;
  onConnect?(event: AgentConnectEvent<I>): void;
  onDisconnect?(event: AgentDisconnectEvent): void;
  onRefused?(event: AgentRefusedEvent): void;
}

/** One node's side of the hub: its current socket and its long-lived typed client. */
class NodeLink implements SocketSource {
  socket: WebSocket | null = null;
  /** A socket that arrived while no `AdoptedWebSocket` was waiting for one. */
  private pending: WebSocket | null = null;
  private waiter: { take: (socket: WebSocket) => void; fail: () => void } | null = null;
  readonly client: AgentClient;
  private readonly wsClient: ReturnType<typeof createWSClient>;

  constructor(nodeId: string, callTimeoutMs: number) {
    const source: SocketSource = this;
    this.wsClient = createWSClient({
      url: `lormas-agent://${encodeURIComponent(nodeId)}`,
      WebSocket: class extends AdoptedWebSocket {
        constructor() {
          super(source);
        }
      } as unknown as typeof globalThis.WebSocket,
      // The adopted socket only opens when the agent dials back; there is nothing to back off from.
      retryDelayMs: (attempt) => Math.min(attempt * 100, 1_000),
      keepAlive: { enabled: false },
    });
    this.client = createTRPCClient<AgentRouter>({
      links: [
        timeoutLink({ timeoutMs: callTimeoutMs, describe: () => `agent of node ${nodeId}` }),
        wsLink<AgentRouter>({ client: this.wsClient, transformer: linkTransformer }),
      ],
    });
  }

  request(take: (socket: WebSocket) => void, fail: () => void): () => void {
    if (this.pending) {
      const socket = this.pending;
      this.pending = null;
      take(socket);
      return () => {};
    }
    const waiter = { take, fail };
    this.waiter = waiter;
    return () => {
      if (this.waiter === waiter) this.waiter = null;
    };
  }

  /** Makes `socket` this node's socket and hands it to the tRPC client. */
  offer(socket: WebSocket): void {
    this.socket = socket;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) waiter.take(socket);
    else this.pending = socket;
  }

  dropPending(socket: WebSocket): void {
    if (this.pending === socket) this.pending = null;
    if (this.socket === socket) this.socket = null;
  }

  async dispose(): Promise<void> {
    this.socket?.close(CloseCode.GoingAway, 'server closing');
    this.pending?.close(CloseCode.GoingAway, 'server closing');
    const closing = this.wsClient.close();
    // A client still waiting for the node to dial in would wait forever: tell it none will come.
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.fail();
    await closing;
  }
}

/**
 * The server end of the reverse link. Agents dial in; the hub authenticates each socket,
 * and keeps one typed tRPC client per node that calls the router the agent serves. The
 * client outlives sockets: when a node dials back, its subscriptions resume from their
 * last event id on the new socket.
 */
export class AgentHub<I extends NodeIdentity = NodeIdentity> {
  private readonly wss: WebSocketServer;
  private readonly links = new Map<string, NodeLink>();
  private readonly options: AgentHubOptions<I>;
  private readonly callTimeoutMs: number;
  private readonly helloTimeoutMs: number;

  constructor(options: AgentHubOptions<I>) {
    if (typeof options.authenticate !== 'function') throw new TypeError('AgentHub: options.authenticate must be a function');
    this.options = options;
    this.callTimeoutMs = timerMs('AgentHub: callTimeoutMs', options.callTimeoutMs ?? 30_000);
    this.helloTimeoutMs = timerMs('AgentHub: helloTimeoutMs', options.helloTimeoutMs ?? 10_000);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 16 * 1024 * 1024 });
  }

  /** Completes an HTTP upgrade to an agent socket; wire it to the HTTP server's `upgrade` event. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => {
        // `ws` closes the socket itself (1009 for an oversized frame); the close handler reports it.
      });
      this.accept(ws, request).catch((error: unknown) => ws.close(CloseCode.InternalError, String(error).slice(0, 100)));
    });
  }

  /** The typed client of a node's agent. Calls wait for the agent to be connected, up to their deadline. */
  client(nodeId: string): AgentClient {
    return this.link(nodeId).client;
  }

  isConnected(nodeId: string): boolean {
    const socket = this.links.get(nodeId)?.socket;
    return !!socket && socket.readyState === socket.OPEN;
  }

  /** Closes a node's socket with `code`, e.g. `Revoked`. */
  disconnect(nodeId: string, code: number, reason: string): void {
    this.links.get(nodeId)?.socket?.close(code, reason);
  }

  /** Closes a node's socket and drops its client; calls waiting on it fail. */
  async forget(nodeId: string, code: number = CloseCode.Normal, reason = 'forgotten'): Promise<void> {
    const link = this.links.get(nodeId);
    if (!link) return;
    this.links.delete(nodeId);
    link.socket?.close(code, reason);
    await link.dispose();
  }

  /** Closes every agent socket (they will dial again) and stops accepting new ones. */
  async close(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.all(links.map((link) => link.dispose()));
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private link(nodeId: string): NodeLink {
    let link = this.links.get(nodeId);
    if (!link) this.links.set(nodeId, (link = new NodeLink(nodeId, this.callTimeoutMs)));
    return link;
  }

  private refuse(ws: WebSocket, nodeId: string | null, code: number, reason: string): void {
    ws.close(code, reason);
    this.options.onRefused?.({ nodeId, code, reason });
  }

  private async accept(ws: WebSocket, request: IncomingMessage): Promise<void> {
    const version = request.headers[PROTOCOL_VERSION_HEADER];
    if (typeof version === 'string' && !isCompatibleProtocol(version)) {
      return this.refuse(ws, null, CloseCode.ProtocolVersionUnsupported, `protocol ${version} is not supported; this server speaks ${PROTOCOL_VERSION}`);
    }
    let identity: I;
    try {
      identity = await this.options.authenticate(request);
    } catch (error) {
      const code = error instanceof LinkRefusal ? error.closeCode : CloseCode.Unauthorized;
      return this.refuse(ws, null, code, error instanceof LinkRefusal ? error.message : 'unauthorized');
    }
    if (ws.readyState !== ws.OPEN) return;
    const nodeId: unknown = identity?.nodeId;
    // A server's authenticate that answers without a node would file the socket under "undefined".
    if (typeof nodeId !== 'string' || nodeId === '') return this.refuse(ws, null, CloseCode.InternalError, 'authenticate returned no nodeId');
    const link = this.link(nodeId);
    const previous = link.socket;
    const superseded = !!previous && previous.readyState === previous.OPEN;
    // The older socket must be gone before the newer is offered, or calls would still go out on it.
    if (previous && previous !== ws) await closeAndWait(previous, CloseCode.Superseded, 'superseded by a newer connection of this node');
    if (ws.readyState !== ws.OPEN) return;

    keepAlive(ws, this.options.keepAlive);
    ws.once('close', (code, reason) => {
      link.dropPending(ws);
      this.options.onDisconnect?.({ nodeId, code, reason: reason.toString() });
    });
    link.offer(ws);

    let hello: Hello;
    try {
      hello = await link.client.hello.query(undefined, { context: { timeoutMs: this.helloTimeoutMs } });
    } catch (error) {
      if (ws.readyState === ws.OPEN) ws.close(CloseCode.HelloTimeout, AgentError.from(error).message.slice(0, 120));
      return;
    }
    if (!isCompatibleProtocol(hello.protocolVersion)) {
      return this.refuse(ws, nodeId, CloseCode.ProtocolVersionUnsupported, `protocol ${hello.protocolVersion} is not supported`);
    }
    if (link.socket === ws && ws.readyState === ws.OPEN) this.options.onConnect?.({ nodeId, identity, hello, superseded });
  }
}

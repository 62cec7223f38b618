import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { CloseCode, closeReason } from '../closeCodes.js';
import { AgentError } from '../errors.js';
import { KeepAliveGroup, type KeepAliveGroupOptions } from '../link/keepAlive.js';
import { timerMs } from '../link/timerMs.js';
import { agentContract } from '../contract/agentContract.js';
import type { Hello } from '../schemas/hello.js';
import { isCompatibleProtocol, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '../version.js';
import { type AgentClient, type AgentTransport, createAgentClient } from './agentClient.js';
import { LinkRefusal } from './LinkRefusal.js';
import { type LinkCounters, NodeLink, type NodeLinkHost } from './NodeLink.js';

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

export interface AgentViolationEvent {
  nodeId: string;
  /** What the agent sent, in a few words: never the frame itself. */
  reason: string;
  counters: LinkCounters;
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
  /**
   * Dead-agent detection on each socket, one timer for them all (`KeepAliveGroup`: what is due
   * is done up to a sweep late, a quarter of the shortest window and at most 1 s; see
   * `keepAlive` for the windows). By default the hub also sends each
   * agent an unsolicited pong every 8 s (`announceIntervalMs`), below the agents' default
   * ping interval (10 s): an agent hears from the server without asking, and sends no ping
   * frame the server would have to read and answer. At 10,000 agents those pings were 1,000
   * frames a second in and 1,000 out, 2.4 to 3.5 points of a core (bench figure 5).
   */
  keepAlive?: KeepAliveGroupOptions;
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
  /**
   * Stream items that break the contract are dropped; more than this many within
   * `invalidItemWindowMs` close the agent's socket with `ProtocolViolation`.
   * @default 20
   */
  maxInvalidItems?: number;
  /** @default 60_000 (milliseconds) */
  invalidItemWindowMs?: number;
  onConnect?(event: AgentConnectEvent<I>): void;
  onDisconnect?(event: AgentDisconnectEvent): void;
  onRefused?(event: AgentRefusedEvent): void;
  /** An agent broke the wire format or the contract and its socket is being closed: one call per socket, for the log. */
  onViolation?(event: AgentViolationEvent): void;
  /** A callback of the caller's (a stream handler, an event listener) threw; the hub goes on. @default reports to `console.error` */
  onCallbackError?(error: unknown, where: { nodeId: string | null; path: string }): void;
}

/**
 * The server end of the reverse link. Agents dial in; the hub authenticates each socket,
 * asks it `hello`, and keeps one `NodeLink` per node, whose typed client calls the agent.
 * A node's streams outlive its sockets: when it dials back, they resume from the last event
 * id received. Nothing an agent sends reaches a caller unchecked, and nothing it sends, nor
 * any callback the hub runs, can throw out of the hub.
 */
export class AgentHub<I extends NodeIdentity = NodeIdentity> {
  private readonly wss: WebSocketServer;
  private readonly links = new Map<string, NodeLink>();
  private readonly options: AgentHubOptions<I>;
  private readonly callTimeoutMs: number;
  private readonly helloTimeoutMs: number;
  private readonly maxInvalidItems: number;
  private readonly invalidItemWindowMs: number;
  private readonly keepAlive: KeepAliveGroup;

  constructor(options: AgentHubOptions<I>) {
    if (typeof options.authenticate !== 'function') throw new TypeError('AgentHub: options.authenticate must be a function');
    this.options = options;
    this.callTimeoutMs = timerMs('AgentHub: callTimeoutMs', options.callTimeoutMs ?? 30_000);
    this.helloTimeoutMs = timerMs('AgentHub: helloTimeoutMs', options.helloTimeoutMs ?? 10_000);
    this.invalidItemWindowMs = timerMs('AgentHub: invalidItemWindowMs', options.invalidItemWindowMs ?? 60_000);
    const maxInvalidItems = options.maxInvalidItems ?? 20;
    if (!Number.isInteger(maxInvalidItems) || maxInvalidItems < 0) throw new TypeError(`AgentHub: maxInvalidItems must be a whole number, got ${maxInvalidItems}`);
    this.maxInvalidItems = maxInvalidItems;
    this.keepAlive = new KeepAliveGroup({ announceIntervalMs: 8_000, ...options.keepAlive });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 16 * 1024 * 1024 });
  }

  /** Completes an HTTP upgrade to an agent socket; wire it to the HTTP server's `upgrade` event. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => {
        // `ws` closes the socket itself (1009 for an oversized frame); the close handler reports it.
      });
      // Nothing reads the socket's frames until it is authenticated and attached to its node's
      // link: paused, an agent's first frames wait in the socket (not in memory) to be checked
      // then, instead of being emitted to no listener and lost. Called in the upgrade's own
      // tick, before the socket emits any data.
      ws.pause();
      this.accept(ws, request)
        .catch((error: unknown) => {
          this.report(error, { nodeId: null, path: 'accept' });
          ws.close(CloseCode.InternalError, 'internal error');
        })
        // A socket refused or given up on reads again, so that its closing handshake completes.
        .finally(() => ws.resume());
    });
  }

  /** The typed client of a node's agent. Calls wait for the agent to be connected, up to their deadline. */
  client(nodeId: string): AgentClient {
    return createAgentClient(this.link(nodeId));
  }

  /** The untyped route to a node's agent on this hub, by procedure path: what a cluster replica forwards calls through. */
  transport(nodeId: string): AgentTransport {
    return this.link(nodeId);
  }

  isConnected(nodeId: string): boolean {
    return this.links.get(nodeId)?.isOpen() ?? false;
  }

  /** What the hub counted of a node's frames: dropped frames, invalid items and results. */
  counters(nodeId: string): LinkCounters | null {
    return this.links.get(nodeId)?.counters ?? null;
  }

  /** Closes a node's socket with `code`, e.g. `Revoked`. */
  disconnect(nodeId: string, code: number, reason: string): void {
    this.links.get(nodeId)?.socket?.close(code, reason);
  }

  /** Closes a node's socket and drops its link; its calls fail and its streams end with `AGENT_UNAVAILABLE`. */
  async forget(nodeId: string, code: number = CloseCode.Normal, reason = 'forgotten'): Promise<void> {
    const link = this.links.get(nodeId);
    if (!link) return;
    this.links.delete(nodeId);
    const socket = link.socket;
    link.dispose(reason);
    if (socket) await closeAndWait(socket, code, reason);
  }

  /** Closes every agent socket (they will dial again) and stops accepting new ones. */
  async close(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    for (const link of links) link.dispose('server closing');
    await Promise.all(links.map((link) => (link.socket ? closeAndWait(link.socket, CloseCode.GoingAway, 'server closing') : undefined)));
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private link(nodeId: string): NodeLink {
    let link = this.links.get(nodeId);
    if (!link) this.links.set(nodeId, (link = new NodeLink(this.host(nodeId))));
    return link;
  }

  private host(nodeId: string): NodeLinkHost {
    return {
      nodeId,
      callTimeoutMs: this.callTimeoutMs,
      maxInvalidItems: this.maxInvalidItems,
      invalidItemWindowMs: this.invalidItemWindowMs,
      // The socket that broke the protocol, as the link read it: never the node's socket looked
      // up now, which may be a newer one (the link stops reading a violator, so this runs once a socket).
      violation: (socket, reason, counters) => {
        this.guard({ nodeId, path: 'onViolation' }, () => this.options.onViolation?.({ nodeId, reason, counters }));
        // The reason goes to the agent too: its log then says which rule it broke (the server's own words, nothing the agent sent).
        socket.close(CloseCode.ProtocolViolation, closeReason(`protocol violation: ${reason}`));
      },
      callbackFailed: (error, path) => this.report(error, { nodeId, path }),
    };
  }

  private guard(where: { nodeId: string | null; path: string }, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.report(error, where);
    }
  }

  private report(error: unknown, where: { nodeId: string | null; path: string }): void {
    try {
      if (this.options.onCallbackError) this.options.onCallbackError(error, where);
      else console.error(`AgentHub: a callback threw (${where.path}${where.nodeId ? `, node ${where.nodeId}` : ''}):`, error);
    } catch {
      // The reporter itself failed; there is nowhere left to report to.
    }
  }

  private refuse(ws: WebSocket, nodeId: string | null, code: number, reason: string): void {
    ws.close(code, closeReason(reason));
    this.guard({ nodeId, path: 'onRefused' }, () => this.options.onRefused?.({ nodeId, code, reason }));
  }

  private async accept(ws: WebSocket, request: IncomingMessage): Promise<void> {
    const version = request.headers[PROTOCOL_VERSION_HEADER];
    if (typeof version === 'string' && !isCompatibleProtocol(version)) {
      return this.refuse(ws, null, CloseCode.ProtocolVersionUnsupported, `protocol ${version.slice(0, 32)} is not supported; this server speaks ${PROTOCOL_VERSION}`);
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
    let previous = link.socket;
    const superseded = !!previous && previous.readyState === previous.OPEN;
    // The older socket must be gone before the newer is attached, or calls would still go out
    // on it. Another connection of the node accepted while this one waited is older too: it is
    // closed in turn, or a node dialling twice at once would leave one socket open and unheld.
    while (previous && previous !== ws && previous.readyState !== previous.CLOSED) {
      await closeAndWait(previous, CloseCode.Superseded, 'superseded by a newer connection of this node');
      if (ws.readyState !== ws.OPEN || this.links.get(nodeId) !== link) return;
      previous = link.socket;
    }

    this.keepAlive.add(ws);
    ws.once('close', (code, reason) => {
      this.guard({ nodeId, path: 'onDisconnect' }, () => this.options.onDisconnect?.({ nodeId, code, reason: reason.toString() }));
    });
    link.attach(ws);
    // From here the link checks every frame, those the agent sent while it waited first.
    ws.resume();

    let hello: Hello;
    try {
      hello = (await link.call(agentContract.hello, 'hello', undefined, { timeoutMs: this.helloTimeoutMs })) as Hello;
    } catch (error) {
      if (ws.readyState === ws.OPEN) ws.close(CloseCode.HelloTimeout, closeReason(AgentError.from(error).message));
      return;
    }
    if (!isCompatibleProtocol(hello.protocolVersion)) {
      return this.refuse(ws, nodeId, CloseCode.ProtocolVersionUnsupported, `protocol ${hello.protocolVersion} is not supported; this server speaks ${PROTOCOL_VERSION}`);
    }
    if (link.socket !== ws || ws.readyState !== ws.OPEN) return;
    link.agentProtocol = hello.protocolVersion;
    this.guard({ nodeId, path: 'onConnect' }, () => this.options.onConnect?.({ nodeId, identity, hello, superseded }));
  }
}

import { EventEmitter } from 'node:events';
import type { Heartbeat, Hello } from '@lormas/protocol';

/**
 * `online`: the agent is connected and answered `hello`. `offline`: it is not connected.
 * `lost`: failover gave up on it (no heartbeat for longer than its window); it stays lost,
 * connected or not, until its stale copies are removed and it is admitted again.
 */
export type NodeStatus = 'online' | 'offline' | 'lost';

/** What the server knows of a node's agent right now. Kept in memory: it is rebuilt on reconnect. */
export interface NodeLive {
  status: NodeStatus;
  /** Epoch milliseconds of the current connection, or null while offline. */
  connectedSince: number | null;
  /** Epoch milliseconds when the last connection ended. */
  disconnectedAt: number | null;
  hello: Hello | null;
  lastHeartbeat: Heartbeat | null;
  /** Epoch milliseconds on the server's clock when the last heartbeat arrived. */
  lastHeartbeatAt: number | null;
  /** The server's last refusal of the node's agent for its version (4426): code, reason, epoch ms. */
  refused: { code: number; reason: string; at: number } | null;
}

export interface NodeLivenessEvents {
  connect: [nodeId: string, hello: Hello];
  lost: [nodeId: string];
  disconnect: [nodeId: string, code: number];
  heartbeat: [nodeId: string, heartbeat: Heartbeat];
}

const OFFLINE: NodeLive = { status: 'offline', connectedSince: null, disconnectedAt: null, hello: null, lastHeartbeat: null, lastHeartbeatAt: null, refused: null };

/**
 * Per-node connection and heartbeat state, with an injectable clock. Emits `connect`,
 * `disconnect` and `heartbeat`, which a failover controller can watch.
 */
export class NodeLiveness extends EventEmitter<NodeLivenessEvents> {
  private readonly nodes = new Map<string, NodeLive>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  get(nodeId: string): NodeLive {
    return this.nodes.get(nodeId) ?? OFFLINE;
  }

  connected(nodeId: string, hello: Hello): void {
    this.nodes.set(nodeId, { ...this.get(nodeId), status: 'online', connectedSince: this.now(), hello, refused: null });
    this.emit('connect', nodeId, hello);
  }

  /** A lost node dialled back: connected, but still `lost` until `connected` admits it. */
  returning(nodeId: string, hello: Hello): void {
    this.nodes.set(nodeId, { ...this.get(nodeId), status: 'lost', connectedSince: this.now(), hello });
  }

  /** Set by failover when the node's heartbeats stopped for longer than its window. */
  markLost(nodeId: string): void {
    if (this.get(nodeId).status === 'lost') return;
    this.nodes.set(nodeId, { ...this.get(nodeId), status: 'lost' });
    this.emit('lost', nodeId);
  }

  disconnected(nodeId: string, code: number): void {
    const live = this.nodes.get(nodeId);
    if (!live || live.status === 'offline') return;
    // A lost node stays lost: only its admission after reconciliation makes it online again.
    this.nodes.set(nodeId, { ...live, status: live.status === 'lost' ? 'lost' : 'offline', connectedSince: null, disconnectedAt: this.now() });
    this.emit('disconnect', nodeId, code);
  }

  heartbeat(nodeId: string, heartbeat: Heartbeat): void {
    this.nodes.set(nodeId, { ...this.get(nodeId), lastHeartbeat: heartbeat, lastHeartbeatAt: this.now() });
    this.emit('heartbeat', nodeId, heartbeat);
  }

  /** The server refused the node's agent for its version; kept (with the agent's `hello`) until it is admitted. */
  refused(nodeId: string, hello: Hello, code: number, reason: string): void {
    this.nodes.set(nodeId, { ...this.get(nodeId), hello, refused: { code, reason, at: this.now() } });
  }

  /** Drops a node's state, e.g. when it is revoked. */
  forget(nodeId: string): void {
    this.nodes.delete(nodeId);
  }
}

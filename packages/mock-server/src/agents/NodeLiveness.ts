import { EventEmitter } from 'node:events';
import type { Heartbeat, Hello } from '@lormas/protocol';
import { assignHeartbeat, type HeartbeatRecord, recordHeartbeat } from './heartbeatRecord.js';

/**
 * `online`: the agent is connected and answered `hello`. `offline`: it is not connected.
 * `lost`: failover gave up on it (no heartbeat for longer than its window); it stays lost,
 * connected or not, until its stale copies are removed and it is admitted again.
 */
export type NodeStatus = 'online' | 'offline' | 'lost';

/**
 * What the server knows of a node's agent right now. Kept in memory: it is rebuilt on reconnect.
 * Read it, use it, let it go: a heartbeat writes its record and time over the node's current
 * state, and a state that a change replaced still shares its record with the new one, so a state
 * kept across a wait may show a newer heartbeat than its own time and status. What must outlast
 * the moment is copied (the views do).
 */
export interface NodeLive {
  status: NodeStatus;
  /** Epoch milliseconds of the current connection, or null while offline. */
  connectedSince: number | null;
  /** Epoch milliseconds when the last connection ended. */
  disconnectedAt: number | null;
  hello: Hello | null;
  /**
   * In one process, written over in place by each heartbeat (`heartbeatRecord.ts`); in cluster
   * mode, the heartbeat as it came, in a new state each time.
   */
  lastHeartbeat: HeartbeatRecord | null;
  /** Epoch milliseconds on the server's clock when the last heartbeat arrived. */
  lastHeartbeatAt: number | null;
  /** The server's last refusal of the node's agent for its version (4426): code, reason, epoch ms. */
  refused?: { code: number; reason: string; at: number } | null;
  /** In cluster mode, the replica that holds (or last held) the node's socket. */
  replica?: string | null;
  /** A lost node that dialled back and waits to be admitted: its stale copies are being removed. */
  returning?: boolean;
  /**
   * Failover is held for the node until `untilMs` (epoch ms on the holder's clock): an
   * upgrade's planned gap. Kept in the node's state so that, in cluster mode, the failover
   * leader sees a hold made by a rollout on another replica (`by`; null in one process).
   */
  hold?: NodeHold | null;
}

export interface NodeHold {
  untilMs: number;
  by: string | null;
}

export interface NodeLivenessEvents {
  connect: [nodeId: string, hello: Hello];
  lost: [nodeId: string];
  disconnect: [nodeId: string, code: number];
  heartbeat: [nodeId: string, heartbeat: Heartbeat];
}

/** A node's state without the mark of a returning lost node: it was admitted, or it went away again. */
function admitted(live: NodeLive): NodeLive {
  const { returning: _, ...rest } = live;
  return rest;
}

const OFFLINE: NodeLive = Object.freeze({ status: 'offline', connectedSince: null, disconnectedAt: null, hello: null, lastHeartbeat: null, lastHeartbeatAt: null, refused: null });

/**
 * Per-node connection and heartbeat state, with an injectable clock. Emits `connect`,
 * `disconnect` and `heartbeat`, which a failover controller can watch.
 */
export class NodeLiveness extends EventEmitter<NodeLivenessEvents> {
  private readonly nodes = new Map<string, NodeLive>();

  constructor(protected readonly now: () => number = Date.now) {
    super();
  }

  get(nodeId: string): NodeLive {
    return this.nodes.get(nodeId) ?? OFFLINE;
  }

  connected(nodeId: string, hello: Hello): void {
    this.change(nodeId, (live) => ({ ...admitted(live), status: 'online', connectedSince: this.now(), hello, refused: null }));
    this.emit('connect', nodeId, hello);
  }

  /** A lost node dialled back: connected, but still `lost` until `connected` admits it. */
  returning(nodeId: string, hello: Hello): void {
    this.change(nodeId, (live) => ({ ...live, status: 'lost', connectedSince: this.now(), hello, returning: true }));
  }

  /**
   * Set by failover when the node's heartbeats stopped for longer than its window. Judged on
   * the state as it is now: should a heartbeat or a connect be written first (in cluster mode,
   * by the replica holding the node), that newer sign of life wins and the node is not lost.
   */
  markLost(nodeId: string): void {
    const judged = this.get(nodeId);
    if (judged.status === 'lost') return;
    this.change(nodeId, (live) =>
      live.status === 'lost' || live.lastHeartbeatAt !== judged.lastHeartbeatAt || live.connectedSince !== judged.connectedSince ? live : { ...live, status: 'lost' },
    );
    this.emit('lost', nodeId);
  }

  /** Resolves once the changes made so far are where every replica reads them (at once in one process). */
  async settled(): Promise<void> {}

  /**
   * The node's socket closed. With `heldBy` (cluster mode), only if that replica still holds
   * the node: a socket closing at one replica must not undo the node's newer connection at
   * another, whichever of the two is written first.
   */
  disconnected(nodeId: string, code: number, heldBy?: string): void {
    const live = this.nodes.get(nodeId);
    const held = (now: NodeLive) => heldBy === undefined || now.replica === heldBy;
    if (!live || live.status === 'offline' || !held(live)) return;
    // A lost node stays lost: only its admission after reconciliation makes it online again.
    const at = this.now();
    this.change(nodeId, (now) =>
      now.status === 'offline' || !held(now) ? now : { ...admitted(now), status: now.status === 'lost' ? 'lost' : 'offline', connectedSince: null, disconnectedAt: at },
    );
    this.emit('disconnect', nodeId, code);
  }

  heartbeat(nodeId: string, heartbeat: Heartbeat): void {
    this.keepHeartbeat(nodeId, heartbeat, this.now());
    this.emit('heartbeat', nodeId, heartbeat);
  }

  /**
   * Keeps a node's last heartbeat and when it came. In one process the node's record is written
   * over in place (see `heartbeatRecord.ts`), and so is its time in the node's state: a
   * heartbeat changes nothing else, and a new state for each (2,000 a second at 10,000 nodes)
   * would live one interval and be promoted, as the heartbeat was. Views copy what they show.
   */
  protected keepHeartbeat(nodeId: string, heartbeat: Heartbeat, at: number): void {
    const live = this.nodes.get(nodeId);
    if (live?.lastHeartbeat) {
      assignHeartbeat(live.lastHeartbeat, heartbeat);
      live.lastHeartbeatAt = at;
      return;
    }
    this.change(nodeId, (now) => ({ ...now, lastHeartbeat: recordHeartbeat(heartbeat), lastHeartbeatAt: at }));
  }

  /** The server refused the node's agent for its version; kept (with the agent's `hello`) until it is admitted. */
  refused(nodeId: string, hello: Hello, code: number, reason: string): void {
    this.change(nodeId, (live) => ({ ...live, hello, refused: { code, reason, at: this.now() } }));
  }

  /** Holds failover for the node until `untilMs` (epoch ms); `by` names the holder in cluster mode. */
  hold(nodeId: string, untilMs: number, by: string | null = null): void {
    this.change(nodeId, (live) => ({ ...live, hold: { untilMs, by } }));
  }

  /** Ends the node's hold now (its silence counts from now); with `by`, only a hold that replica made. */
  release(nodeId: string, by?: string | null): void {
    const ends = (live: NodeLive) => live.hold != null && live.hold.untilMs > this.now() && (by === undefined || live.hold.by === by);
    if (!ends(this.get(nodeId))) return;
    const at = this.now();
    this.change(nodeId, (live) => (ends(live) ? { ...live, hold: { ...live.hold!, untilMs: at } } : live));
  }

  /** Drops a node's state, e.g. when it is revoked. */
  forget(nodeId: string): void {
    this.change(nodeId, () => null);
  }

  /** Whether the node has a state. */
  has(nodeId: string): boolean {
    return this.nodes.has(nodeId);
  }

  /** The ids of every node with a state. */
  known(): string[] {
    return [...this.nodes.keys()];
  }

  /**
   * Every change of a node's state goes through here, as a function of the state before it:
   * in cluster mode a subclass applies the same function to the shared copy as well. All but
   * a heartbeat after the node's first, which `keepHeartbeat` writes in place: a subclass that
   * overrides this overrides that too.
   */
  protected change(nodeId: string, next: (live: NodeLive) => NodeLive | null): void {
    this.put(nodeId, next(this.get(nodeId)));
  }

  /** Sets a node's state without an event: what another replica wrote. */
  protected put(nodeId: string, live: NodeLive | null): void {
    if (live === null) this.nodes.delete(nodeId);
    else this.nodes.set(nodeId, live);
  }
}

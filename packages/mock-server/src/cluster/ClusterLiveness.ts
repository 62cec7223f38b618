import type { KV, KvEntry } from '@nats-io/kv';
import type { Heartbeat } from '@lormas/protocol';
import { decodeKvKey, kvKey, watchBucket, type BucketWatch } from '@lormas/protocol/cluster';
import { type NodeLive, NodeLiveness } from '../agents/NodeLiveness.js';
import { parseNodeLive } from './nodeLiveRecord.js';

/** Whether the engine refused a write because the key moved on since it was read. */
const isStale = (error: unknown) => /wrong last sequence|key exists/i.test(`${(error as Error)?.message} ${((error as { cause?: Error })?.cause as Error)?.message}`);

/**
 * Node liveness shared by the replicas of a cluster, in a KV bucket of the engine. Each
 * replica keeps a copy, fed by a watch of the bucket, so views, placement and the failover
 * leader see every node, wherever its socket is. A change made here (the owner records a
 * connect or a heartbeat, the leader declares a node lost) is applied to the copy at once,
 * emits its event here only (so a live event is made once in the cluster, where it
 * happened), and is written to the bucket with compare-and-set: on a conflict the same
 * change is applied again to the newer value, so the owner's heartbeat and the leader's
 * `lost` never overwrite each other.
 */
export class ClusterLiveness extends NodeLiveness {
  /** The latest revision of each node's key this replica has read or written: what its next write must follow. */
  private readonly revisions = new Map<string, number>();
  /** Nodes whose key's latest revision is a delete: written again with `create`, as a key that is not there. */
  private readonly deleted = new Set<string>();
  /** One write at a time per node, in the order of the changes. */
  private readonly writes = new Map<string, Promise<void>>();
  private watch: BucketWatch | null = null;

  constructor(
    private readonly kv: KV,
    private readonly replicaId: string,
    private readonly onError: (error: unknown) => void,
    now?: () => number,
  ) {
    super(now);
  }

  async start(): Promise<void> {
    this.watch = watchBucket(
      this.kv,
      (entry) => {
        const nodeId = decodeKvKey(entry.key);
        if ((this.revisions.get(nodeId) ?? 0) >= entry.revision) return;
        this.revisions.set(nodeId, entry.revision);
        const live = this.read(nodeId, entry);
        // A value that is not a node's liveness is left out: the copy keeps what it had, and this replica's next write replaces it.
        if (live !== undefined) this.put(nodeId, live);
      },
      this.onError,
    );
    await this.watch.ready;
  }

  stop(): void {
    this.watch?.stop();
  }

  /** Resolves once every change made here so far is in the bucket (for tests and shutdown). */
  async flushed(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  override settled(): Promise<void> {
    return this.flushed();
  }

  /** A socket of this replica closed: the node is offline unless it holds a newer connection elsewhere by now. */
  override disconnected(nodeId: string, code: number, heldBy: string = this.replicaId): void {
    super.disconnected(nodeId, code, heldBy);
  }

  /** A hold made here names this replica, so that should it die, the leader ends it (`holdsBy`). */
  override hold(nodeId: string, untilMs: number): void {
    super.hold(nodeId, untilMs, this.replicaId);
  }

  /** Nodes whose failover `replicaId` holds now: a dead replica's holds end with it, not at their deadline. */
  holdsBy(replicaId: string): string[] {
    return this.known().filter((nodeId) => {
      const hold = this.get(nodeId).hold;
      return hold != null && hold.by === replicaId && hold.untilMs > this.now();
    });
  }

  /** Nodes whose socket `replicaId` held when it was last heard of: what its death leaves behind. */
  heldBy(replicaId: string): string[] {
    return this.known().filter((nodeId) => {
      const live = this.get(nodeId);
      return live.replica === replicaId && live.connectedSince !== null;
    });
  }

  /** A heartbeat is a change like any other here: a new state, written to the bucket. */
  protected override keepHeartbeat(nodeId: string, heartbeat: Heartbeat, at: number): void {
    this.change(nodeId, (live) => ({ ...live, lastHeartbeat: heartbeat, lastHeartbeatAt: at }));
  }

  protected override change(nodeId: string, next: (live: NodeLive) => NodeLive | null): void {
    // A change that connects the node records this replica as the one holding it.
    const stamped = (live: NodeLive) => {
      const result = next(live);
      return result && result.connectedSince !== null && result.connectedSince !== live.connectedSince ? { ...result, replica: this.replicaId } : result;
    };
    super.change(nodeId, stamped);
    const previous = this.writes.get(nodeId) ?? Promise.resolve();
    const write = previous.then(() => this.write(nodeId, stamped));
    this.writes.set(nodeId, write);
    void write.finally(() => {
      if (this.writes.get(nodeId) === write) this.writes.delete(nodeId);
    });
  }

  /** A bucket entry as a node's state: null for a delete, undefined (reported) for a value that is not a node's liveness. */
  private read(nodeId: string, entry: KvEntry): NodeLive | null | undefined {
    if (entry.operation !== 'PUT') {
      this.deleted.add(nodeId);
      return null;
    }
    this.deleted.delete(nodeId);
    const live = parseNodeLive(entry.value);
    if (live) return live;
    this.onError(new Error(`the liveness bucket holds a value for node ${nodeId} that is not a node's liveness (revision ${entry.revision})`));
    return undefined;
  }

  private async write(nodeId: string, next: (live: NodeLive) => NodeLive | null): Promise<void> {
    const key = kvKey(nodeId);
    for (let attempt = 1; attempt <= 8; attempt++) {
      const revision = this.revisions.get(nodeId) ?? 0;
      const value = this.get(nodeId);
      const known = this.has(nodeId);
      try {
        if (!known) {
          if (revision === 0 || this.deleted.has(nodeId)) return;
          // The delete's own revision is not answered, and guessing it (another key may have
          // been written between) made the next write conflict: the watch brings it.
          await this.kv.delete(key, { previousSeq: revision });
          this.deleted.add(nodeId);
          return;
        }
        const written = revision === 0 || this.deleted.has(nodeId) ? await this.kv.create(key, JSON.stringify(value)) : await this.kv.update(key, JSON.stringify(value), revision);
        this.deleted.delete(nodeId);
        if ((this.revisions.get(nodeId) ?? 0) < written) this.revisions.set(nodeId, written);
        return;
      } catch (error) {
        if (!isStale(error)) return this.onError(error);
        // Someone wrote meanwhile: start from their value and apply the same change again.
        const entry = await this.kv.get(key).catch(() => null);
        if (entry) {
          this.revisions.set(nodeId, entry.revision);
          const theirs = this.read(nodeId, entry);
          this.put(nodeId, next(theirs === null ? this.get('') : (theirs ?? this.get(nodeId))));
        }
      }
    }
  }
}

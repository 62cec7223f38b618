import type { ClusterRecord } from '../store/ClusterStore.js';
import type { NodeRecord } from '../store/NodeStore.js';

/** What the live events keep of a node: its record and its cluster's. */
export interface RegistryEntry {
  node: NodeRecord;
  cluster: ClusterRecord | null;
}

export interface RegistryCacheOptions {
  /**
   * An entry is read again once it is this old. Changes are forgotten as their events say,
   * but an event can be missed (the cluster's stream dropped it while this replica was away):
   * the age bounds how long an entry can show what such a change replaced.
   * @default 60_000 (milliseconds)
   */
  maxAgeMs?: number;
  /** A monotonic clock. @default performance.now */
  now?: () => number;
}

/** The clusters a read in flight notes as changed; past these it is not kept (its memory stays bounded under a flood). */
const MAX_CLUSTERS_NOTED = 1_024;

/** A read in flight: `stale` once its node changed; `clusters` the clusters that changed meanwhile. */
interface Read {
  nodeId: string;
  stale: boolean;
  clusters: Set<string>;
}

/**
 * Each node's record and cluster as last read, forgotten by what a change names: a node, a
 * cluster, or everything. A change may come from anyone who can publish to the replicas'
 * stream (see `LiveEvents.registryOf`), so forgetting one node or cluster costs the entries it
 * names, never a walk of all of them: the entries are indexed by cluster (a walk of 10,000
 * entries was 0.28 ms a forged cluster event, 16 times the check of the event itself).
 *
 * A read in flight when a change that concerns it is made may have read the record as it
 * was: it is used once, and not kept. Which changes concern it is known once the node's
 * record says its cluster, so each read notes the clusters that changed meanwhile; a change of
 * another node or cluster, however many, leaves it to be kept. An entry older than `maxAgeMs`
 * is read again: what a missed event changed shows within that.
 */
export class RegistryCache {
  private readonly entries = new Map<string, { entry: RegistryEntry; readAt: number }>();
  /** The ids of the kept nodes of each cluster, by the cluster id their records name. */
  private readonly byCluster = new Map<string, Set<string>>();
  private readonly reading = new Set<Read>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: RegistryCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    if (!Number.isFinite(this.maxAgeMs) || this.maxAgeMs < 0) throw new TypeError('RegistryCache: options.maxAgeMs must be a number of milliseconds >= 0');
    this.now = options.now ?? (() => performance.now());
  }

  /** The node's entry: the one kept, or what `load` reads, kept unless a change concerned it meanwhile. */
  async get(nodeId: string, load: () => Promise<RegistryEntry | null>): Promise<RegistryEntry | null> {
    const kept = this.entries.get(nodeId);
    if (kept && this.now() - kept.readAt < this.maxAgeMs) return kept.entry;
    // Too old: gone whether or not the read below is kept (the node may be held elsewhere now).
    if (kept) this.drop(nodeId);
    const readAt = this.now();
    const read: Read = { nodeId, stale: false, clusters: new Set() };
    this.reading.add(read);
    try {
      const entry = await load();
      const clusterId = entry?.node.clusterId ?? null;
      if (entry && !read.stale && !(clusterId !== null && read.clusters.has(clusterId))) this.keep(nodeId, entry, clusterId, readAt);
      return entry;
    } finally {
      this.reading.delete(read);
    }
  }

  forgetNode(nodeId: string): void {
    this.drop(nodeId);
    for (const read of this.reading) if (read.nodeId === nodeId) read.stale = true;
  }

  /** Forgets the nodes whose records name the cluster (a deleted cluster's nodes lose it without changes of their own), and `nodeIds`. */
  forgetCluster(clusterId: string, nodeIds: readonly string[] = []): void {
    for (const nodeId of this.byCluster.get(clusterId) ?? []) this.entries.delete(nodeId);
    this.byCluster.delete(clusterId);
    for (const read of this.reading) {
      // A flood of cluster events during one slow read (a stalled database): past these, the read is simply not kept.
      if (read.clusters.size >= MAX_CLUSTERS_NOTED) read.stale = true;
      else read.clusters.add(clusterId);
    }
    for (const nodeId of nodeIds) this.forgetNode(nodeId);
  }

  forgetAll(): void {
    this.entries.clear();
    this.byCluster.clear();
    for (const read of this.reading) read.stale = true;
  }

  private keep(nodeId: string, entry: RegistryEntry, clusterId: string | null, readAt: number): void {
    this.drop(nodeId);
    this.entries.set(nodeId, { entry, readAt });
    if (clusterId === null) return;
    const members = this.byCluster.get(clusterId) ?? new Set<string>();
    this.byCluster.set(clusterId, members);
    members.add(nodeId);
  }

  private drop(nodeId: string): void {
    const clusterId = this.entries.get(nodeId)?.entry.node.clusterId;
    this.entries.delete(nodeId);
    const members = clusterId != null ? this.byCluster.get(clusterId) : undefined;
    members?.delete(nodeId);
    if (members?.size === 0) this.byCluster.delete(clusterId!);
  }
}

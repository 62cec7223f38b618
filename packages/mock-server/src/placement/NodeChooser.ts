import type { NodeLiveness } from '../agents/NodeLiveness.js';
import type { NodeHealth } from '../failover/assessNodes.js';
import type { Store } from '../store/Store.js';
import { chooseTarget, type TargetCandidate, type TargetTier } from './chooseTarget.js';

export interface NodeChooserOptions {
  store: Store;
  liveness: NodeLiveness;
  /** Failover's latest judgement of a node; null before its first check. */
  healthOf: (nodeId: string) => { health: NodeHealth } | null;
}

export interface Choice {
  nodeId: string;
  tier: TargetTier;
  /** The eligible nodes of the tier chosen from, least loaded first. */
  ranked: TargetCandidate[];
}

/** Of a node reporting less than a byte in all (a fraction the contract allows), no figure: dividing by it would give an infinite one. */
const percent = (used: number, total: number) => (total >= 1 ? Math.round((used / total) * 1000) / 10 : 0);

/**
 * The one place that decides where a container goes, for failover, planned migration and
 * `POST /api/containers` alike. Eligible: online (linked, and not suspect by heartbeats),
 * with its Docker engine up. Load counts the containers the store holds on the node plus
 * placements heading there that the store does not show yet (`reserve`).
 */
export class NodeChooser {
  private readonly heading = new Map<string, number>();

  constructor(private readonly options: NodeChooserOptions) {}

  /**
   * Counts a placement heading to `nodeId` until the returned function is called: a failover
   * copy is recorded on its target only once created, so without this two moves at once
   * would both pick the same emptiest node.
   */
  reserve(nodeId: string): () => void {
    this.heading.set(nodeId, (this.heading.get(nodeId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.heading.get(nodeId) ?? 1) - 1;
      if (left > 0) this.heading.set(nodeId, left);
      else this.heading.delete(nodeId);
    };
  }

  /** Every eligible node, `exclude` aside, with its load. */
  async candidates(exclude: string | null = null): Promise<TargetCandidate[]> {
    const { store, liveness, healthOf } = this.options;
    const [held, nodes] = await Promise.all([store.containers.countsByNode(), store.nodes.list()]);
    return nodes
      .filter((node) => {
        const live = liveness.get(node.id);
        // A node whose agent beats but whose Docker engine is down cannot run anything.
        return node.id !== exclude && live.status === 'online' && live.lastHeartbeat?.engine.up !== false && (healthOf(node.id)?.health ?? 'online') === 'online';
      })
      .map((node) => {
        const beat = liveness.get(node.id).lastHeartbeat;
        return {
          nodeId: node.id,
          clusterId: node.clusterId,
          containers: (held.get(node.id) ?? 0) + (this.heading.get(node.id) ?? 0),
          // Optional chaining throughout: a node that has not beaten yet has no figures.
          cpuPercent: beat?.cpu?.usagePercent ?? 0,
          memoryPercent: beat?.memory ? percent(beat.memory.usedBytes, beat.memory.totalBytes) : 0,
        };
      });
  }

  /**
   * Chooses a node: with `onlyClusterId`, among that cluster's nodes alone; otherwise the
   * source's cluster first, then the preferred one, then any. Null when no node is eligible.
   */
  async choose(input: { exclude?: string | null; sourceClusterId?: string | null; preferredClusterId?: string | null; onlyClusterId?: string | null }): Promise<Choice | null> {
    let candidates = await this.candidates(input.exclude ?? null);
    if (input.onlyClusterId) candidates = candidates.filter((c) => c.clusterId === input.onlyClusterId);
    const chosen = chooseTarget({ sourceClusterId: input.sourceClusterId ?? null, preferredClusterId: input.preferredClusterId ?? null, candidates });
    return chosen ? { nodeId: chosen.nodeId, tier: chosen.tier, ranked: chosen.ranked } : null;
  }
}

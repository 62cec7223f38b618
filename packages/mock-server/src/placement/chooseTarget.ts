/** A healthy node that could take a container. */
export interface TargetCandidate {
  nodeId: string;
  clusterId: string | null;
  /** Containers the server has placed there, plus placements already heading there. */
  containers: number;
  /** Busy share of all cores from its last heartbeat, 0..100. */
  cpuPercent: number;
  /** Memory in use from its last heartbeat, 0..100. */
  memoryPercent: number;
}

/** Which tier the choice came from: the source's cluster, the preferred cluster, or any node. */
export type TargetTier = 'source-cluster' | 'preferred-cluster' | 'any';

/** Least loaded first: fewest containers, then lowest CPU, then lowest memory; node id breaks ties, so the choice is repeatable. */
export function byLoad(a: TargetCandidate, b: TargetCandidate): number {
  return a.containers - b.containers || a.cpuPercent - b.cpuPercent || a.memoryPercent - b.memoryPercent || a.nodeId.localeCompare(b.nodeId);
}

/**
 * Picks where a container goes: a node of the source's cluster first, then of the
 * container's preferred cluster, then any; within the first tier that has one, the least
 * loaded (`byLoad`). Failover, planned migration and `POST /api/containers` all use it.
 */
export function chooseTarget(input: { sourceClusterId: string | null; preferredClusterId: string | null; candidates: readonly TargetCandidate[] }): (TargetCandidate & { tier: TargetTier; ranked: TargetCandidate[] }) | null {
  const tiers: [TargetTier, TargetCandidate[]][] = [
    ['source-cluster', input.sourceClusterId === null ? [] : input.candidates.filter((c) => c.clusterId === input.sourceClusterId)],
    ['preferred-cluster', input.preferredClusterId === null ? [] : input.candidates.filter((c) => c.clusterId === input.preferredClusterId)],
    ['any', [...input.candidates]],
  ];
  const found = tiers.find(([, candidates]) => candidates.length > 0);
  if (!found) return null;
  const ranked = [...found[1]].sort(byLoad);
  return { ...ranked[0]!, tier: found[0], ranked };
}

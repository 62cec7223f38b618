/** A healthy node that could take a container. */
export interface TargetCandidate {
  nodeId: string;
  clusterId: string | null;
  /** Containers the server has placed there, plus moves already heading there. */
  containers: number;
  /** Busy share of all cores from its last heartbeat, 0..100. */
  cpuPercent: number;
}

/**
 * Picks where a container goes: a node of the source's cluster first, then of the
 * container's preferred cluster, then any; within the first tier that has one, the least
 * loaded by container count, then CPU (node id breaks ties, so the choice is repeatable).
 */
export function chooseTarget(input: { sourceClusterId: string | null; preferredClusterId: string | null; candidates: readonly TargetCandidate[] }): TargetCandidate | null {
  const tiers = [
    input.sourceClusterId === null ? [] : input.candidates.filter((c) => c.clusterId === input.sourceClusterId),
    input.preferredClusterId === null ? [] : input.candidates.filter((c) => c.clusterId === input.preferredClusterId),
    input.candidates,
  ];
  const tier = tiers.find((candidates) => candidates.length > 0);
  if (!tier) return null;
  return [...tier].sort((a, b) => a.containers - b.containers || a.cpuPercent - b.cpuPercent || a.nodeId.localeCompare(b.nodeId))[0]!;
}

/**
 * Which owner replicas answered only on a node's subject, for a while: replicas of a version
 * from before per-replica subjects, met during a rolling upgrade. A sender asks a remembered
 * one on the node's subject at once, instead of paying a no-responders round trip on the
 * owner's subject first at every request.
 *
 * Why the memory expires: an operator who names replicas (`replica-0`, `replica-1`) restarts
 * an upgraded replica under the same name, often within the replica TTL, so no `down` is
 * seen; once the memory lapses, senders try its own subject again and find it.
 */
export class OldReplicaMemory {
  private readonly until = new Map<string, number>();

  constructor(
    /** How long a replica is remembered as old. */
    private readonly memoryMs: number,
    /** Milliseconds on a monotonic clock. @default performance.now */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The replica answered on a node's subject without naming itself: it serves no subject of its own. */
  markOld(replicaId: string): void {
    // Deleted first, so the map's order stays the order of expiry and `prune` stops early.
    this.until.delete(replicaId);
    this.until.set(replicaId, this.now() + this.memoryMs);
    this.prune();
  }

  isOld(replicaId: string): boolean {
    const until = this.until.get(replicaId);
    if (until === undefined) return false;
    if (this.now() < until) return true;
    this.until.delete(replicaId);
    return false;
  }

  /** The replica answered on its own subject, or died: whatever comes back under its name is asked afresh. */
  forget(replicaId: string): void {
    this.until.delete(replicaId);
  }

  /** Replicas remembered as old right now (for tests and operators). */
  oldReplicas(): string[] {
    this.prune();
    return [...this.until.keys()];
  }

  private prune(): void {
    const now = this.now();
    for (const [replicaId, until] of this.until) {
      if (until > now) break;
      this.until.delete(replicaId);
    }
  }
}

import type { ClusterHub, LeaderLease } from '@lormas/protocol/cluster';
import type { NodeIdentity } from '@lormas/protocol/server';
import type { FailoverController } from '../failover/FailoverController.js';
import type { Logger } from '../logger.js';
import type { ClusterLiveness } from './ClusterLiveness.js';

/**
 * One judge in a cluster: the replica holding the `failover` lease runs failover, and hands
 * it over when it dies (the lease expires within the replicas' TTL). The leader also tidies
 * up after a dead replica: the nodes whose socket it held are marked offline (1006) unless
 * they dialled another replica already, so nobody shows them online behind a dead socket,
 * and the failover holds it made for rollouts end.
 */
export class FailoverLeadership {
  private readonly onDown = (replicaId: string) => {
    if (this.lease.isLeader) this.releaseDead([replicaId]);
  };

  constructor(
    private readonly lease: LeaderLease,
    private readonly failover: FailoverController,
    private readonly cluster: ClusterHub<NodeIdentity>,
    private readonly liveness: ClusterLiveness,
    private readonly logger: Logger,
  ) {
    lease.on('acquired', () => {
      this.logger.info('this replica is the failover leader', { replica: cluster.replicaId });
      void this.failover.takeOver().catch((error: unknown) => this.logger.error('failover takeover failed', { error: String(error) }));
      const dead = new Set(this.liveness.known().flatMap((nodeId) => [this.liveness.get(nodeId).replica ?? null, this.liveness.get(nodeId).hold?.by ?? null]));
      this.releaseDead([...dead].filter((replica): replica is string => replica !== null && !cluster.replicas.isAlive(replica)));
    });
    lease.on('lost', () => this.failover.standDown());
    cluster.replicas.on('down', this.onDown);
  }

  get isLeader(): boolean {
    return this.lease.isLeader;
  }

  /** The replica judging now, as far as this one knows. */
  get leader(): string | null {
    return this.lease.leader;
  }

  start(): void {
    this.lease.start();
  }

  async stop(): Promise<void> {
    this.cluster.replicas.off('down', this.onDown);
    await this.lease.stop();
  }

  private releaseDead(replicas: string[]): void {
    for (const replica of replicas) {
      // A rollout's hold ends with the replica running it: nobody is left to end it when the
      // upgrade is over, and it would otherwise last to its deadline (minutes). The node's
      // silence counts from now, so a node mid-upgrade still has the whole lost-after window.
      for (const nodeId of this.liveness.holdsBy(replica)) {
        this.logger.info('failover hold ended: its replica died', { node: nodeId, replica });
        this.liveness.release(nodeId, replica);
      }
      for (const nodeId of this.liveness.heldBy(replica)) {
        const owner = this.cluster.ownerOf(nodeId);
        if (owner !== null && owner !== replica) continue;
        this.logger.info('node offline: its replica died', { node: nodeId, replica });
        // Only while the dead replica still holds it: a connect elsewhere written meanwhile wins.
        this.liveness.disconnected(nodeId, 1006, replica);
      }
    }
  }
}

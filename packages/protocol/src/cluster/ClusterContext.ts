import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentHub, NodeIdentity } from '../server/AgentHub.js';
import type { ClusterNames } from './clusterNames.js';
import type { NodeOwnership } from './NodeOwnership.js';
import type { OldReplicaMemory } from './OldReplicaMemory.js';
import type { ReplicaRegistry } from './ReplicaRegistry.js';

/** What the parts of a cluster replica share: the engine, the names, the local hub, and who holds what. */
export interface ClusterContext {
  readonly nc: NatsConnection;
  readonly names: ClusterNames;
  readonly replicaId: string;
  readonly local: AgentHub<NodeIdentity>;
  readonly ownership: NodeOwnership;
  readonly replicas: ReplicaRegistry;
  readonly callTimeoutMs: number;
  /** Items a reader lets an owner send ahead of what it has delivered. */
  readonly streamCreditItems: number;
  /** First delay before asking again for a node that is away; doubles up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Owner replicas that serve only nodes' subjects (of a version from before), as far as recently seen. */
  readonly oldReplicas: OldReplicaMemory;
  /** For tests of a mixed cluster only: this replica serves and sends as a replica from before per-replica subjects did. */
  readonly actAsOldReplica: boolean;
  /** The owner this replica should talk to for `nodeId`: null while none is known alive. */
  liveOwner(nodeId: string): string | null;
  /** Calls `callback` once if `replicaId` is judged dead before the returned function is called. */
  whenDown(replicaId: string, callback: () => void): () => void;
  /** Resolves when `nodeId`'s owner changes or a replica dies, or after `ms`, whichever comes first. */
  settle(nodeId: string, ms: number, signal?: AbortSignal): Promise<void>;
  report(error: unknown, where: string): void;
}

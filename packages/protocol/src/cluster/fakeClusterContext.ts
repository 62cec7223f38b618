import type { NatsConnection } from '@nats-io/transport-node';
import type { ClusterContext } from './ClusterContext.js';
import type { ClusterNames } from './clusterNames.js';
import { OldReplicaMemory } from './OldReplicaMemory.js';

/**
 * A cluster context for unit tests of one part: the engine and the names are the test's, and
 * every other part of a hub is absent (`null`) or inert unless the test passes its own.
 */
export function fakeClusterContext(nc: NatsConnection, names: ClusterNames, overrides: Partial<ClusterContext> = {}): ClusterContext {
  return {
    nc,
    names,
    replicaId: 'me',
    local: null as never,
    ownership: null as never,
    replicas: null as never,
    callTimeoutMs: 1_000,
    streamCreditItems: 8,
    retryBaseMs: 20,
    retryMaxMs: 200,
    oldReplicas: new OldReplicaMemory(60_000),
    actAsOldReplica: false,
    liveOwner: () => null,
    whenDown: () => () => {},
    settle: (_, ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    report: () => {},
    ...overrides,
  };
}

// @lormas/protocol/cluster: the server end on several replicas, routed through NATS with JetStream.
// A separate entry from `@lormas/protocol/server`, so a single-process server never loads the NATS client.
export { decodeKvKey, kvKey } from './clusterNames.js';
export { decode } from './clusterWire.js';
export { ClusterHub, DEFAULT_OLD_REPLICA_MEMORY_MS, DEFAULT_REPLICA_TTL_MS, type ClusterHubOptions } from './ClusterHub.js';
export { LeaderLease, type LeaderLeaseOptions } from './LeaderLease.js';
export type { NodeOwnership, Owner } from './NodeOwnership.js';
export type { ReplicaRegistry } from './ReplicaRegistry.js';
export { watchBucket, type BucketWatch } from './watchBucket.js';

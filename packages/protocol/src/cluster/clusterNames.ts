/**
 * The names a cluster uses in the engine, all under one prefix so that several clusters (or
 * test runs) can share a NATS server: three KV buckets and the subjects replicas talk on.
 */
export interface ClusterNames {
  /** KV bucket: node id -> the replica that holds its socket. */
  owners: string;
  /** KV bucket with a TTL: one key per live replica, renewed while it lives. */
  replicas: string;
  /** KV bucket with a TTL: leases such as the failover leader's. */
  leases: string;
  /**
   * The subject one replica serves for the nodes it holds: their calls and stream openings,
   * each naming its node. Addressed to the owner a caller believes in, never to whoever
   * subscribes to the node: see `OwnerEndpoint`.
   */
  owner(replicaId: string): string;
  /**
   * The subject of one node, served by its owner in the queue group `owner`: where replicas
   * from before per-replica subjects send that node's requests, without naming the node. A
   * replica of this version serves it only for those senders, and sends on it only to an
   * owner that does not serve its own subject: see `requestOwner`.
   */
  node(nodeId: string): string;
  /** Where an owner sends one carried stream's items. */
  streamItems(streamId: string): string;
  /** Where a reader sends one carried stream's credit and stop. */
  streamControl(streamId: string): string;
}

const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

/** A subject token for any node id: ids of plain letters, digits, `_` and `-` stay as they are; anything else is hex, marked by a leading `~`. */
export function subjectToken(id: string): string {
  return /^[A-Za-z0-9_-]{1,200}$/.test(id) ? id : `~${Buffer.from(id, 'utf8').toString('hex')}`;
}

/** KV keys allow the same characters and `.`, `=`, `/`; one encoding serves both. */
export const kvKey = subjectToken;

export function decodeKvKey(key: string): string {
  return key.startsWith('~') ? Buffer.from(key.slice(1), 'hex').toString('utf8') : key;
}

export function clusterNames(prefix: string): ClusterNames {
  if (!PREFIX.test(prefix)) throw new TypeError(`cluster: subjectPrefix must be 1 to 32 letters, digits, "_" or "-", got "${prefix}"`);
  return {
    owners: `${prefix}_owners`,
    replicas: `${prefix}_replicas`,
    leases: `${prefix}_leases`,
    owner: (replicaId) => `${prefix}.owner.${subjectToken(replicaId)}`,
    node: (nodeId) => `${prefix}.node.${subjectToken(nodeId)}`,
    streamItems: (streamId) => `${prefix}.stream.${streamId}.items`,
    streamControl: (streamId) => `${prefix}.stream.${streamId}.control`,
  };
}

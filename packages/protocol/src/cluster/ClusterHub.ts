import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CloseCode, closeReason } from '../closeCodes.js';
import type { CallProcedure, SubscriptionProcedure } from '../contract/procedure.js';
import { timerMs } from '../link/timerMs.js';
import { type AgentClient, type AgentTransport, createAgentClient } from '../server/agentClient.js';
import { AgentHub, type AgentHubOptions, type NodeIdentity } from '../server/AgentHub.js';
import type { CallOptions, SubscriptionHandlers, Unsubscribable } from '../server/NodeLink.js';
import { AgentError } from '../errors.js';
import type { ClusterContext } from './ClusterContext.js';
import { clusterNames, type ClusterNames } from './clusterNames.js';
import { createBucket } from './createBucket.js';
import { ClusterStream } from './ClusterStream.js';
import { forwardCall } from './forwardCall.js';
import { LeaderLease } from './LeaderLease.js';
import { NodeOwnership } from './NodeOwnership.js';
import { OldReplicaMemory } from './OldReplicaMemory.js';
import { OwnerEndpoint } from './OwnerEndpoint.js';
import { ReplicaRegistry } from './ReplicaRegistry.js';
import { requestOwner } from './requestOwner.js';

export interface ClusterHubOptions<I extends NodeIdentity> {
  /** The options of this replica's own hub, exactly as for `new AgentHub(...)`. */
  hub: AgentHubOptions<I>;
  /** A connection to the engine (NATS with JetStream). The caller owns it and closes it after `close()`. */
  nats: NatsConnection;
  /** This replica's name in the cluster; unique among the replicas. @default random */
  replicaId?: string;
  /** Prefix of every bucket and subject; replicas of one cluster share it. @default 'lormas' */
  subjectPrefix?: string;
  /**
   * A replica not heard of for this long is dead: its nodes' calls fail over to where they
   * dial next, readers reopen their streams, and leases it held expire.
   * @default 10_000 (milliseconds, `DEFAULT_REPLICA_TTL_MS`)
   */
  replicaTtlMs?: number;
  /** Stream items an owner may send a reader ahead of what it has delivered. @default 32 (items) */
  streamCreditItems?: number;
  /** First wait before a call or stream asks again for a node that is away; doubles up to `retryMaxMs`. @default 20 (milliseconds) */
  retryBaseMs?: number;
  /** @default 500 (milliseconds) */
  retryMaxMs?: number;
  /**
   * How long an owner replica that answered only on a node's subject (a version from before
   * per-replica subjects, during a rolling upgrade) is asked there first, without trying its
   * own subject. @default 60_000 (milliseconds, `DEFAULT_OLD_REPLICA_MEMORY_MS`)
   */
  oldReplicaMemoryMs?: number;
  /**
   * For tests of a mixed cluster only, never in production: this replica serves and sends as
   * one from before per-replica subjects did (nodes' subjects only, requests that do not name
   * their node, replies that do not name the replica). @default false
   */
  actAsOldReplica?: boolean;
}

/**
 * A minute: a rolling upgrade's requests to an old replica pay the no-responders round trip on
 * its own subject (well under a millisecond on a LAN) once a minute per old replica, and a
 * replica restarted on the new version under the same name is back on its own subject, race
 * free, within a minute.
 */
export const DEFAULT_OLD_REPLICA_MEMORY_MS = 60_000;

/**
 * How long a silent replica counts as alive. Ten seconds, as Nomad's default heartbeat grace:
 * long enough that a replica whose event loop is busy (thousands of agents dialling at once)
 * is not judged dead and its nodes torn away, short enough that a dead one's readers and the
 * failover lease move on within it. A killed replica's agents notice at once by themselves.
 */
export const DEFAULT_REPLICA_TTL_MS = 10_000;

/** The engine's storage the buckets ask for: files, so ownership outlives a restart of the engine. */
const STORAGE = 'file';

/**
 * The server end of the link on several replicas. Each replica runs one `ClusterHub` in
 * place of an `AgentHub`: agents dial any replica (behind a load balancer); the replica
 * that holds a node's socket claims the node in the engine, and `client(nodeId)` works on
 * every replica: calls and streams go to the node's owner through the engine, with the
 * deadlines, coded errors and resumable streams of a local client.
 *
 * The engine is NATS with JetStream. KV buckets hold the owners (compare-and-set claims,
 * the latest wins and the superseded replica closes its socket with 4409), the live
 * replicas (a key each, with a TTL), and leases (`lease(name)`, e.g. the one failover judge).
 */
export class ClusterHub<I extends NodeIdentity = NodeIdentity> {
  readonly replicaId: string;
  readonly local: AgentHub<I>;
  readonly names: ClusterNames;
  readonly ownership: NodeOwnership;
  readonly replicas: ReplicaRegistry;
  private readonly owner: OwnerEndpoint;
  private readonly context: ClusterContext;
  private readonly streams = new Set<ClusterStream>();
  /** Nodes that connected to this replica and were not taken by another since. */
  private readonly held = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Forwarded calls waiting on each replica: failed at once if it dies. */
  private readonly downWaiters = new Map<string, Set<() => void>>();
  private readonly leasesKv: KV;
  private readonly replicaTtlMs: number;
  private closed = false;

  private constructor(options: ClusterHubOptions<I>, buckets: { owners: KV; replicas: KV; leases: KV }, replicaId: string, names: ClusterNames) {
    this.replicaId = replicaId;
    this.names = names;
    this.replicaTtlMs = timerMs('ClusterHub: replicaTtlMs', options.replicaTtlMs ?? DEFAULT_REPLICA_TTL_MS);
    this.leasesKv = buckets.leases;
    const hubOptions = options.hub;
    const report = (error: unknown, where: string) => {
      try {
        if (hubOptions.onCallbackError) hubOptions.onCallbackError(error, { nodeId: null, path: `cluster: ${where}` });
        else console.error(`ClusterHub (${replicaId}): ${where}:`, error);
      } catch {
        // Nowhere left to report to.
      }
    };
    this.ownership = new NodeOwnership({ kv: buckets.owners, replicaId, onError: report });
    this.replicas = new ReplicaRegistry({ kv: buckets.replicas, replicaId, ttlMs: this.replicaTtlMs, onError: report });
    this.local = new AgentHub<I>({
      ...hubOptions,
      // The node is claimed first, so the caller's per-node work runs where the cluster says the node is.
      onConnect: (event) => {
        void this.claim(event.nodeId).then(() => {
          try {
            hubOptions.onConnect?.(event);
          } catch (error) {
            report(error, `onConnect of node ${event.nodeId}`);
          }
        });
      },
    });
    const streamCreditItems = options.streamCreditItems ?? 32;
    if (!Number.isInteger(streamCreditItems) || streamCreditItems < 1) throw new TypeError(`ClusterHub: streamCreditItems must be a whole number >= 1, got ${streamCreditItems}`);
    this.context = {
      nc: options.nats,
      names,
      replicaId,
      local: this.local as unknown as AgentHub<NodeIdentity>,
      ownership: this.ownership,
      replicas: this.replicas,
      callTimeoutMs: hubOptions.callTimeoutMs ?? 30_000,
      streamCreditItems,
      retryBaseMs: timerMs('ClusterHub: retryBaseMs', options.retryBaseMs ?? 20),
      retryMaxMs: timerMs('ClusterHub: retryMaxMs', options.retryMaxMs ?? 500),
      oldReplicas: new OldReplicaMemory(timerMs('ClusterHub: oldReplicaMemoryMs', options.oldReplicaMemoryMs ?? DEFAULT_OLD_REPLICA_MEMORY_MS)),
      actAsOldReplica: options.actAsOldReplica ?? false,
      liveOwner: (nodeId) => {
        const owner = this.ownership.owner(nodeId);
        return owner !== null && this.replicas.isAlive(owner) ? owner : null;
      },
      settle: (nodeId, ms, signal) => this.settle(nodeId, ms, signal),
      whenDown: (replicaId, callback) => {
        let callbacks = this.downWaiters.get(replicaId);
        if (!callbacks) this.downWaiters.set(replicaId, (callbacks = new Set()));
        callbacks.add(callback);
        return () => {
          callbacks!.delete(callback);
          if (callbacks!.size === 0 && this.downWaiters.get(replicaId) === callbacks) this.downWaiters.delete(replicaId);
        };
      },
      report,
    };
    this.owner = new OwnerEndpoint(this.context, (nodeId, code, reason) => this.forget(nodeId, code, reason, false));
    this.ownership.on('change', (nodeId, owner, previous) => this.ownerChanged(nodeId, owner, previous));
    this.replicas.on('down', (replicaId) => this.replicaDown(replicaId));
    this.replicas.on('up', () => {
      for (const stream of [...this.streams]) stream.reconsider();
      this.wakeAll();
    });
  }

  /** Makes the buckets if they are missing, joins the cluster and loads who holds what. */
  static async start<I extends NodeIdentity>(options: ClusterHubOptions<I>): Promise<ClusterHub<I>> {
    const names = clusterNames(options.subjectPrefix ?? 'lormas');
    const replicaId = options.replicaId ?? `replica-${randomBytes(5).toString('hex')}`;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(replicaId)) throw new TypeError(`ClusterHub: replicaId must be 1 to 64 letters, digits, "_" or "-", got "${replicaId}"`);
    const ttlMs = timerMs('ClusterHub: replicaTtlMs', options.replicaTtlMs ?? DEFAULT_REPLICA_TTL_MS);
    // Without headers the engine cannot answer "no responders", and a request to an old replica's missing subject would wait out its whole deadline.
    if (options.nats.info && !options.nats.info.headers) throw new TypeError('ClusterHub: nats must be connected to a NATS server with headers (2.2 or later)');
    const kvm = new Kvm(options.nats);
    const [owners, replicas, leases] = await Promise.all([
      createBucket(kvm, names.owners, { history: 1, storage: STORAGE }),
      createBucket(kvm, names.replicas, { history: 1, storage: STORAGE, ttl: ttlMs }),
      createBucket(kvm, names.leases, { history: 1, storage: STORAGE, ttl: ttlMs }),
    ]);
    const hub = new ClusterHub(options, { owners, replicas, leases }, replicaId, names);
    await hub.replicas.start();
    await hub.ownership.start();
    hub.watchConnection();
    return hub;
  }

  /** Completes an agent's HTTP upgrade on this replica. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.local.handleUpgrade(request, socket, head);
  }

  /** A typed client of `nodeId`'s agent, wherever its socket is. */
  client(nodeId: string): AgentClient {
    return createAgentClient(this.transport(nodeId));
  }

  /** The untyped route to `nodeId`'s agent through whichever replica holds it. */
  transport(nodeId: string): AgentTransport {
    return {
      call: (procedure: CallProcedure, path: string, input: unknown, options?: CallOptions) => forwardCall(this.context, nodeId, procedure, path, input, options),
      subscribe: (procedure: SubscriptionProcedure, path: string, input: unknown, handlers: SubscriptionHandlers<unknown>): Unsubscribable => {
        const stream = new ClusterStream(this.context, nodeId, procedure, path, input, handlers, (done) => this.streams.delete(done));
        this.streams.add(stream);
        return stream;
      },
    };
  }

  /** The replica holding `nodeId`'s socket, as far as this replica knows, if it is alive. */
  ownerOf(nodeId: string): string | null {
    return this.context.liveOwner(nodeId);
  }

  /** Whether this replica holds `nodeId`'s socket and it is open. */
  isLocal(nodeId: string): boolean {
    return this.ownership.owner(nodeId) === this.replicaId && this.local.isConnected(nodeId);
  }

  /** A lease in the engine (same TTL as the replicas'): `lease('failover')` chooses the one failover judge. */
  lease(name: string): LeaderLease {
    return new LeaderLease({ kv: this.leasesKv, name, holder: this.replicaId, ttlMs: this.replicaTtlMs, onError: this.context.report });
  }

  /**
   * Closes `nodeId`'s socket wherever it is and drops its link there (`Revoked` for a revoked
   * node): its calls fail and its streams end with `AGENT_UNAVAILABLE` on every replica.
   */
  async forget(nodeId: string, code: number = CloseCode.Normal, reason = 'forgotten', relay = true): Promise<void> {
    const owner = this.ownership.owner(nodeId);
    // Failed, not ended: a reader must tell a node that is gone from a stream that completed.
    const gone = new AgentError('AGENT_UNAVAILABLE', `the link to node ${nodeId} is closed: ${reason}`);
    for (const stream of [...this.streams]) if (stream.nodeId === nodeId) stream.abort(gone);
    if (owner === this.replicaId) {
      // Before `unserve`, which would tell their readers to look for the node elsewhere.
      this.owner.failCarried(nodeId, gone);
      this.owner.unserve(nodeId);
      await this.ownership.release(nodeId, this.replicaId).catch((error: unknown) => this.context.report(error, 'release'));
    }
    await this.local.forget(nodeId, code, reason);
    this.held.delete(nodeId);
    if (relay && owner !== null && owner !== this.replicaId) {
      const request = { t: 'forget', node: nodeId, code, reason: closeReason(reason) } as const;
      const reply = await requestOwner(this.context, owner, request, 2_000).catch((error: unknown) => this.context.report(error, 'forget'));
      // The owner believed in had handed the node over: the one that holds it now is told instead.
      const now = reply?.t === 'away' ? this.ownership.owner(nodeId) : null;
      if (now && now !== owner && now !== this.replicaId) await requestOwner(this.context, now, request, 2_000).catch((error: unknown) => this.context.report(error, 'forget'));
    }
  }

  /** Leaves the cluster: nodes are released (readers wait for them elsewhere), agents are told 1001 and dial another replica. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams]) stream.unsubscribe();
    const mine = this.ownership.ownedBy(this.replicaId);
    this.owner.close();
    await Promise.all(mine.map((nodeId) => this.ownership.release(nodeId, this.replicaId).catch(() => {})));
    this.ownership.stop();
    await this.replicas.close();
    await this.local.close();
    this.wakeAll();
  }

  /** Owner replicas this one now asks on nodes' subjects first: replicas of a version from before (for tests and operators). */
  oldReplicas(): string[] {
    return this.context.oldReplicas.oldReplicas();
  }

  /** Streams carried from this replica to readers elsewhere, with how often each was braked. */
  carriedStreams(): { nodeId: string; reader: string; pauses: number }[] {
    return this.owner.carriedStreams().map((stream) => ({ nodeId: stream.nodeId, reader: stream.reader, pauses: stream.pauses }));
  }

  private async claim(nodeId: string): Promise<void> {
    if (this.closed) return;
    this.held.add(nodeId);
    try {
      await this.ownership.claim(nodeId);
    } catch (error) {
      // The engine is away: the node is served locally, and claimed again when the engine returns.
      this.context.report(error, `claim of node ${nodeId}`);
    }
    if (this.local.isConnected(nodeId) && this.ownership.owner(nodeId) === this.replicaId) this.owner.serve(nodeId);
  }

  private ownerChanged(nodeId: string, owner: string | null, previous: string | null): void {
    if (previous === this.replicaId && owner !== this.replicaId) {
      if (owner === null && this.local.isConnected(nodeId) && !this.closed) {
        // A peer cleared this replica's claim (it judged this replica dead while the engine was unreachable): claim it again.
        void this.claim(nodeId);
      } else {
        // Another replica holds a newer socket of this node: move every reader, then close the older socket here.
        this.owner.unserve(nodeId);
        this.held.delete(nodeId);
        for (const stream of [...this.streams]) if (stream.nodeId === nodeId) stream.reconsider();
        void this.local.forget(nodeId, CloseCode.Superseded, 'superseded by a newer connection at another replica');
      }
    }
    if (owner === this.replicaId && this.local.isConnected(nodeId)) this.owner.serve(nodeId);
    for (const stream of [...this.streams]) if (stream.nodeId === nodeId) stream.reconsider();
    this.wake(nodeId);
  }

  private replicaDown(replicaId: string): void {
    const callbacks = this.downWaiters.get(replicaId);
    this.downWaiters.delete(replicaId);
    for (const callback of callbacks ?? []) callback();
    // Whatever comes back under its name may be of another version: asked on its own subject first again.
    this.context.oldReplicas.forget(replicaId);
    this.owner.readerDown(replicaId);
    for (const stream of [...this.streams]) stream.reconsider();
    this.wakeAll();
    // Clear the dead replica's claims, so nobody waits on it; a replica that is merely cut off claims its nodes again.
    for (const nodeId of this.ownership.ownedBy(replicaId)) {
      void this.ownership.release(nodeId, replicaId).catch((error: unknown) => this.context.report(error, 'release of a dead replica\'s node'));
    }
  }

  private settle(nodeId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiters.get(nodeId);
      if (!waiters) this.waiters.set(nodeId, (waiters = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters!.delete(done);
        if (waiters!.size === 0 && this.waiters.get(nodeId) === waiters) this.waiters.delete(nodeId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  private wake(nodeId: string): void {
    for (const done of [...(this.waiters.get(nodeId) ?? [])]) done();
  }

  private wakeAll(): void {
    for (const nodeId of [...this.waiters.keys()]) this.wake(nodeId);
  }

  /** After the engine comes back, this replica's key and its nodes' claims are written again at once. */
  private watchConnection(): void {
    void (async () => {
      for await (const status of this.context.nc.status()) {
        if (this.closed) return;
        if (status.type === 'disconnect') this.replicas.suspend();
        if (status.type !== 'reconnect') continue;
        this.replicas.resume();
        // Messages of carried streams may have been lost with the connection: readers open them again from their last id.
        this.owner.endCarried();
        for (const stream of [...this.streams]) stream.restart();
        await this.replicas.renew();
        for (const nodeId of this.localNodes()) void this.claim(nodeId);
      }
    })().catch((error: unknown) => this.context.report(error, 'connection status'));
  }

  /** Nodes whose socket this replica holds open. */
  private localNodes(): string[] {
    return [...this.held].filter((nodeId) => this.local.isConnected(nodeId));
  }
}

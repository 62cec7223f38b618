import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AgentError, AgentVersion, CloseCode, closeCodeName, closeReason, compareAgentVersions } from '@lormas/protocol';
import { type AgentClient, type AgentConnectEvent, AgentHub, type AgentHubOptions, type KeepAliveOptions } from '@lormas/protocol/server';
import { ClusterHub, DEFAULT_REPLICA_TTL_MS } from '@lormas/protocol/cluster';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClusterLiveness } from '../cluster/ClusterLiveness.js';
import type { SigningKey } from '../auth/signingKey.js';
import { refuseSocket } from '../http/refuseSocket.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/Store.js';
import { type AgentIdentity, createAgentAuthenticator } from './authenticateAgent.js';
import { NodeLiveness } from './NodeLiveness.js';
import { applyContainerEvent, reconcileInventory } from './reconcileInventory.js';
import { upgradeRefusal } from './upgradeRefusal.js';

export interface AgentGatewayOptions {
  store: Store;
  key: SigningKey;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
  /** Deadline of each call to an agent. @default 30_000 (milliseconds) */
  callTimeoutMs?: number;
  /** How long a connecting agent has to answer `hello`. @default 10_000 (milliseconds) */
  helloTimeoutMs?: number;
  keepAlive?: KeepAliveOptions;
  /**
   * The oldest agent version this server serves; an older agent is refused with 4426 naming
   * the version it needs (and shows in the node's view as refused). @default null (any)
   */
  minAgentVersion?: string | null;
}

/** What a replica of a cluster needs: the engine, and its place in the cluster. */
export interface GatewayClusterOptions {
  nats: NatsConnection;
  /** @default random */
  replicaId?: string;
  /** Prefix of the cluster's buckets, streams and subjects. @default 'lormas' */
  subjectPrefix?: string;
  /** A replica silent this long is dead. @default 10_000 (milliseconds) */
  replicaTtlMs?: number;
}

/**
 * The server's side of every agent link: authenticates sockets, tracks each node's
 * liveness, reads its inventory on every (re)connect, and keeps one heartbeat and one
 * container-event stream per node open. Those streams are opened once: the hub's client
 * outlives sockets and resumes them when the node dials back.
 */
export class AgentGateway {
  /** This process's own hub: the sockets of the nodes that dialled it. */
  hub: AgentHub<AgentIdentity>;
  /** In cluster mode, the route to every node through the replica that holds it; null in one process. */
  cluster: ClusterHub<AgentIdentity> | null = null;
  liveness: NodeLiveness;
  /**
   * Runs when a `lost` node dials back, before it counts as online: failover sets it to
   * remove the node's stale copies of containers that moved away. Rejecting keeps it lost.
   */
  admitReturning: ((nodeId: string) => Promise<void>) | null = null;
  private readonly streams = new Map<string, { unsubscribe(): void }[]>();
  /** Nodes whose admission is running, so a quick reconnect does not start a second one. */
  private readonly admitting = new Set<string>();
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly minAgentVersion: string | null;

  constructor(options: AgentGatewayOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.minAgentVersion = options.minAgentVersion ?? null;
    this.liveness = new NodeLiveness(options.now);
    this.hub = new AgentHub(this.hubOptions(options));
  }

  /** The gateway of one process, or with `cluster` a replica of a cluster: it joins before it answers. */
  static async start(options: AgentGatewayOptions & { cluster?: GatewayClusterOptions | null }): Promise<AgentGateway> {
    const gateway = new AgentGateway(options);
    if (options.cluster) await gateway.join(options, options.cluster);
    return gateway;
  }

  private async join(options: AgentGatewayOptions, cluster: GatewayClusterOptions): Promise<void> {
    const prefix = cluster.subjectPrefix ?? 'lormas';
    const replicaTtlMs = cluster.replicaTtlMs ?? DEFAULT_REPLICA_TTL_MS;
    const reportError = (error: unknown) => this.logger.warn('cluster engine', { error: error instanceof Error ? error.message : String(error) });
    const clusterHub = await ClusterHub.start<AgentIdentity>({ hub: this.hubOptions(options), nats: cluster.nats, replicaId: cluster.replicaId, subjectPrefix: prefix, replicaTtlMs });
    const kv = await new Kvm(cluster.nats).create(`${prefix}_liveness`, { history: 1, storage: 'file' });
    const liveness = new ClusterLiveness(kv, clusterHub.replicaId, reportError, options.now);
    await liveness.start();
    // The hub made in the constructor never listened; the cluster's own takes its place.
    void this.hub.close();
    this.hub = clusterHub.local;
    this.cluster = clusterHub;
    this.liveness = liveness;
  }

  private hubOptions(options: AgentGatewayOptions): AgentHubOptions<AgentIdentity> {
    return {
      authenticate: createAgentAuthenticator({ key: options.key, standingOf: (nodeId, tokenId) => this.standingOf(nodeId, tokenId), logger: options.logger, now: options.now }),
      callTimeoutMs: options.callTimeoutMs,
      helloTimeoutMs: options.helloTimeoutMs,
      keepAlive: options.keepAlive,
      onConnect: (event) => void this.onConnect(event),
      onViolation: ({ nodeId, reason, counters }) => this.logger.warn('agent broke the protocol; its socket is closed', { node: nodeId, reason, ...counters }),
      onCallbackError: (error, { nodeId, path }) => this.logger.error('a handler of agent data failed', { node: nodeId ?? undefined, path, error: error instanceof Error ? error.message : String(error) }),
      onDisconnect: ({ nodeId, code }) => {
        this.logger.info('agent offline', { node: nodeId, code: closeCodeName(code) });
        // A socket superseded by one at another replica: the node is online there, not offline.
        const owner = this.cluster?.ownerOf(nodeId) ?? null;
        if (owner !== null && owner !== this.cluster!.replicaId) return;
        this.liveness.disconnected(nodeId, code);
      },
    };
  }

  /** Wire it to the HTTP server's `upgrade` event. A request that cannot become an agent socket gets a JSON 4xx and a closed socket. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = upgradeRefusal(request);
    if (!refusal) return (this.cluster ?? this.hub).handleUpgrade(request, socket, head);
    this.logger.debug('upgrade refused', { code: refusal.code, remote: request.socket.remoteAddress });
    refuseSocket(socket, refusal);
  }

  /**
   * The client of a connected node's agent; `AGENT_UNAVAILABLE` at once when it is not
   * connected. In cluster mode the node may be connected to any replica: its calls go there.
   */
  client(nodeId: string): AgentClient {
    if (this.cluster) {
      if (this.liveness.get(nodeId).connectedSince === null && !this.hub.isConnected(nodeId)) throw new AgentError('AGENT_UNAVAILABLE', `the agent of node ${nodeId} is not connected`);
      return this.cluster.client(nodeId);
    }
    if (!this.hub.isConnected(nodeId)) throw new AgentError('AGENT_UNAVAILABLE', `the agent of node ${nodeId} is not connected`);
    return this.hub.client(nodeId);
  }

  /** Ends a revoked node's streams and closes its socket with `Revoked`, at whichever replica holds it. */
  async revoke(nodeId: string): Promise<void> {
    this.closeStreams(nodeId);
    if (this.cluster) await this.cluster.forget(nodeId, CloseCode.Revoked, 'node revoked');
    else await this.hub.forget(nodeId, CloseCode.Revoked, 'node revoked');
    this.liveness.forget(nodeId);
  }

  /**
   * The node's token was replaced: its connected agent, which holds an earlier one, is closed
   * with `Revoked`, at whichever replica holds it. The node stays registered with its
   * containers; its agent counts as away (and, after the lost window, lost) until it dials
   * with the new token.
   */
  tokenReplaced(nodeId: string): void {
    if (this.cluster) void this.cluster.forget(nodeId, CloseCode.Revoked, 'token replaced');
    else this.hub.disconnect(nodeId, CloseCode.Revoked, 'token replaced');
  }

  async close(): Promise<void> {
    for (const nodeId of [...this.streams.keys()]) this.closeStreams(nodeId);
    if (this.cluster) {
      await this.cluster.close();
      await (this.liveness as ClusterLiveness).flushed();
      (this.liveness as ClusterLiveness).stop();
    } else await this.hub.close();
  }

  private async standingOf(nodeId: string, tokenId: string | null | undefined): Promise<'active' | 'revoked' | 'unknown' | 'replaced'> {
    const node = await this.store.nodes.get(nodeId);
    if (!node) return 'unknown';
    if (node.revokedAt !== null) return 'revoked';
    return node.tokenId !== null && node.tokenId !== tokenId ? 'replaced' : 'active';
  }

  private async onConnect({ nodeId, identity, hello, superseded }: AgentConnectEvent<AgentIdentity>): Promise<void> {
    // A token replaced while this socket was being authenticated: the check at the upgrade came too early.
    if ((await this.standingOf(nodeId, identity.tokenId)) !== 'active') {
      this.hub.disconnect(nodeId, CloseCode.Revoked, 'token replaced');
      return;
    }
    const tooOld = this.tooOld(hello.agentVersion);
    if (tooOld) {
      this.logger.warn('agent refused: older than this server serves', { node: nodeId, agent: hello.agentVersion, needs: this.minAgentVersion });
      this.liveness.refused(nodeId, hello, CloseCode.ProtocolVersionUnsupported, tooOld);
      this.hub.disconnect(nodeId, CloseCode.ProtocolVersionUnsupported, closeReason(tooOld));
      return;
    }
    this.logger.info('agent online', { node: nodeId, name: hello.nodeName, agent: hello.agentVersion, protocol: hello.protocolVersion, superseded });
    if (this.liveness.get(nodeId).status === 'lost' && this.admitReturning) {
      this.liveness.returning(nodeId, hello);
      void this.admit(nodeId, hello);
    } else {
      this.liveness.connected(nodeId, hello);
      void this.readInventory(nodeId);
    }
    if (!this.streams.has(nodeId)) this.openStreams(nodeId);
  }

  /** Why an agent of `version` is too old to be served, or null. */
  private tooOld(version: string): string | null {
    if (this.minAgentVersion === null) return null;
    if (AgentVersion.safeParse(version).success && (compareAgentVersions(version, this.minAgentVersion) ?? -1) >= 0) return null;
    return `agent ${version.slice(0, 32)} is older than this server serves; it needs agent ${this.minAgentVersion} or later`;
  }

  /** Reconciles a returning lost node, then marks it online; on failure it stays lost until its next connect. */
  private async admit(nodeId: string, hello: Parameters<NodeLiveness['connected']>[1]): Promise<void> {
    if (this.admitting.has(nodeId)) return;
    this.admitting.add(nodeId);
    try {
      await this.admitReturning!(nodeId);
      await this.readInventory(nodeId);
      this.liveness.connected(nodeId, hello);
      this.logger.info('lost node admitted', { node: nodeId });
    } catch (error) {
      this.logger.warn('lost node not admitted', { node: nodeId, code: AgentError.from(error).code });
      // Dialling again retries the reconciliation; the agent's backoff paces it.
      this.hub.disconnect(nodeId, CloseCode.InternalError, 'reconciliation failed; dial again');
    } finally {
      this.admitting.delete(nodeId);
    }
  }

  private async readInventory(nodeId: string): Promise<void> {
    try {
      const inventory = await this.hub.client(nodeId).inventory.query();
      const report = await reconcileInventory(this.store.containers, nodeId, inventory);
      this.logger.info('inventory read', { node: nodeId, matched: report.matched, missing: report.missing.length, unknown: report.unknown.length });
    } catch (error) {
      this.logger.warn('inventory failed', { node: nodeId, code: AgentError.from(error).code });
    }
  }

  private openStreams(nodeId: string): void {
    const client = this.hub.client(nodeId);
    // A stream that ends or fails is dropped; the next connect opens it again.
    const ended = (what: string) => (error?: unknown) => {
      if (error) this.logger.warn(`${what} stream failed`, { node: nodeId, code: AgentError.from(error).code });
      this.closeStreams(nodeId);
    };
    this.streams.set(nodeId, [
      client.node.heartbeats.subscribe(undefined, {
        onData: (beat) => {
          const live = this.liveness.get(nodeId);
          // In cluster mode another replica may have written the node offline while this one
          // holds its socket (it judged this replica dead while the engine was away): the
          // replica holding the socket says what is so, and writes the node online again.
          if (this.cluster && live.status === 'offline' && live.hello && this.hub.isConnected(nodeId)) this.liveness.connected(nodeId, live.hello);
          // Likewise a node judged lost while its socket here stayed open (a leader that could not hear this
          // replica): it is admitted as a returning node is, its stale copies removed, and then online.
          if (this.cluster && live.status === 'lost' && !live.returning && live.hello && this.hub.isConnected(nodeId) && this.admitReturning) {
            this.liveness.returning(nodeId, live.hello);
            void this.admit(nodeId, live.hello);
          }
          this.liveness.heartbeat(nodeId, beat);
        },
        onError: ended('heartbeat'),
        onComplete: ended('heartbeat'),
      }),
      client.containers.events.subscribe(undefined, {
        onData: ({ data }) => {
          applyContainerEvent(this.store.containers, nodeId, data).catch((error: unknown) =>
            this.logger.warn('container event not recorded', { node: nodeId, error: error instanceof Error ? error.message : String(error) }),
          );
        },
        onError: ended('container event'),
        onComplete: ended('container event'),
      }),
    ]);
  }

  private closeStreams(nodeId: string): void {
    const streams = this.streams.get(nodeId);
    this.streams.delete(nodeId);
    for (const stream of streams ?? []) stream.unsubscribe();
  }
}

import type { AgentGateway } from '../agents/AgentGateway.js';
import type { NodeHealth } from '../failover/assessNodes.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { HeartbeatView, LiveEventMap } from '../http/apiTypes.js';
import { clusterView, containerView, heartbeatView, migrationView, nodeView, rolloutView } from '../http/views.js';
import type { ReleaseCatalog } from '../releases/ReleaseCatalog.js';
import { upgradeStatus } from '../releases/upgradeStatus.js';
import type { RolloutRunner } from '../rollouts/RolloutRunner.js';
import type { Rollout } from '../rollouts/Rollout.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import type { Store } from '../store/Store.js';
import { NODE_RECORD_ACTIONS, type StoreChange } from '../store/StoreChanges.js';
import { EventLog, type LiveEvent } from './EventLog.js';
import { NodeSamples, type NodeSamplesOptions, type Sample } from './NodeSamples.js';
import { RegistryCache, type RegistryEntry } from './RegistryCache.js';
import { SerialTasks } from './SerialTasks.js';

export interface LiveEventsOptions extends NodeSamplesOptions {
  store: Store;
  gateway: AgentGateway;
  failover: FailoverController;
  /** The newest build, for each node's upgrade status. */
  catalog: ReleaseCatalog;
  rollouts: RolloutRunner;
  /** Events a reconnecting reader can resume from. @default 1_000 (events) */
  replayEvents?: number;
  /** Where events go and readers read them; in cluster mode the stream the replicas share. @default a log of this process */
  log?: EventLog;
  /**
   * Heartbeats are sent in batches this often: each node that beat since the last batch,
   * once, with its newest figures (and the sparkline sample it gave, if any). With a
   * `sampleIntervalMs` below this, a node may give two samples between batches: the batch
   * carries the newer, `GET /api/samples` both.
   * @default 1_000 (milliseconds)
   */
  heartbeatEventIntervalMs?: number;
  /** A batch holds at most this many nodes; more go out as several `heartbeats` events at once. @default 100 (nodes) */
  heartbeatBatchNodes?: number;
  /** @default Date.now */
  now?: () => number;
  /** A burst of events is made in slices of at most this long, the event loop turning in between. @default 5 (milliseconds) */
  eventSliceMs?: number;
}

/** The actions of a `node` event that change the node's record. */
const REGISTRY_ACTIONS = new Set<string>(NODE_RECORD_ACTIONS);

/** Of a node reporting less than a byte in all (a fraction the contract allows), no figure: dividing by it would give an infinite one. */
const percent = (used: number, total: number) => (total >= 1 ? Math.round((used / total) * 1000) / 10 : 0);

/**
 * The samples of a `heartbeats` batch to keep: those of nodes this replica knows (`known`),
 * never a ring for an id it does not, taken within `takenWithin` (epoch ms): a sample from
 * far ahead would stop the node's ring, which takes only newer samples, until it is revoked.
 * The batch is this replica's own, or another's read from the cluster's stream, where
 * `ClusterEventLog` has checked it against its view (`STREAMED_EVENTS`) before any observer
 * sees it.
 */
export function keptSamples(data: LiveEventMap['heartbeats'], known: (nodeId: string) => boolean, takenWithin: { from: number; to: number }): [string, Sample][] {
  const kept: [string, Sample][] = [];
  for (const { id, sample } of data.nodes) {
    if (sample && sample.at >= takenWithin.from && sample.at <= takenWithin.to && known(id)) kept.push([id, sample]);
  }
  return kept;
}

/** How far ahead of this replica's clock another replica's sample may be (clocks differ a little): beyond, it is not kept. */
const SAMPLE_CLOCK_SKEW_MS = 60_000;

/**
 * An event's weight in the replay buffer (see `EventLogOptions.weigh`): a `heartbeats` batch
 * counts as many as the nodes it holds.
 */
export function liveEventWeight(type: string, data: unknown): number {
  const nodes = type === 'heartbeats' ? (data as Partial<LiveEventMap['heartbeats']> | null)?.nodes : undefined;
  return Array.isArray(nodes) ? nodes.length : 1;
}

/** What a container's change means to someone watching: moved, started, stopped, died... */
export function containerAction(before: ContainerRecord | null, after: ContainerRecord | null): LiveEventMap['container']['action'] {
  if (!after) return 'removed';
  if (!before) return 'created';
  if (before.nodeId !== after.nodeId) return 'moved';
  if (before.observedState === after.observedState) return 'updated';
  if (after.observedState === 'running') return 'started';
  // Exited while the server wanted it running: it died; otherwise it was stopped as asked.
  if (after.observedState === 'exited') return after.desiredState === 'running' ? 'died' : 'stopped';
  return 'updated';
}

/**
 * Turns the server's changes into the live stream of `GET /api/events`: store writes
 * (nodes, clusters, containers, migrations), agent links (online, offline, lost), failover's
 * judgement (suspect), and heartbeat figures, gathered into one batch per interval.
 *
 * Heartbeats are batched because they are most of the stream: 2,000 a second at 10,000 nodes.
 * One event per heartbeat, each with the node's whole view, was a third of the server's CPU in
 * the bench's figure 5 (issue 16: 26 % of a core with them, 18 % without), and as many
 * redraws a second for every open dashboard.
 */
export class LiveEvents {
  readonly log: EventLog;
  readonly samples: NodeSamples;
  private readonly heartbeatEventIntervalMs: number;
  private readonly heartbeatBatchNodes: number;
  private readonly now: () => number;
  /** Nodes that beat since the last batch, each with the sample its beats gave (null: none). */
  private beats = new Map<string, Sample | null>();
  private beatsTimer: NodeJS.Timeout | null = null;
  private readonly detach: (() => void)[] = [];
  /**
   * Events are made in the order their causes happened, though making one reads the store:
   * each waits for the one before it. A view that cannot be read (the node was removed
   * meanwhile) makes no event; the stream goes on.
   */
  private readonly making: SerialTasks;
  private readonly registry = new RegistryCache();

  constructor(private readonly options: LiveEventsOptions) {
    this.log = options.log ?? new EventLog({ capacity: options.replayEvents, weigh: liveEventWeight });
    this.samples = new NodeSamples(options);
    this.heartbeatEventIntervalMs = options.heartbeatEventIntervalMs ?? 1_000;
    if (!Number.isFinite(this.heartbeatEventIntervalMs) || this.heartbeatEventIntervalMs < 0) throw new TypeError('LiveEvents: options.heartbeatEventIntervalMs must be a number of milliseconds >= 0');
    this.heartbeatBatchNodes = options.heartbeatBatchNodes ?? 100;
    if (!Number.isInteger(this.heartbeatBatchNodes) || this.heartbeatBatchNodes < 1) throw new TypeError('LiveEvents: options.heartbeatBatchNodes must be a whole number of nodes >= 1');
    this.now = options.now ?? Date.now;
    this.making = new SerialTasks({ sliceMs: options.eventSliceMs });
    const { store, gateway, failover } = options;
    // Sparkline samples travel in heartbeat events: in cluster mode a replica keeps the samples of
    // nodes held elsewhere from the events it reads; the sample a replica took itself is not taken twice.
    this.detach.push(
      this.log.observe((event) => {
        this.forgetChanged(event);
        if (event.type === 'heartbeats') this.keepSamples(event.data as LiveEventMap['heartbeats']);
      }),
    );
    const onChange = (change: StoreChange) => {
      // At once, not in turn: a heartbeat event made meanwhile must not show the record as it was.
      if (change.kind === 'node') this.registry.forgetNode(change.id);
      if (change.kind === 'cluster') this.registry.forgetCluster(change.id);
      this.serially(() => this.onStoreChange(change));
    };
    store.changes.on('change', onChange);
    this.detach.push(() => store.changes.off('change', onChange));
    const liveness = gateway.liveness;
    const online = (nodeId: string) => this.serially(() => this.node('online', nodeId));
    const offline = (nodeId: string) => this.serially(() => this.node('offline', nodeId));
    const lost = (nodeId: string) => this.serially(() => this.node('lost', nodeId));
    const beat = (nodeId: string) => this.heartbeat(nodeId);
    liveness.on('connect', online);
    liveness.on('disconnect', offline);
    liveness.on('lost', lost);
    liveness.on('heartbeat', beat);
    this.detach.push(() => {
      liveness.off('connect', online);
      liveness.off('disconnect', offline);
      liveness.off('lost', lost);
      liveness.off('heartbeat', beat);
    });
    const rolloutChange = (action: LiveEventMap['rollout']['action'], rollout: Rollout) => this.emit('rollout', { action, rollout: rolloutView(rollout) });
    options.rollouts.on('change', rolloutChange);
    this.detach.push(() => options.rollouts.off('change', rolloutChange));
    failover.healthListener = (nodeId: string, health: NodeHealth) => {
      // `lost` is announced by the liveness event; `online` again by the connect.
      if (health === 'suspect') this.serially(() => this.node('suspect', nodeId));
    };
  }

  /** Resolves once every event caused so far has been made (for tests and shutdown). */
  settled(): Promise<void> {
    return this.making.settled();
  }

  private serially(make: () => Promise<void>): void {
    this.making.run(make);
  }

  close(): void {
    for (const undo of this.detach.splice(0)) undo();
    this.options.failover.healthListener = null;
    if (this.beatsTimer) clearTimeout(this.beatsTimer);
    this.beatsTimer = null;
    this.beats.clear();
  }

  private emit<K extends keyof LiveEventMap>(type: K, data: LiveEventMap[K]): void {
    this.log.publish(type, data);
  }

  private async nodeView(nodeId: string) {
    const { gateway, failover, catalog } = this.options;
    const registry = await this.registryOf(nodeId);
    if (!registry) return null;
    const live = gateway.liveness.get(nodeId);
    return nodeView(registry.node, registry.cluster, live, failover.healthOf(nodeId), upgradeStatus(live.hello, catalog.latestVersion()));
  }

  /**
   * A node's record and cluster, as events show them. Kept between events: a burst of node
   * events (thousands of nodes turning suspect at one check, or coming back) would otherwise
   * read the database for each, PostgreSQL in cluster mode. A change forgets only what it
   * names, whichever replica made it (`forgetChanged`): a node's change its entry, a cluster's
   * the entries of its nodes and of the nodes its event lists. Other replicas' changes come
   * from the shared stream, where anyone who can publish may put a well-formed event: were
   * any of them to forget every entry, a flood of them would send every node event of every
   * replica to the database. A read in flight during a change of its node or its cluster is
   * used once and not kept (`RegistryCache`).
   */
  private registryOf(nodeId: string): Promise<RegistryEntry | null> {
    const { store } = this.options;
    return this.registry.get(nodeId, async () => {
      const node = await store.nodes.get(nodeId);
      return node && { node, cluster: node.clusterId ? await store.clusters.get(node.clusterId) : null };
    });
  }

  /** Forgets what a live event says has changed, whichever replica made it (see `registryOf`). */
  private forgetChanged({ type, data }: LiveEvent): void {
    if (type === 'node') {
      const { action, node } = data as LiveEventMap['node'];
      if (REGISTRY_ACTIONS.has(action)) this.registry.forgetNode(node.id);
    }
    if (type === 'cluster') {
      const { cluster } = data as LiveEventMap['cluster'];
      this.registry.forgetCluster(cluster.id, cluster.nodes);
    }
    // Events of another replica were lost (it could not publish them): what they changed is
    // unknown. A forged reset costs more elsewhere: every dashboard reads the whole state afresh.
    if (type === 'reset') this.registry.forgetAll();
  }

  private async node(action: LiveEventMap['node']['action'], nodeId: string): Promise<void> {
    const view = await this.nodeView(nodeId);
    if (view) this.emit('node', { action, node: view });
    if (action === 'revoked') this.samples.forget(nodeId);
  }

  private heartbeat(nodeId: string): void {
    const beat = this.options.gateway.liveness.get(nodeId).lastHeartbeat;
    const sample = beat
      ? this.samples.record(nodeId, { at: this.now(), cpuPercent: Math.round(beat.cpu.usagePercent * 10) / 10, memoryPercent: percent(beat.memory.usedBytes, beat.memory.totalBytes) })
      : null;
    // A node beating twice before the batch goes out is in it once; a sample it gave is kept.
    if (sample || !this.beats.has(nodeId)) this.beats.set(nodeId, sample);
    if (this.beatsTimer) return;
    this.beatsTimer = setTimeout(() => this.sendHeartbeats(), this.heartbeatEventIntervalMs);
    this.beatsTimer.unref();
  }

  /** Sends the nodes that beat since the last batch, from their state as it is now, in events of at most `heartbeatBatchNodes`. */
  private sendHeartbeats(): void {
    this.beatsTimer = null;
    const beats = this.beats;
    this.beats = new Map();
    this.serially(async () => {
      const { gateway, failover } = this.options;
      let batch: HeartbeatView[] = [];
      for (const [nodeId, sample] of beats) {
        // Gone meanwhile (revoked): its `node` event said so; a figure now would bring it back.
        if (!gateway.liveness.has(nodeId)) continue;
        batch.push(heartbeatView(nodeId, gateway.liveness.get(nodeId), failover.healthOf(nodeId), sample));
        if (batch.length === this.heartbeatBatchNodes) {
          this.emit('heartbeats', { nodes: batch });
          batch = [];
        }
      }
      if (batch.length > 0) this.emit('heartbeats', { nodes: batch });
    });
  }

  /**
   * Keeps the samples of a batch made by another replica (in cluster mode), so this replica's
   * `GET /api/samples` shows every node's sparkline; a sample this replica took is not kept twice.
   */
  private keepSamples(data: LiveEventMap['heartbeats']): void {
    const now = this.now();
    const takenWithin = { from: now - this.samples.samplesPerNode * this.samples.sampleIntervalMs - SAMPLE_CLOCK_SKEW_MS, to: now + SAMPLE_CLOCK_SKEW_MS };
    for (const [nodeId, sample] of keptSamples(data, (id) => this.options.gateway.liveness.has(id), takenWithin)) {
      if (this.samples.get(nodeId).at(-1)?.at !== sample.at) this.samples.record(nodeId, sample);
    }
  }

  private async onStoreChange(change: StoreChange): Promise<void> {
    const { store } = this.options;
    switch (change.kind) {
      case 'node':
        return this.node(change.action, change.id);
      case 'cluster': {
        const cluster = await store.clusters.get(change.id);
        const nodeIds = (await store.nodes.list()).filter((node) => node.clusterId === change.id).map((node) => node.id);
        return this.emit('cluster', { action: change.action, cluster: cluster ? clusterView(cluster, nodeIds) : { id: change.id, name: '', description: null, createdAt: null, nodes: [] } });
      }
      case 'container': {
        const record = change.after ?? change.before!;
        return this.emit('container', {
          action: containerAction(change.before, change.after),
          container: containerView(record),
          previousNodeId: change.before && change.after && change.before.nodeId !== change.after.nodeId ? change.before.nodeId : null,
        });
      }
      case 'migration': {
        const migration = await store.migrations.get(change.id);
        if (!migration) return;
        const action = change.action === 'updated' ? 'step' : change.action;
        return this.emit('migration', { action, migration: migrationView(migration) });
      }
    }
  }
}

import type { AgentGateway } from '../agents/AgentGateway.js';
import type { NodeHealth } from '../failover/assessNodes.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { LiveEventMap } from '../http/apiTypes.js';
import { clusterView, containerView, migrationView, nodeView, rolloutView } from '../http/views.js';
import type { ReleaseCatalog } from '../releases/ReleaseCatalog.js';
import { upgradeStatus } from '../releases/upgradeStatus.js';
import type { RolloutRunner } from '../rollouts/RolloutRunner.js';
import type { Rollout } from '../rollouts/Rollout.js';
import type { ClusterRecord } from '../store/ClusterStore.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import type { NodeRecord } from '../store/NodeStore.js';
import type { Store } from '../store/Store.js';
import type { StoreChange } from '../store/StoreChanges.js';
import { EventLog } from './EventLog.js';
import { NodeSamples, type NodeSamplesOptions } from './NodeSamples.js';
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
  /** Heartbeat figures of one node go out at most this often; the latest wins. @default 1_000 (milliseconds) */
  heartbeatEventIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** A burst of events is made in slices of at most this long, the event loop turning in between. @default 5 (milliseconds) */
  eventSliceMs?: number;
}

/** Of a node reporting less than a byte in all (a fraction the contract allows), no figure: dividing by it would give an infinite one. */
const percent = (used: number, total: number) => (total >= 1 ? Math.round((used / total) * 1000) / 10 : 0);

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
 * judgement (suspect), and heartbeat figures, coalesced per node to one event per interval.
 */
export class LiveEvents {
  readonly log: EventLog;
  readonly samples: NodeSamples;
  private readonly heartbeatEventIntervalMs: number;
  private readonly now: () => number;
  /** Per node: when its last heartbeat event went out, and the timer of a coalesced one due. */
  private readonly beats = new Map<string, { sentAt: number; timer: NodeJS.Timeout | null }>();
  private readonly detach: (() => void)[] = [];
  /**
   * Events are made in the order their causes happened, though making one reads the store:
   * each waits for the one before it. A view that cannot be read (the node was removed
   * meanwhile) makes no event; the stream goes on.
   */
  private readonly making: SerialTasks;
  private readonly registry = new Map<string, { node: NodeRecord; cluster: ClusterRecord | null }>();
  private registryGeneration = 0;

  constructor(private readonly options: LiveEventsOptions) {
    this.log = options.log ?? new EventLog({ capacity: options.replayEvents });
    this.samples = new NodeSamples(options);
    this.heartbeatEventIntervalMs = options.heartbeatEventIntervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.making = new SerialTasks({ sliceMs: options.eventSliceMs });
    const { store, gateway, failover } = options;
    // Sparkline samples travel in heartbeat events: in cluster mode a replica keeps the samples of
    // nodes held elsewhere from the events it reads; the sample a replica took itself is not taken twice.
    this.detach.push(
      this.log.observe((event) => {
        if (event.type === 'cluster' || (event.type === 'node' && ['registered', 'updated', 'revoked'].includes((event.data as LiveEventMap['node']).action))) this.forgetRegistry();
        const data = event.data as Partial<LiveEventMap['heartbeat']>;
        if (event.type === 'heartbeat' && data.sample && data.node && this.samples.get(data.node.id).at(-1)?.at !== data.sample.at) this.samples.record(data.node.id, data.sample);
      }),
    );
    const onChange = (change: StoreChange) => {
      // At once, not in turn: a heartbeat event made meanwhile must not show the record as it was.
      if (change.kind === 'node' || change.kind === 'cluster') this.forgetRegistry();
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
    for (const beat of this.beats.values()) if (beat.timer) clearTimeout(beat.timer);
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
   * A node's record and cluster, as events show them. Kept between events: every heartbeat
   * event shows its node, and reading the database for each (at thousands of nodes, on
   * PostgreSQL in cluster mode) would cost more than all the rest. Any node or cluster event,
   * whichever replica made it, empties the cache.
   */
  private async registryOf(nodeId: string) {
    const cached = this.registry.get(nodeId);
    if (cached) return cached;
    const { store } = this.options;
    const generation = this.registryGeneration;
    const node = await store.nodes.get(nodeId);
    if (!node) return null;
    const entry = { node, cluster: node.clusterId ? await store.clusters.get(node.clusterId) : null };
    // A change seen while reading may have made what was read stale: use it this once, keep nothing.
    if (generation === this.registryGeneration) this.registry.set(nodeId, entry);
    return entry;
  }

  private forgetRegistry(): void {
    this.registry.clear();
    this.registryGeneration++;
  }

  private async node(action: LiveEventMap['node']['action'], nodeId: string): Promise<void> {
    const view = await this.nodeView(nodeId);
    if (view) this.emit('node', { action, node: view });
    if (action === 'revoked') this.samples.forget(nodeId);
  }

  private heartbeat(nodeId: string): void {
    const live = this.options.gateway.liveness.get(nodeId);
    const beat = live.lastHeartbeat;
    const sample = beat
      ? this.samples.record(nodeId, { at: this.now(), cpuPercent: Math.round(beat.cpu.usagePercent * 10) / 10, memoryPercent: percent(beat.memory.usedBytes, beat.memory.totalBytes) })
      : null;
    let state = this.beats.get(nodeId);
    if (!state) this.beats.set(nodeId, (state = { sentAt: -Infinity, timer: null }));
    // A new sample always goes out at once, so no sparkline point is lost to coalescing.
    if (sample || this.now() - state.sentAt >= this.heartbeatEventIntervalMs) return this.sendHeartbeat(nodeId, sample);
    if (state.timer) return;
    state.timer = setTimeout(() => this.sendHeartbeat(nodeId, null), state.sentAt + this.heartbeatEventIntervalMs - this.now());
    state.timer.unref();
  }

  private sendHeartbeat(nodeId: string, sample: ReturnType<NodeSamples['record']>): void {
    const state = this.beats.get(nodeId);
    if (state) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      state.sentAt = this.now();
    }
    this.serially(async () => {
      const view = await this.nodeView(nodeId);
      if (view) this.emit('heartbeat', { node: view, sample });
    });
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

import type { AgentGateway } from '../agents/AgentGateway.js';
import type { NodeHealth } from '../failover/assessNodes.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { LiveEventMap } from '../http/apiTypes.js';
import { clusterView, containerView, migrationView, nodeView } from '../http/views.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import type { Store } from '../store/Store.js';
import type { StoreChange } from '../store/StoreChanges.js';
import { EventLog } from './EventLog.js';
import { NodeSamples, type NodeSamplesOptions } from './NodeSamples.js';

export interface LiveEventsOptions extends NodeSamplesOptions {
  store: Store;
  gateway: AgentGateway;
  failover: FailoverController;
  /** Events a reconnecting reader can resume from. @default 1_000 (events) */
  replayEvents?: number;
  /** Heartbeat figures of one node go out at most this often; the latest wins. @default 1_000 (milliseconds) */
  heartbeatEventIntervalMs?: number;
  /** @default Date.now */
  now?: () => number;
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

  constructor(private readonly options: LiveEventsOptions) {
    this.log = new EventLog({ capacity: options.replayEvents });
    this.samples = new NodeSamples(options);
    this.heartbeatEventIntervalMs = options.heartbeatEventIntervalMs ?? 1_000;
    this.now = options.now ?? Date.now;
    const { store, gateway, failover } = options;
    const onChange = (change: StoreChange) => this.onStoreChange(change);
    store.changes.on('change', onChange);
    this.detach.push(() => store.changes.off('change', onChange));
    const liveness = gateway.liveness;
    const online = (nodeId: string) => this.node('online', nodeId);
    const offline = (nodeId: string) => this.node('offline', nodeId);
    const lost = (nodeId: string) => this.node('lost', nodeId);
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
    failover.healthListener = (nodeId: string, health: NodeHealth) => {
      // `lost` is announced by the liveness event; `online` again by the connect.
      if (health === 'suspect') this.node('suspect', nodeId);
    };
  }

  close(): void {
    for (const undo of this.detach.splice(0)) undo();
    this.options.failover.healthListener = null;
    for (const beat of this.beats.values()) if (beat.timer) clearTimeout(beat.timer);
    this.beats.clear();
  }

  private emit<K extends keyof LiveEventMap>(type: K, data: LiveEventMap[K]): void {
    this.log.append(type, data);
  }

  private nodeView(nodeId: string) {
    const { store, gateway, failover } = this.options;
    const node = store.nodes.get(nodeId);
    if (!node) return null;
    return nodeView(node, node.clusterId ? store.clusters.get(node.clusterId) : null, gateway.liveness.get(nodeId), failover.healthOf(nodeId));
  }

  private node(action: LiveEventMap['node']['action'], nodeId: string): void {
    const view = this.nodeView(nodeId);
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
    const view = this.nodeView(nodeId);
    if (view) this.emit('heartbeat', { node: view, sample });
  }

  private onStoreChange(change: StoreChange): void {
    const { store } = this.options;
    switch (change.kind) {
      case 'node':
        return this.node(change.action, change.id);
      case 'cluster': {
        const cluster = store.clusters.get(change.id);
        const nodeIds = store.nodes.list().filter((node) => node.clusterId === change.id).map((node) => node.id);
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
        const migration = store.migrations.get(change.id);
        if (!migration) return;
        const action = change.action === 'updated' ? 'step' : change.action;
        return this.emit('migration', { action, migration: migrationView(migration) });
      }
    }
  }
}

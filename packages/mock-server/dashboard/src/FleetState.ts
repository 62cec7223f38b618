import type { ClusterView, ContainerView, LiveEventMap, MigrationView, NodeView, RolloutView, SampleView } from '../../src/http/apiTypes.js';

/** What a node looks like to an operator: link and heartbeat judgement in one word. */
export type NodeState = 'online' | 'suspect' | 'lost' | 'offline';

export function nodeState(node: NodeView): NodeState {
  if (node.status === 'lost' || node.health === 'lost') return 'lost';
  // Registered but never heard from: waiting for its agent, not failing.
  if (node.status === 'offline' && node.connectedSince === null && node.lastHeartbeatAt === null) return 'offline';
  if (node.health === 'suspect') return 'suspect';
  if (node.status === 'offline') return 'offline';
  return 'online';
}

export interface Snapshot {
  nodes: NodeView[];
  clusters: ClusterView[];
  containers: ContainerView[];
  migrations: MigrationView[];
  /** The newest rollouts, newest first. */
  rollouts?: RolloutView[];
  samples: Record<string, SampleView[]>;
  samplesPerNode: number;
}

export interface ClusterTotals {
  nodes: number;
  online: number;
  containers: number;
  running: number;
  /** Mean CPU use of the online nodes, 0..100, or null with none reporting. */
  cpuPercent: number | null;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
}

type Listener = () => void;

/**
 * The fleet as the page knows it: a snapshot, then every live event applied on top. Pure
 * data (no DOM), so its rules are tested with Node; pages subscribe and redraw.
 */
export class FleetState {
  nodes = new Map<string, NodeView>();
  clusters = new Map<string, ClusterView>();
  containers = new Map<string, ContainerView>();
  migrations = new Map<string, MigrationView>();
  rollouts = new Map<string, RolloutView>();
  samples = new Map<string, SampleView[]>();
  samplesPerNode = 120;
  loaded = false;
  private readonly listeners = new Set<Listener>();

  load(snapshot: Snapshot): void {
    this.nodes = new Map(snapshot.nodes.map((n) => [n.id, n]));
    this.clusters = new Map(snapshot.clusters.map((c) => [c.id, c]));
    this.containers = new Map(snapshot.containers.map((c) => [c.id, c]));
    this.migrations = new Map(snapshot.migrations.map((m) => [m.id, m]));
    this.rollouts = new Map((snapshot.rollouts ?? []).map((r) => [r.id, r]));
    this.samples = new Map(Object.entries(snapshot.samples));
    this.samplesPerNode = snapshot.samplesPerNode;
    this.loaded = true;
    this.changed();
  }

  /** Applies one live event. Events carry whole views, so applying one twice is harmless. */
  apply<K extends keyof LiveEventMap>(type: K, data: LiveEventMap[K]): void {
    switch (type) {
      case 'node': {
        const { action, node } = data as LiveEventMap['node'];
        if (action === 'revoked') {
          this.nodes.delete(node.id);
          this.samples.delete(node.id);
        } else this.nodes.set(node.id, node);
        this.syncClusterMembers();
        break;
      }
      case 'heartbeats': {
        const { nodes } = data as LiveEventMap['heartbeats'];
        for (const { sample, ...beat } of nodes) {
          // A node not known yet comes with its own `node` event; a figure alone names nothing.
          const known = this.nodes.get(beat.id);
          if (!known) continue;
          this.nodes.set(beat.id, { ...known, ...beat });
          if (sample) this.addSample(beat.id, sample);
        }
        break;
      }
      case 'cluster': {
        const { action, cluster } = data as LiveEventMap['cluster'];
        if (action === 'deleted') {
          this.clusters.delete(cluster.id);
          // The server unassigned its nodes and cleared the preference of its containers.
          for (const [id, node] of this.nodes) if (node.cluster?.id === cluster.id) this.nodes.set(id, { ...node, cluster: null });
          for (const [id, c] of this.containers) if (c.preferredClusterId === cluster.id) this.containers.set(id, { ...c, preferredClusterId: null });
        } else {
          this.clusters.set(cluster.id, cluster);
          for (const [id, node] of this.nodes) if (node.cluster?.id === cluster.id) this.nodes.set(id, { ...node, cluster: { id: cluster.id, name: cluster.name } });
        }
        break;
      }
      case 'container': {
        const { action, container } = data as LiveEventMap['container'];
        if (action === 'removed') this.containers.delete(container.id);
        else this.containers.set(container.id, container);
        break;
      }
      case 'migration': {
        const { migration } = data as LiveEventMap['migration'];
        this.migrations.set(migration.id, migration);
        break;
      }
      case 'rollout': {
        const { rollout } = data as LiveEventMap['rollout'];
        this.rollouts.set(rollout.id, rollout);
        break;
      }
      default:
        return;
    }
    this.changed();
  }

  private addSample(nodeId: string, sample: SampleView): void {
    const ring = this.samples.get(nodeId) ?? [];
    if (ring.at(-1)?.at !== sample.at) ring.push(sample);
    if (ring.length > this.samplesPerNode) ring.splice(0, ring.length - this.samplesPerNode);
    this.samples.set(nodeId, ring);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  nodeName(id: string | null): string {
    if (id === null) return '—';
    return this.nodes.get(id)?.name ?? id;
  }

  /** Totals of a cluster's nodes (null: the nodes in no cluster). */
  totals(clusterId: string | null): ClusterTotals {
    const nodes = [...this.nodes.values()].filter((n) => (n.cluster?.id ?? null) === clusterId);
    const ids = new Set(nodes.map((n) => n.id));
    const online = nodes.filter((n) => nodeState(n) === 'online');
    const reporting = online.filter((n) => n.cpu);
    const containers = [...this.containers.values()].filter((c) => ids.has(c.nodeId));
    return {
      nodes: nodes.length,
      online: online.length,
      containers: containers.length,
      running: containers.filter((c) => c.state === 'running').length,
      cpuPercent: reporting.length ? Math.round((reporting.reduce((sum, n) => sum + n.cpu!.usagePercent, 0) / reporting.length) * 10) / 10 : null,
      memoryUsedBytes: online.reduce((sum, n) => sum + (n.memory?.usedBytes ?? 0), 0),
      memoryTotalBytes: online.reduce((sum, n) => sum + (n.memory?.totalBytes ?? 0), 0),
    };
  }

  private syncClusterMembers(): void {
    for (const [id, cluster] of this.clusters) {
      const members = [...this.nodes.values()].filter((n) => n.cluster?.id === id).map((n) => n.id);
      if (members.join() !== cluster.nodes.join()) this.clusters.set(id, { ...cluster, nodes: members });
    }
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

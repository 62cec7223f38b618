import { Limit } from '@lormas/protocol';
import { heartbeatFigures } from '../agents/heartbeatRecord.js';
import type { NodeLive } from '../agents/NodeLiveness.js';
import type { ClusterRecord } from '../store/ClusterStore.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import type { MigrationRecord } from '../store/MigrationStore.js';
import type { NodeRecord } from '../store/NodeStore.js';
import type { ClusterView, ContainerView, HeartbeatView, MigrationView, NodeHealthName, NodeView, RolloutView, SampleView, UpgradeView } from './apiTypes.js';
import type { Rollout } from '../rollouts/Rollout.js';
import { isoTime } from './isoTime.js';

const iso = (ms: number | null) => (ms === null ? null : isoTime(ms));

/**
 * The most a text the server composed (an agent's message and a few words around it, the list
 * of nodes a rollout waited for) holds in a view: the agent's bound and a little. Every view
 * is checked against it where it crosses the engine (`viewSchemas.ts`).
 */
export const COMPOSED_MESSAGE_CHARS = Limit.messageChars + 256;

/** A composed text as views show it: cut, with an ellipsis, where it is longer than `COMPOSED_MESSAGE_CHARS`. */
export function composedText(text: string): string;
export function composedText(text: string | null): string | null;
export function composedText(text: string | null): string | null {
  return text === null || text.length <= COMPOSED_MESSAGE_CHARS ? text : `${text.slice(0, COMPOSED_MESSAGE_CHARS - 1)}…`;
}

/**
 * A node as the API shows it: registry facts, then what its agent said in `hello` and its
 * last heartbeat. `health` is failover's judgement (`online`, `suspect`, `lost`).
 */
export function nodeView(
  node: NodeRecord,
  cluster: ClusterRecord | null,
  live: NodeLive,
  health: NodeHealthView | null,
  upgrade: UpgradeView,
): NodeView {
  const beat = heartbeatView(node.id, live, health, null);
  return {
    id: node.id,
    name: node.name,
    description: node.description,
    cluster: cluster ? { id: cluster.id, name: cluster.name } : null,
    createdAt: iso(node.createdAt),
    status: beat.status,
    health: beat.health,
    silentMs: beat.silentMs,
    connectedSince: iso(live.connectedSince),
    lastHeartbeatAt: beat.lastHeartbeatAt,
    agentVersion: live.hello?.agentVersion ?? null,
    protocolVersion: live.hello?.protocolVersion ?? null,
    runtime: live.hello?.runtime ?? null,
    build: live.hello?.build ?? null,
    upgrades: live.hello?.upgrades ?? null,
    lastUpgrade: live.hello?.lastUpgrade ?? null,
    upgrade,
    refused: live.refused ? { ...live.refused, at: new Date(live.refused.at).toISOString() } : null,
    engine: beat.engine,
    cpu: beat.cpu,
    memory: beat.memory,
    disk: beat.disk,
    containers: beat.containers,
    uptime: beat.uptime,
    replica: live.replica ?? null,
  };
}

/** Failover's judgement of a node, as views show it. */
type NodeHealthView = { health: NodeHealthName; silentMs: number };

/** The part of a node's view that a heartbeat changes (see `HeartbeatView`), with the sample it gave. */
export function heartbeatView(nodeId: string, live: NodeLive, health: NodeHealthView | null, sample: SampleView | null): HeartbeatView {
  // A copy: the record is written over by the next heartbeat, and a view may be kept (an event in the replay buffer).
  const beat = live.lastHeartbeat && heartbeatFigures(live.lastHeartbeat);
  return {
    id: nodeId,
    status: live.status,
    health: health?.health ?? null,
    silentMs: health?.silentMs ?? null,
    lastHeartbeatAt: iso(live.lastHeartbeatAt),
    engine: beat ? beat.engine : live.hello ? { up: live.hello.engineVersion !== null, version: live.hello.engineVersion ?? undefined } : null,
    cpu: beat?.cpu ?? null,
    memory: beat?.memory ?? null,
    disk: beat?.disk ?? null,
    containers: beat?.containers ?? null,
    uptime: beat?.uptime ?? null,
    sample,
  };
}

export function clusterView(cluster: ClusterRecord, nodeIds: string[]): ClusterView {
  return { id: cluster.id, name: cluster.name, description: cluster.description, createdAt: iso(cluster.createdAt), nodes: nodeIds };
}

/** A container as the API shows it: the server's id and spec, and the state its node last reported. */
export function containerView(record: ContainerRecord): ContainerView {
  return {
    id: record.id,
    name: record.name,
    nodeId: record.nodeId,
    image: record.spec.image,
    ha: record.ha,
    preferredClusterId: record.preferredClusterId,
    fenceAfterMs: record.fenceAfterMs,
    desiredState: record.desiredState,
    state: record.observedState,
    guardRailStop: record.guardRailStop ? { ...record.guardRailStop, at: new Date(record.guardRailStop.at).toISOString() } : null,
    dockerId: record.dockerId,
    spec: record.spec,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

/** A migration as the API shows it, times as ISO strings. */
export function migrationView(record: MigrationRecord): MigrationView {
  return {
    id: record.id,
    containerId: record.containerId,
    containerName: record.containerName,
    trigger: record.trigger,
    sourceNodeId: record.sourceNodeId,
    targetNodeId: record.targetNodeId,
    status: record.status,
    error: composedText(record.error),
    startedAt: new Date(record.startedAt).toISOString(),
    endedAt: iso(record.endedAt),
    steps: record.steps.map((step) => ({ ...step, detail: composedText(step.detail), at: new Date(step.at).toISOString() })),
  };
}

/** A rollout as the API shows it, times as ISO strings. */
export function rolloutView(rollout: Rollout): RolloutView {
  return {
    ...rollout,
    error: composedText(rollout.error),
    startedAt: new Date(rollout.startedAt).toISOString(),
    endedAt: iso(rollout.endedAt),
    nodes: rollout.nodes.map((node) => ({ ...node, detail: composedText(node.detail), startedAt: iso(node.startedAt), endedAt: iso(node.endedAt) })),
  };
}

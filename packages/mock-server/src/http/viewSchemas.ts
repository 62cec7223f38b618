import { AgentBuild, AgentUpgrades, AgentVersion, ContainerSpec, CreateContainerInput, EngineHealth, Heartbeat, Hello, LastUpgrade, Limit } from '@lormas/protocol';
import { z } from 'zod';
import { idOf } from '../store/ids.js';
import { MIGRATION_STATUSES, MIGRATION_TRIGGERS } from '../store/MigrationStore.js';
import { Description, Name } from './fields.js';
import { COMPOSED_MESSAGE_CHARS } from './views.js';

/**
 * The API's views as the contract bounds them (`apiTypes.ts` has their TypeScript types): what
 * an HTTP reader (the dashboard) may be shown of what agents said. Names and versions within
 * the contract's bounds, known states, no field the contract does not know, times a `Date` can
 * hold. In cluster mode every live event crosses the engine (`ClusterEventLog`) and is checked
 * against these on its way back in; the tests check every answer and event against them too.
 */

const iso = z.iso.datetime();
/** An id an agent reported, and a state or version: never empty, within the contract's bounds. */
const ReportedId = z.string().min(1).max(Limit.idChars);
const ReportedShort = z.string().min(1).max(Limit.shortChars);
/** The shape of a contract object, closed: a field an agent added must have been dropped before it reached a view. */
const closed = <S extends z.ZodRawShape>(schema: z.ZodObject<S>) => z.strictObject(schema.shape);
/** A message the server composed around an agent's (its code, a few words), as views cut it (`composedText`). */
const ComposedMessage = z.string().max(COMPOSED_MESSAGE_CHARS);

export const NodeView = z.strictObject({
  id: idOf('node'),
  name: Name,
  description: Description.nullable(),
  cluster: z.strictObject({ id: idOf('cl'), name: Name }).nullable(),
  createdAt: iso.nullable(),
  status: z.enum(['online', 'offline', 'lost']),
  health: z.enum(['online', 'suspect', 'lost']).nullable(),
  silentMs: z.number().min(0).nullable(),
  connectedSince: iso.nullable(),
  lastHeartbeatAt: iso.nullable(),
  agentVersion: Hello.shape.agentVersion.nullable(),
  protocolVersion: Hello.shape.protocolVersion.nullable(),
  runtime: closed(Hello.shape.runtime).nullable(),
  engine: closed(EngineHealth).nullable(),
  cpu: closed(Heartbeat.shape.cpu).nullable(),
  memory: closed(Heartbeat.shape.memory).nullable(),
  disk: closed(Heartbeat.shape.disk).nullable(),
  containers: closed(Heartbeat.shape.containers).nullable(),
  uptime: closed(Heartbeat.shape.uptime).nullable(),
  /** Set by the operator (`REPLICA_ID`), never by an agent; null in one process. */
  replica: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).nullable(),
  build: closed(AgentBuild).nullable(),
  upgrades: closed(AgentUpgrades).nullable(),
  lastUpgrade: closed(LastUpgrade).nullable(),
  /** The server's judgement against its own builds: versions it composed from its catalogue, a reason of its own words. */
  upgrade: z.strictObject({ status: z.enum(['current', 'available', 'by-hand', 'unknown']), latest: Hello.shape.agentVersion.nullable(), reason: ComposedMessage.nullable() }),
  refused: z.strictObject({ code: z.number().int().min(4000).max(4999), reason: ComposedMessage, at: iso }).nullable(),
});

export const ContainerView = z.strictObject({
  id: idOf('ctr'),
  name: ContainerSpec.shape.name,
  nodeId: idOf('node'),
  image: ContainerSpec.shape.image,
  ha: z.boolean(),
  preferredClusterId: idOf('cl').nullable(),
  fenceAfterMs: CreateContainerInput.shape.fenceAfterMs.unwrap().nullable(),
  desiredState: z.enum(['running', 'stopped']),
  /** What an agent reported (a result's state, an inventory's), or the server's own `missing`. */
  state: ReportedShort.nullable(),
  guardRailStop: z.strictObject({ rule: ReportedId, message: ComposedMessage, at: iso }).nullable().optional(),
  dockerId: ReportedId.nullable(),
  spec: ContainerSpec,
  createdAt: iso,
  updatedAt: iso,
});

export const MigrationView = z.strictObject({
  id: idOf('mig'),
  containerId: idOf('ctr'),
  containerName: ContainerSpec.shape.name,
  trigger: z.enum(MIGRATION_TRIGGERS),
  sourceNodeId: idOf('node'),
  targetNodeId: idOf('node').nullable(),
  status: z.enum(MIGRATION_STATUSES),
  error: ComposedMessage.nullable(),
  startedAt: iso,
  endedAt: iso.nullable(),
  steps: z.array(z.strictObject({ name: z.string().min(1).max(64), status: z.enum(['ok', 'failed', 'info']), detail: ComposedMessage.nullable(), at: iso })),
});

export const ClusterView = z.strictObject({
  id: idOf('cl'),
  name: Name,
  description: Description.nullable(),
  createdAt: iso.nullable(),
  nodes: z.array(idOf('node')),
});

/** A cluster whose record is gone by the time its event is made (deleted): its id alone. */
const GoneClusterView = z.strictObject({ id: idOf('cl'), name: z.literal(''), description: z.null(), createdAt: z.null(), nodes: z.tuple([]) });

export const RolloutView = z.strictObject({
  id: idOf('ro'),
  version: AgentVersion,
  batchSize: z.number().int().min(1),
  maxUnavailable: z.number().int().min(0),
  status: z.enum(['running', 'succeeded', 'halted']),
  error: ComposedMessage.nullable(),
  startedAt: iso,
  endedAt: iso.nullable(),
  nodes: z.array(
    z.strictObject({
      nodeId: idOf('node'),
      nodeName: Name,
      fromVersion: Hello.shape.agentVersion.nullable(),
      status: z.enum(['pending', 'upgrading', 'succeeded', 'failed', 'skipped']),
      detail: ComposedMessage.nullable(),
      startedAt: iso.nullable(),
      endedAt: iso.nullable(),
    }),
  ),
});

export const SampleView = z.strictObject({ at: z.number().int().min(0), cpuPercent: z.number().min(0).max(100), memoryPercent: z.number().min(0) });

/** A `heartbeats` event: what each beat changed of its node's view, never an empty batch. */
export const HeartbeatsEvent = z.strictObject({
  nodes: z
    .array(
      NodeView.pick({ id: true, status: true, health: true, silentMs: true, lastHeartbeatAt: true, engine: true, cpu: true, memory: true, disk: true, containers: true, uptime: true }).extend({
        sample: SampleView.nullable(),
      }),
    )
    .min(1),
});

/**
 * The data of each event that crosses the engine in cluster mode (`LiveEventMap`; `hello` is
 * written to each reader, never published). An event of another type, or with other data,
 * did not come from a replica.
 */
export const STREAMED_EVENTS = {
  reset: z.strictObject({ reason: z.literal('events-lost') }),
  node: z.strictObject({ action: z.enum(['registered', 'updated', 'online', 'offline', 'suspect', 'lost', 'revoked']), node: NodeView }),
  heartbeats: HeartbeatsEvent,
  cluster: z.strictObject({ action: z.enum(['created', 'updated', 'deleted']), cluster: z.union([ClusterView, GoneClusterView]) }),
  container: z.strictObject({
    action: z.enum(['created', 'started', 'stopped', 'died', 'moved', 'removed', 'updated']),
    container: ContainerView,
    previousNodeId: idOf('node').nullable(),
  }),
  migration: z.strictObject({ action: z.enum(['started', 'step', 'finished']), migration: MigrationView }),
  rollout: z.strictObject({ action: z.enum(['started', 'progress', 'finished']), rollout: RolloutView }),
} satisfies Record<string, z.ZodType>;

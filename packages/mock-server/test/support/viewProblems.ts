import { AgentBuild, AgentUpgrades, ContainerSpec, CreateContainerInput, EngineHealth, Heartbeat, Hello, LastUpgrade, Limit } from '@lormas/protocol';
import { z } from 'zod';
import { Description, Name } from '../../src/http/fields.js';
import { call } from './http.js';

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[a-z0-9]{14}$`));
const iso = z.iso.datetime();
/** An id an agent reported, and a state or version: never empty, within the contract's bounds. */
const ReportedId = z.string().min(1).max(Limit.idChars);
const ReportedShort = z.string().min(1).max(Limit.shortChars);
/** The shape of a contract object, closed: a field an agent added must have been dropped before it reached a view. */
const closed = <S extends z.ZodRawShape>(schema: z.ZodObject<S>) => z.strictObject(schema.shape);
/** A message the server composed around an agent's (its code, a few words): bounded by the agent's bound and a little. */
const ComposedMessage = z.string().max(Limit.messageChars + 256);

/**
 * The API's views as the contract bounds them: what an HTTP reader (the dashboard) may be
 * shown of what agents said. Names and versions within the contract's bounds, known states,
 * no field the contract does not know, times a `Date` can hold.
 */
export const NodeView = z.strictObject({
  id: id('node'),
  name: Name,
  description: Description.nullable(),
  cluster: z.strictObject({ id: id('cl'), name: Name }).nullable(),
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
  id: id('ctr'),
  name: ContainerSpec.shape.name,
  nodeId: id('node'),
  image: ContainerSpec.shape.image,
  ha: z.boolean(),
  preferredClusterId: id('cl').nullable(),
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
  id: id('mig'),
  containerId: id('ctr'),
  containerName: ContainerSpec.shape.name,
  trigger: z.enum(['node-lost', 'manual']),
  sourceNodeId: id('node'),
  targetNodeId: id('node').nullable(),
  status: z.enum(['running', 'succeeded', 'rolled-back', 'failed', 'cancelled']),
  error: ComposedMessage.nullable(),
  startedAt: iso,
  endedAt: iso.nullable(),
  steps: z.array(z.strictObject({ name: z.string().min(1).max(64), status: z.enum(['ok', 'failed', 'info']), detail: ComposedMessage.nullable(), at: iso })),
});

const Sample = z.strictObject({ at: z.number().int().min(0), cpuPercent: z.number().min(0).max(100), memoryPercent: z.number().min(0) });
/** A `heartbeats` event: what each beat changed of its node's view, never an empty batch. */
const HeartbeatsEvent = z.strictObject({
  nodes: z
    .array(
      NodeView.pick({ id: true, status: true, health: true, silentMs: true, lastHeartbeatAt: true, engine: true, cpu: true, memory: true, disk: true, containers: true, uptime: true }).extend({
        sample: Sample.nullable(),
      }),
    )
    .min(1),
});

const READS: [path: string, schema: z.ZodType][] = [
  ['/api/nodes', z.strictObject({ nodes: z.array(NodeView) })],
  ['/api/containers', z.strictObject({ containers: z.array(ContainerView) })],
  ['/api/migrations', z.strictObject({ migrations: z.array(MigrationView) })],
  ['/api/samples', z.strictObject({ samplesPerNode: z.number().int(), sampleIntervalMs: z.number().int(), nodes: z.record(id('node'), z.array(Sample)) })],
];

const problemsOf = (where: string, schema: z.ZodType, value: unknown): string[] => {
  const parsed = schema.safeParse(value);
  return parsed.success ? [] : [`${where}: ${z.prettifyError(parsed.error).slice(0, 600)}`];
};

/**
 * Everything malformed that an HTTP reader is shown: the node, container, migration and
 * sample lists, each read back and checked against the views above, and each node and
 * container read one by one. Empty when all is well.
 */
export async function viewProblems(server: { url: string; adminToken: string }): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, schema] of READS) {
    const { status, body, text } = await call(server, 'GET', path);
    if (status !== 200) problems.push(`GET ${path} answered ${status}: ${text.slice(0, 300)}`);
    else problems.push(...problemsOf(`GET ${path}`, schema, body));
  }
  const { body } = await call(server, 'GET', '/api/containers');
  for (const { id: containerId } of (body?.containers ?? []) as { id: string }[]) {
    const one = await call(server, 'GET', `/api/containers/${containerId}`);
    if (one.status !== 200 && one.status !== 404) problems.push(`GET /api/containers/${containerId} answered ${one.status}: ${one.text.slice(0, 300)}`);
  }
  return problems;
}

/** What is malformed in one Server-Sent Event of `GET /api/events`: its node, container or migration view. */
export function liveEventProblems(event: string, data: unknown): string[] {
  const value = data as { node?: unknown; nodes?: unknown; container?: unknown; migration?: unknown } | null;
  switch (event) {
    case 'node':
      return problemsOf('event node', NodeView, value?.node);
    case 'heartbeats':
      return problemsOf('event heartbeats', HeartbeatsEvent, value);
    case 'container':
      return problemsOf('event container', ContainerView, value?.container);
    case 'migration':
      return problemsOf('event migration', MigrationView, value?.migration);
    default:
      return [];
  }
}

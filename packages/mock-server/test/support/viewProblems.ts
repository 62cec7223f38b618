import { z } from 'zod';
import { idOf } from '../../src/store/ids.js';
import { ClusterView, ContainerView, MigrationView, NodeView, RolloutView, SampleView, STREAMED_EVENTS } from '../../src/http/viewSchemas.js';
import { call } from './http.js';


const READS: [path: string, schema: z.ZodType][] = [
  ['/api/nodes', z.strictObject({ nodes: z.array(NodeView) })],
  ['/api/containers', z.strictObject({ containers: z.array(ContainerView) })],
  ['/api/migrations', z.strictObject({ migrations: z.array(MigrationView) })],
  ['/api/clusters', z.strictObject({ clusters: z.array(ClusterView) })],
  ['/api/agents/rollouts', z.strictObject({ rollouts: z.array(RolloutView) })],
  ['/api/samples', z.strictObject({ samplesPerNode: z.number().int(), sampleIntervalMs: z.number().int(), nodes: z.record(idOf('node'), z.array(SampleView)) })],
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

/** What is malformed in one Server-Sent Event of `GET /api/events`: its data against the event's schema (`hello` apart). */
export function liveEventProblems(event: string, data: unknown): string[] {
  if (event === 'hello') return problemsOf('event hello', z.strictObject({ epoch: z.string().min(1) }), data);
  if (event === 'reset') return problemsOf('event reset', z.strictObject({ reason: z.enum(['events-lost', 'unknown-epoch', 'too-far-behind', 'malformed']) }), data);
  const streamed: Readonly<Record<string, z.ZodType>> = STREAMED_EVENTS;
  const schema = Object.hasOwn(streamed, event) ? streamed[event] : undefined;
  return schema ? problemsOf(`event ${event}`, schema, data) : [`an event of a type no reader knows: ${JSON.stringify(event).slice(0, 80)}`];
}

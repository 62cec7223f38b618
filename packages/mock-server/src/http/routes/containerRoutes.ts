import { ContainerSpec, CreateContainerInput } from '@lormas/protocol';
import { z } from 'zod';
import type { ContainerRecord } from '../../store/ContainerStore.js';
import type { ApiContext } from '../ApiContext.js';
import { Reference } from '../fields.js';
import { progressReply } from '../progressReply.js';
import { clusterOf } from './clusterOf.js';
import type { Router } from '../Router.js';
import { containerView } from '../views.js';

export const CreateContainer = z.strictObject({
  nodeId: Reference,
  spec: ContainerSpec,
  /** Moved to a healthy node by failover when its node is lost. */
  ha: z.boolean().default(false),
  /** Start the container once created. */
  start: z.boolean().default(true),
  /** A cluster id or name failover tries after the lost node's own cluster. */
  preferredCluster: Reference.optional(),
  /** Agent-side fencing, off when absent; the protocol's own bounds, so the agent never refuses what passed here. */
  fenceAfterMs: CreateContainerInput.shape.fenceAfterMs,
});

/** `start` takes no options; an empty body or `{}` is fine. */
export const StartOptions = z.strictObject({});
export const StopOptions = z.strictObject({ timeoutSeconds: z.number().int().min(0).max(3_600).optional() });

export const ContainerListQuery = z.object({ nodeId: Reference.optional() });

/** Containers with the server's own ids: create (optionally streamed), list, read, start/stop/restart, remove. */
export function containerRoutes(router: Router, api: ApiContext): void {
  const show = (record: ContainerRecord) => containerView(record);

  router.add('POST', '/api/containers', { body: CreateContainer }, (ctx) => {
    const { preferredCluster, ...body } = ctx.body;
    const cluster = preferredCluster === undefined ? null : clusterOf(api, preferredCluster, 'preferredCluster');
    return progressReply(ctx, 201, (onEvent) => api.containers.create({ ...body, preferredClusterId: cluster?.id ?? null }, onEvent), show);
  });

  router.add('GET', '/api/containers', { query: ContainerListQuery }, ({ query }) => ({
    status: 200,
    body: { containers: api.store.containers.list(query.nodeId).map(show) },
  }));

  router.add('GET', '/api/containers/:id', ({ params }) => ({ status: 200, body: show(api.store.containers.require(params['id']!)) }));

  router.add('POST', '/api/containers/:id/start', { body: StartOptions }, async ({ params }) => ({
    status: 200,
    body: show(await api.containers.lifecycle(params['id']!, 'start')),
  }));

  for (const action of ['stop', 'restart'] as const) {
    router.add('POST', `/api/containers/:id/${action}`, { body: StopOptions }, async ({ params, body }) => ({
      status: 200,
      body: show(await api.containers.lifecycle(params['id']!, action, body.timeoutSeconds)),
    }));
  }

  router.add('DELETE', '/api/containers/:id', async ({ params }) => {
    const record = await api.containers.remove(params['id']!);
    return { status: 200, body: { id: record.id, name: record.name, removed: true } };
  });
}

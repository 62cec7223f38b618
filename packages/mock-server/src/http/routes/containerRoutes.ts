import { ContainerSpec, CreateContainerInput } from '@lormas/protocol';
import { z } from 'zod';
import type { ContainerRecord } from '../../store/ContainerStore.js';
import type { ApiContext } from '../ApiContext.js';
import { progressReply } from '../progressReply.js';
import { clusterOf } from './clusterOf.js';
import { readJson } from '../readJson.js';
import type { Router } from '../Router.js';
import { containerView } from '../views.js';

const CreateContainer = z.strictObject({
  nodeId: z.string().min(1),
  spec: ContainerSpec,
  /** Moved to a healthy node by failover when its node is lost. */
  ha: z.boolean().default(false),
  /** Start the container once created. */
  start: z.boolean().default(true),
  /** A cluster id or name failover tries after the lost node's own cluster. */
  preferredCluster: z.string().min(1).optional(),
  /** Agent-side fencing, off when absent; the protocol's own bounds, so the agent never refuses what passed here. */
  fenceAfterMs: CreateContainerInput.shape.fenceAfterMs,
});

const StopOptions = z.strictObject({ timeoutSeconds: z.number().int().min(0).max(3_600).optional() });

/** Containers with the server's own ids: create (optionally streamed), list, read, start/stop/restart, remove. */
export function containerRoutes(router: Router, api: ApiContext): void {
  const show = (record: ContainerRecord) => containerView(record);

  router.add('POST', '/api/containers', async (ctx) => {
    const { preferredCluster, ...body } = await readJson(ctx.req, CreateContainer, api.maxBodyBytes);
    const cluster = preferredCluster === undefined ? null : clusterOf(api, preferredCluster, 'preferredCluster');
    return progressReply(ctx, 201, (onEvent) => api.containers.create({ ...body, preferredClusterId: cluster?.id ?? null }, onEvent), show);
  });

  router.add('GET', '/api/containers', ({ url }) => {
    const nodeId = url.searchParams.get('nodeId') ?? undefined;
    return { status: 200, body: { containers: api.store.containers.list(nodeId).map(show) } };
  });

  router.add('GET', '/api/containers/:id', ({ params }) => ({ status: 200, body: show(api.store.containers.require(params['id']!)) }));

  for (const action of ['start', 'stop', 'restart'] as const) {
    router.add('POST', `/api/containers/:id/${action}`, async ({ req, params }) => {
      const options = action === 'start' ? {} : await readJson(req, StopOptions, api.maxBodyBytes);
      return { status: 200, body: show(await api.containers.lifecycle(params['id']!, action, options.timeoutSeconds)) };
    });
  }

  router.add('DELETE', '/api/containers/:id', async ({ params }) => {
    const record = await api.containers.remove(params['id']!);
    return { status: 200, body: { id: record.id, name: record.name, removed: true } };
  });
}

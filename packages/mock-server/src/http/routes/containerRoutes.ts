import { ContainerSpec, CreateContainerInput } from '@lormas/protocol';
import { z } from 'zod';
import { ServerError } from '../../errors.js';
import type { ContainerRecord } from '../../store/ContainerStore.js';
import type { ApiContext } from '../ApiContext.js';
import { Reference } from '../fields.js';
import { progressReply } from '../progressReply.js';
import type { Router } from '../Router.js';
import { containerView } from '../views.js';
import { clusterOf } from './clusterOf.js';
import { placeContainer } from './placeContainer.js';

export const CreateContainer = z.strictObject({
  /** The node to create it on; without it (and without `cluster`) the server chooses among all nodes. */
  nodeId: Reference.optional(),
  /** A cluster id or name: the server chooses among its nodes. Not together with `nodeId`. */
  cluster: Reference.optional(),
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

export const ContainerListQuery = z.object({
  nodeId: Reference.optional(),
  /** A cluster id or name: only containers on its nodes. */
  cluster: Reference.optional(),
  /** Only containers whose node last reported this state (`running`, `exited`...). */
  state: Reference.optional(),
});

/** Containers with the server's own ids: create (optionally streamed), list, read, start/stop/restart, remove. */
export function containerRoutes(router: Router, api: ApiContext): void {
  const show = (record: ContainerRecord) => containerView(record);

  router.add('POST', '/api/containers', { body: CreateContainer }, async (ctx) => {
    const { preferredCluster, cluster, nodeId, ...body } = ctx.body;
    if (nodeId !== undefined && cluster !== undefined) {
      throw new ServerError('BAD_REQUEST', 'name a node or a cluster, not both', { issues: [{ code: 'exclusive', path: ['cluster'], message: 'nodeId and cluster exclude each other' }] });
    }
    const preferred = preferredCluster === undefined ? null : await clusterOf(api, preferredCluster, 'preferredCluster');
    // A cluster the server placed in is also where failover looks first, unless another was named.
    const preferredClusterId = preferred?.id ?? (cluster === undefined ? null : (await clusterOf(api, cluster)).id);
    const placed = nodeId === undefined ? await placeContainer(api, { cluster, preferredClusterId: preferred?.id ?? null }) : null;
    const placement = placed?.view ?? null;
    // The choice stays reserved until create() has written the record: the next placement counts this one either way.
    return progressReply(
      ctx,
      201,
      (onEvent) => api.containers.create({ ...body, nodeId: placement?.nodeId ?? nodeId!, preferredClusterId }, onEvent, placed?.release),
      (record) => ({ ...show(record), placement }),
    );
  });

  router.add('GET', '/api/containers', { query: ContainerListQuery }, async ({ query }) => {
    const { nodeId, cluster, state } = query;
    const clusterId = cluster === undefined ? null : (await clusterOf(api, cluster, 'cluster')).id;
    const inCluster = clusterId === null ? null : new Set((await api.store.nodes.list()).filter((n) => n.clusterId === clusterId).map((n) => n.id));
    const containers = (await api.store.containers.list(nodeId))
      .filter((record) => (inCluster === null || inCluster.has(record.nodeId)) && (state === undefined || record.observedState === state))
      .map(show);
    return { status: 200, body: { containers } };
  });

  router.add('GET', '/api/containers/:id', async ({ params }) => ({ status: 200, body: show(await api.store.containers.require(params['id']!)) }));

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

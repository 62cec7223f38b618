import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { Description, Name } from '../fields.js';
import type { Router } from '../Router.js';
import { clusterView } from '../views.js';

export const CreateCluster = z.strictObject({
  name: Name,
  description: Description.nullish(),
});

export const UpdateCluster = z.strictObject({
  name: Name.optional(),
  description: Description.nullable().optional(),
});

/**
 * Clusters: named groups of nodes. A node joins one at registration or by
 * `PATCH /api/nodes/:id`. Nodes and containers refer to a cluster by id: renaming it
 * changes nothing for them; deleting it leaves its nodes without a cluster and clears the
 * preference of containers that named it, and moves nothing.
 */
export function clusterRoutes(router: Router, api: ApiContext): void {
  const nodesOf = async (clusterId: string) => (await api.store.nodes.list()).filter((node) => node.clusterId === clusterId).map((node) => node.id);

  router.add('POST', '/api/clusters', { body: CreateCluster }, async ({ body }) => {
    const cluster = await api.store.clusters.create({ name: body.name, description: body.description ?? null });
    return { status: 201, body: clusterView(cluster, []) };
  });

  router.add('GET', '/api/clusters', async () => {
    const clusters = await Promise.all((await api.store.clusters.list()).map(async (cluster) => clusterView(cluster, await nodesOf(cluster.id))));
    return { status: 200, body: { clusters } };
  });

  router.add('PATCH', '/api/clusters/:id', { body: UpdateCluster }, async ({ params, body }) => {
    const cluster = await api.store.clusters.require(params['id']!);
    const updated = await api.store.clusters.update(cluster.id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    });
    return { status: 200, body: clusterView(updated, await nodesOf(updated.id)) };
  });

  router.add('DELETE', '/api/clusters/:id', async ({ params }) => {
    const { cluster, unassignedNodes, clearedPreferences } = await api.store.clusters.delete(params['id']!);
    return { status: 200, body: { id: cluster.id, name: cluster.name, deleted: true, unassignedNodes, clearedPreferences } };
  });
}

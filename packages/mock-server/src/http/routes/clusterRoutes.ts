import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { Description, Name } from '../fields.js';
import type { Router } from '../Router.js';
import { clusterView } from '../views.js';

export const CreateCluster = z.strictObject({
  name: Name,
  description: Description.nullish(),
});

/** Clusters: named groups of nodes. A node joins one at registration or by `PATCH /api/nodes/:id`. */
export function clusterRoutes(router: Router, api: ApiContext): void {
  router.add('POST', '/api/clusters', { body: CreateCluster }, ({ body }) => {
    const cluster = api.store.clusters.create({ name: body.name, description: body.description ?? null });
    return { status: 201, body: clusterView(cluster, []) };
  });

  router.add('GET', '/api/clusters', () => {
    const nodes = api.store.nodes.list();
    const clusters = api.store.clusters.list().map((cluster) =>
      clusterView(
        cluster,
        nodes.filter((node) => node.clusterId === cluster.id).map((node) => node.id),
      ),
    );
    return { status: 200, body: { clusters } };
  });
}

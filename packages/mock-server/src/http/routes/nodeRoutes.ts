import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { issueNodeToken } from '../../auth/issueNodeToken.js';
import type { ApiContext } from '../ApiContext.js';
import { clusterOf } from './clusterOf.js';
import { Description, Name, Reference } from '../fields.js';
import type { Router } from '../Router.js';
import { nodeView } from '../views.js';
import { upgradeStatus } from '../../releases/upgradeStatus.js';

export const RegisterNode = z.strictObject({
  name: Name,
  description: Description.nullish(),
  /** A cluster id or name. */
  cluster: Reference.nullish(),
});

export const UpdateNode = z.strictObject({
  description: Description.nullable().optional(),
  /** A cluster id or name; `null` takes the node out of its cluster. */
  cluster: Reference.nullable().optional(),
});

async function view(api: ApiContext, nodeId: string) {
  const node = await api.store.nodes.require(nodeId);
  const cluster = node.clusterId ? await api.store.clusters.get(node.clusterId) : null;
  // Read after the last wait: a node's state is not kept across one (see `NodeLive`).
  const live = api.gateway.liveness.get(node.id);
  return nodeView(node, cluster, live, api.failover.healthOf(node.id), upgradeStatus(live.hello, api.catalog.latestVersion()));
}

/** Node registration (which issues the node's token), listing, cluster assignment and revocation. */
export function nodeRoutes(router: Router, api: ApiContext): void {
  router.add('POST', '/api/nodes', { body: RegisterNode }, async ({ body }) => {
    const cluster = body.cluster ? await clusterOf(api, body.cluster) : null;
    const tokenId = randomUUID();
    const node = await api.store.nodes.create({ name: body.name, description: body.description ?? null, clusterId: cluster?.id ?? null, tokenId });
    const token = await issueNodeToken({ nodeId: node.id, key: api.key, ttlSeconds: api.tokenTtlSeconds, now: api.now(), tokenId });
    return { status: 201, body: { id: node.id, name: node.name, cluster: cluster?.name ?? null, token } };
  });

  // A new token for the node; every earlier one stops working, and an agent connected with one is closed (4403).
  router.add('POST', '/api/nodes/:id/token', async ({ params }) => {
    const node = await api.store.nodes.require(params['id']!);
    const tokenId = randomUUID();
    const token = await issueNodeToken({ nodeId: node.id, key: api.key, ttlSeconds: api.tokenTtlSeconds, now: api.now(), tokenId });
    await api.store.nodes.replaceToken(node.id, tokenId);
    api.gateway.tokenReplaced(node.id);
    return { status: 200, body: { id: node.id, name: node.name, token } };
  });

  router.add('GET', '/api/nodes', async () => ({ status: 200, body: { nodes: await Promise.all((await api.store.nodes.list()).map((node) => view(api, node.id))) } }));

  router.add('GET', '/api/nodes/:id', async ({ params }) => ({ status: 200, body: await view(api, params['id']!) }));

  router.add('PATCH', '/api/nodes/:id', { body: UpdateNode }, async ({ params, body }) => {
    const node = await api.store.nodes.require(params['id']!);
    const changes: { description?: string | null; clusterId?: string | null } = {};
    if (body.description !== undefined) changes.description = body.description;
    if (body.cluster !== undefined) changes.clusterId = body.cluster === null ? null : (await clusterOf(api, body.cluster)).id;
    await api.store.nodes.update(node.id, changes);
    return { status: 200, body: await view(api, node.id) };
  });

  router.add('DELETE', '/api/nodes/:id', async ({ params }) => {
    const node = await api.store.nodes.revoke(params['id']!);
    // The node's containers can no longer be reached through the server; forget them.
    const forgotten = await api.store.containers.removeAllOf(node.id);
    await api.gateway.revoke(node.id);
    return { status: 200, body: { id: node.id, name: node.name, revokedAt: new Date(node.revokedAt!).toISOString(), forgottenContainers: forgotten } };
  });
}

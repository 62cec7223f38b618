import { ServerError } from '../../errors.js';
import type { ApiContext } from '../ApiContext.js';

/** A cluster named by id or name, or a `BAD_REQUEST` pointing at the body's `field`. */
export async function clusterOf(api: ApiContext, ref: string, field = 'cluster') {
  const cluster = await api.store.clusters.find(ref);
  if (!cluster) throw new ServerError('BAD_REQUEST', `no cluster "${ref}"`, { issues: [{ code: 'unknown_cluster', path: [field], message: `no cluster with id or name "${ref}"` }] });
  return cluster;
}

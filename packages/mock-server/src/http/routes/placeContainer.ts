import { ServerError } from '../../errors.js';
import type { ApiContext } from '../ApiContext.js';
import type { PlacementView } from '../apiTypes.js';
import { clusterOf } from './clusterOf.js';

/**
 * Chooses the node of a container created without `nodeId`: among the nodes of `cluster`
 * (id or name) when given, else among all, with the chooser failover uses (fewest
 * containers, then lowest CPU, then memory). `NO_ELIGIBLE_NODE` (503) when none is online
 * with its engine up. The caller must record the container before its next `await`: the
 * record is what makes the next placement see this one.
 */
export function placeContainer(api: ApiContext, input: { cluster: string | undefined; preferredClusterId: string | null }): PlacementView {
  const cluster = input.cluster === undefined ? null : clusterOf(api, input.cluster, 'cluster');
  const choice = api.chooser.choose({ onlyClusterId: cluster?.id ?? null, preferredClusterId: cluster?.id ?? input.preferredClusterId });
  if (!choice) {
    throw new ServerError(
      'NO_ELIGIBLE_NODE',
      cluster ? `no node of cluster "${cluster.name}" is online with its Docker engine up` : 'no node is online with its Docker engine up',
    );
  }
  const name = (nodeId: string) => api.store.nodes.get(nodeId)?.name ?? nodeId;
  const chosen = choice.ranked[0]!;
  const where = cluster ? `of cluster "${cluster.name}"` : choice.tier === 'preferred-cluster' ? 'of the preferred cluster' : 'of any cluster';
  const others = choice.ranked.length - 1;
  return {
    nodeId: choice.nodeId,
    nodeName: name(choice.nodeId),
    scope: cluster ? 'cluster' : 'any',
    reason:
      `least loaded of ${choice.ranked.length} eligible node${others ? 's' : ''} ${where}: ` +
      `${chosen.containers} container${chosen.containers === 1 ? '' : 's'}, CPU ${chosen.cpuPercent}%, memory ${chosen.memoryPercent}%`,
    candidates: choice.ranked.map((c) => ({ nodeId: c.nodeId, nodeName: name(c.nodeId), containers: c.containers, cpuPercent: c.cpuPercent, memoryPercent: c.memoryPercent })),
  };
}

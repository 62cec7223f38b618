import { ServerError } from '../../errors.js';
import type { ApiContext } from '../ApiContext.js';
import type { PlacementView } from '../apiTypes.js';
import { clusterOf } from './clusterOf.js';

/**
 * Chooses the node of a container created without `nodeId`: among the nodes of `cluster`
 * (id or name) when given, else among all, with the chooser failover uses (fewest
 * containers, then lowest CPU, then memory). `NO_ELIGIBLE_NODE` (503) when none is online
 * with its engine up. The choice is reserved on the chooser until the caller calls
 * `release`, once the container's record is written: until then the record does not count,
 * and the next placement must count this one.
 */
export async function placeContainer(api: ApiContext, input: { cluster: string | undefined; preferredClusterId: string | null }): Promise<{ view: PlacementView; release: () => void }> {
  const cluster = input.cluster === undefined ? null : await clusterOf(api, input.cluster, 'cluster');
  const choice = await api.chooser.choose({ onlyClusterId: cluster?.id ?? null, preferredClusterId: cluster?.id ?? input.preferredClusterId });
  if (!choice) {
    throw new ServerError(
      'NO_ELIGIBLE_NODE',
      cluster ? `no node of cluster "${cluster.name}" is online with its Docker engine up` : 'no node is online with its Docker engine up',
    );
  }
  const release = api.chooser.reserve(choice.nodeId);
  const names = new Map((await api.store.nodes.list()).map((node) => [node.id, node.name]));
  const name = (nodeId: string) => names.get(nodeId) ?? nodeId;
  const chosen = choice.ranked[0]!;
  const where = cluster ? `of cluster "${cluster.name}"` : choice.tier === 'preferred-cluster' ? 'of the preferred cluster' : 'of any cluster';
  const others = choice.ranked.length - 1;
  const view: PlacementView = {
    nodeId: choice.nodeId,
    nodeName: name(choice.nodeId),
    scope: cluster ? 'cluster' : 'any',
    reason:
      `least loaded of ${choice.ranked.length} eligible node${others ? 's' : ''} ${where}: ` +
      `${chosen.containers} container${chosen.containers === 1 ? '' : 's'}, CPU ${chosen.cpuPercent}%, memory ${chosen.memoryPercent}%`,
    candidates: choice.ranked.map((c) => ({ nodeId: c.nodeId, nodeName: name(c.nodeId), containers: c.containers, cpuPercent: c.cpuPercent, memoryPercent: c.memoryPercent })),
  };
  return { view, release };
}

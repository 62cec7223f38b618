import type { ContainerRuntime, VolumeFacts } from '../docker/ContainerRuntime.js';
import { managedLabels } from '../policy/assertManaged.js';
import { volumeHostPath } from '../policy/volumeHostPath.js';

export interface LegacyVolumes {
  /** Unlabelled volumes made for this node's managed containers and used by nobody else. */
  adopted: VolumeFacts[];
  /** Candidates that do not qualify, and why. */
  refused: { volume: string; reason: string }[];
}

/**
 * The volumes a managed container of `nodeId` names in its mounts that carry no owner's
 * labels, are local without host-path options, and are mounted by no container other than
 * this node's managed ones: what the engine created implicitly for this agent's containers
 * before the agent created volumes itself. A volume already owned (`owned`) is skipped.
 */
export async function findLegacyVolumes(runtime: ContainerRuntime, nodeId: string, owned: (volume: VolumeFacts) => boolean): Promise<LegacyVolumes> {
  const labels = managedLabels(nodeId);
  const ours = (containerLabels: Record<string, string>) => Object.entries(labels).every(([key, value]) => containerLabels[key] === value);
  const names = new Set<string>();
  for (const container of await runtime.list(labels)) {
    const facts = await runtime.labelsOf(container.id);
    for (const mount of facts.mounts) if (mount.type === 'volume') names.add(mount.source);
  }
  const result: LegacyVolumes = { adopted: [], refused: [] };
  for (const name of names) {
    const volume = await runtime.inspectVolume(name);
    if (volume === undefined || owned(volume)) continue;
    const refuse = (reason: string) => result.refused.push({ volume: name, reason });
    if (Object.keys(volume.labels).length > 0) refuse('it carries labels of its own');
    else if (volume.driver !== 'local') refuse(`its driver is ${volume.driver}`);
    else if (volumeHostPath(volume.driver, volume.options) !== undefined) refuse('it binds a host path');
    else if (!(await runtime.volumeUsers(name)).every((user) => ours(user.labels))) refuse("a container that is not this node's mounts it too");
    else result.adopted.push(volume);
  }
  return result;
}

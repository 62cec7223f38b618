import { posix } from 'node:path';
import type { ContainerSpec } from '@lormas/protocol';
import type { ContainerFacts, MountFacts } from '../docker/ContainerRuntime.js';
import type { RealPath } from '../policy/bindSources.js';
import type { ForbiddenPaths } from '../policy/ForbiddenPaths.js';
import type { GuardRails } from '../policy/guardRails.js';
import { checkBindSources, policyDenied } from '../policy/policy.js';
import type { VolumeOwnership } from './VolumeOwnership.js';

export interface MountGuardOptions {
  rails: GuardRails;
  forbidden: ForbiddenPaths;
  volumes: VolumeOwnership;
  realpath?: RealPath;
}

const volumeNames = (mounts: readonly { type: string; source?: string }[]) => mounts.flatMap((mount) => (mount.type === 'volume' && mount.source ? [mount.source] : []));

/**
 * What a container may mount, judged where the agent acts: at create, before every start or
 * restart it performs (a bind source may have become a link to `/etc` since the create, a
 * volume may have been removed and would come back unowned), and before an archive transfer.
 */
export class MountGuard {
  constructor(private readonly options: MountGuardOptions) {}

  /** The spec's volumes, judged; resolves with those to create once the create goes ahead. */
  forCreate(spec: ContainerSpec): Promise<string[]> {
    return this.options.volumes.check(volumeNames(spec.mounts), 'mount');
  }

  /** Creates the volumes `forCreate` found missing. */
  createVolumes(names: string[]): Promise<void> {
    return this.options.volumes.create(names);
  }

  /** Judges an existing container's binds and volumes again, and makes its missing volumes owned ones, before a start. */
  async beforeStart(container: ContainerFacts): Promise<void> {
    const binds = container.mounts.filter((mount) => mount.type === 'bind').map((mount) => mount.source);
    checkBindSources(binds, this.options.rails, this.options.forbidden, this.options.realpath);
    await this.createVolumes(await this.options.volumes.check(volumeNames(container.mounts), 'mount'));
  }

  /** The volume mounted at `path` in the container, when it is one this agent owns; refuses anything else. */
  async forTransfer(container: ContainerFacts, path: string): Promise<MountFacts> {
    const wanted = posix.normalize(path).replace(/(.)\/$/, '$1');
    const mount = container.mounts.find((m) => m.type === 'volume' && posix.normalize(m.target).replace(/(.)\/$/, '$1') === wanted);
    if (!mount) throw policyDenied('volume-not-owned', `${path} is not where a volume is mounted in ${container.name}; transfers act on owned volumes only`);
    await this.options.volumes.check([mount.source], 'transfer');
    return mount;
  }
}

import { ManagedLabel } from '@lormas/protocol';
import type { ContainerRuntime, VolumeFacts } from '../docker/ContainerRuntime.js';
import type { Logger } from '../logger.js';
import { managedLabels } from '../policy/assertManaged.js';
import { policyDenied } from '../policy/policy.js';
import { volumeHostPath } from '../policy/volumeHostPath.js';
import type { StateDir } from '../StateDir.js';
import { findLegacyVolumes } from './findLegacyVolumes.js';

/** The file in the state folder. */
export const ADOPTED_VOLUMES_FILE = 'adopted-volumes.json';

interface Adopted {
  name: string;
  /** The engine's creation time: a volume removed and made again under the name is another volume. */
  createdAt: string;
}

export interface VolumeOwnershipOptions {
  runtime: ContainerRuntime;
  nodeId: string;
  /** VOLUME_ALLOW_LIST: volumes the agent did not create that may be mounted all the same. */
  allowList: readonly string[];
  /** Where adoptions are kept; in memory only when absent. */
  stateDir?: StateDir;
  logger: Logger;
}

/**
 * Which named volumes this agent may mount: those it created (labelled `lormas.managed=true`
 * and `lormas.node=<its node>`), those it adopted (below), and those the operator lists. A
 * volume that does not exist yet is created by the agent itself, local and without options,
 * so the engine never makes one implicitly. A volume whose driver options bind a host path is
 * refused whoever made it.
 *
 * Adoption: before this rule, the engine created a spec's missing volumes itself, without
 * labels, and labels cannot be added to a volume later. Such a volume is adopted when a
 * managed container of this node names it in its mounts and no other container mounts it:
 * it was made for this node's containers and nobody else uses it. Adoptions are recorded in
 * the state folder, so they outlive the containers (a container removed and created again
 * keeps its data).
 */
export class VolumeOwnership {
  private readonly adopted = new Map<string, string>();
  private adopting: Promise<void> | null = null;

  constructor(private readonly options: VolumeOwnershipOptions) {
    const stored = options.stateDir?.read(ADOPTED_VOLUMES_FILE) as { nodeId?: unknown; volumes?: Adopted[] } | undefined;
    if (stored?.nodeId === options.nodeId && Array.isArray(stored.volumes)) {
      for (const volume of stored.volumes) if (typeof volume?.name === 'string') this.adopted.set(volume.name, String(volume.createdAt));
    }
  }

  /**
   * Judges the named volumes a container mounts, or an archive transfer reads or writes.
   * Refuses with `POLICY_DENIED` (`volume-host-path`, `volume-not-owned`); resolves with the
   * names that do not exist yet, for `create`. A transfer acts on owned volumes only: neither
   * a missing one nor one the operator merely allows.
   */
  async check(names: readonly string[], purpose: 'mount' | 'transfer'): Promise<string[]> {
    await this.adopting;
    const missing: string[] = [];
    for (const name of new Set(names)) {
      const volume = await this.options.runtime.inspectVolume(name);
      if (volume === undefined) {
        if (purpose === 'transfer') throw policyDenied('volume-not-owned', `volume ${name} does not exist on this node`);
        missing.push(name);
        continue;
      }
      const hostPath = volumeHostPath(volume.driver, volume.options);
      if (hostPath !== undefined) throw policyDenied('volume-host-path', `volume ${name} is never mounted: ${hostPath}`);
      if (this.owns(volume)) continue;
      if (purpose === 'mount' && this.options.allowList.includes(name)) continue;
      throw policyDenied(
        'volume-not-owned',
        purpose === 'mount' ? `volume ${name} was not created by this agent and is not in VOLUME_ALLOW_LIST` : `volume ${name} was not created by this agent`,
      );
    }
    return missing;
  }

  /** Creates each volume, local and without options, labelled as this agent's; refuses one that someone else made meanwhile. */
  async create(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const volume = await this.options.runtime.createVolume(name, managedLabels(this.options.nodeId));
      if (!this.labelledOurs(volume) || volumeHostPath(volume.driver, volume.options) !== undefined) {
        throw policyDenied('volume-not-owned', `volume ${name} was created by someone else just now`);
      }
      this.options.logger.info('volume created', { volume: name });
    }
  }

  /** Adopts the volumes the engine made for this node's containers before volumes were owned. Concurrent calls share one run. */
  adoptLegacy(): Promise<void> {
    this.adopting ??= this.runAdoption().finally(() => (this.adopting = null));
    return this.adopting;
  }

  private async runAdoption(): Promise<void> {
    const { runtime, nodeId, logger } = this.options;
    const found = await findLegacyVolumes(runtime, nodeId, (volume) => this.owns(volume));
    for (const { volume, reason } of found.refused) logger.info('volume not adopted', { volume, reason });
    if (found.adopted.length === 0) return;
    for (const volume of found.adopted) this.adopted.set(volume.name, volume.createdAt);
    logger.info('volumes adopted', { volumes: found.adopted.map((volume) => volume.name) });
    const volumes: Adopted[] = [...this.adopted].map(([name, createdAt]) => ({ name, createdAt }));
    await this.options.stateDir?.write(ADOPTED_VOLUMES_FILE, { nodeId, volumes });
  }

  private labelledOurs(volume: VolumeFacts): boolean {
    return volume.labels[ManagedLabel.managed] === 'true' && volume.labels[ManagedLabel.node] === this.options.nodeId;
  }

  private owns(volume: VolumeFacts): boolean {
    return this.labelledOurs(volume) || (volume.driver === 'local' && this.adopted.get(volume.name) === volume.createdAt);
  }
}

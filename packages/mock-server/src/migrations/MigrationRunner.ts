import { AgentError } from '@lormas/protocol';
import type { AgentGateway } from '../agents/AgentGateway.js';
import type { ContainerService } from '../containers/ContainerService.js';
import { ServerError } from '../errors.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { Logger } from '../logger.js';
import type { ContainerRecord } from '../store/ContainerStore.js';
import type { MigrationRecord, MigrationStep } from '../store/MigrationStore.js';
import type { Store } from '../store/Store.js';
import { copyVolume } from './copyVolume.js';

export interface MigrationRunnerOptions {
  store: Store;
  gateway: AgentGateway;
  containers: ContainerService;
  failover: FailoverController;
  logger: Logger;
  /** Upper bound of each volume chunk in flight. @default 1 MiB (bytes) */
  chunkBytes?: number;
}

/** Records a step of the migration being run. */
type Step = (name: string, status: MigrationStep['status'], detail?: string | null) => Promise<void>;

/** A step as it is recorded, with the migration it belongs to. */
export type StepListener = (migrationId: string, step: MigrationStep) => void;

const describe = (error: unknown) => {
  const agentError = AgentError.from(error);
  return `${agentError.code}: ${agentError.message}`;
};

/**
 * Planned migration of a container between two live nodes: stop on the source, create the
 * identical container on the target, copy each named volume's data, start the target, and
 * only once it runs remove the source copy. A failure rolls back: the target's copy is
 * removed and the source's started again. Every step lands in the history as it happens.
 */
export class MigrationRunner {
  constructor(private readonly options: MigrationRunnerOptions) {}

  /**
   * Checks the request and starts the move. Returns the new history record at once and a
   * promise of the final one. Refuses a container already moving (`CONFLICT`), and a source
   * or target that is not online (`NODE_OFFLINE`).
   */
  async start(idOrName: string, targetNodeId: string | undefined, onStep?: StepListener): Promise<{ migration: MigrationRecord; done: Promise<MigrationRecord> }> {
    const { store, gateway, containers, failover } = this.options;
    const record = await store.containers.require(idOrName);
    if (containers.moving.has(record.id)) throw new ServerError('CONFLICT', `container ${record.id} is being migrated already`);
    if (gateway.liveness.get(record.nodeId).status !== 'online') throw new ServerError('NODE_OFFLINE', `the source node ${record.nodeId} is not online`);
    let target: string;
    if (targetNodeId !== undefined) {
      await store.nodes.require(targetNodeId);
      if (targetNodeId === record.nodeId) throw new ServerError('BAD_REQUEST', 'the target node is the node the container is on');
      if (gateway.liveness.get(targetNodeId).status !== 'online') throw new ServerError('NODE_OFFLINE', `the target node ${targetNodeId} is not online`);
      target = targetNodeId;
    } else {
      const chosen = await failover.chooseTargetFor(record);
      if (!chosen) throw new ServerError('NODE_OFFLINE', 'no other node is online to take the container');
      target = chosen;
    }
    if (containers.moving.has(record.id)) throw new ServerError('CONFLICT', `container ${record.id} is being migrated already`);
    containers.moving.add(record.id);
    let migration: MigrationRecord;
    try {
      migration = await store.migrations.start({ containerId: record.id, containerName: record.name, trigger: 'manual', sourceNodeId: record.nodeId, targetNodeId: target });
    } catch (error) {
      containers.moving.delete(record.id);
      throw error;
    }
    const step = async (name: string, status: MigrationStep['status'], detail: string | null = null) => {
      const recorded = await store.migrations.step(migration.id, name, status, detail);
      onStep?.(migration.id, recorded);
    };
    await step('choose-target', 'ok', target);
    const done = this.run(record, target, migration.id, step).finally(() => containers.moving.delete(record.id));
    return { migration, done };
  }

  private async run(record: ContainerRecord, target: string, migrationId: string, step: Step): Promise<MigrationRecord> {
    const { store, gateway, containers, logger } = this.options;
    const source = record.nodeId;
    const sourceDocker = record.dockerId ?? record.name;
    const wasRunning = record.desiredState === 'running';
    let targetDocker: string | null = null;
    let current = 'stop-source';
    try {
      await containers.copyCommand(source, 'stop', sourceDocker, record.spec.stopTimeoutSeconds);
      await step('stop-source', 'ok');
      current = 'create-target';
      const created = await containers.createCopy(record, target, false);
      targetDocker = created.containerId;
      await step('create-target', 'ok', targetDocker.slice(0, 12));
      for (const mount of record.spec.mounts) {
        if (mount.type !== 'volume') continue;
        current = 'copy-volume';
        const bytes = await copyVolume({
          source: gateway.client(source),
          target: gateway.client(target),
          sourceContainer: sourceDocker,
          targetContainer: targetDocker,
          mountTarget: mount.target,
          chunkBytes: this.options.chunkBytes,
        });
        await step('copy-volume', 'ok', `${mount.source} -> ${mount.target}: ${bytes} bytes`);
      }
      let result = created;
      if (wasRunning) {
        current = 'start-target';
        await containers.copyCommand(target, 'start', targetDocker);
        result = { ...created, state: 'running' };
        await step('start-target', 'ok');
      }
      await containers.place(record.id, target, result);
    } catch (error) {
      await step(current, 'failed', describe(error));
      return this.rollBack(migrationId, record, target, targetDocker, wasRunning, describe(error), step);
    }
    try {
      await containers.copyCommand(source, 'remove', sourceDocker);
      await step('remove-source', 'ok');
    } catch (error) {
      // The move itself succeeded; the stopped copy left behind is removed when the node next returns from being lost.
      await step('remove-source', 'failed', describe(error));
    }
    logger.info('container migrated', { container: record.id, from: source, to: target });
    return store.migrations.finish(migrationId, 'succeeded');
  }

  private async rollBack(
    migrationId: string,
    record: ContainerRecord,
    target: string,
    targetDocker: string | null,
    wasRunning: boolean,
    error: string,
    step: Step,
  ): Promise<MigrationRecord> {
    const { store, containers, logger } = this.options;
    let restored = true;
    if (targetDocker) {
      try {
        await containers.copyCommand(target, 'remove', targetDocker);
        await step('remove-target', 'ok');
      } catch (removeError) {
        restored = false;
        await step('remove-target', 'failed', describe(removeError));
      }
    }
    if (wasRunning) {
      try {
        await containers.copyCommand(record.nodeId, 'start', record.dockerId ?? record.name);
        await store.containers.update(record.id, { observedState: 'running' });
        await step('start-source', 'ok');
      } catch (startError) {
        restored = false;
        await step('start-source', 'failed', describe(startError));
      }
    }
    logger.warn('migration rolled back', { container: record.id, to: target, error, restored });
    return store.migrations.finish(migrationId, restored ? 'rolled-back' : 'failed', error);
  }
}

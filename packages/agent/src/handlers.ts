import type { AgentHandlers } from '@lormas/protocol/agent';
import { AgentError, type ContainerEvent, type ContainerResult, PROTOCOL_VERSION } from '@lormas/protocol';
import type { ArchiveTransfers } from './archives/ArchiveTransfers.js';
import type { AgentConfig } from './config.js';
import type { ContainerFacts, ContainerRuntime } from './docker/ContainerRuntime.js';
import type { Journal } from './journal.js';
import type { Logger } from './logger.js';
import { streamLogs } from './logs/index.js';
import type { EngineWatch } from './node/engineWatch.js';
import { heartbeats } from './node/heartbeats.js';
import type { Emit, OperationKind, OperationLedger, OperationResult } from './operations/OperationLedger.js';
import { requestFingerprint } from './operations/requestFingerprint.js';
import { assertManaged, managedLabels } from './policy/assertManaged.js';
import type { ForbiddenPaths } from './policy/ForbiddenPaths.js';
import { checkSpec } from './policy/policy.js';
import { assertReservedLabels, reservedLabels } from './policy/reservedLabels.js';
import { buildInfo } from './buildInfo.js';
import { runtimeInfo } from './runtimeInfo.js';
import type { AgentUpgrader } from './upgrade/AgentUpgrader.js';
import { AGENT_VERSION } from './version.js';
import type { MountGuard } from './volumes/MountGuard.js';

export interface AgentServices {
  runtime: ContainerRuntime;
  ledger: OperationLedger;
  engine: EngineWatch;
  events: Journal<ContainerEvent>;
  archives: ArchiveTransfers;
  mounts: MountGuard;
  forbidden: ForbiddenPaths;
  logger: Logger;
  config: Pick<AgentConfig, 'nodeId' | 'nodeName' | 'guardRails' | 'heartbeatIntervalMs'>;
  startedAt: number;
  /** Remote upgrades (`agent.upgrade`) and what `hello` says of them. */
  upgrader: Pick<AgentUpgrader, 'upgrade' | 'capabilities'>;
  /** How the last handover ended, as the launcher recorded it. */
  lastUpgrade(): { version: string; outcome: 'succeeded' | 'rolled-back'; reason?: string; at: number } | null;
  /** The server's `hello` arrived: it accepted this session. */
  onHello?(): void;
}

/**
 * The agent's implementation of the router: guard rails first, then the ledger (so a
 * replayed operation id never acts twice), then the engine. Also owns the shutdown gate:
 * once closed, new commands are refused with SHUTTING_DOWN and `drain` waits for the
 * commands in flight.
 */
export function createHandlers(services: AgentServices) {
  const { runtime, ledger, engine, events, archives, mounts, config } = services;
  const labels = managedLabels(config.nodeId);
  const inFlight = new Set<Promise<unknown>>();
  let accepting = true;

  /** Resolves a container reference to the id of a container this agent manages, or refuses. */
  async function managed(idOrName: string): Promise<ContainerFacts> {
    const found = await runtime.labelsOf(idOrName);
    assertManaged(found.labels, config.nodeId);
    return found;
  }

  function mutating<R extends OperationResult>(kind: OperationKind, input: { operationId: string }, work: (emit: Emit) => Promise<R>): Promise<R> {
    if (!accepting) return Promise.reject(new AgentError('SHUTTING_DOWN', 'the agent is shutting down and takes no new commands'));
    const promise = ledger.run(input.operationId, kind, requestFingerprint(input), work) as Promise<R>;
    inFlight.add(promise);
    void promise.catch(() => {}).finally(() => inFlight.delete(promise));
    return promise;
  }

  /**
   * Creates the container with every `lormas.*` label the agent's, and checks it came out so.
   * `imageLabels` are the image's as the create looked at them; the check after the create
   * catches an image retagged since.
   */
  async function createLabelled(input: Parameters<AgentHandlers['containers']['create']>[0], imageLabels: Record<string, string>): Promise<string> {
    const labels = reservedLabels({ nodeId: config.nodeId, serverId: input.serverId, fenceAfterMs: input.fenceAfterMs }, imageLabels);
    const containerId = await runtime.create(input.spec, labels);
    try {
      assertReservedLabels((await runtime.labelsOf(containerId)).labels, labels);
    } catch (error) {
      await runtime.remove(containerId, { force: true, removeVolumes: false }).catch(() => undefined);
      throw error;
    }
    return containerId;
  }

  async function pullImage(image: string, emit: Emit): Promise<string> {
    const imageId = await runtime.pull(image, (progress) => emit({ type: 'pulling', image, ...progress }));
    emit({ type: 'pulled', image, imageId });
    return imageId;
  }

  const handlers: AgentHandlers = {
    hello: async () => {
      services.onHello?.();
      const lastUpgrade = services.lastUpgrade();
      return {
        agentVersion: AGENT_VERSION,
        protocolVersion: PROTOCOL_VERSION,
        nodeName: config.nodeName,
        runtime: runtimeInfo(),
        engineVersion: engine.engineVersion,
        startedAt: services.startedAt,
        build: buildInfo(),
        upgrades: services.upgrader.capabilities(),
        ...(lastUpgrade ? { lastUpgrade } : {}),
      };
    },
    inventory: async () => ({ nodeName: config.nodeName, containers: await runtime.list(labels) }),
    containers: {
      list: () => runtime.list(labels),
      inspect: async ({ id }) => runtime.inspect((await managed(id)).id),
      create: (input) =>
        mutating('create', input, async (emit): Promise<ContainerResult> => {
          const { spec } = input;
          checkSpec(spec, config.guardRails, services.forbidden);
          const missingVolumes = await mounts.forCreate(spec);
          // One look at the image answers the pull policy and gives the labels the container inherits.
          const looked = input.pull === 'always' ? undefined : await runtime.imageLabels(spec.image);
          const pulled = input.pull === 'always' || (input.pull === 'missing' && looked === undefined);
          if (pulled) await pullImage(spec.image, emit);
          const imageLabels = pulled ? await runtime.imageLabels(spec.image) : looked;
          // Refused before anything is made: no volume for a container that cannot be created.
          if (imageLabels === undefined) throw new AgentError('NOT_FOUND', `no such image: ${spec.image}`);
          emit({ type: 'creating', name: spec.name });
          await mounts.createVolumes(missingVolumes);
          const containerId = await createLabelled(input, imageLabels);
          emit({ type: 'created', containerId });
          if (!input.start) return { containerId, name: spec.name, state: 'created' };
          emit({ type: 'starting', containerId });
          await runtime.start(containerId);
          emit({ type: 'running', containerId });
          return { containerId, name: spec.name, state: 'running' };
        }),
      start: (input) =>
        mutating('start', input, async (emit) => {
          const container = await managed(input.id);
          await mounts.beforeStart(container);
          const { id, name } = container;
          emit({ type: 'starting', containerId: id });
          await runtime.start(id);
          emit({ type: 'running', containerId: id });
          return { containerId: id, name, state: 'running' };
        }),
      stop: (input) =>
        mutating('stop', input, async (emit) => {
          // Checked every time, by whatever reference: once a container is removed behind the
          // agent's back, its id is free to be another container's name, which the engine resolves.
          const { id, name } = await managed(input.id);
          emit({ type: 'stopping', containerId: id });
          const { exitCode } = await runtime.stop(id, input.timeoutSeconds);
          emit({ type: 'stopped', containerId: id, exitCode });
          return { containerId: id, name, state: 'exited' };
        }),
      restart: (input) =>
        mutating('restart', input, async (emit) => {
          const container = await managed(input.id);
          await mounts.beforeStart(container);
          const { id, name } = container;
          emit({ type: 'stopping', containerId: id });
          await runtime.restart(id, input.timeoutSeconds);
          emit({ type: 'running', containerId: id });
          return { containerId: id, name, state: 'running' };
        }),
      remove: (input) =>
        mutating('remove', input, async (emit) => {
          const { id, name } = await managed(input.id);
          emit({ type: 'removing', containerId: id });
          await runtime.remove(id, { force: input.force, removeVolumes: input.removeVolumes });
          emit({ type: 'removed', containerId: id });
          return { containerId: id, name, state: 'removed' };
        }),
      events: (input, ctx) => events.read(input?.lastEventId, ctx.signal),
      logs: async function* (input, ctx) {
        const container = await managed(input.id);
        yield* streamLogs(runtime, { ...input, id: container.id }, ctx, {}, container);
      },
    },
    images: {
      pull: (input) => mutating('pull', input, async (emit) => ({ image: input.image, imageId: await pullImage(input.image, emit) })),
    },
    operations: {
      get: async ({ operationId }) => ledger.status(operationId),
      watch: (input, ctx) => ledger.watch(input.operationId, input.lastEventId, ctx.signal),
    },
    archives: {
      openRead: async (input) => {
        const container = await managed(input.id);
        await mounts.forTransfer(container, input.path);
        return archives.openRead(container.id, input.path);
      },
      read: (input) => archives.read(input.transferId, input.maxBytes),
      openWrite: async (input) => {
        const container = await managed(input.id);
        await mounts.forTransfer(container, input.path);
        return archives.openWrite(container.id, input.path);
      },
      write: (input) => archives.write(input.transferId, input.data, input.done),
      abort: async ({ transferId }) => archives.abort(transferId),
    },
    agent: {
      upgrade: (input) => {
        if (!accepting) return Promise.reject(new AgentError('SHUTTING_DOWN', 'the agent is shutting down and takes no new commands'));
        return services.upgrader.upgrade(input);
      },
    },
    node: {
      heartbeats: (_input, ctx) =>
        heartbeats(
          { nodeName: config.nodeName, intervalMs: config.heartbeatIntervalMs, snapshot: () => engine.snapshot(), startedAt: services.startedAt },
          ctx.signal,
        ),
    },
  };

  return {
    handlers,
    /** Refuses new commands from now on. */
    stopAccepting(): void {
      accepting = false;
    },
    /** Resolves when the commands in flight have finished, or after `timeoutMs`; tells which. */
    async drain(timeoutMs: number): Promise<'drained' | 'timed-out'> {
      if (inFlight.size === 0) return 'drained';
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), timeoutMs)));
      const result = await Promise.race([Promise.allSettled([...inFlight]).then(() => 'drained' as const), timeout]);
      clearTimeout(timer);
      return result;
    },
  };
}

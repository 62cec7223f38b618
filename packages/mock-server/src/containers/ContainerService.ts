import { AgentError, type ContainerResult, type ContainerSpec, type Inventory, type OperationEvent, type PullResult } from '@lormas/protocol';
import type { AgentGateway } from '../agents/AgentGateway.js';
import type { ContainerRecord, DesiredState } from '../store/ContainerStore.js';
import { newId } from '../store/ids.js';
import type { Store } from '../store/Store.js';
import { runWatched } from './runWatched.js';

export interface ContainerServiceOptions {
  store: Store;
  gateway: AgentGateway;
  /**
   * Deadline of commands that may pull an image (create, pull).
   * @default 300_000 (milliseconds)
   */
  longCallTimeoutMs?: number;
}

export type Lifecycle = 'start' | 'stop' | 'restart';

const DESIRED_AFTER: Record<Lifecycle, DesiredState> = { start: 'running', stop: 'stopped', restart: 'running' };

/** An agent call whose failure, whatever form the link gave it, is thrown as an `AgentError`. */
const agentCall = <T>(call: () => Promise<T>): Promise<T> =>
  call().catch((error: unknown) => {
    throw AgentError.from(error);
  });

/** The record's fencing as the agent's create input takes it: absent, not null, when off. */
const fencing = (record: ContainerRecord) => (record.fenceAfterMs === null ? {} : { fenceAfterMs: record.fenceAfterMs });

/**
 * Places and drives containers through their node's agent, keeping the server's record
 * (spec, desired state, observed state) in step. Every command gets a fresh operation id.
 */
export class ContainerService {
  /** Containers a planned migration is moving right now; failover and a second migration leave them alone. */
  readonly moving = new Set<string>();
  private readonly store: Store;
  private readonly gateway: AgentGateway;
  private readonly longCallTimeoutMs: number;

  constructor(options: ContainerServiceOptions) {
    this.store = options.store;
    this.gateway = options.gateway;
    this.longCallTimeoutMs = options.longCallTimeoutMs ?? 300_000;
  }

  /**
   * Records the container, then has the agent create (and by default start) it with the
   * record's id as `serverId`. When the agent refuses or fails, the record is dropped and
   * the agent's error is thrown. `fenceAfterMs` is kept on the record and given to the agent.
   * `placed` releases the placement's reservation of the node once the record counts instead.
   */
  async create(
    input: { nodeId: string; spec: ContainerSpec; ha: boolean; start: boolean; preferredClusterId?: string | null; fenceAfterMs?: number | null },
    onEvent?: (event: OperationEvent) => void,
    placed?: () => void,
  ): Promise<ContainerRecord> {
    let record: ContainerRecord;
    let client: ReturnType<AgentGateway['client']>;
    try {
      await this.store.nodes.require(input.nodeId);
      client = this.gateway.client(input.nodeId);
      record = await this.store.containers.create({
        nodeId: input.nodeId,
        spec: input.spec,
        ha: input.ha,
        preferredClusterId: input.preferredClusterId ?? null,
        fenceAfterMs: input.fenceAfterMs ?? null,
        desiredState: input.start ? 'running' : 'stopped',
      });
    } finally {
      placed?.();
    }
    const operationId = newId('op');
    const run = () =>
      client.containers.create.mutate({ operationId, spec: input.spec, serverId: record.id, start: input.start, ...fencing(record) }, { timeoutMs: this.longCallTimeoutMs });
    try {
      const result = onEvent ? await runWatched({ client, operationId, onEvent, run }) : await run();
      return await this.observe(record.id, result);
    } catch (error) {
      await this.store.containers.remove(record.id);
      throw AgentError.from(error);
    }
  }

  async lifecycle(idOrName: string, action: Lifecycle, timeoutSeconds?: number): Promise<ContainerRecord> {
    const record = await this.store.containers.require(idOrName);
    const client = this.gateway.client(record.nodeId);
    await this.store.containers.update(record.id, { desiredState: DESIRED_AFTER[action] });
    const ref = { operationId: newId('op'), id: record.dockerId ?? record.name };
    const result = await agentCall(() =>
      action === 'start' ? client.containers.start.mutate(ref) : client.containers[action].mutate(timeoutSeconds === undefined ? ref : { ...ref, timeoutSeconds }),
    );
    return this.observe(record.id, result);
  }

  /** Removes the container on its node (forcibly) and forgets it. A container the node no longer has is forgotten too. */
  async remove(idOrName: string): Promise<ContainerRecord> {
    const record = await this.store.containers.require(idOrName);
    const client = this.gateway.client(record.nodeId);
    try {
      await client.containers.remove.mutate({ operationId: newId('op'), id: record.dockerId ?? record.name, force: true });
    } catch (error) {
      const agentError = AgentError.from(error);
      if (agentError.code !== 'NOT_FOUND') throw agentError;
    }
    await this.store.containers.remove(record.id);
    return record;
  }

  async pull(nodeId: string, image: string, onEvent?: (event: OperationEvent) => void): Promise<PullResult> {
    await this.store.nodes.require(nodeId);
    const client = this.gateway.client(nodeId);
    const operationId = newId('op');
    const run = () => client.images.pull.mutate({ operationId, image }, { timeoutMs: this.longCallTimeoutMs });
    return agentCall(() => (onEvent ? runWatched({ client, operationId, onEvent, run }) : run()));
  }

  /**
   * Has `nodeId`'s agent create a copy of a recorded container, with the same spec, server id
   * and fencing; the record stays where it is until `place` moves it. Used by migrations and
   * failover: a copy without the fencing would run on through the next partition of its node.
   * `operationId` makes a retry of the same copy (by a new failover leader) the same operation,
   * which the agent answers with its first result instead of creating a second copy.
   */
  async createCopy(record: ContainerRecord, nodeId: string, start: boolean, operationId: string = newId('op')): Promise<ContainerResult> {
    const client = this.gateway.client(nodeId);
    return agentCall(() =>
      client.containers.create.mutate(
        { operationId, spec: record.spec, serverId: record.id, start, ...fencing(record) },
        { timeoutMs: this.longCallTimeoutMs },
      ),
    );
  }

  /** Starts, stops or (forcibly) removes one copy of a container on a given node, by Docker id. */
  async copyCommand(nodeId: string, action: 'start' | 'stop' | 'remove', dockerId: string, timeoutSeconds?: number): Promise<void> {
    const client = this.gateway.client(nodeId);
    const ref = { operationId: newId('op'), id: dockerId };
    await agentCall(() => {
      if (action === 'start') return client.containers.start.mutate(ref);
      if (action === 'stop') return client.containers.stop.mutate(timeoutSeconds === undefined ? ref : { ...ref, timeoutSeconds });
      return client.containers.remove.mutate({ ...ref, force: true });
    });
  }

  /** The agent's inventory of the managed containers on `nodeId`. */
  async inventory(nodeId: string): Promise<Inventory> {
    return agentCall(() => this.gateway.client(nodeId).inventory.query());
  }

  /** Moves the record to the node whose copy is now the container. */
  async place(id: string, nodeId: string, result: ContainerResult): Promise<ContainerRecord> {
    const updated = await this.store.containers.update(id, { nodeId, dockerId: result.containerId, observedState: result.state });
    if (!updated) throw new AgentError('NOT_FOUND', `container ${id} was removed meanwhile`);
    return updated;
  }

  private async observe(id: string, result: ContainerResult): Promise<ContainerRecord> {
    const updated = await this.store.containers.update(id, { dockerId: result.containerId, observedState: result.state });
    if (!updated) throw new AgentError('NOT_FOUND', `container ${id} was removed meanwhile`);
    return updated;
  }
}

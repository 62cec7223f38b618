import { EventEmitter } from 'node:events';
import { AgentError } from '@lormas/protocol';
import type { AgentGateway } from '../agents/AgentGateway.js';
import { ServerError } from '../errors.js';
import type { FailoverController } from '../failover/FailoverController.js';
import type { Logger } from '../logger.js';
import type { ReleaseCatalog } from '../releases/ReleaseCatalog.js';
import { remoteUpgradeRefusal } from '../releases/upgradeStatus.js';
import type { Store } from '../store/Store.js';
import { newId } from '../store/ids.js';
import type { Rollout, RolloutNode } from './Rollout.js';

export interface RolloutRunnerOptions {
  store: Store;
  gateway: AgentGateway;
  catalog: ReleaseCatalog;
  failover: FailoverController;
  logger: Logger;
  /** @default Date.now */
  now?: () => number;
  /** Deadline of the `agent.upgrade` call, which downloads the build. @default 300_000 (milliseconds) */
  upgradeCallTimeoutMs?: number;
  /**
   * How long past the agent's own handover deadline a node has to be back, on the new build
   * or (after its launcher went back) the old one. @default 30_000 (milliseconds)
   */
  backWithinMs?: number;
  /** How often a waiting rollout looks at the fleet. @default 100 (milliseconds) */
  pollIntervalMs?: number;
  /** Rollouts kept for the API, newest first. @default 20 */
  keep?: number;
}

export interface RolloutRequest {
  version: string;
  batchSize: number;
  maxUnavailable: number;
  nodeIds?: string[];
}

type Outcome = { status: 'succeeded' | 'failed' | 'skipped'; detail: string };

/**
 * Rolls an agent build out to the fleet in batches: at most `batchSize` nodes at once, and no
 * more than `maxUnavailable` away at once, counting nodes already offline. Each node is asked
 * (`agent.upgrade`) to take the signed build for its kind and CPU; the server then waits for it
 * to come back on the new version. Failover is held for a node while it is upgraded, so the
 * gap never moves its containers. A node that refuses, fails, or comes back on its old build
 * (its launcher went back) stops the rollout: no node after it is started. Nodes that cannot
 * take remote upgrades (protocol 1.0, no release key, no build for them) are skipped, named.
 */
export class RolloutRunner extends EventEmitter<{ change: [action: 'started' | 'progress' | 'finished', rollout: Rollout] }> {
  private readonly rollouts: Rollout[] = [];
  private readonly now: () => number;

  constructor(private readonly options: RolloutRunnerOptions) {
    super();
    this.now = options.now ?? Date.now;
  }

  list(): Rollout[] {
    return this.rollouts;
  }

  get(id: string): Rollout {
    const found = this.rollouts.find((rollout) => rollout.id === id);
    if (!found) throw new ServerError('NOT_FOUND', `no rollout with id "${id}"`);
    return found;
  }

  /** Starts a rollout and returns it at once; one runs at a time. */
  async start(request: RolloutRequest): Promise<Rollout> {
    const { store, catalog, gateway } = this.options;
    const refuseIfRunning = () => {
      if (this.rollouts.some((rollout) => rollout.status === 'running')) throw new ServerError('CONFLICT', 'a rollout is running already; wait for it to finish');
    };
    refuseIfRunning();
    // A build signed a moment ago is offered once the folder is read again: wait for that read, not the snapshot before it.
    const offered = () => catalog.list().some((release) => release.manifest.version === request.version);
    await catalog.current();
    // Signed less than rescanMs ago, after the snapshot: looked for in a read of now.
    if (!offered()) await catalog.reread();
    if (!offered()) {
      throw new ServerError('NOT_FOUND', `the server offers no build of version ${request.version} (see GET /api/agents/releases)`);
    }
    const nodes = request.nodeIds ? await Promise.all(request.nodeIds.map((id) => store.nodes.require(id))) : await store.nodes.list();
    // Another start may have begun while the nodes were read.
    refuseIfRunning();
    const rollout: Rollout = {
      id: newId('ro'),
      version: request.version,
      batchSize: request.batchSize,
      maxUnavailable: request.maxUnavailable,
      status: 'running',
      error: null,
      startedAt: this.now(),
      endedAt: null,
      nodes: nodes.map((node) => ({
        nodeId: node.id,
        nodeName: node.name,
        fromVersion: gateway.liveness.get(node.id).hello?.agentVersion ?? null,
        status: 'pending',
        detail: null,
        startedAt: null,
        endedAt: null,
      })),
    };
    this.rollouts.unshift(rollout);
    this.rollouts.splice(this.options.keep ?? 20);
    this.emit('change', 'started', rollout);
    this.options.logger.info('rollout started', { rollout: rollout.id, version: rollout.version, nodes: rollout.nodes.length });
    void this.run(rollout).catch((error: unknown) => this.finish(rollout, `the rollout failed: ${(error as Error).message}`));
    return rollout;
  }

  private async run(rollout: Rollout): Promise<void> {
    const queue = [...rollout.nodes];
    // Away means gone since the rollout began: a node that was offline before it (or never connected) is not the rollout's to wait for.
    const onlineAtStart = new Set((await this.options.store.nodes.list()).filter((node) => this.isOnline(node.id)).map((node) => node.id));
    let fullSince: number | null = null;
    while (queue.length > 0) {
      const waiting = new Set(queue.map((node) => node.nodeId));
      const away = [...onlineAtStart].filter((id) => !waiting.has(id) && !this.isOnline(id));
      const room = rollout.maxUnavailable - away.length;
      if (room <= 0) {
        fullSince ??= this.now();
        if (this.now() - fullSince > this.backWithinMs) return this.finish(rollout, `${away.length} node(s) away for more than ${this.backWithinMs} ms: ${namedFew(away)}`);
        await this.pause();
        continue;
      }
      fullSince = null;
      const batch = queue.splice(0, Math.min(rollout.batchSize, room));
      await Promise.all(batch.map((node) => this.upgradeNode(rollout, node)));
      const failed = batch.find((node) => node.status === 'failed');
      if (failed) return this.finish(rollout, `node ${failed.nodeName} failed: ${failed.detail}`);
    }
    this.finish(rollout, null);
  }

  private isOnline(nodeId: string): boolean {
    return this.options.gateway.liveness.get(nodeId).status === 'online';
  }

  /** How long a node may take to come back after its handover, and how long the rollout waits for nodes away. */
  private get backWithinMs(): number {
    return this.options.backWithinMs ?? 30_000;
  }

  private async upgradeNode(rollout: Rollout, node: RolloutNode): Promise<void> {
    node.status = 'upgrading';
    node.startedAt = this.now();
    this.emit('change', 'progress', rollout);
    let outcome: Outcome;
    try {
      outcome = await this.upgrade(rollout, node);
    } catch (error) {
      outcome = { status: 'failed', detail: (error as Error).message };
    }
    Object.assign(node, outcome, { endedAt: this.now() });
    this.options.logger[outcome.status === 'failed' ? 'warn' : 'info']('rollout: node done', { rollout: rollout.id, node: node.nodeId, status: outcome.status, detail: outcome.detail });
    this.emit('change', 'progress', rollout);
  }

  private async upgrade(rollout: Rollout, node: RolloutNode): Promise<Outcome> {
    const { gateway, catalog, failover } = this.options;
    const live = gateway.liveness.get(node.nodeId);
    const hello = live.hello;
    if (live.status !== 'online' || !hello) return { status: 'skipped', detail: 'the node was not online at its turn' };
    node.fromVersion = hello.agentVersion;
    if (hello.agentVersion === rollout.version) return { status: 'succeeded', detail: `runs ${rollout.version} already` };
    const refusal = remoteUpgradeRefusal(hello);
    if (refusal !== null) return { status: 'skipped', detail: `${refusal}: upgrade it by hand` };
    const build = hello.build;
    const release = build && build.kind !== 'source' ? catalog.find(rollout.version, build.kind, build.arch) : null;
    if (!release || !build) return { status: 'skipped', detail: `the server offers no ${rollout.version} build for ${build ? `${build.kind} on ${build.arch}` : 'this agent'}` };

    const since = this.now();
    const callTimeoutMs = this.options.upgradeCallTimeoutMs ?? 300_000;
    const { backWithinMs } = this;
    failover.hold(node.nodeId, since + callTimeoutMs + backWithinMs);
    try {
      let answer;
      try {
        answer = await gateway.client(node.nodeId).agent.upgrade.mutate({ operationId: `${rollout.id}-${node.nodeId}`, release: release.release, path: release.path }, { timeoutMs: callTimeoutMs });
      } catch (error) {
        const refusal = AgentError.from(error);
        return { status: 'failed', detail: `the agent refused the build: ${refusal.code}${refusal.rule ? ` (${refusal.rule})` : ''}: ${refusal.message}` };
      }
      if (answer.outcome === 'current') return { status: 'succeeded', detail: `runs ${rollout.version} already` };
      const waitUntil = this.now() + answer.deadlineMs + backWithinMs;
      failover.hold(node.nodeId, waitUntil);
      node.detail = `handing over; the node's launcher gives the new build ${answer.deadlineMs} ms to come online`;
      this.emit('change', 'progress', rollout);
      return await this.waitForReturn(node.nodeId, rollout.version, since, waitUntil);
    } finally {
      failover.release(node.nodeId);
    }
  }

  /** Waits for the node to come back: on the new version, or on its old one after its launcher went back. */
  private async waitForReturn(nodeId: string, version: string, since: number, until: number): Promise<Outcome> {
    const { liveness } = this.options.gateway;
    while (this.now() < until) {
      const live = liveness.get(nodeId);
      if (live.status === 'online' && live.hello && (live.connectedSince ?? 0) > since) {
        const hello = live.hello;
        if (hello.agentVersion === version) return { status: 'succeeded', detail: `runs ${version} (${hello.runtime.name} ${hello.runtime.version})` };
        const last = hello.lastUpgrade;
        const why = last && last.version === version && last.outcome === 'rolled-back' ? `: ${last.reason ?? 'no reason given'}` : '';
        return { status: 'failed', detail: `the node came back on ${hello.agentVersion}: its launcher went back${why}` };
      }
      await this.pause();
    }
    return { status: 'failed', detail: `the node was not back within ${until - since} ms of the upgrade` };
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.options.pollIntervalMs ?? 100));
  }

  private finish(rollout: Rollout, error: string | null): void {
    rollout.status = error ? 'halted' : 'succeeded';
    rollout.error = error;
    rollout.endedAt = this.now();
    this.options.logger[error ? 'warn' : 'info']('rollout finished', { rollout: rollout.id, status: rollout.status, error });
    this.emit('change', 'finished', rollout);
  }
}

/** The first ids of a list, and how many more: a halt's reason names a few of the nodes it waited for, not a thousand. */
function namedFew(ids: string[], few = 20): string {
  return ids.length <= few ? ids.join(', ') : `${ids.slice(0, few).join(', ')} and ${ids.length - few} more`;
}

import type { ContainerEvent } from '@lormas/protocol';
import { ManagedLabel } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import type { Journal } from '../journal.js';
import type { Logger } from '../logger.js';
import { assertManaged } from '../policy/assertManaged.js';
import { type BindRefusal, judgeBindSource, type RealPath } from '../policy/bindSources.js';
import type { ForbiddenPaths } from '../policy/ForbiddenPaths.js';
import type { GuardRails } from '../policy/guardRails.js';

export interface RunningBindGuardOptions {
  runtime: ContainerRuntime;
  nodeId: string;
  /** Labels that select this agent's managed containers. */
  managedLabels: Record<string, string>;
  rails: GuardRails;
  forbidden: ForbiddenPaths;
  /** Where the stop is reported, as a container event. */
  events: Journal<ContainerEvent>;
  logger: Logger;
  realpath?: RealPath;
  now?: () => number;
}

/**
 * Catches the starts the agent does not perform: the engine's restart policy, a boot before
 * the agent runs, a start by hand, or any start while the agent's event stream was down.
 * Each such container's bind sources are judged again as they resolve now; one that leads
 * outside the allow-list, into a forbidden path, or nowhere the agent can follow, has its
 * container stopped at once (no grace period: it may hold the host's `/etc`), and the stop
 * is reported as a container event naming the rule.
 *
 * Run on every `start` event and, because events can be missed, on every running managed
 * container whenever the event stream (re)opens, which includes the agent's own start.
 */
export class RunningBindGuard {
  private readonly checking = new Set<string>();

  constructor(private readonly options: RunningBindGuardOptions) {}

  /** Judges one container if it runs; stops it when a bind source fails. Resolves with the refusal, if any. */
  async check(containerId: string): Promise<BindRefusal | undefined> {
    if (this.checking.has(containerId)) return undefined;
    this.checking.add(containerId);
    try {
      const { runtime, rails, forbidden, realpath } = this.options;
      const facts = await runtime.labelsOf(containerId);
      assertManaged(facts.labels, this.options.nodeId);
      if (!facts.running) return undefined;
      for (const mount of facts.mounts) {
        if (mount.type !== 'bind') continue;
        const refusal = judgeBindSource(mount.source, rails.bindAllowList, forbidden, realpath);
        if (refusal === undefined) continue;
        await runtime.stop(facts.id, 0);
        const serverId = facts.labels[ManagedLabel.serverId];
        this.options.events.append({
          type: 'stop',
          containerId: facts.id,
          name: facts.name,
          at: (this.options.now ?? Date.now)(),
          ...(serverId ? { serverId } : {}),
          guardRail: { rule: refusal.rule, message: refusal.message },
        });
        this.options.logger.warn('guard rail stopped a running container', { container: facts.name, rule: refusal.rule, reason: refusal.message });
        return refusal;
      }
      return undefined;
    } finally {
      this.checking.delete(containerId);
    }
  }

  /** Checks every running managed container; resolves with the ids it stopped. */
  async sweep(): Promise<string[]> {
    const running = await this.options.runtime.list(this.options.managedLabels, { running: true });
    const stopped: string[] = [];
    for (const container of running) {
      try {
        if (await this.check(container.id)) stopped.push(container.id);
      } catch (error) {
        this.options.logger.warn('guard rail check failed', { container: container.name, error });
      }
    }
    return stopped;
  }
}

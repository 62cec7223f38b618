import { ManagedLabel } from '@lormas/protocol';
import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import type { Logger } from '../logger.js';

export interface FencingOptions {
  runtime: ContainerRuntime;
  /** Labels that select this agent's managed containers. */
  managedLabels: Record<string, string>;
  logger: Logger;
  /** How often, while the server is away, fenced containers are looked at. @default 500 (milliseconds) */
  checkIntervalMs?: number;
  now?: () => number;
}

/**
 * Agent-side fencing. A container created with `fenceAfterMs` is stopped by the agent itself
 * once the agent has been without the server for that long. The server fails a lost node's
 * HA containers over after its own window; a node that is alive behind a partition would
 * otherwise keep running the old copy until the partition heals. Off unless asked for, per
 * container. A fenced container stays stopped: once back, the server decides its fate.
 */
export class Fencing {
  private lostSince: number | null;
  private readonly fenced = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: FencingOptions) {
    this.now = options.now ?? Date.now;
    // Until the first connection the agent has not had the server either.
    this.lostSince = this.now();
  }

  /** The link closed: start counting. */
  serverLost(): void {
    if (this.lostSince !== null) return;
    this.lostSince = this.now();
    this.schedule();
  }

  /** The link opened: stop counting. */
  serverBack(): void {
    this.lostSince = null;
    this.fenced.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  start(): void {
    if (this.lostSince !== null) this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops every running fenced container whose time is up; resolves with their ids. */
  async check(): Promise<string[]> {
    if (this.lostSince === null) return [];
    const awayMs = this.now() - this.lostSince;
    // The engine returns only running containers that carry the label: usually none.
    const candidates = await this.options.runtime.list(this.options.managedLabels, { running: true, withLabel: ManagedLabel.fenceAfterMs });
    const due = candidates.filter((container) => {
      const after = Number(container.labels[ManagedLabel.fenceAfterMs]);
      return container.state === 'running' && Number.isFinite(after) && after > 0 && after <= awayMs && !this.fenced.has(container.id);
    });
    const stopped: string[] = [];
    for (const container of due) {
      this.fenced.add(container.id);
      try {
        await this.options.runtime.stop(container.id);
        stopped.push(container.id);
        this.options.logger.warn('fenced: stopped a container after losing the server', { container: container.name, awayMs });
      } catch (error) {
        this.fenced.delete(container.id);
        this.options.logger.error('fencing could not stop a container', { container: container.name, error });
      }
    }
    return stopped;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check()
        .catch((error: unknown) => this.options.logger.debug('fencing check failed', { error }))
        .finally(() => {
          if (this.lostSince !== null && !this.timer) this.schedule();
        });
    }, this.options.checkIntervalMs ?? 500);
    this.timer.unref();
  }
}

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
  /**
   * Where the time of the last accepted session is kept across restarts; without it the
   * count starts at start-up.
   */
  lastSession?: { read(): number | undefined; write(at: number): Promise<void>; flushed(): Promise<void> };
  /**
   * How often the time is written while a session lasts: an agent killed without warning
   * counts, after its restart, from at most this long before the session really ended.
   * @default 1_000 (milliseconds)
   */
  recordIntervalMs?: number;
  now?: () => number;
}

/**
 * Agent-side fencing. A container created with `fenceAfterMs` is stopped by the agent itself
 * once the agent has been without the server for that long. The server fails a lost node's
 * HA containers over after its own window; a node that is alive behind a partition would
 * otherwise keep running the old copy until the partition heals. Off unless asked for, per
 * container. A fenced container stays stopped: once back, the server decides its fate.
 *
 * The count runs from the end of the last session the server accepted (its `hello` call
 * arrived), not from a socket opening: a server that refuses the agent does so on an open
 * socket, and counting afresh at each such open would put the fence off for ever. That time
 * is kept on disk, so an agent restarted or upgraded during a partition goes on counting from
 * it, rather than fencing at once or starting again from zero.
 */
export class Fencing {
  private lostSince: number | null;
  private readonly fenced = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private recordTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: FencingOptions) {
    this.now = options.now ?? Date.now;
    // Before any session of its own, the agent counts from the last one it recorded, or from
    // its start. A recorded time ahead of the clock (the clock was set back) counts from now.
    const now = this.now();
    this.lostSince = Math.min(options.lastSession?.read() ?? now, now);
  }

  /** The socket closed: count from now, unless already counting (no session was accepted since). */
  serverLost(): void {
    if (this.lostSince !== null) return;
    this.lostSince = this.now();
    this.stopRecording();
    this.record(this.lostSince);
    this.schedule();
  }

  /** The server accepted a session: stop counting, and record the time while the session lasts. */
  sessionAccepted(): void {
    this.lostSince = null;
    this.fenced.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.record(this.now());
    if (!this.recordTimer) {
      this.recordTimer = setInterval(() => this.record(this.now()), this.options.recordIntervalMs ?? 1_000);
      this.recordTimer.unref();
    }
  }

  /** When the count started, or `null` during a session. */
  get awaySince(): number | null {
    return this.lostSince;
  }

  start(): void {
    if (this.lostSince !== null) this.schedule();
  }

  /** Stops checking; during a session, records its end as now. Resolves once every record has landed. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const inSession = this.recordTimer !== null;
    this.stopRecording();
    if (inSession) await this.options.lastSession?.write(this.now()).catch(() => undefined);
    // A record still on its way would land after whatever runs next: a restarted agent would read it.
    await this.options.lastSession?.flushed();
  }

  private stopRecording(): void {
    if (this.recordTimer) clearInterval(this.recordTimer);
    this.recordTimer = null;
  }

  private record(at: number): void {
    this.options.lastSession?.write(at).catch((error: unknown) => this.options.logger.warn('cannot record the session time', { error }));
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

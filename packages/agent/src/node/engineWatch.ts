import type { ContainerRuntime } from '../docker/ContainerRuntime.js';
import type { Logger } from '../logger.js';
import type { EngineSnapshot } from './heartbeats.js';

export interface EngineWatchOptions {
  runtime: ContainerRuntime;
  /** Labels that select this agent's managed containers. */
  managedLabels: Record<string, string>;
  logger: Logger;
  /** How often the engine is asked. @default 5_000 (milliseconds) */
  intervalMs: number;
  /** An engine that does not answer within this is down. @default 3_000 (milliseconds) */
  timeoutMs?: number;
  /**
   * Runs each time the engine is found up after being down or unknown, as at start: what the
   * agent learns of the engine (its data root) may have changed across a restart of it.
   */
  onUp?(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

/**
 * Keeps the latest engine health and container counts, refreshed in the background, so
 * heartbeats read them without waiting on the engine. Logs each transition up or down once.
 */
export class EngineWatch {
  private state: EngineSnapshot = { engine: { up: false, error: 'not checked yet' }, containers: { managed: 0, running: 0 } };
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  /** The first check logs a down engine even though it was never up. */
  private everChecked = false;
  /** The latest `onUp`, settled or not. */
  private upTask: Promise<void> = Promise.resolve();

  constructor(private readonly options: EngineWatchOptions) {}

  snapshot(): EngineSnapshot {
    return this.state;
  }

  get engineVersion(): string | null {
    return this.state.engine.up ? (this.state.engine.version ?? null) : null;
  }

  /** Refreshes now; resolves when done. Concurrent calls share one refresh. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** Resolves after a refresh and the `onUp` it may have started: the engine's facts are known, or it is down. */
  async ready(): Promise<void> {
    await this.refresh();
    await this.upTask;
  }

  start(): void {
    const tick = () => {
      void this.refresh().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async doRefresh(): Promise<void> {
    const { runtime, logger } = this.options;
    const timeoutMs = this.options.timeoutMs ?? 3_000;
    const wasUp = this.state.engine.up;
    try {
      const info = await withTimeout(runtime.ping(), timeoutMs);
      const containers = await withTimeout(runtime.list(this.options.managedLabels), timeoutMs);
      this.state = {
        engine: { up: true, version: info.version },
        containers: { managed: containers.length, running: containers.filter((c) => c.state === 'running').length },
      };
      if (!wasUp) {
        logger.info('docker engine is up', { version: info.version });
        const onUp = this.options.onUp;
        if (onUp) this.upTask = onUp().catch((error: unknown) => logger.warn('reading the engine after it came up failed', { error }));
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.state = { engine: { up: false, error: message }, containers: this.state.containers };
      if (wasUp || !this.everChecked) logger.warn('docker engine is down', { error: message });
    }
    this.everChecked = true;
  }
}

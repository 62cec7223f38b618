export interface SerialTasksOptions {
  /**
   * Tasks run back to back for at most this long before the event loop gets a turn. Thousands
   * of nodes turning suspect at one check made thousands of live events in one turn: 200 to
   * 500 ms in which no heartbeat was read.
   * @default 5 (milliseconds)
   */
  sliceMs?: number;
  /** A monotonic clock. @default performance.now */
  now?: () => number;
  /** Told of a task that failed; the tasks after it run as before. @default ignores it */
  onError?: (error: unknown) => void;
}

/**
 * Runs tasks one at a time, each after the one before it has finished, in the order they
 * were given; a long run of them lets the event loop turn every `sliceMs`, so the sockets'
 * frames are read in between.
 */
export class SerialTasks {
  private readonly sliceMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** When the current run of back-to-back tasks began, or null while none waits. */
  private sliceStart: number | null = null;

  constructor(options: SerialTasksOptions = {}) {
    this.sliceMs = options.sliceMs ?? 5;
    if (!Number.isFinite(this.sliceMs) || this.sliceMs < 0) throw new TypeError('SerialTasks: options.sliceMs must be a number of milliseconds >= 0');
    this.now = options.now ?? (() => performance.now());
    this.onError = options.onError ?? (() => {});
  }

  run(task: () => unknown): void {
    this.queued++;
    this.chain = this.chain.then(() => this.runOne(task));
  }

  /** Runs one task after the loop's turn if its slice is used up; never rejects. */
  private async runOne(task: () => unknown): Promise<void> {
    try {
      const now = this.now();
      if (this.sliceStart === null) this.sliceStart = now;
      else if (now - this.sliceStart >= this.sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.sliceStart = this.now();
      }
      await task();
    } catch (error) {
      this.onError(error);
    } finally {
      if (--this.queued === 0) this.sliceStart = null;
    }
  }

  /** Resolves once every task given so far has run. */
  settled(): Promise<void> {
    return this.chain;
  }
}

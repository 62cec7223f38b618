import { AgentError, type ContainerResult, type OperationEvent, type OperationStatus, type OperationStep, type PullResult } from '@lormas/protocol';
import { Journal } from '../journal.js';

export type OperationKind = OperationStatus['kind'];
export type OperationResult = ContainerResult | PullResult;
/** Records one step of a running operation; the ledger adds its id and time. */
export type Emit = (step: OperationStep) => void;

export interface OperationLedgerOptions {
  /** Completed operations remembered; the oldest are forgotten first. @default 1000 */
  maxCompleted?: number;
  /** How long a completed operation is remembered, in milliseconds. @default 900_000 (15 minutes) */
  retentionMs?: number;
  /** Progress events kept per operation; the oldest are dropped first, the terminal one never. @default 500 */
  maxEventsPerOperation?: number;
  /** How long a watch of an unknown operation waits for it to start, in milliseconds. @default 30_000 */
  watchWaitMs?: number;
  /**
   * Operations running at once; a new one beyond is refused with `LIMIT_EXCEEDED` (a replay
   * of a known id is still answered). Each holds engine calls and memory until it ends.
   * @default 64 (operations)
   */
  maxRunning?: number;
  /**
   * Watches waiting, all ids together, for an operation that has not started; one more is
   * refused with `LIMIT_EXCEEDED`. Without it, watches of made-up ids would each hold a
   * timer and a subscription for `watchWaitMs`.
   * @default 256 (watches)
   */
  maxWatchWaiters?: number;
  /** The clock for event times and retention, epoch milliseconds. @default Date.now */
  now?: () => number;
}

interface Entry {
  status: OperationStatus;
  fingerprint: string;
  promise: Promise<OperationResult>;
  /** Progress events; closed after the terminal one, which ends every watch. */
  events: Journal<OperationEvent>;
}

/**
 * The agent's memory of operation ids (architecture rule 3): the first call with an id
 * runs, every replay of the same request gets the same outcome without acting again,
 * and the server can watch each operation's progress as a resumable stream.
 */
export class OperationLedger {
  readonly #maxCompleted: number;
  readonly #retentionMs: number;
  readonly #maxEvents: number;
  readonly #watchWaitMs: number;
  readonly #maxRunning: number;
  readonly #maxWatchWaiters: number;
  readonly #now: () => number;
  #running = 0;
  #waiting = 0;
  readonly #entries = new Map<string, Entry>();
  /** Completed operation ids, oldest completion first. */
  readonly #completed: string[] = [];
  /** Watches of operations that have not started yet. */
  readonly #appear = new Map<string, Set<() => void>>();

  constructor(options: OperationLedgerOptions = {}) {
    this.#maxCompleted = positive('maxCompleted', options.maxCompleted ?? 1000);
    this.#retentionMs = positive('retentionMs', options.retentionMs ?? 15 * 60_000);
    this.#maxEvents = positive('maxEventsPerOperation', options.maxEventsPerOperation ?? 500);
    this.#watchWaitMs = positive('watchWaitMs', options.watchWaitMs ?? 30_000);
    this.#maxRunning = positive('maxRunning', options.maxRunning ?? 64);
    this.#maxWatchWaiters = positive('maxWatchWaiters', options.maxWatchWaiters ?? 256);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs `work` under `operationId` once. A replay of the same request (same
   * `fingerprint`) gets the first call's promise: still pending while it runs, then its
   * recorded result or `AgentError`. A different request under a used id is refused
   * with `OPERATION_ID_REUSED`.
   */
  run<R extends OperationResult>(operationId: string, kind: OperationKind, fingerprint: string, work: (emit: Emit) => Promise<R>): Promise<R> {
    this.#prune();
    const known = this.#entries.get(operationId);
    if (known !== undefined) {
      if (known.fingerprint !== fingerprint || known.status.kind !== kind) {
        return Promise.reject(new AgentError('OPERATION_ID_REUSED', `operation id ${operationId} was already used for a different request`));
      }
      return known.promise as Promise<R>;
    }
    if (this.#running >= this.#maxRunning) {
      return Promise.reject(new AgentError('LIMIT_EXCEEDED', `${this.#maxRunning} operations are running already; try again when one has finished`));
    }
    this.#running += 1;
    const entry: Entry = {
      status: { operationId, kind, state: 'running', startedAt: this.#now(), endedAt: null, result: null, error: null },
      fingerprint,
      promise: Promise.resolve(null as unknown as OperationResult),
      events: new Journal<OperationEvent>(this.#maxEvents),
    };
    this.#entries.set(operationId, entry);
    const emit: Emit = (step) => {
      if (entry.status.state === 'running') this.#record(entry, step);
    };
    entry.promise = this.#settle(entry, work, emit);
    // Replays and watches read the outcome; nobody else needs to observe a rejection.
    entry.promise.catch(() => undefined);
    for (const wake of this.#appear.get(operationId) ?? []) wake();
    return entry.promise as Promise<R>;
  }

  /** The state of an operation; `NOT_FOUND` once forgotten or if never run. */
  status(operationId: string): OperationStatus {
    this.#prune();
    const entry = this.#entries.get(operationId);
    if (entry === undefined) throw notFound(operationId);
    return { ...entry.status };
  }

  /**
   * The operation's events after `afterEventId` (all when absent), live while it runs,
   * ending after the terminal `succeeded` or `failed` event. Event ids are sequence
   * numbers, so a watch resumed with the last id it saw continues where it stopped (events
   * dropped from a full buffer meanwhile are skipped). An unknown operation is awaited for
   * `watchWaitMs`, then the watch fails with `NOT_FOUND`.
   */
  async *watch(operationId: string, afterEventId?: string | null, signal?: AbortSignal): AsyncGenerator<{ id: string; data: OperationEvent }> {
    const entry = this.#entries.get(operationId) ?? (await this.#waitToAppear(operationId, signal));
    if (entry === undefined) {
      if (signal?.aborted) return;
      throw notFound(operationId);
    }
    yield* entry.events.read(afterEventId, signal ?? new AbortController().signal);
  }

  async #settle(entry: Entry, work: (emit: Emit) => Promise<OperationResult>, emit: Emit): Promise<OperationResult> {
    try {
      const result = await work(emit);
      this.#record(entry, { type: 'succeeded', result });
      this.#complete(entry, { state: 'succeeded', result });
      return result;
    } catch (err) {
      const error = AgentError.from(err);
      this.#record(entry, { type: 'failed', error: error.toShape() });
      this.#complete(entry, { state: 'failed', error: error.toShape() });
      throw error;
    }
  }

  #record(entry: Entry, step: OperationStep): void {
    entry.events.append({ ...step, operationId: entry.status.operationId, at: this.#now() } as OperationEvent);
  }

  #complete(entry: Entry, outcome: Partial<OperationStatus>): void {
    this.#running -= 1;
    Object.assign(entry.status, outcome, { endedAt: this.#now() });
    entry.events.close();
    this.#completed.push(entry.status.operationId);
    this.#prune();
  }

  /** Forgets completed operations beyond the count limit or past the retention window. */
  #prune(): void {
    const oldestKept = this.#now() - this.#retentionMs;
    for (;;) {
      const id = this.#completed[0];
      const entry = id === undefined ? undefined : this.#entries.get(id);
      const expired = entry !== undefined && (entry.status.endedAt ?? Infinity) <= oldestKept;
      if (id === undefined || (this.#completed.length <= this.#maxCompleted && !expired)) return;
      this.#completed.shift();
      this.#entries.delete(id);
    }
  }

  async #waitToAppear(operationId: string, signal: AbortSignal | undefined): Promise<Entry | undefined> {
    if (this.#waiting >= this.#maxWatchWaiters) {
      throw new AgentError('LIMIT_EXCEEDED', `${this.#maxWatchWaiters} watches are waiting for operations to start already`);
    }
    let wakers = this.#appear.get(operationId);
    if (wakers === undefined) this.#appear.set(operationId, (wakers = new Set()));
    this.#waiting += 1;
    try {
      await waitOnce(wakers, signal, this.#watchWaitMs);
    } finally {
      this.#waiting -= 1;
      if (wakers.size === 0) this.#appear.delete(operationId);
    }
    return this.#entries.get(operationId);
  }
}

/** Resolves at the next wake-up from `wakers`, when `signal` aborts, or after `timeoutMs`. */
function waitOnce(wakers: Set<() => void>, signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      wakers.delete(done);
      signal?.removeEventListener('abort', done);
      clearTimeout(timer);
      resolve();
    };
    const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
    wakers.add(done);
    signal?.addEventListener('abort', done, { once: true });
    if (signal?.aborted) done();
  });
}

function notFound(operationId: string): AgentError {
  return new AgentError('NOT_FOUND', `no operation ${operationId} is known to this agent`);
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new TypeError(`OperationLedger: ${name} must be a positive number, got ${value}`);
  return value;
}

import { AgentError } from '@lormas/protocol';
import type { Tracked } from '@lormas/protocol/agent';

/**
 * A bounded, append-only sequence of events with numeric ids, read by any number of
 * subscribers. A subscriber that resumes with the id of the last event it received gets
 * every later event still held, then live ones. Ids are `String(seq)`, seq from 1.
 */
export class Journal<T> {
  private readonly entries: { seq: number; data: T }[] = [];
  private seq = 0;
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError('Journal: capacity must be a positive integer');
  }

  append(data: T): void {
    if (this.closed) return;
    this.entries.push({ seq: ++this.seq, data });
    if (this.entries.length > this.capacity) this.entries.shift();
    this.wake();
  }

  /** Ends every subscription once it has read what is held. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /**
   * Events after `afterId` (all held events when absent), then live ones until `signal`
   * aborts or the journal closes. An id past the last event was given out before the agent
   * restarted and its ids began again at 1: every event held is newer, so all are read.
   * An id that is not one of ours is `BAD_INPUT`.
   */
  async *read(afterId: string | null | undefined, signal: AbortSignal): AsyncGenerator<Tracked<T>> {
    let cursor = afterId ? Number(afterId) : 0;
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new AgentError('BAD_INPUT', `lastEventId "${afterId}" is not an event id of this stream`);
    if (cursor > this.seq) cursor = 0;
    while (!signal.aborted) {
      const first = this.entries[0];
      const start = first ? Math.max(0, cursor + 1 - first.seq) : 0;
      for (let i = start; i < this.entries.length; i++) {
        const entry = this.entries[i]!;
        cursor = entry.seq;
        yield { id: String(entry.seq), data: entry.data };
        if (signal.aborted) return;
      }
      if (this.closed) return;
      if (cursor >= this.seq) await this.next(signal);
    }
  }

  private next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }
}

import type { StateDir } from '../StateDir.js';

/** The file in the state folder. */
export const LAST_SESSION_FILE = 'last-session.json';

interface Stored {
  nodeId: string;
  /** Epoch milliseconds: the last moment a session the server accepted was known to be up. */
  at: number;
}

/**
 * When this node last had a session the server accepted, kept on disk so that fencing counts
 * from it across a restart or an upgrade. The record names its node: a state folder reused
 * with another node's token says nothing about this node's sessions.
 */
export class LastSession {
  /** Writes go one after another, so an older time never lands after a newer one. */
  private queue: Promise<void> = Promise.resolve();
  /** The write queued behind the one in progress, if any: a later time asked for before it starts replaces its time. */
  private next: { at: number; written: Promise<void> } | null = null;

  constructor(
    private readonly dir: StateDir,
    private readonly nodeId: string,
  ) {}

  /** The stored time, or `undefined` when there is none for this node. */
  read(): number | undefined {
    const stored = this.dir.read(LAST_SESSION_FILE) as Partial<Stored> | undefined;
    if (stored?.nodeId !== this.nodeId || typeof stored.at !== 'number' || !Number.isFinite(stored.at)) return undefined;
    return stored.at;
  }

  /** Resolves once every write asked for so far has landed (or failed). */
  flushed(): Promise<void> {
    return this.queue;
  }

  /**
   * Records `at`; resolves once a write of it, or of a time asked for after it, has landed.
   * At most one write waits behind the one in progress, whatever the rate of calls: however
   * often something records (every `hello` a server sends counts), the disk sees at most two
   * writes in a row.
   */
  write(at: number): Promise<void> {
    if (this.next) {
      this.next.at = at;
      return this.next.written;
    }
    const next = { at, written: Promise.resolve() };
    next.written = this.queue.then(() => {
      this.next = null;
      return this.dir.write(LAST_SESSION_FILE, { nodeId: this.nodeId, at: next.at } satisfies Stored);
    });
    this.next = next;
    this.queue = next.written.catch(() => undefined);
    return next.written;
  }
}

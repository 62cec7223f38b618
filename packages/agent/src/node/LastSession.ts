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

  write(at: number): Promise<void> {
    const written = this.queue.then(() => this.dir.write(LAST_SESSION_FILE, { nodeId: this.nodeId, at } satisfies Stored));
    this.queue = written.catch(() => undefined);
    return written;
  }
}
